// libFuzzer: Jwks::fromAny (PEM, JWKS, single JWK, x509 map), the parser every local.inline
// value and every remote JWKS body goes through. Seeds: corpus/jwks/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jwt/jwks.h"
#include "jwt/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace claimgate;
  using namespace claimgate::jwt;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  JwtStatus status;
  std::string detail;
  const auto jwks = Jwks::fromAny(text, &status, &detail);
  if (jwks) {
    // Exercise every loaded key once with a garbage signature of a plausible length.
    const std::string sig(64, '\x01');
    for (const Jwk& key : jwks->keys()) {
      for (Alg alg : kAllAlgs) (void)verifySignature(alg, key, "a.b", sig);
    }
  }
  return 0;
}
