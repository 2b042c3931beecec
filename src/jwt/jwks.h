// Jwks: a set of verification keys, resolved once (at config load or fetch) into OpenSSL 3
// EVP_PKEYs (or HMAC secrets) with their key type and optional kid/alg, so the request path only
// looks keys up and verifies. Immutable once built; share it as shared_ptr<const Jwks>.
#pragma once

#include <cstdint>
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

// Minimum sizes we load (docs/jwt.md "Key policy").
inline constexpr int kMinRsaBits = 2048;       // RFC 7518 §3.3, §3.5
inline constexpr int kMaxRsaBits = 16384;      // bounds verification cost
inline constexpr size_t kMinHmacKeyBytes = 32;  // RFC 7518 §3.2 (HS256; HS384/512 need 48/64)

struct Jwk {
  KeyType kty = KeyType::kRsa;
  std::optional<Alg> alg;       // from the JWK's "alg", when present (an unknown alg skips the key)
  std::optional<std::string> kid;
  int ec_curve_nid = 0;         // EC: NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1, NID_secp256k1
  bool ed448 = false;           // OKP: Ed448 rather than Ed25519
  EvpPkeyPtr pkey;              // RSA / EC / OKP
  std::string secret;           // oct (HMAC) key bytes
};

class Jwks {
 public:
  // Each factory returns nullptr and sets *status (and *detail, a human-readable reason naming
  // the key, when given) when no usable key results; on success *status = kOk and *detail holds
  // the reasons keys were skipped, if any ("" when none). `status` may be null.

  // A JWKS JSON object {"keys":[...]}: entries that fail are skipped while one is valid; with
  // none valid, the first entry's specific status (kJwksNoValidKeys for an empty list). A set
  // that mixes HMAC and public keys, or that has two keys of one kty with the same kid, is
  // refused as a whole (kJwksNoValidKeys): both are ambiguous (Wycheproof MixedKeySet,
  // DuplicateKid).
  static std::shared_ptr<const Jwks> fromJwksJson(std::string_view json, JwtStatus* status,
                                                  std::string* detail = nullptr);
  // One JWK JSON object.
  static std::shared_ptr<const Jwks> fromJwkJson(std::string_view json, JwtStatus* status,
                                                 std::string* detail = nullptr);
  // PEM: one or more blocks of SPKI "PUBLIC KEY" (RSA, EC P-256/384/521/secp256k1, Ed25519,
  // Ed448), PKCS#1 "RSA PUBLIC KEY" or "CERTIFICATE" (its public key). No kid, no alg.
  static std::shared_ptr<const Jwks> fromPem(std::string_view pem, JwtStatus* status,
                                             std::string* detail = nullptr);
  // What `local.inline` and `token verify --key` accept: PEM when it starts with "-----BEGIN"
  // (after whitespace), else a JWKS, a single JWK (an object with "kty"), or Envoy's "Google
  // x509" map {"kid": "-----BEGIN CERTIFICATE-----..."}.
  static std::shared_ptr<const Jwks> fromAny(std::string_view text, JwtStatus* status,
                                             std::string* detail = nullptr);
  // Keys built elsewhere (tests, the signer). Applies the same set-level checks as fromJwksJson.
  static std::shared_ptr<const Jwks> fromKeys(std::vector<Jwk> keys, JwtStatus* status,
                                              std::string* detail = nullptr);

  const std::vector<Jwk>& keys() const { return keys_; }
  // Unique per Jwks object in this process (never reused): what verified-token cache entries
  // are bound to, so that they die with their key set (a refetched set is a new object).
  uint64_t id() const { return id_; }

  explicit Jwks(std::vector<Jwk> keys) : keys_(std::move(keys)), id_(nextId()) {}

 private:
  static uint64_t nextId();
  std::vector<Jwk> keys_;
  uint64_t id_;
};

// Loads one EVP_PKEY (from PEM, a certificate or a private key's public half) into a Jwk after
// the key policy checks; nullopt with *status/*detail on refusal. Shared with the signer.
std::optional<Jwk> jwkFromPkey(EvpPkeyPtr pkey, JwtStatus* status, std::string* detail);

}  // namespace claimgate::jwt
