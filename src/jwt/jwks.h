// Jwks: a set of verification keys, resolved once (at config load or fetch) into OpenSSL 3
// EVP_PKEYs (or HMAC secrets) with their key type and optional kid/alg, so the request path only
// looks keys up and verifies.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jwt/alg.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace claimgate::jwt {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

struct Jwk {
  KeyType kty = KeyType::kRsa;
  std::optional<Alg> alg;       // from the JWK's "alg", when present and known
  std::optional<std::string> kid;
  int ec_curve_nid = 0;         // EC: NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1, NID_secp256k1
  bool ed448 = false;           // OKP: Ed448 rather than Ed25519
  EvpPkeyPtr pkey;              // RSA / EC / OKP
  std::string secret;           // oct (HMAC) key bytes
};

class Jwks {
 public:
  // A JWKS JSON object {"keys":[...]}: entries that fail to parse are skipped while one is valid.
  static std::shared_ptr<const Jwks> fromJwksJson(std::string_view json, JwtStatus* status);
  // One JWK JSON object.
  static std::shared_ptr<const Jwks> fromJwkJson(std::string_view json, JwtStatus* status);
  // A PEM public key: SPKI "PUBLIC KEY" (RSA, EC P-256/384/521/secp256k1, Ed25519, Ed448) or
  // PKCS#1 "RSA PUBLIC KEY". No kid, no alg.
  static std::shared_ptr<const Jwks> fromPem(std::string_view pem, JwtStatus* status);
  // What `local.inline` and `token verify --key` accept: PEM when it starts with "-----BEGIN",
  // else a JWKS, else a single JWK.
  static std::shared_ptr<const Jwks> fromAny(std::string_view text, JwtStatus* status);

  const std::vector<Jwk>& keys() const { return keys_; }

  std::vector<Jwk> keys_;
};

}  // namespace claimgate::jwt
