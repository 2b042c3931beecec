// JWT micro benchmarks: parse + signature verification per algorithm (the gateway's per-token
// work on a cache miss), and parse alone. items_per_second = tokens/s on one thread; compare
// with `openssl speed` through bench/crypto_vs_openssl.sh.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/signer.h"
#include "jwt/verify.h"

namespace {

using namespace claimgate;
using namespace claimgate::jwt;

// A realistic claim set (~250 bytes), as an IdP would issue.
constexpr std::string_view kClaims =
    R"({"iss":"https://issuer.example.com","sub":"user-1234567890","aud":["api://default",)"
    R"("https://api.example.com/"],"iat":1700000000,"nbf":1700000000,"exp":1900000000,)"
    R"("jti":"4f1c2e8a-9b7d-4c3e-8f21-0a6b5d4c3e2f","scope":"openid profile read:orders",)"
    R"("org":"internal","email":"user@example.com"})";

struct Fixture {
  std::string token;
  std::shared_ptr<const Jwks> jwks;
};

Fixture makeFixture(Alg alg) {
  const PrivateKey key = generatePrivateKey(alg);
  Fixture f;
  f.token = signToken(alg, key, "key-1", kClaims);
  JwtStatus status;
  f.jwks = Jwks::fromJwksJson(
      "{\"keys\":[" + publicJwkJson(key, std::string_view("key-1"), alg) + "]}", &status);
  return f;
}

void parseVerify(benchmark::State& state, Alg alg) {
  const Fixture f = makeFixture(alg);
  Jwt jwt;
  for (auto _ : state) {
    JwtStatus s = jwt.parse(f.token);
    if (s == JwtStatus::kOk) s = verifyJwtSignature(jwt, *f.jwks);
    if (s != JwtStatus::kOk) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}

void verifyOnly(benchmark::State& state, Alg alg) {
  const Fixture f = makeFixture(alg);
  Jwt jwt;
  if (jwt.parse(f.token) != JwtStatus::kOk) state.SkipWithError("parse failed");
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifyJwtSignature(jwt, *f.jwks));
  }
  state.SetItemsProcessed(state.iterations());
}

void parseOnly(benchmark::State& state) {
  const Fixture f = makeFixture(Alg::kHS256);
  Jwt jwt;
  for (auto _ : state) {
    benchmark::DoNotOptimize(jwt.parse(f.token));
  }
  state.SetItemsProcessed(state.iterations());
}

void parseFresh(benchmark::State& state) {
  // A new Jwt per token (what a cache insert costs), rather than a reused one.
  const Fixture f = makeFixture(Alg::kHS256);
  for (auto _ : state) {
    Jwt jwt;
    benchmark::DoNotOptimize(jwt.parse(f.token));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(parseVerify, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(parseVerify, PS256, Alg::kPS256);
BENCHMARK_CAPTURE(parseVerify, ES256, Alg::kES256);
BENCHMARK_CAPTURE(parseVerify, EdDSA, Alg::kEdDSA);
BENCHMARK_CAPTURE(parseVerify, HS256, Alg::kHS256);
BENCHMARK_CAPTURE(verifyOnly, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(verifyOnly, ES256, Alg::kES256);
BENCHMARK_CAPTURE(verifyOnly, EdDSA, Alg::kEdDSA);
BENCHMARK(parseOnly);
BENCHMARK(parseFresh);

}  // namespace

BENCHMARK_MAIN();
