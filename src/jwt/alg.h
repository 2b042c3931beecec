// JWS algorithms (RFC 7518 §3, RFC 8037, RFC 8812) as an enum, resolved once at parse time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace claimgate::jwt {

enum class Alg : uint8_t {
  kRS256, kRS384, kRS512,
  kPS256, kPS384, kPS512,
  kES256, kES384, kES512, kES256K,
  kEdDSA,
  kHS256, kHS384, kHS512,
};

inline constexpr Alg kAllAlgs[] = {
    Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256, Alg::kPS384,  Alg::kPS512, Alg::kES256,
    Alg::kES384, Alg::kES512, Alg::kES256K, Alg::kEdDSA, Alg::kHS256, Alg::kHS384, Alg::kHS512,
};

// "RS256" -> kRS256 (case-sensitive); nullopt for anything else, `none` included.
std::optional<Alg> algFromName(std::string_view name);
std::string_view algName(Alg alg);

// The key type an algorithm needs (a key of another kty never verifies it).
enum class KeyType : uint8_t { kRsa, kEc, kOkp, kOct };
KeyType keyTypeFor(Alg alg);

// Digest length in bytes of the algorithm's hash (SHA-256/384/512); 0 for EdDSA.
size_t hashSizeFor(Alg alg);

// The OpenSSL curve NID an ES* algorithm requires (RFC 7518 §3.4, RFC 8812 §3.2); nullopt
// for non-EC algorithms.
std::optional<int> ecCurveNidFor(Alg alg);

// The EC curves JWS uses, one table for keys (jwks), signing (signer) and verification.
struct EcCurve {
  std::string_view jwk_name;  // JWK "crv" (RFC 7518 §6.2.1.1, RFC 8812 §3.1)
  const char* group;          // OpenSSL group name
  int nid;                    // OpenSSL NID
  size_t coord_bytes;         // field element size: r, s, x and y are this long
  Alg alg;                    // the one ES* algorithm for this curve
};
std::span<const EcCurve> ecCurves();
const EcCurve* ecCurveByNid(int nid);  // nullptr when not a JWS curve

}  // namespace claimgate::jwt
