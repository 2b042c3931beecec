// Fuzzes ClaimsPolicy: arbitrary payloads and policies (see policy_fuzz_input.h) must never crash,
// decisions must be self-consistent, and the glob matcher must agree with a reference matcher.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <simdjson.h>

#include "policy/claims_policy.h"
#include "policy_fuzz_input.h"

using namespace claimgate::policy;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void checkDecision(const ClaimsPolicy& policy, const Decision& d) {
  if (d.allowed) {
    check(d.kind == DecisionKind::kAllow && d.seen.empty() && d.rule_index == -1);
    return;
  }
  check(d.kind != DecisionKind::kAllow);
  check(d.seen.size() <= kMaxSeenBytes);
  check(!d.explain().empty());
  if (d.kind == DecisionKind::kRequiredScope) {
    check(d.rule_index >= 0 && static_cast<size_t>(d.rule_index) < policy.requiredScopeCount());
  } else if (d.kind != DecisionKind::kNoPayload) {
    check(d.rule_index >= 0 && static_cast<size_t>(d.rule_index) < policy.claimRuleCount());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  fuzz::Input in = fuzz::decode(std::string_view(reinterpret_cast<const char*>(data), size));
  simdjson::dom::parser parser;
  try {
    ClaimsPolicy policy = ClaimsPolicy::compile(in.spec);
    checkDecision(policy, policy.evaluateWithoutPayload());
    simdjson::dom::element payload;
    if (parser.parse(in.payload).get(payload) == simdjson::SUCCESS) {
      checkDecision(policy, policy.evaluate(payload));
    }
  } catch (const PolicyError&) {
  }
  // Differential: {"x": TEXT} against values [PATTERN] allows iff the reference glob matches.
  for (const auto& [pattern, text] : in.globs) {
    if (pattern.size() > 24 || text.size() > 48) continue;
    PolicySpec spec;
    spec.claims.push_back(ClaimRuleSpec{"x", {pattern}, {}, ""});
    ClaimsPolicy policy = ClaimsPolicy::compile(spec);
    simdjson::dom::element payload;
    if (parser.parse("{\"x\":" + fuzz::jsonString(text) + "}").get(payload) != simdjson::SUCCESS) {
      continue;  // invalid UTF-8 text
    }
    const bool want = pattern == "*" || fuzz::referenceGlob(pattern, text);
    check(policy.evaluate(payload).allowed == want);
  }
  return 0;
}
