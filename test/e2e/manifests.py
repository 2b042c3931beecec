"""Builders for the Gloo resources the end-to-end tests apply (YAML text, as a user writes it)."""
import json
import textwrap

NS = "gw"


def _indent(text: str, n: int) -> str:
    return textwrap.indent(text.strip("\n"), " " * n)


def virtual_gateway(http_port: int, https_port=None, name="gw", secret="gw-tls") -> str:
    listeners = f"""
  - http: {{}}
    port:
      number: {http_port}"""
    if https_port:
        listeners += f"""
  - http: {{}}
    port:
      number: {https_port}
    tls:
      mode: SIMPLE
      secretName: {secret}"""
    return f"""apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata:
  name: {name}
  namespace: {NS}
spec:
  listeners:{listeners}
"""


def tls_secret(crt: str, key: str, name="gw-tls") -> str:
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {NS}
type: kubernetes.io/tls
stringData:
  tls.crt: |
{_indent(crt, 4)}
  tls.key: |
{_indent(key, 4)}
"""


def httpbin_service(httpbin_port: int, name="httpbin") -> str:
    return f"""apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata:
  name: {name}
  namespace: {NS}
spec:
  addresses:
  - 127.0.0.1
  ports:
  - name: http
    number: {httpbin_port}
    protocol: HTTP
"""


def route(name: str, labels: dict, matchers: str = "", dest="httpbin", port=None, extra="") -> str:
    """One http[] entry. `matchers` is YAML for the matchers list (indented by the caller's style)."""
    lab = "\n".join(f"      {k}: {json.dumps(v)}" for k, v in labels.items()) or "      {}"
    m = f"\n    matchers:\n{_indent(matchers, 4)}" if matchers else ""
    p = f"\n        port:\n          number: {port}" if port else ""
    return f"""  - name: {name}
    labels:
{lab}{m}
    forwardTo:
      destinations:
      - ref:
          name: {dest}
          namespace: {NS}
        kind: EXTERNAL_SERVICE{p}{extra}
"""


def route_table(routes: list, name="routes", hosts=("*",), gw="gw", labels=None,
                creation=None) -> str:
    hs = "\n".join(f"  - {json.dumps(h)}" for h in hosts)
    meta_labels = ""
    if labels:
        meta_labels = "\n  labels:\n" + "\n".join(f"    {k}: {json.dumps(v)}" for k, v in labels.items())
    ts = f"\n  creationTimestamp: \"{creation}\"" if creation else ""
    return f"""apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata:
  name: {name}
  namespace: {NS}{meta_labels}{ts}
spec:
  hosts:
{hs}
  virtualGateways:
  - name: {gw}
    namespace: {NS}
  http:
{"".join(routes)}"""


def provider(name: str, public_key_pem: str = None, issuer=None, audiences=None, headers=None,
             query=None, claims_to_headers=None, keep_token=None, payload_header=None,
             jwks: str = None, skew=None) -> str:
    lines = [f"      {name}:"]
    if issuer is not None:
        lines.append(f"        issuer: {json.dumps(issuer)}")
    if audiences:
        lines.append("        audiences:")
        lines += [f"        - {json.dumps(a)}" for a in audiences]
    lines.append("        local:")
    key = jwks if jwks is not None else public_key_pem
    lines.append("          inline: |-")
    lines.append(_indent(key, 12))
    if headers is not None or query is not None:
        lines.append("        tokenSource:")
        if headers is not None:
            lines.append("          headers:")
            for h in headers:
                if isinstance(h, tuple):
                    lines.append(f"          - name: {h[0]}\n            prefix: {json.dumps(h[1])}")
                else:
                    lines.append(f"          - name: {h}")
        if query is not None:
            lines.append("          queryParams:")
            lines += [f"          - {q}" for q in query]
    if claims_to_headers:
        lines.append("        claimsToHeaders:")
        for c in claims_to_headers:
            lines.append(f"        - claim: {json.dumps(c[0])}\n          header: {c[1]}"
                         + (f"\n          append: {str(c[2]).lower()}" if len(c) > 2 else ""))
    if keep_token is not None:
        lines.append(f"        keepToken: {str(keep_token).lower()}")
    if payload_header:
        lines.append(f"        outputPayloadToHeader: {payload_header}")
    if skew is not None:
        lines.append(f"        clockSkewSeconds: {skew}")
    return "\n".join(lines) + "\n"


def jwt_policy(name: str, providers: list, route_labels: dict = None, claims: list = None,
               scopes: list = None, validation=None, creation=None, extra_config="") -> str:
    apply = ""
    if route_labels is not None:
        lab = "\n".join(f"        {k}: {json.dumps(v)}" for k, v in route_labels.items())
        apply = f"  applyToRoutes:\n  - route:\n      labels:\n{lab}\n"
    cl = ""
    if claims:
        cl = "    claims:\n"
        for c in claims:
            cl += f"    - key: {json.dumps(c['key'])}\n"
            if "values" in c:
                cl += "      values: " + json.dumps(c["values"]) + "\n"
            if "notValues" in c:
                cl += "      notValues: " + json.dumps(c["notValues"]) + "\n"
            if "nestedClaimDelimiter" in c:
                cl += f"      nestedClaimDelimiter: {json.dumps(c['nestedClaimDelimiter'])}\n"
    sc = ""
    if scopes:
        sc = "    requiredScopes: " + json.dumps(scopes) + "\n"
    vp = f"    validationPolicy: {validation}\n" if validation else ""
    ts = f"\n  creationTimestamp: \"{creation}\"" if creation else ""
    return f"""apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata:
  name: {name}
  namespace: {NS}{ts}
spec:
{apply}  config:
{vp}{cl}{sc}{extra_config}    providers:
{"".join(providers)}"""
