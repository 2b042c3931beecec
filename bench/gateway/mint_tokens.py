#!/usr/bin/env python3
"""Mints N distinct valid RS256 tokens for the seed policy (workload b), one per line, with PyJWT
(Debian python3-jwt) and the benchmark's private key. Each token differs in sub, email and jti, so
no two share bytes past the header. `claimgate token sign` makes one token per process; forking it
10,000 times would take minutes, PyJWT takes seconds (the signatures are RSA-2048 either way).

Usage: mint_tokens.py PRIVATE.pem COUNT OUT"""
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization


def main() -> int:
    key_path, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    now = int(time.time())
    exp = now + 10 * 365 * 86400
    with open(out, "w") as f:
        for i in range(count):
            claims = {
                "iss": "https://localhost",
                "sub": f"bench-{i}",
                "email": f"dev{i}@example.com",
                "org": "internal",
                "scope": "is:developer read:all",
                "iat": now,
                "exp": exp,
                "jti": f"{i:08d}",
            }
            f.write(jwt.encode(claims, key, algorithm="RS256") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
