"""End-to-end fixtures: the real claimgate binary, the real httpbin (Debian python3-httpbin under
gunicorn), keys and tokens from an independent library (PyJWT + cryptography), all on 127.0.0.1.

Every process a test starts is stopped by PID when the test (or the session) ends."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "quickstart"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def pytest_addoption(parser):
    parser.addoption("--claimgate", action="store", default=str(ROOT / "build/release/src/cli/claimgate"),
                     help="path to the claimgate binary under test")


@pytest.fixture(scope="session")
def claimgate_bin(request):
    path = pathlib.Path(request.config.getoption("--claimgate"))
    if not path.exists():
        pytest.fail(f"claimgate binary not found: {path}")
    return str(path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0, verify=False) -> None:
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            requests.get(url, timeout=1, verify=verify)
            return
        except requests.RequestException as e:  # not up yet
            last = e
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s: {last}")


def stop(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def httpbin():
    """httpbin under gunicorn on a free loopback port; yields the port."""
    port = free_port()
    log = open(tempfile.mktemp(prefix="httpbin-", suffix=".log"), "w")
    proc = subprocess.Popen(["gunicorn", "-b", f"127.0.0.1:{port}", "-w", "4", "-k", "sync",
                             "--timeout", "60", "httpbin:app"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/get")
        yield port
    finally:
        stop(proc)
        log.close()


class Keys:
    """An RSA key pair for RS256 tokens, made with pyca/cryptography (not with claimgate)."""

    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def token(self, claims: dict, alg="RS256", headers=None) -> str:
        return pyjwt.encode(claims, self.private, algorithm=alg, headers=headers)


@pytest.fixture(scope="session")
def keys():
    return Keys()


@pytest.fixture(scope="session")
def other_keys():
    return Keys()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(d / "tls.key"), "-out", str(d / "tls.crt")],
                   check=True, capture_output=True)
    return d / "tls.crt", d / "tls.key"


def now() -> int:
    return int(time.time())


class Gateway:
    """A running `claimgate serve` on a folder of YAML; stopped by PID."""

    def __init__(self, binary: str, config_dir: pathlib.Path, http_port: int, https_port=None,
                 extra_args=(), expect_ready=True):
        self.config_dir = config_dir
        self.http_port = http_port
        self.https_port = https_port
        self.admin_port = free_port()
        self.log_path = config_dir.parent / f"claimgate-{http_port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(config_dir), "--admin-port", str(self.admin_port),
             "--threads", "2", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        if expect_ready:
            try:
                wait_for(f"http://127.0.0.1:{self.admin_port}/ready")
            except TimeoutError:
                self.close()
                raise AssertionError("claimgate did not become ready:\n" + self.log_path.read_text())

    def url(self, path: str, https=False) -> str:
        if https:
            return f"https://localhost:{self.https_port}{path}"
        return f"http://localhost:{self.http_port}{path}"

    def admin(self, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.admin_port}{path}", timeout=5)

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def close(self):
        stop(self.proc)
        self.log.close()


@pytest.fixture
def gateway(claimgate_bin, tmp_path):
    """Factory: gateway(yaml_text, ...) writes the config and starts claimgate on it."""
    started = []

    def start(*docs: str, https=False, tls=None, extra_args=(), **kw):
        cfg = tmp_path / f"config{len(started)}"
        cfg.mkdir()
        (cfg / "config.yaml").write_text("\n---\n".join(docs))
        g = Gateway(claimgate_bin, cfg, kw.pop("http_port"), kw.pop("https_port", None),
                    extra_args=extra_args, **kw)
        started.append(g)
        return g

    yield start
    for g in started:
        g.close()
