"""Enforcement semantics end to end (DESIGN §2-§3): claims/scopes matrix, providers, token
locations, validation policies, keepToken, claimsToHeaders anti-spoofing, policy conflicts."""
import base64
import json

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import manifests as m
from conftest import free_port, now
from seed import ISSUER, dev_claims


def base_docs(httpbin, port, policies, routes=None):
    routes = routes or [m.route("r", {"route": "r"})]
    return [m.virtual_gateway(port), m.httpbin_service(httpbin), m.route_table(routes), *policies]


def call(g, path="/headers", headers=None):
    return requests.get(g.url(path), headers=headers or {}, timeout=30)


# ---------------------------------------------------------------- claims and scopes matrix
MATRIX_CLAIMS = [
    {"key": "email", "values": ["*@solo.io"]},
    {"key": "org", "values": ["internal", "partner"], "notValues": ["contractor"]},
    {"key": "realm_access.roles", "nestedClaimDelimiter": ".", "values": ["admin"]},
    {"key": "level", "values": ["42"]},
]
GOOD = {"email": "a@solo.io", "org": "internal", "realm_access": {"roles": ["user", "admin"]},
        "level": 42, "scope": "read is:developer write"}
MATRIX = [
    ("all-good", {}, 200),
    ("email-glob-miss", {"email": "a@evil.io"}, 403),
    ("email-missing", {"email": None}, 403),
    ("org-list-any", {"org": ["x", "partner"]}, 200),
    ("org-notvalue", {"org": ["partner", "contractor"]}, 403),
    ("org-other", {"org": "external"}, 403),
    ("nested-miss", {"realm_access": {"roles": ["user"]}}, 403),
    ("nested-missing", {"realm_access": None}, 403),
    ("number-text", {"level": 41}, 403),
    ("number-as-string", {"level": "42"}, 200),
    ("scope-list", {"scope": ["is:developer", "x"]}, 200),
    ("scope-missing-required", {"scope": "read write"}, 403),
    ("scp-fallback", {"scope": None, "scp": ["is:developer"]}, 200),
    ("scope-absent", {"scope": None}, 403),
]


@pytest.fixture(scope="module")
def matrix_gw(claimgate_bin, httpbin, keys, tmp_path_factory):
    from conftest import Gateway
    port = free_port()
    cfg = tmp_path_factory.mktemp("matrix") / "config"
    cfg.mkdir()
    pol = m.jwt_policy("matrix", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"},
                       claims=MATRIX_CLAIMS, scopes=["is:developer"])
    (cfg / "c.yaml").write_text("\n---\n".join(base_docs(httpbin, port, [pol])))
    g = Gateway(claimgate_bin, cfg, port)
    yield g
    g.close()


@pytest.mark.parametrize("case,change,want", MATRIX, ids=[c[0] for c in MATRIX])
def test_claims_scopes_matrix(matrix_gw, keys, case, change, want):
    claims = dict(GOOD, iss=ISSUER, exp=now() + 600)
    for k, v in change.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    r = call(matrix_gw, headers={"Authorization": "Bearer " + keys.token(claims)})
    assert r.status_code == want, r.text
    if want == 403:
        assert r.text == "RBAC: access denied"


# ---------------------------------------------------------------- providers and token locations
def test_two_providers_either_accepts(gateway, httpbin, keys, other_keys):
    port = free_port()
    pol = m.jwt_policy("two", [m.provider("a", keys.public_pem, issuer="https://a"),
                               m.provider("b", other_keys.public_pem, issuer="https://b")], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    ta = keys.token({"iss": "https://a", "exp": now() + 600})
    tb = other_keys.token({"iss": "https://b", "exp": now() + 600})
    assert call(g, headers={"Authorization": f"Bearer {ta}"}).status_code == 200
    assert call(g, headers={"Authorization": f"Bearer {tb}"}).status_code == 200
    # b's issuer with a's key: a refuses (issuer), b refuses (signature) -> the real error wins.
    bad = keys.token({"iss": "https://b", "exp": now() + 600})
    r = call(g, headers={"Authorization": f"Bearer {bad}"})
    assert (r.status_code, r.text) == (401, "Jwt verification fails")
    unknown = keys.token({"iss": "https://c", "exp": now() + 600})
    r = call(g, headers={"Authorization": f"Bearer {unknown}"})
    assert (r.status_code, r.text) == (401, "Jwt issuer is not configured")


def test_every_token_must_verify(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER,
                                        headers=[("X-Auth", "Bearer ")], query=["auth_token"])], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    good = keys.token(dev_claims(now()))
    bad = keys.token(dev_claims(now(), exp=now() - 1000))
    assert call(g, f"/get?auth_token={good}", {"X-Auth": f"Bearer {good}"}).status_code == 200
    r = call(g, f"/get?auth_token={bad}", {"X-Auth": f"Bearer {good}"})
    assert (r.status_code, r.text) == (401, "Jwt is expired")
    r = call(g, f"/get?auth_token={good}", {"X-Auth": f"Bearer {bad}"})
    assert (r.status_code, r.text) == (401, "Jwt is expired")
    # A header value without the configured prefix is no token at all.
    r = call(g, "/get", {"X-Auth": f"bearer {good}"})
    assert (r.status_code, r.text) == (401, "Jwt is missing")


def test_default_locations(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    t = keys.token(dev_claims(now()))
    assert call(g, headers={"Authorization": f"Bearer {t}"}).status_code == 200
    assert call(g, f"/get?access_token={t}").status_code == 200
    assert call(g, "/get", {"X-Auth": f"Bearer {t}"}).status_code == 401


def test_jwks_kid_selection(gateway, httpbin, keys):
    from jwt.algorithms import RSAAlgorithm
    port = free_port()
    jwk = json.loads(RSAAlgorithm.to_jwk(keys.private.public_key()))
    jwk.update(kid="k1", alg="RS256")
    pol = m.jwt_policy("p", [m.provider("p", jwks=json.dumps({"keys": [jwk]}), issuer=ISSUER)], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    ok = keys.token(dev_claims(now()), headers={"kid": "k1"})
    assert call(g, headers={"Authorization": f"Bearer {ok}"}).status_code == 200
    r = call(g, headers={"Authorization": "Bearer " + keys.token(dev_claims(now()), headers={"kid": "k2"})})
    assert (r.status_code, r.text) == (401, "Jwks doesn't have key to match kid or alg from Jwt")
    r = call(g, headers={"Authorization": "Bearer " + keys.token(dev_claims(now()), alg="RS384")})
    assert (r.status_code, r.text) == (401, "Jwks doesn't have key to match kid or alg from Jwt")


# ---------------------------------------------------------------- validation policies
@pytest.mark.parametrize("policy,missing,bad,claims_fail", [
    ("REQUIRE_VALID", 401, 401, 403),
    ("ALLOW_MISSING", 403, 401, 403),
    ("ALLOW_MISSING_OR_FAILED", 403, 403, 403),
])
def test_validation_policies(gateway, httpbin, keys, policy, missing, bad, claims_fail):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"},
                       claims=[{"key": "org", "values": ["internal"]}], validation=policy)
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    assert call(g).status_code == missing
    expired = keys.token(dev_claims(now(), exp=now() - 1000))
    assert call(g, headers={"Authorization": f"Bearer {expired}"}).status_code == bad
    ext = keys.token(dev_claims(now(), org="external"))
    assert call(g, headers={"Authorization": f"Bearer {ext}"}).status_code == claims_fail
    assert call(g, headers={"Authorization": "Bearer " + keys.token(dev_claims(now()))}).status_code == 200


def test_allow_missing_without_claims_passes_tokenless(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"},
                       validation="ALLOW_MISSING")
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    assert call(g).status_code == 200


# ---------------------------------------------------------------- keepToken, claimsToHeaders
@pytest.mark.parametrize("keep", [False, True])
def test_keep_token(gateway, httpbin, keys, keep):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER,
                                        headers=[("X-Auth", "Bearer ")], query=["auth_token"],
                                        keep_token=keep)], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    t = keys.token(dev_claims(now()))
    r = call(g, "/anything?auth_token=" + t + "&x=1", {"X-Auth": f"Bearer {t}"})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert ("X-Auth" in seen["headers"]) == keep
    assert ("auth_token" in seen["args"]) == keep
    assert seen["args"]["x"] == "1"


def test_claims_to_headers_and_anti_spoofing(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER,
                                        claims_to_headers=[("org", "x-org"), ("groups", "x-groups"),
                                                           ("level", "x-level"), ("evil", "x-evil")],
                                        payload_header="x-jwt-payload")], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    claims = dev_claims(now(), groups=["a", "b"], level=7, evil="a\r\nx-injected: 1")
    t = keys.token(claims)
    spoof = {"x-org": "spoofed", "x-jwt-payload": "spoofed", "x-evil": "spoofed"}
    r = call(g, "/headers", {"Authorization": f"Bearer {t}", **spoof})
    assert r.status_code == 200, r.text
    h = r.json()["headers"]
    assert h["X-Org"] == "internal"
    assert h["X-Groups"] == '["a","b"]'
    assert h["X-Level"] == "7"
    assert "X-Evil" not in h and "X-Injected" not in h
    payload = t.split(".")[1]
    assert h["X-Jwt-Payload"] == payload
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == claims
    # Spoofed copies are removed even when the request then fails.
    r = call(g, "/headers", {"Authorization": "Bearer nope.nope.nope", **spoof})
    assert r.status_code == 401


def test_spoofed_claim_header_stripped_on_failure_open_route_untouched(gateway, httpbin, keys):
    port = free_port()
    routes = [m.route("open", {"route": "open"}, "- uri:\n    prefix: /anything"),
              m.route("r", {"route": "r"})]
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER,
                                        claims_to_headers=[("org", "x-org")])],
                       {"route": "r"}, validation="ALLOW_MISSING")
    g = gateway(*base_docs(httpbin, port, [pol], routes), http_port=port)
    r = call(g, "/headers", {"x-org": "spoofed"})  # no token, allowed, but the copy is removed
    assert r.status_code == 200
    assert "X-Org" not in r.json()["headers"]


# ---------------------------------------------------------------- attachment and conflicts
def test_oldest_policy_wins(gateway, httpbin, keys):
    port = free_port()
    strict = m.jwt_policy("strict", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"},
                          claims=[{"key": "org", "values": ["nobody"]}], creation="2024-01-01T00:00:00Z")
    loose = m.jwt_policy("loose", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "r"},
                         creation="2023-01-01T00:00:00Z")
    g = gateway(*base_docs(httpbin, port, [strict, loose]), http_port=port)
    r = call(g, headers={"Authorization": "Bearer " + keys.token(dev_claims(now()))})
    assert r.status_code == 200  # `loose` is older, so it applies; `strict` is a reported conflict


def test_policy_without_apply_to_routes_covers_every_route(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("all", [m.provider("p", keys.public_pem, issuer=ISSUER)], None)
    routes = [m.route("a", {"x": "1"}, "- uri:\n    prefix: /a"), m.route("b", {})]
    g = gateway(*base_docs(httpbin, port, [pol], routes), http_port=port)
    assert call(g, "/anything/a").status_code == 401
    assert call(g, "/get").status_code == 401


def test_route_without_policy_is_open(gateway, httpbin, keys):
    port = free_port()
    pol = m.jwt_policy("p", [m.provider("p", keys.public_pem, issuer=ISSUER)], {"route": "other"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    assert call(g).status_code == 200


def test_cookie_token_source_extension(gateway, httpbin, keys):
    """tokenSource.cookies (a claimgate extension, as Envoy's from_cookies): the token is read
    from the named cookie; listing only cookies disables the default Authorization header."""
    port = free_port()
    prov = m.provider("p", keys.public_pem, issuer=ISSUER, headers=[])
    prov = prov.replace("          headers:\n", "          cookies:\n          - session\n")
    pol = m.jwt_policy("p", [prov], {"route": "r"})
    g = gateway(*base_docs(httpbin, port, [pol]), http_port=port)
    t = keys.token(dev_claims(now()))
    r = call(g, "/headers", {"Cookie": f"theme=dark; session={t}"})
    assert r.status_code == 200, r.text
    assert call(g, "/headers", {"Cookie": f'session="{t}"'}).status_code == 200
    r = call(g, "/headers", {"Authorization": f"Bearer {t}"})
    assert (r.status_code, r.text) == (401, "Jwt is missing")
