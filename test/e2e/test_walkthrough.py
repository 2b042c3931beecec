"""The Gloo walkthrough (DESIGN §1) on the bundled example, over HTTP and HTTPS: the very files
scripts/quickstart.sh serves, rendered by the same examples/quickstart/render.py."""
import subprocess

import pytest
import requests

import render
from conftest import Gateway, free_port, now


@pytest.fixture(scope="module")
def walkthrough(claimgate_bin, httpbin, keys, tls_files, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("quickstart") / "config"
    http_port, https_port = free_port(), free_port()
    crt, key = tls_files
    render.render(cfg, http_port, https_port, httpbin, keys.public_pem, crt.read_text(), key.read_text())
    out = subprocess.run([claimgate_bin, "validate", "--config", str(cfg)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    g = Gateway(claimgate_bin, cfg, http_port, https_port)
    yield g
    g.close()


def dev_token(keys):
    return keys.token({"iss": "https://localhost", "sub": "dev1", "email": "dev1@solo.io",
                       "org": "internal", "scope": "is:developer", "exp": now() + 3600})


def user_token(keys):
    return keys.token({"iss": "https://localhost", "sub": "user1", "email": "user1@example.com",
                       "org": "external", "scope": "is:user", "exp": now() + 3600})


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_no_token_401_with_realm(walkthrough, https):
    r = requests.get(walkthrough.url("/get?x=1", https), headers={"X-httpbin": "true"}, verify=False)
    assert r.status_code == 401
    assert r.text == "Jwt is missing"
    scheme, port = ("https", walkthrough.https_port) if https else ("http", walkthrough.http_port)
    assert r.headers["www-authenticate"] == f'Bearer realm="{scheme}://localhost:{port}/get?x=1"'
    assert r.headers["content-type"] == "text/plain"
    assert r.headers["content-length"] == "14"


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_developer_200(walkthrough, keys, https):
    # show_env=1: httpbin hides X-Forwarded-* otherwise
    r = requests.get(walkthrough.url("/get?show_env=1", https), verify=False,
                     headers={"X-httpbin": "true", "X-Auth": f"Bearer {dev_token(keys)}"})
    assert r.status_code == 200, r.text
    echoed = r.json()["headers"]
    assert "X-Auth" not in echoed  # keepToken defaults to false: the token is not forwarded
    assert echoed["X-Forwarded-Proto"] == ("https" if https else "http")


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_user_403(walkthrough, keys, https):
    r = requests.get(walkthrough.url("/get", https), verify=False,
                     headers={"X-httpbin": "true", "X-Auth": f"Bearer {user_token(keys)}"})
    assert r.status_code == 403
    assert r.text == "RBAC: access denied"
    assert "www-authenticate" not in r.headers


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_developer_query_param_200(walkthrough, keys, https):
    r = requests.get(walkthrough.url(f"/get?auth_token={dev_token(keys)}&keep=1", https),
                     headers={"X-httpbin": "true"}, verify=False)
    assert r.status_code == 200, r.text
    assert r.json()["args"] == {"keep": "1"}  # the token parameter is removed upstream


def test_route_not_matched_404(walkthrough):
    r = requests.get(walkthrough.url("/get"))  # no X-httpbin header: no route
    assert r.status_code == 404
    assert r.content == b""


def test_curl_client(walkthrough, keys):
    """A client that is not Python: curl over HTTPS with the developer token."""
    out = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-httpbin: true",
                          "-H", f"X-Auth: Bearer {dev_token(keys)}", walkthrough.url("/get", https=True)],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == "200"
