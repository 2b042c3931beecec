// libFuzzer: Jwt::parse (JWT and bare-JWS modes), then the claim checks and signature
// verification against a fixed key set holding one key of every kty. Seeds: corpus/token/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/signer.h"
#include "jwt/verify.h"

namespace {

using namespace claimgate;
using namespace claimgate::jwt;

std::shared_ptr<const Jwks> makeKeys(std::string_view kty_group) {
  std::string set = "{\"keys\":[";
  if (kty_group == "public") {
    set += publicJwkJson(generatePrivateKey(Alg::kRS256), std::string_view("rsa-1")) + ",";
    set += publicJwkJson(generatePrivateKey(Alg::kES256), std::string_view("ec-1")) + ",";
    set += publicJwkJson(generatePrivateKey(Alg::kES256K)) + ",";
    set += publicJwkJson(generatePrivateKey(Alg::kEdDSA), std::string_view("ed-1")) + ",";
    set += publicJwkJson(generatePrivateKey(Alg::kEdDSA, true));
  } else {
    set += publicJwkJson(generatePrivateKey(Alg::kHS256), std::string_view("hs-1"), Alg::kHS256);
  }
  set += "]}";
  JwtStatus status;
  return Jwks::fromJwksJson(set, &status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Key sets are built once (keys are fixed for the whole run).
  static const auto public_keys = makeKeys("public");
  static const auto hmac_keys = makeKeys("hmac");
  const std::string_view token(reinterpret_cast<const char*>(data), size);

  Jwt jwt;
  if (jwt.parse(token) == JwtStatus::kOk) {
    (void)jwt.payload().type();
    ProviderChecks checks{.issuer = "https://issuer.example", .audiences = {"api", "https://x/"}};
    (void)checkClaims(jwt, checks, 1700000000);
    (void)verifyJwt(jwt, {}, *public_keys, 1700000000);
    (void)verifyJwtSignature(jwt, *hmac_keys);
  }
  Jwt jws;
  if (jws.parse(token, ParseMode::kJws) == JwtStatus::kOk) {
    (void)verifyJwtSignature(jws, *public_keys);
  }
  return 0;
}
