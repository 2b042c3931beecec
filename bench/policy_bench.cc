// ClaimsPolicy::evaluate on the seed policy (DESIGN §1): email "*", org internal|partner,
// requiredScopes is:developer. Goal: < 1 µs per allowed request, no allocation.
#include <string>

#include <benchmark/benchmark.h>

#include "policy/claims_policy.h"

namespace {

using claimgate::policy::ClaimRuleSpec;
using claimgate::policy::ClaimsPolicy;
using claimgate::policy::PolicySpec;

ClaimsPolicy seedPolicy() {
  PolicySpec spec;
  spec.claims.push_back(ClaimRuleSpec{"email", {"*"}, {}, ""});
  spec.claims.push_back(ClaimRuleSpec{"org", {"internal", "partner"}, {}, ""});
  spec.required_scopes = {"is:developer"};
  return ClaimsPolicy::compile(spec);
}

// A realistic payload: the registered claims plus the ones the policy reads, scope last.
const char* const kDevPayload =
    R"({"iss":"https://localhost","sub":"dev","aud":"httpbin","iat":1700000000,"exp":4102444800,)"
    R"("email":"dev@example.com","org":"partner","name":"Dev Eloper","scope":"openid email is:developer"})";
const char* const kUserPayload =
    R"({"iss":"https://localhost","sub":"user","aud":"httpbin","iat":1700000000,"exp":4102444800,)"
    R"("email":"user@example.com","org":"external","name":"Us Er","scope":"openid email is:user"})";

void run(benchmark::State& state, const char* json, bool want) {
  ClaimsPolicy policy = seedPolicy();
  simdjson::dom::parser parser;
  simdjson::dom::element payload = parser.parse(std::string(json)).value();
  for (auto _ : state) {
    auto d = policy.evaluate(payload);
    if (d.allowed != want) state.SkipWithError("unexpected decision");
    benchmark::DoNotOptimize(d);
  }
}

void BM_SeedPolicyAllow(benchmark::State& state) { run(state, kDevPayload, true); }
void BM_SeedPolicyDeny(benchmark::State& state) { run(state, kUserPayload, false); }
BENCHMARK(BM_SeedPolicyAllow);
BENCHMARK(BM_SeedPolicyDeny);

}  // namespace

BENCHMARK_MAIN();
