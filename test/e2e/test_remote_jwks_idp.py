"""Remote JWKS against a real OpenID provider (docs/remote-jwks.md).

The IdP is panva/oidc-provider (test/idp/idp.mjs, Node.js) over HTTPS with a certificate signed by
a test CA made here with the openssl CLI; it issues RFC 9068 JWT access tokens (client_credentials
+ resource indicator) signed with an RS256 key set made here with pyca/cryptography. claimgate
fetches the IdP's jwks_uri through an ExternalService (`clientsideTls` with the test CA) backed by
an ExternalEndpoint, with `enableAsyncFetch: true`. Nothing in the key path is claimgate's own.

Checked: a real token → 200; a token lacking the required scope → 403; the IdP stopped → the
cached keys keep serving; the IdP restarted with a rotated key set (new kid) → the unknown-kid
refetch picks the new key up at once and the old kid is gone; a second rotation right after is
picked up only once the 30 s unknown-kid rate limit has passed (so the test takes ~40 s).
Further tests: stale-if-error (a 1 s cacheDuration that expires while the IdP is down), the end
of a short stale window (--jwks-stale-window), and `enableAsyncFetch: false`, where the first
requests wait for one shared fetch (200, one fetch for many concurrent requests) and get 401
"Jwks remote fetch is failed" without hanging when the IdP is down."""
import json
import os
import pathlib
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
import jwt as pyjwt
from jwt.algorithms import RSAAlgorithm

import manifests as m
from conftest import free_port, stop

ROOT = pathlib.Path(__file__).resolve().parents[2]
IDP_DIR = ROOT / "test" / "idp"
CLIENT_ID = "claimgate-e2e"
CLIENT_SECRET = "e2e-secret-0123456789"
RESOURCE = "https://api.example.com"
NODE_MISSING = "node (Node.js) is not installed: the real-IdP test needs it (scripts/install-deps.sh test)"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason=NODE_MISSING)
SCOPES = "api:read api:write"
REQUIRED_SCOPE = "api:write"


# ---------------------------------------------------------------- test material (openssl, pyca)
def make_ca_and_server_cert(d: pathlib.Path):
    """A test CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=claimgate e2e test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                  "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", str(d / "server.ext"), "-out", str(d / "server.pem"))
    return d / "ca.pem", d / "server.pem", d / "server.key"


def make_private_jwks(path: pathlib.Path, kid: str) -> pathlib.Path:
    """A private RS256 JWKS with one 2048-bit key. `key_ops` (PyJWT writes ["sign"]) is dropped:
    oidc-provider would then refuse the key for verification, and IdPs do not publish it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)
    jwk.update(kid=kid, alg="RS256", use="sig")
    path.write_text(json.dumps({"keys": [jwk]}))
    return path


# ---------------------------------------------------------------- the IdP process
def ensure_idp_installed():
    if shutil.which("node") is None:
        pytest.skip(NODE_MISSING)
    if (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"{IDP_DIR}/node_modules is missing and npm is not installed to create it")
    try:
        r = subprocess.run([npm, "ci", "--prefix", str(IDP_DIR), "--no-audit", "--no-fund"],
                           capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("npm ci --prefix test/idp did not finish in 240 s")
    if r.returncode != 0:
        pytest.fail(f"npm ci --prefix test/idp failed:\n{r.stdout}\n{r.stderr}")


class Idp:
    """`node test/idp/idp.mjs <port>`; start() waits for its "ready" line, stop() ends it by PID."""

    def __init__(self, workdir: pathlib.Path, tls, port: int):
        self.workdir = workdir
        self.ca, self.cert, self.key = tls
        self.port = port
        self.issuer = f"https://localhost:{port}"
        self.proc = None
        self.starts = 0

    def start(self, jwks_path: pathlib.Path, timeout: float = 20.0):
        self.starts += 1
        self.log_path = self.workdir / f"idp-{self.starts}.log"
        env = dict(os.environ, IDP_ISSUER=self.issuer, IDP_TLS_CERT=str(self.cert), IDP_TLS_KEY=str(self.key),
                   IDP_JWKS=str(jwks_path), IDP_CLIENT_ID=CLIENT_ID, IDP_CLIENT_SECRET=CLIENT_SECRET,
                   IDP_RESOURCE=RESOURCE, IDP_SCOPES=SCOPES)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(["node", str(IDP_DIR / "idp.mjs"), str(self.port)], env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(line.startswith("ready ") for line in self.log_path.read_text().splitlines()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError("the IdP did not start:\n" + self.log_path.read_text())

    def stop(self):
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def discovery(self) -> dict:
        out = subprocess.run(["curl", "-sS", "--fail-with-body", "--max-time", "10", "--cacert", str(self.ca),
                              f"{self.issuer}/.well-known/openid-configuration"],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stdout + out.stderr
        return json.loads(out.stdout)

    def token(self, scope: str) -> str:
        """An access token from the token endpoint (client_credentials, RFC 8707 resource)."""
        out = subprocess.run(["curl", "-sS", "--fail-with-body", "--max-time", "10", "--cacert", str(self.ca),
                              "-u", f"{CLIENT_ID}:{CLIENT_SECRET}", "-d", "grant_type=client_credentials",
                              "--data-urlencode", f"resource={RESOURCE}", "--data-urlencode", f"scope={scope}",
                              f"{self.issuer}/token"], capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stdout + out.stderr + "\n" + self.log_path.read_text()
        body = json.loads(out.stdout)
        assert body["token_type"].lower() == "bearer" and body["scope"] == scope, body
        return body["access_token"]


@pytest.fixture
def idp(tmp_path):
    ensure_idp_installed()
    d = tmp_path / "idp"
    d.mkdir()
    server = Idp(d, make_ca_and_server_cert(d), free_port())
    yield server
    server.stop()


def kid_of(token: str) -> str:
    return pyjwt.get_unverified_header(token)["kid"]


# ---------------------------------------------------------------- claimgate config
def idp_service(ca: pathlib.Path, idp_port: int) -> str:
    """ExternalService `idp` (HTTPS, test CA, SNI localhost) → ExternalEndpoint 127.0.0.1:<port>."""
    return f"""apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata:
  name: idp
  namespace: {m.NS}
spec:
  hosts:
  - idp.local
  selector:
    app: idp
  ports:
  - name: https
    number: 443
    protocol: HTTPS
    clientsideTls:
      caCertificates: {json.dumps(str(ca))}
      sni: localhost
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalEndpoint
metadata:
  name: idp-1
  namespace: {m.NS}
  labels:
    app: idp
spec:
  address: 127.0.0.1
  ports:
  - name: https
    number: {idp_port}
"""


def remote_policy(issuer: str, jwks_uri: str, cache_duration=None, async_fetch=True) -> str:
    cache = f"\n          cacheDuration: {cache_duration}" if cache_duration else ""
    provider = f"""      idp:
        issuer: {json.dumps(issuer)}
        audiences:
        - {json.dumps(RESOURCE)}
        remote:
          url: {json.dumps(jwks_uri)}
          destinationRef:
            ref:
              name: idp
              namespace: {m.NS}
            kind: EXTERNAL_SERVICE
            port:
              number: 443
          enableAsyncFetch: {"true" if async_fetch else "false"}{cache}
"""
    return m.jwt_policy("idp-policy", [provider], {"route": "r"},
                        claims=[{"key": "client_id", "values": [CLIENT_ID]}, {"key": "sub", "values": ["claimgate-*"]}],
                        scopes=[REQUIRED_SCOPE])


def start_gateway(gateway, httpbin, idp: Idp, cache_duration=None, extra_args=(), async_fetch=True,
                  jwks_uri=None):
    if jwks_uri is None:
        disc = idp.discovery()
        assert disc["issuer"] == idp.issuer, disc
        jwks_uri = disc["jwks_uri"]
    port = free_port()
    docs = [m.virtual_gateway(port), m.httpbin_service(httpbin), m.route_table([m.route("r", {"route": "r"})]),
            idp_service(idp.ca, idp.port), remote_policy(idp.issuer, jwks_uri, cache_duration, async_fetch)]
    return gateway(*docs, http_port=port, extra_args=extra_args)


def call(g, token: str) -> requests.Response:
    return requests.get(g.url("/headers"), headers={"Authorization": "Bearer " + token}, timeout=10)


def expect(g, token: str, status: int, body=None):
    r = call(g, token)
    assert r.status_code == status, f"{r.status_code} {r.text}\n--- claimgate log:\n{g.logs()}"
    if body is not None:
        assert r.text == body
    return r


# ---------------------------------------------------------------- tests
def test_remote_jwks_real_idp_scopes_outage_and_rotation(gateway, httpbin, idp):
    jwks1 = make_private_jwks(idp.workdir / "jwks-1.json", "key-1")
    idp.start(jwks1)
    good = idp.token(SCOPES)
    read_only = idp.token("api:read")
    assert kid_of(good) == "key-1"
    g = start_gateway(gateway, httpbin, idp)

    # Keys fetched at startup (async mode waits for the first fetch before serving).
    r = expect(g, good, 200)
    assert r.json()["headers"]["Host"].startswith("localhost"), r.text  # reached httpbin
    expect(g, read_only, 403, "RBAC: access denied")
    expect(g, "x" + good, 401)  # a corrupted token is refused, not passed through
    metrics = g.admin("/stats/prometheus").text
    ok_lines = [l for l in metrics.splitlines() if l.startswith("claimgate_jwks_fetches_ok_total{")]
    assert ok_lines and float(ok_lines[0].rsplit(" ", 1)[1]) >= 1, metrics
    assert any(l.startswith("claimgate_jwks_stale{") and l.endswith(" 0") for l in metrics.splitlines())

    # The IdP goes away: the cached key set keeps serving (default cacheDuration 5m).
    idp.stop()
    expect(g, good, 200)
    expect(g, read_only, 403, "RBAC: access denied")

    # The IdP comes back with a rotated key set (new kid, old key removed).
    jwks2 = make_private_jwks(idp.workdir / "jwks-2.json", "key-2")
    idp.start(jwks2)
    rotated = idp.token(SCOPES)
    assert kid_of(rotated) == "key-2"
    t0 = time.monotonic()
    ok_at, seen = poll_until_accepted(g, rotated, t0, deadline=35)
    print(f"rotation 1: key-2 accepted after {ok_at:.1f} s: {seen}")
    expect(g, idp.token("api:read"), 403, "RBAC: access denied")
    # The refetched set replaced the old one: the old kid is unknown now.
    expect(g, good, 401, "Jwks doesn't have key to match kid or alg from Jwt")

    # A second rotation right away: unknown-kid refetches are limited to one per 30 s per key
    # set, so key-3 cannot be picked up before t0 + 30 s (the first trigger came after t0), and
    # must be picked up soon after (the next request past the limit triggers the refetch).
    idp.stop()
    idp.start(make_private_jwks(idp.workdir / "jwks-3.json", "key-3"))
    rotated3 = idp.token(SCOPES)
    ok_at, seen = poll_until_accepted(g, rotated3, t0, deadline=42, interval=1.0)
    print(f"rotation 2: key-3 accepted {ok_at:.1f} s after the first refetch trigger: {seen}")
    assert ok_at >= 30, f"unknown-kid refetch not rate-limited: {seen}\n{g.logs()}"
    expect(g, rotated, 401, "Jwks doesn't have key to match kid or alg from Jwt")


def poll_until_accepted(g, token, t0, deadline, interval=0.5):
    """Calls with `token` until 200; every other answer must be the unknown-kid 401 (the
    request path does not wait for the refetch it triggers). Returns (seconds since t0, log)."""
    seen = []
    while True:
        r = call(g, token)
        at = time.monotonic() - t0
        seen.append((round(at, 1), r.status_code))
        if r.status_code == 200:
            return at, seen
        assert (r.status_code, r.text) == (401, "Jwks doesn't have key to match kid or alg from Jwt"), \
            f"{seen} {r.text}\n--- claimgate log:\n{g.logs()}"
        assert at < deadline, f"rotated key not picked up {deadline} s after t0: {seen}\n{g.logs()}"
        time.sleep(interval)


def test_remote_jwks_real_idp_stale_if_error(gateway, httpbin, idp):
    """cacheDuration 1 s: the set expires while the IdP is down; refreshes fail and the last good
    key set keeps serving (stale-if-error, docs/remote-jwks.md), and it says so in the log."""
    idp.start(make_private_jwks(idp.workdir / "jwks-1.json", "key-1"))
    good = idp.token(SCOPES)
    read_only = idp.token("api:read")
    g = start_gateway(gateway, httpbin, idp, cache_duration="1s")
    expect(g, good, 200)
    idp.stop()
    deadline = time.monotonic() + 15
    while "serving the last good key set" not in g.logs():
        assert time.monotonic() < deadline, "no failed refresh logged in 15 s:\n" + g.logs()
        time.sleep(0.2)
    time.sleep(1.5)  # well past the 1 s expiry of the last good set
    expect(g, good, 200)
    expect(g, read_only, 403, "RBAC: access denied")


def test_remote_jwks_real_idp_stale_window_ends(gateway, httpbin, idp):
    """With a short stale window (--jwks-stale-window 2s) the last good key set stops serving once
    the window has passed while the IdP is still down: tokens then get 401 "Jwks remote fetch is
    failed" (fail closed), and the key set is reported stale until then."""
    idp.start(make_private_jwks(idp.workdir / "jwks-1.json", "key-1"))
    good = idp.token(SCOPES)
    g = start_gateway(gateway, httpbin, idp, cache_duration="1s", extra_args=("--jwks-stale-window", "2s"))
    expect(g, good, 200)
    idp.stop()
    deadline = time.monotonic() + 20
    while True:
        r = call(g, good)
        if r.status_code == 401:
            break
        assert r.status_code == 200, r.text
        assert time.monotonic() < deadline, "stale keys still served 20 s after the IdP stopped:\n" + g.logs()
        time.sleep(0.25)
    assert r.text == "Jwks remote fetch is failed"


def metric(g, prefix: str) -> float:
    lines = [l for l in g.admin("/stats/prometheus").text.splitlines() if l.startswith(prefix + "{")]
    assert lines, f"no {prefix} series"
    return sum(float(l.rsplit(" ", 1)[1]) for l in lines)


def test_remote_jwks_lazy_first_requests_wait_for_one_fetch(gateway, httpbin, idp):
    """enableAsyncFetch: false (Gloo's default): nothing is fetched at startup; the first requests
    wait for the one shared fetch they trigger and are answered with the fetched keys (200/403),
    however many arrive together (single flight: one fetch)."""
    idp.start(make_private_jwks(idp.workdir / "jwks-1.json", "key-1"))
    good = idp.token(SCOPES)
    read_only = idp.token("api:read")
    g = start_gateway(gateway, httpbin, idp, async_fetch=False)
    assert metric(g, "claimgate_jwks_fetches_ok_total") == 0  # lazy: nothing fetched yet
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda t: call(g, t).status_code, [good] * 12 + [read_only] * 4))
    assert answers == [200] * 12 + [403] * 4, f"{answers}\n{g.logs()}"
    assert metric(g, "claimgate_jwks_fetches_ok_total") == 1
    assert metric(g, "claimgate_jwks_fetches_failed_total") == 0


def test_remote_jwks_lazy_first_request_idp_down(gateway, httpbin, idp):
    """enableAsyncFetch: false with the IdP unreachable: the first request waits for the shared
    fetch, which fails, and gets 401 "Jwks remote fetch is failed" (no hang); later requests
    during the backoff fail fast the same way."""
    idp.start(make_private_jwks(idp.workdir / "jwks-1.json", "key-1"))
    good = idp.token(SCOPES)
    jwks_uri = idp.discovery()["jwks_uri"]
    idp.stop()
    g = start_gateway(gateway, httpbin, idp, async_fetch=False, jwks_uri=jwks_uri)
    for _ in range(2):
        t = time.monotonic()
        expect(g, good, 401, "Jwks remote fetch is failed")
        assert time.monotonic() - t < 8
    assert metric(g, "claimgate_jwks_fetches_failed_total") >= 1
    assert "fetch failed" in g.logs()
