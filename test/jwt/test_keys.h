// Keys and token helpers shared by the jwt tests. Keys are generated once per process with
// OpenSSL (no committed private keys).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/base64url.h"
#include "jwt/jwks.h"
#include "jwt/signer.h"

namespace claimgate::jwt::testing {

// One generated key per algorithm family: RSA 2048 (RS*/PS*), P-256, P-384, P-521, secp256k1,
// Ed25519, Ed448, a 64-byte HMAC secret.
enum class KeyId { kRsa, kP256, kP384, kP521, kK256, kEd25519, kEd448, kHmac };

inline const PrivateKey& testKey(KeyId id) {
  static std::map<KeyId, PrivateKey> keys = [] {
    std::map<KeyId, PrivateKey> m;
    m.emplace(KeyId::kRsa, generatePrivateKey(Alg::kRS256));
    m.emplace(KeyId::kP256, generatePrivateKey(Alg::kES256));
    m.emplace(KeyId::kP384, generatePrivateKey(Alg::kES384));
    m.emplace(KeyId::kP521, generatePrivateKey(Alg::kES512));
    m.emplace(KeyId::kK256, generatePrivateKey(Alg::kES256K));
    m.emplace(KeyId::kEd25519, generatePrivateKey(Alg::kEdDSA));
    m.emplace(KeyId::kEd448, generatePrivateKey(Alg::kEdDSA, true));
    m.emplace(KeyId::kHmac, generatePrivateKey(Alg::kHS256));
    return m;
  }();
  return keys.at(id);
}

inline KeyId keyFor(Alg alg) {
  switch (alg) {
    case Alg::kES256:
      return KeyId::kP256;
    case Alg::kES384:
      return KeyId::kP384;
    case Alg::kES512:
      return KeyId::kP521;
    case Alg::kES256K:
      return KeyId::kK256;
    case Alg::kEdDSA:
      return KeyId::kEd25519;
    case Alg::kHS256:
    case Alg::kHS384:
    case Alg::kHS512:
      return KeyId::kHmac;
    default:
      return KeyId::kRsa;
  }
}

// A JWKS holding the public JWK of `id` with optional kid/alg.
inline std::shared_ptr<const Jwks> jwksOf(KeyId id, std::optional<std::string_view> kid = {},
                                          std::optional<Alg> alg = {}) {
  JwtStatus status;
  std::string detail;
  auto jwks = Jwks::fromJwksJson(
      "{\"keys\":[" + publicJwkJson(testKey(id), kid, alg) + "]}", &status, &detail);
  if (!jwks) throw std::runtime_error("test JWKS refused: " + detail);
  return jwks;
}

// Flips one bit of the decoded signature of a compact token (bit index modulo its length).
inline std::string flipSignatureBit(std::string_view token, size_t bit) {
  const size_t dot = token.rfind('.');
  std::string sig;
  if (!base64UrlDecode(token.substr(dot + 1), sig) || sig.empty()) return std::string(token);
  bit %= sig.size() * 8;
  sig[bit / 8] = static_cast<char>(sig[bit / 8] ^ (1 << (bit % 8)));
  return std::string(token.substr(0, dot + 1)) + base64UrlEncode(sig);
}

// A token with `header_json` and `payload_json` used as given, signed by the key for `alg`.
inline std::string rawToken(Alg alg, std::string_view header_json, std::string_view payload_json) {
  return signCompact(alg, testKey(keyFor(alg)), header_json, payload_json);
}

// A base64url segment of `json` (for hand-built tokens that need no valid signature).
inline std::string seg(std::string_view json) { return base64UrlEncode(json); }

}  // namespace claimgate::jwt::testing
