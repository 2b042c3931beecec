"""The seed setup most end-to-end tests share: httpbin behind three routes on one listener.

- route `open` (header X-open present): no JWTPolicy → open.
- route `aud` (header X-aud present): policy `aud-policy`, audiences [api.example.com].
- route `httpbin` (everything else): the seed policy (email *, org internal|partner,
  requiredScopes is:developer, issuer https://localhost, X-Auth "Bearer " + ?auth_token)."""
import manifests as m

ISSUER = "https://localhost"

SEED_CLAIMS = [{"key": "email", "values": ["*"]}, {"key": "org", "values": ["internal", "partner"]}]
SEED_SCOPES = ["is:developer"]


def seed_docs(keys, http_port, httpbin_port, https_port=None, tls=None):
    routes = [
        m.route("open", {"route": "open"}, "- headers:\n  - name: X-open"),
        m.route("aud", {"route": "aud"}, "- headers:\n  - name: X-aud"),
        m.route("httpbin", {"route": "httpbin"}, "- uri:\n    prefix: /"),
    ]
    docs = [
        m.virtual_gateway(http_port, https_port),
        m.httpbin_service(httpbin_port),
        m.route_table(routes),
        m.jwt_policy("seed", [m.provider("provider1", keys.public_pem, issuer=ISSUER,
                                         headers=[("X-Auth", "Bearer ")], query=["auth_token"])],
                     {"route": "httpbin"}, claims=SEED_CLAIMS, scopes=SEED_SCOPES),
        m.jwt_policy("aud-policy", [m.provider("provider1", keys.public_pem, issuer=ISSUER,
                                               audiences=["api.example.com"])],
                     {"route": "aud"}),
    ]
    if tls:
        docs.append(m.tls_secret(tls[0].read_text(), tls[1].read_text()))
    return docs


def dev_claims(now, **over):
    c = {"iss": ISSUER, "sub": "dev1", "email": "dev1@solo.io", "org": "internal",
         "scope": "is:developer", "exp": now + 3600}
    c.update(over)
    return c
