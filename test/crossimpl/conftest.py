# Cross-implementation tests: PyJWT (python3-jwt) <-> `claimgate token sign|verify`.
import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--claimgate", action="store", default=os.environ.get("CLAIMGATE_BIN"),
                     help="path to the claimgate binary")


@pytest.fixture(scope="session")
def claimgate(request):
    path = request.config.getoption("--claimgate")
    if not path or not os.path.exists(path):
        pytest.fail("--claimgate=PATH (or CLAIMGATE_BIN) must name the built claimgate binary")
    return path
