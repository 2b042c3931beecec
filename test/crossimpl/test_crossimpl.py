"""PyJWT 2.6 (python3-jwt) and claimgate agree on every algorithm both support.

Keys are generated at run time with python3-cryptography. Directions:
  * PyJWT signs  -> `claimgate token verify` prints OK (exit 0);
  * `claimgate token sign` -> PyJWT decodes it;
  * a tampered token -> `Jwt verification fails` (exit 1).
"""
import base64
import json
import subprocess
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

NOW = int(time.time())
CLAIMS = {"iss": "https://localhost", "sub": "dev", "org": "internal", "scope": "is:developer",
          "aud": "httpbin", "iat": NOW, "exp": NOW + 3600}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# alg -> (key factory, header alg claimgate picks by default for that key)
ASYMMETRIC = {
    "RS256": _rsa, "RS384": _rsa, "RS512": _rsa,
    "PS256": _rsa, "PS384": _rsa, "PS512": _rsa,
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "ES256K": lambda: ec.generate_private_key(ec.SECP256K1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
    "EdDSA-Ed448": ed448.Ed448PrivateKey.generate,
}
HMAC = ["HS256", "HS384", "HS512"]
DEFAULT_ALG = {"RS256": "RS256", "ES256": "ES256", "ES384": "ES384", "ES512": "ES512",
               "ES256K": "ES256K", "EdDSA": "EdDSA", "EdDSA-Ed448": "EdDSA"}


def jws_alg(name: str) -> str:
    return "EdDSA" if name.startswith("EdDSA") else name


def run(claimgate, *args, stdin=None):
    return subprocess.run([claimgate, *args], capture_output=True, text=True, input=stdin,
                          timeout=60)


@pytest.fixture(scope="module")
def keydir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


def write_asymmetric(keydir, name, key):
    priv = keydir / f"{name}.key.pem"
    pub = keydir / f"{name}.pub.pem"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def write_oct(keydir, name, secret: bytes):
    path = keydir / f"{name}.jwk"
    path.write_text(json.dumps({"kty": "oct", "k": b64url(secret)}))
    return path


def assert_ok(proc):
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert proc.stdout == "OK\n"


# ---- PyJWT signs, claimgate verifies -----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ASYMMETRIC))
def test_pyjwt_asymmetric_verifies_in_claimgate(claimgate, keydir, name):
    key = ASYMMETRIC[name]()
    _, pub = write_asymmetric(keydir, "py-" + name, key)
    token = pyjwt.encode(CLAIMS, key, algorithm=jws_alg(name), headers={"kid": "k1"})
    assert_ok(run(claimgate, "token", "verify", "--key", str(pub), "--issuer", "https://localhost",
                  "--audience", "httpbin", token))


@pytest.mark.parametrize("alg", HMAC)
def test_pyjwt_hmac_verifies_in_claimgate(claimgate, keydir, alg):
    secret = (alg * 16).encode()[:64]
    jwk = write_oct(keydir, "py-" + alg, secret)
    token = pyjwt.encode(CLAIMS, secret, algorithm=alg)
    assert_ok(run(claimgate, "token", "verify", "--key", str(jwk), token))


def test_pyjwt_jwks_with_kid(claimgate, keydir):
    """A JWKS built by PyJWT (to_jwk) with two keys: the kid picks the right one."""
    k1, k2 = _rsa(), _rsa()
    jwks = {"keys": []}
    for kid, k in (("one", k1), ("two", k2)):
        jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(k.public_key()))
        jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
        jwks["keys"].append(jwk)
    path = keydir / "py-jwks.json"
    path.write_text(json.dumps(jwks))
    token = pyjwt.encode(CLAIMS, k2, algorithm="RS256", headers={"kid": "two"})
    assert_ok(run(claimgate, "token", "verify", "--key", str(path), token))
    wrong = pyjwt.encode(CLAIMS, k2, algorithm="RS256", headers={"kid": "one"})
    proc = run(claimgate, "token", "verify", "--key", str(path), wrong)
    assert (proc.returncode, proc.stdout) == (1, "Jwt verification fails\n")


# ---- claimgate signs, PyJWT verifies -----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ASYMMETRIC))
def test_claimgate_asymmetric_verifies_in_pyjwt(claimgate, keydir, name):
    key = ASYMMETRIC[name]()
    priv, _ = write_asymmetric(keydir, "cg-" + name, key)
    alg = jws_alg(name)
    proc = run(claimgate, "token", "sign", "--key", str(priv), "--alg", alg, "--kid", "k9",
               "--claims", json.dumps(CLAIMS))
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip()
    assert proc.stdout == token + "\n" and token.count(".") == 2  # only the token on stdout
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == alg and header["kid"] == "k9"
    got = pyjwt.decode(token, key.public_key(), algorithms=[alg], audience="httpbin",
                       issuer="https://localhost")
    assert got == CLAIMS


@pytest.mark.parametrize("alg", HMAC)
def test_claimgate_hmac_verifies_in_pyjwt(claimgate, keydir, alg):
    secret = (alg * 16).encode()[:64]
    jwk = write_oct(keydir, "cg-" + alg, secret)
    proc = run(claimgate, "token", "sign", "--key", str(jwk), "--alg", alg,
               "--claims", json.dumps(CLAIMS))
    assert proc.returncode == 0, proc.stderr
    got = pyjwt.decode(proc.stdout.strip(), secret, algorithms=[alg], audience="httpbin")
    assert got == CLAIMS


@pytest.mark.parametrize("name", sorted(DEFAULT_ALG))
def test_default_alg_from_key_type(claimgate, keydir, name):
    key = ASYMMETRIC[name]()
    priv, _ = write_asymmetric(keydir, "def-" + name, key)
    proc = run(claimgate, "token", "sign", "--key", str(priv), "--claims", '{"sub":"x"}')
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip()
    assert pyjwt.get_unverified_header(token)["alg"] == DEFAULT_ALG[name]
    assert pyjwt.decode(token, key.public_key(), algorithms=[DEFAULT_ALG[name]]) == {"sub": "x"}


def test_default_alg_oct_is_hs256(claimgate, keydir):
    jwk = write_oct(keydir, "def-oct", b"0123456789abcdef0123456789abcdef")
    proc = run(claimgate, "token", "sign", "--key", str(jwk), "--claims", '{"a":1}')
    assert proc.returncode == 0, proc.stderr
    assert pyjwt.get_unverified_header(proc.stdout.strip())["alg"] == "HS256"


def test_sign_conveniences_and_claims_file(claimgate, keydir):
    key = _rsa()
    priv, _ = write_asymmetric(keydir, "conv", key)
    claims_file = keydir / "claims.json"
    claims_file.write_text('{"sub":"f","exp":1}')
    before = int(time.time())
    proc = run(claimgate, "token", "sign", "--key", str(priv), "--claims", "@" + str(claims_file),
               "--iat", "--exp-in", "1h30m")
    assert proc.returncode == 0, proc.stderr
    got = pyjwt.decode(proc.stdout.strip(), key.public_key(), algorithms=["RS256"])
    assert got["sub"] == "f"
    assert before <= got["iat"] <= before + 5
    assert got["exp"] - got["iat"] == 5400  # --exp-in replaced the file's exp


# ---- failures ----------------------------------------------------------------------------------

def tamper(token: str) -> str:
    """Same header and signature, payload with one claim changed."""
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["org"] = "partner"
    return ".".join([h, b64url(json.dumps(claims).encode()), s])


@pytest.mark.parametrize("name", ["RS256", "PS256", "ES256", "ES256K", "EdDSA"])
def test_tampered_token_fails(claimgate, keydir, name):
    key = ASYMMETRIC[name]()
    _, pub = write_asymmetric(keydir, "tamper-" + name, key)
    token = pyjwt.encode(CLAIMS, key, algorithm=jws_alg(name))
    proc = run(claimgate, "token", "verify", "--key", str(pub), tamper(token))
    assert (proc.returncode, proc.stdout) == (1, "Jwt verification fails\n"), proc.stderr


def test_tampered_hmac_fails(claimgate, keydir):
    secret = b"s" * 32
    jwk = write_oct(keydir, "tamper-hs", secret)
    proc = run(claimgate, "token", "verify", "--key", str(jwk),
               tamper(pyjwt.encode(CLAIMS, secret, algorithm="HS256")))
    assert (proc.returncode, proc.stdout) == (1, "Jwt verification fails\n")


def test_verify_checks_issuer_audience_time(claimgate, keydir):
    key = ec.generate_private_key(ec.SECP256R1())
    _, pub = write_asymmetric(keydir, "checks", key)
    token = pyjwt.encode(CLAIMS, key, algorithm="ES256")
    cases = [
        (["--issuer", "https://other"], "Jwt issuer is not configured"),
        (["--audience", "other"], "Audiences in Jwt are not allowed"),
        (["--audience", "https://httpbin/"], "OK"),  # Envoy's audience normalisation
        (["--now", str(NOW + 3600 + 60)], "OK"),  # exp + default skew: inclusive edge
        (["--now", str(NOW + 3600 + 61)], "Jwt is expired"),
        (["--now", str(NOW + 3600 + 1), "--skew", "0"], "Jwt is expired"),
    ]
    for args, want in cases:
        proc = run(claimgate, "token", "verify", "--key", str(pub), *args, token)
        assert proc.stdout == want + "\n", (args, proc.stdout, proc.stderr)
        assert proc.returncode == (0 if want == "OK" else 1)


def test_verify_wrong_key_type_and_none(claimgate, keydir):
    rsa_key = _rsa()
    _, rsa_pub = write_asymmetric(keydir, "kty-rsa", rsa_key)
    ec_token = pyjwt.encode(CLAIMS, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    proc = run(claimgate, "token", "verify", "--key", str(rsa_pub), ec_token)
    assert proc.returncode == 1 and proc.stdout != "OK\n"
    none_token = pyjwt.encode(CLAIMS, None, algorithm="none")
    proc = run(claimgate, "token", "verify", "--key", str(rsa_pub), none_token)
    assert proc.returncode == 1
    assert proc.stdout == ("Jwt is not in the form of Header.Payload.Signature with two dots and "
                           "3 sections\n")


def test_verify_reads_stdin(claimgate, keydir):
    secret = b"k" * 32
    jwk = write_oct(keydir, "stdin", secret)
    token = pyjwt.encode(CLAIMS, secret, algorithm="HS256")
    assert_ok(run(claimgate, "token", "verify", "--key", str(jwk), "-", stdin=token + "\n"))


def test_inspect_without_key(claimgate):
    token = pyjwt.encode({"sub": "x", "exp": 1700000000, "nested": {"a": [1, 2]}}, b"k" * 32,
                         algorithm="HS256", headers={"kid": "abc"})
    proc = run(claimgate, "token", "inspect", token)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert '"kid": "abc"' in out and '"alg": "HS256"' in out
    assert '"sub": "x"' in out and '"a": [' in out
    assert "exp: 1700000000 (2023-11-14T22:13:20Z)" in out
    assert "NOT VERIFIED" in out


def test_sign_errors_exit_2(claimgate, keydir):
    key = _rsa()
    priv, pub = write_asymmetric(keydir, "err", key)
    cases = [
        ["--key", str(keydir / "missing.pem"), "--claims", "{}"],
        ["--key", str(priv), "--claims", "[1]"],
        ["--key", str(priv), "--claims", "{bad"],
        ["--key", str(priv), "--alg", "none", "--claims", "{}"],
        ["--key", str(priv), "--alg", "ES256", "--claims", "{}"],  # key cannot make this alg
        ["--key", str(pub), "--claims", "{}"],  # a public key cannot sign
        ["--key", str(priv), "--claims", "{}", "--exp-in", "1y"],
        # RFC 7518 §3.2: an HS384 key needs 48 bytes; the gateway would refuse this one.
        ["--key", str(write_oct(keydir, "short", b"x" * 32)), "--alg", "HS384", "--claims", "{}"],
    ]
    for args in cases:
        proc = run(claimgate, "token", "sign", *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stdout == "", args
        assert proc.stderr.startswith("claimgate token: "), (args, proc.stderr)
