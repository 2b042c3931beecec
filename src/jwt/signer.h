// Token signing, for tests, benchmarks and `claimgate token sign`. Not on the request path:
// every function here throws std::runtime_error with a readable reason on failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "jwt/alg.h"
#include "jwt/jwks.h"

namespace claimgate::jwt {

struct PrivateKey {
  KeyType kty = KeyType::kRsa;
  int ec_curve_nid = 0;   // EC only
  bool ed448 = false;     // OKP only
  EvpPkeyPtr pkey;        // RSA / EC / OKP private key
  std::string secret;     // oct (HMAC) key bytes
  std::optional<Alg> alg;          // a JWK's "alg", when it had one
  std::optional<std::string> kid;  // a JWK's "kid", when it had one

  // The alg to use when none is given: the JWK's alg, else RS256 / ES256|384|512|256K by curve /
  // EdDSA / HS256.
  Alg defaultAlg() const;
};

// A private key from PEM (PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY";
// unencrypted) or from a private JWK JSON object (RSA with n/e/d and optionally p/q/dp/dq/qi, EC
// with crv/x/y/d, OKP with crv/d, oct with k).
PrivateKey loadPrivateKey(std::string_view pem_or_jwk);

// A fresh key for `alg`: RSA (rsa_bits) for RS*/PS*, the alg's curve for ES*, Ed25519 (Ed448
// when `ed448`) for EdDSA, 64 random bytes for HS*.
PrivateKey generatePrivateKey(Alg alg, bool ed448 = false, int rsa_bits = 2048);

// The raw JWS signature of `signing_input` (ES* as fixed-width r||s, RFC 7518 §3.4).
std::string signBytes(Alg alg, const PrivateKey& key, std::string_view signing_input);

// base64url(header_json) "." base64url(payload_json) "." base64url(signature), with the JSON
// texts used byte for byte (no checks: tests use it to build malformed tokens).
std::string signCompact(Alg alg, const PrivateKey& key, std::string_view header_json,
                        std::string_view payload_json);

// A compact JWT: header {"alg":..,"typ":"JWT"[,"kid":..]}, `claims_json` as the payload (must be
// a JSON object), signed. Throws when the key cannot make `alg` (wrong kty or curve).
std::string signToken(Alg alg, const PrivateKey& key, std::optional<std::string_view> kid,
                      std::string_view claims_json);

// The public half, as a JWK JSON object ({"kty":..., "kid":..., "alg":...}; oct keys give k)
// and, for asymmetric keys, as an SPKI PEM.
std::string publicJwkJson(const PrivateKey& key, std::optional<std::string_view> kid = {},
                          std::optional<Alg> alg = {});
std::string publicKeyPem(const PrivateKey& key);

}  // namespace claimgate::jwt
