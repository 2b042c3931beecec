"""Every row of DESIGN §3 "Responses", byte for byte (status, body, content-type, content-length,
www-authenticate), through a real socket with http.client so nothing is normalised for us."""
import base64
import http.client
import json
import socket

import pytest

from conftest import free_port, now
from seed import ISSUER, dev_claims, seed_docs


@pytest.fixture(scope="module")
def gw(request, claimgate_bin, httpbin, keys, tmp_path_factory):
    from conftest import Gateway
    cfg = tmp_path_factory.mktemp("responses") / "config"
    cfg.mkdir()
    port = free_port()
    (cfg / "all.yaml").write_text("\n---\n".join(seed_docs(keys, port, httpbin)))
    g = Gateway(claimgate_bin, cfg, port)
    yield g
    g.close()


def get(gw, target, headers=None, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=30)
    h = {"Host": f"localhost:{gw.http_port}"}
    h.update(headers or {})
    c.request(method, target, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def realm(gw, target):
    return f'Bearer realm="http://localhost:{gw.http_port}{target}"'


def assert_local_reply(status, headers, body, want_status, want_body):
    assert status == want_status, body
    assert body == want_body.encode()
    assert headers["content-type"] == "text/plain"
    assert headers["content-length"] == str(len(want_body))


def test_missing_token(gw):
    s, h, b = get(gw, "/get?a=1")
    assert_local_reply(s, h, b, 401, "Jwt is missing")
    assert h["www-authenticate"] == realm(gw, "/get?a=1")


def test_realm_path_cut_to_256_bytes(gw):
    target = "/get?pad=" + "x" * 400
    s, h, b = get(gw, target)
    assert s == 401
    full = f"http://localhost:{gw.http_port}{target}"
    assert h["www-authenticate"] == f'Bearer realm="http://localhost:{gw.http_port}{target[:256]}"'
    assert len(full) > 256


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


BAD = [
    # (case id, token builder, expected body, expected status)
    ("expired", lambda k: k.token(dev_claims(now(), exp=now() - 120)), "Jwt is expired", 401),
    ("not-yet-valid", lambda k: k.token(dev_claims(now(), nbf=now() + 120)), "Jwt not yet valid", 401),
    ("bad-signature", lambda k: k.token(dev_claims(now()))[:-6] + "AAAAAA", "Jwt verification fails", 401),
    ("other-key", lambda k: __import__("conftest").Keys().token(dev_claims(now())), "Jwt verification fails", 401),
    ("unknown-issuer", lambda k: k.token(dev_claims(now(), iss="https://evil")), "Jwt issuer is not configured", 401),
    ("two-dots", lambda k: "abc.def", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections", 401),
    ("alg-none", lambda k: b64({"alg": "none"}) + "." + b64(dev_claims(now())) + ".c2ln",
     "Jwt header [alg] is not supported", 401),
    # (a leading non-base64url character would be skipped by the extractor, as Envoy does)
    ("header-not-base64", lambda k: "e@@." + b64(dev_claims(now())) + ".c2ln",
     "Jwt header is an invalid Base64url encoded", 401),
    ("payload-not-json", lambda k: b64({"alg": "RS256"}) + "." + base64.urlsafe_b64encode(b"nope").rstrip(b"=").decode() + ".c2ln",
     "Jwt payload is an invalid JSON", 401),
    ("exp-string", lambda k: k.token(dev_claims(now(), exp="soon")), "Jwt payload [exp] field is not an integer", 401),
]


@pytest.mark.parametrize("case,make,body,status", BAD, ids=[c[0] for c in BAD])
def test_invalid_token_texts(gw, keys, case, make, body, status):
    s, h, b = get(gw, "/get", {"X-Auth": "Bearer " + make(keys)})
    assert_local_reply(s, h, b, status, body)
    assert h["www-authenticate"] == realm(gw, "/get") + ', error="invalid_token"'


def test_audience_mismatch_is_403_with_www_authenticate(gw, keys):
    tok = keys.token(dev_claims(now(), aud="other.example.com"))
    s, h, b = get(gw, "/get", {"X-aud": "1", "Authorization": f"Bearer {tok}"})
    assert_local_reply(s, h, b, 403, "Audiences in Jwt are not allowed")
    assert h["www-authenticate"] == realm(gw, "/get") + ', error="invalid_token"'


def test_audience_normalised_match(gw, keys):
    tok = keys.token(dev_claims(now(), aud=["x", "https://api.example.com/"]))
    s, _, b = get(gw, "/get", {"X-aud": "1", "Authorization": f"Bearer {tok}"})
    assert s == 200, b


def test_rbac_denied_403_no_www_authenticate(gw, keys):
    tok = keys.token(dev_claims(now(), org="external"))
    s, h, b = get(gw, "/get", {"X-Auth": f"Bearer {tok}"})
    assert_local_reply(s, h, b, 403, "RBAC: access denied")
    assert "www-authenticate" not in h


def test_valid_token_200(gw, keys):
    s, _, b = get(gw, "/get", {"X-Auth": "Bearer " + keys.token(dev_claims(now()))})
    assert s == 200, b
    assert json.loads(b)["url"].endswith("/get")


def test_open_route_needs_no_token(gw):
    s, _, _ = get(gw, "/get", {"X-open": "1"})
    assert s == 200


def test_head_request_gets_headers_without_body(gw):
    s, h, b = get(gw, "/get", method="HEAD")
    assert s == 401 and b == b"" and h["content-length"] == "14"


def test_no_route_404_empty(claimgate_bin, gateway, httpbin, keys):
    import manifests as m
    port = free_port()
    g = gateway(m.virtual_gateway(port), m.httpbin_service(httpbin),
                m.route_table([m.route("only", {}, "- uri:\n    exact: /only")]), http_port=port)
    s, h, b = get(g, "/other")
    assert s == 404 and b == b""
    assert h["content-length"] == "0"


def test_upstream_down_503(gateway, keys):
    import manifests as m
    port, dead = free_port(), free_port()
    g = gateway(m.virtual_gateway(port), m.httpbin_service(dead),
                m.route_table([m.route("r", {})]), http_port=port)
    s, h, b = get(g, "/get")
    assert_local_reply(s, h, b, 503, "upstream connect error or disconnect/reset before headers. "
                                     "reset reason: connection failure")


def test_upstream_timeout_504(gateway, keys):
    import manifests as m
    port, silent = free_port(), free_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", silent))
    listener.listen(16)  # accepts connections, never answers
    try:
        g = gateway(m.virtual_gateway(port), m.httpbin_service(silent),
                    m.route_table([m.route("r", {})]), http_port=port,
                    extra_args=("--upstream-timeout", "1s"))
        s, h, b = get(g, "/get")
        assert_local_reply(s, h, b, 504, "upstream request timeout")
    finally:
        listener.close()
