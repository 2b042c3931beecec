#!/usr/bin/env python3
"""Renders the quickstart manifests (gateway.yaml, jwt-policy.yaml, tls-secret.yaml) into a folder,
filling in the ports, the policy's public key and the listener's certificate.

Used by scripts/quickstart.sh and by the end-to-end tests, so both run the very same config."""
import argparse
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.strip().splitlines())


def render(out: pathlib.Path, http_port: int, https_port: int, httpbin_port: int,
           public_key_pem: str, tls_crt: str, tls_key: str) -> pathlib.Path:
    out.mkdir(parents=True, exist_ok=True)
    values = {
        "@HTTP_PORT@": str(http_port),
        "@HTTPS_PORT@": str(https_port),
        "@HTTPBIN_PORT@": str(httpbin_port),
        "@PUBLIC_KEY_PEM@": indent(public_key_pem, 12),
        "@TLS_CRT@": indent(tls_crt, 4),
        "@TLS_KEY@": indent(tls_key, 4),
    }
    for name in ("gateway.yaml", "jwt-policy.yaml", "tls-secret.yaml"):
        text = (HERE / name).read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        (out / name).write_text(text)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True, type=pathlib.Path)
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument("--https-port", type=int, default=8443)
    p.add_argument("--httpbin-port", type=int, default=8000)
    p.add_argument("--public-key", required=True, type=pathlib.Path)
    p.add_argument("--tls-crt", required=True, type=pathlib.Path)
    p.add_argument("--tls-key", required=True, type=pathlib.Path)
    a = p.parse_args()
    render(a.out, a.http_port, a.https_port, a.httpbin_port, a.public_key.read_text(),
           a.tls_crt.read_text(), a.tls_key.read_text())


if __name__ == "__main__":
    main()
