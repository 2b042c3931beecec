// JWS algorithms (RFC 7518 §3, RFC 8037, RFC 8812) as an enum, resolved once at parse time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace claimgate::jwt {

enum class Alg : uint8_t {
  kRS256, kRS384, kRS512,
  kPS256, kPS384, kPS512,
  kES256, kES384, kES512, kES256K,
  kEdDSA,
  kHS256, kHS384, kHS512,
};

// "RS256" -> kRS256; nullopt for anything else, `none` included.
std::optional<Alg> algFromName(std::string_view name);
std::string_view algName(Alg alg);

// The key type an algorithm needs (a key of another kty never verifies it).
enum class KeyType : uint8_t { kRsa, kEc, kOkp, kOct };
KeyType keyTypeFor(Alg alg);

}  // namespace claimgate::jwt
