"""`claimgate validate` and `serve` on good and bad config: precise errors (file, document,
Kind/namespace/name, field path), never a start on a policy that fails validation."""
import json
import pathlib
import subprocess

import pytest

import manifests as m
from conftest import ROOT, free_port

SHARED = ROOT.parent / "shared"


def validate(binary, *paths):
    return subprocess.run([binary, "validate", *[a for p in paths for a in ("--config", str(p))]],
                          capture_output=True, text=True, timeout=60)


def write(tmp_path, *docs, name="c.yaml"):
    p = tmp_path / name
    p.write_text("\n---\n".join(docs))
    return p


def policy_with(config_yaml: str) -> str:
    return f"""apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata:
  name: bad
  namespace: gw
spec:
  config:
{config_yaml}"""


PROVIDER = """    providers:
      p:
        issuer: https://x
        local:
          inline: '{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMy"}]}'
"""

ERRORS = [
    ("typo-field", PROVIDER + "    requiredScope: [a]\n", "spec.config.requiredScope"),
    ("claims-values-type", PROVIDER + "    claims:\n    - key: org\n      values: internal\n", "spec.config.claims[0].values"),
    ("duplicate-claim", PROVIDER + "    claims:\n    - key: org\n      values: [a]\n    - key: org\n      values: [b]\n", "spec.config.claims[1].key"),
    ("claim-no-values", PROVIDER + "    claims:\n    - key: org\n", "spec.config.claims[0]"),
    ("postauthz-with-claims", PROVIDER + "    phase:\n      postAuthz: {}\n    requiredScopes: [a]\n", "spec.config.phase"),
    ("bad-enum", PROVIDER + "    validationPolicy: SOMETIMES\n", "spec.config.validationPolicy"),
    ("yaml-bool-enum", PROVIDER + "    clearRouteCache: FALSE\n", "spec.config.clearRouteCache"),
    ("bad-duration", PROVIDER.replace("        local:\n          inline: '{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMy\"}]}'\n",
                                      "        remote:\n          url: https://idp/keys\n          cacheDuration: soon\n"),
     "spec.config.providers.p.remote.cacheDuration"),
    ("bad-key", PROVIDER.replace('{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMy"}]}', "not a key"),
     "spec.config.providers.p.local.inline"),
]


@pytest.mark.parametrize("case,config,field", ERRORS, ids=[e[0] for e in ERRORS])
def test_policy_errors_name_file_doc_resource_field(claimgate_bin, tmp_path, case, config, field):
    p = write(tmp_path, m.virtual_gateway(free_port()), policy_with(config))
    out = validate(claimgate_bin, p)
    assert out.returncode != 0
    err = out.stdout + out.stderr
    assert "c.yaml" in err and "JWTPolicy/gw/bad" in err and field in err, err


def test_numeric_placeholder_refused(claimgate_bin, tmp_path):
    p = write(tmp_path, m.virtual_gateway(free_port()).replace("number: ", "number: ${PORT}"))
    out = validate(claimgate_bin, p)
    assert out.returncode != 0
    assert "spec.listeners[0].port.number" in out.stdout + out.stderr


def test_serve_refuses_bad_config(claimgate_bin, tmp_path):
    p = write(tmp_path, m.virtual_gateway(free_port()), policy_with(PROVIDER + "    requiredScope: [a]\n"))
    out = subprocess.run([claimgate_bin, "serve", "--config", str(p), "--admin-port", str(free_port())],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "spec.config.requiredScope" in out.stdout + out.stderr


def test_unknown_kinds_skipped(claimgate_bin, tmp_path, httpbin):
    deploy = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: 1
"""
    p = write(tmp_path, deploy, m.virtual_gateway(free_port()), m.httpbin_service(httpbin),
              m.route_table([m.route("r", {})]))
    out = validate(claimgate_bin, p)
    assert out.returncode == 0, out.stdout + out.stderr


def test_validate_lists_routes_policies_and_conflicts(claimgate_bin, tmp_path, httpbin, keys):
    a = m.jwt_policy("older", [m.provider("p", keys.public_pem, issuer="i")], {"route": "r"},
                     creation="2023-01-01T00:00:00Z")
    b = m.jwt_policy("newer", [m.provider("p", keys.public_pem, issuer="i")], {"route": "r"},
                     creation="2024-01-01T00:00:00Z")
    p = write(tmp_path, m.virtual_gateway(free_port()), m.httpbin_service(httpbin),
              m.route_table([m.route("r", {"route": "r"}), m.route("open", {})]), b, a)
    out = validate(claimgate_bin, p)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "older" in text and "newer" in text and "conflict" in text.lower()


def compat_cases():
    index = json.loads((SHARED / "compat/gloo/index.json").read_text())
    return [(e["file"], e["expected"] + ": " + e["expected_text"]) for e in index]


# Files whose raw text Gloo cannot take (a `${VAR}` in an integer field, or a placeholder URL with
# no destinationRef): claimgate must refuse them with an error naming the field.
def _raw_invalid(expected: str) -> bool:
    return "raw INVALID" in expected or expected.startswith("INVALID")


@pytest.mark.parametrize("name,expected", compat_cases())
def test_real_gloo_manifests(claimgate_bin, name, expected):
    out = validate(claimgate_bin, SHARED / "compat/gloo" / name)
    text = out.stdout + out.stderr
    if _raw_invalid(expected):
        assert out.returncode != 0, f"{name} ({expected}) should be refused:\n{text}"
        assert "spec." in text, text
    else:
        assert out.returncode == 0, f"{name} ({expected}) should load:\n{text}"
