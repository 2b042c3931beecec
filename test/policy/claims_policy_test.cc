// ClaimsPolicy: one table row per rule of docs/policy.md (DESIGN §3 "Authorization semantics").
#include "policy/claims_policy.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

// Counts allocations so a test can prove the allow path allocates nothing (this binary only).
// g++ 12 flags malloc/free inside a replaced operator new/delete as mismatched: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace claimgate::policy {
namespace {

using Kind = DecisionKind;

struct Case {
  const char* name;
  PolicySpec spec;
  const char* payload;  // JSON
  bool allowed;
  Kind kind;
  int rule_index;
};

ClaimRuleSpec rule(std::string key, std::vector<std::string> values,
                   std::vector<std::string> not_values = {}, std::string delim = "") {
  return ClaimRuleSpec{std::move(key), std::move(values), std::move(not_values), std::move(delim)};
}

PolicySpec claims(std::vector<ClaimRuleSpec> c) { return PolicySpec{std::move(c), {}}; }
PolicySpec scopes(std::vector<std::string> s) { return PolicySpec{{}, std::move(s)}; }

// A Decision's views point into its policy: the policy of the last run() is kept alive until
// the next call.
Decision run(const PolicySpec& spec, const char* payload) {
  static simdjson::dom::parser parser;
  static std::unique_ptr<ClaimsPolicy> policy;
  policy = std::make_unique<ClaimsPolicy>(ClaimsPolicy::compile(spec));
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(std::string(payload)).get(doc), simdjson::SUCCESS) << payload;
  return policy->evaluate(doc);
}

const Case kCases[] = {
    // Exact values, ORed.
    {"exact_match", claims({rule("org", {"internal", "partner"})}), R"({"org":"partner"})", true, Kind::kAllow, -1},
    {"exact_mismatch", claims({rule("org", {"internal", "partner"})}), R"({"org":"external"})", false, Kind::kClaimValues, 0},
    {"exact_is_case_sensitive", claims({rule("org", {"internal"})}), R"({"org":"Internal"})", false, Kind::kClaimValues, 0},
    {"missing_fails_values", claims({rule("org", {"internal"})}), R"({"sub":"x"})", false, Kind::kClaimValues, 0},
    {"null_is_missing", claims({rule("org", {"*"})}), R"({"org":null})", false, Kind::kClaimValues, 0},
    // Entries ANDed; the first failing entry decides.
    {"and_all_pass", claims({rule("a", {"1"}), rule("b", {"2"})}), R"({"a":"1","b":"2"})", true, Kind::kAllow, -1},
    {"and_second_fails", claims({rule("a", {"1"}), rule("b", {"2"})}), R"({"a":"1","b":"3"})", false, Kind::kClaimValues, 1},
    {"and_first_fails_first", claims({rule("a", {"1"}), rule("b", {"2"})}), R"({"a":"0","b":"3"})", false, Kind::kClaimValues, 0},
    // "*" = present with any value.
    {"star_any_string", claims({rule("email", {"*"})}), R"({"email":"a@b"})", true, Kind::kAllow, -1},
    {"star_empty_string", claims({rule("email", {"*"})}), R"({"email":""})", true, Kind::kAllow, -1},
    {"star_number", claims({rule("n", {"*"})}), R"({"n":0})", true, Kind::kAllow, -1},
    {"star_object", claims({rule("o", {"*"})}), R"({"o":{}})", true, Kind::kAllow, -1},
    {"star_missing", claims({rule("email", {"*"})}), R"({})", false, Kind::kClaimValues, 0},
    {"star_empty_list", claims({rule("groups", {"*"})}), R"({"groups":[]})", false, Kind::kClaimValues, 0},
    // Globs: '*' matches any run of characters (also none).
    {"glob_suffix", claims({rule("email", {"*@solo.io"})}), R"({"email":"jane@solo.io"})", true, Kind::kAllow, -1},
    {"glob_suffix_miss", claims({rule("email", {"*@solo.io"})}), R"({"email":"jane@solo.io.evil"})", false, Kind::kClaimValues, 0},
    {"glob_suffix_empty_run", claims({rule("email", {"*@solo.io"})}), R"({"email":"@solo.io"})", true, Kind::kAllow, -1},
    {"glob_prefix", claims({rule("role", {"abc*"})}), R"({"role":"abcdef"})", true, Kind::kAllow, -1},
    {"glob_prefix_miss", claims({rule("role", {"abc*"})}), R"({"role":"xabc"})", false, Kind::kClaimValues, 0},
    {"glob_infix", claims({rule("r", {"a*b"})}), R"({"r":"a--b"})", true, Kind::kAllow, -1},
    {"glob_infix_adjacent", claims({rule("r", {"a*b"})}), R"({"r":"ab"})", true, Kind::kAllow, -1},
    {"glob_infix_miss", claims({rule("r", {"a*b"})}), R"({"r":"a--bc"})", false, Kind::kClaimValues, 0},
    {"glob_infix_no_overlap", claims({rule("r", {"ab*ba"})}), R"({"r":"aba"})", false, Kind::kClaimValues, 0},
    {"glob_multi", claims({rule("r", {"*a*b*"})}), R"({"r":"xxaxxbxx"})", true, Kind::kAllow, -1},
    {"glob_multi_order", claims({rule("r", {"*a*b*"})}), R"({"r":"xxbxxaxx"})", false, Kind::kClaimValues, 0},
    {"glob_on_number_text", claims({rule("n", {"4*"})}), R"({"n":42})", true, Kind::kAllow, -1},
    // notValues: deny if any matches; missing passes.
    {"not_values_match", claims({rule("org", {}, {"contractor"})}), R"({"org":"contractor"})", false, Kind::kClaimNotValues, 0},
    {"not_values_other", claims({rule("org", {}, {"contractor"})}), R"({"org":"internal"})", true, Kind::kAllow, -1},
    {"not_values_missing_passes", claims({rule("org", {}, {"contractor"})}), R"({})", true, Kind::kAllow, -1},
    {"not_values_glob", claims({rule("email", {}, {"*@evil.io"})}), R"({"email":"x@evil.io"})", false, Kind::kClaimNotValues, 0},
    {"not_values_star_present", claims({rule("debug", {}, {"*"})}), R"({"debug":false})", false, Kind::kClaimNotValues, 0},
    {"values_and_not_values", claims({rule("org", {"*"}, {"contractor"})}), R"({"org":"contractor"})", false, Kind::kClaimNotValues, 0},
    {"values_then_not_values_pass", claims({rule("org", {"*"}, {"contractor"})}), R"({"org":"x"})", true, Kind::kAllow, -1},
    // Lists: values match when any element matches; notValues deny when any element matches.
    {"list_any_element", claims({rule("groups", {"admin"})}), R"({"groups":["dev","admin"]})", true, Kind::kAllow, -1},
    {"list_no_element", claims({rule("groups", {"admin"})}), R"({"groups":["dev","ops"]})", false, Kind::kClaimValues, 0},
    {"list_not_values_any_element", claims({rule("groups", {}, {"banned"})}), R"({"groups":["dev","banned"]})", false, Kind::kClaimNotValues, 0},
    {"list_not_values_none", claims({rule("groups", {}, {"banned"})}), R"({"groups":["dev"]})", true, Kind::kAllow, -1},
    {"list_of_numbers", claims({rule("ids", {"7"})}), R"({"ids":[1,7]})", true, Kind::kAllow, -1},
    {"list_nested_list_only_star", claims({rule("l", {"a"})}), R"({"l":[["a"]]})", false, Kind::kClaimValues, 0},
    {"list_strings_not_split", claims({rule("groups", {"a"})}), R"({"groups":["a b"]})", false, Kind::kClaimValues, 0},
    // Numbers and bools match their JSON text.
    {"int_text", claims({rule("level", {"42"})}), R"({"level":42})", true, Kind::kAllow, -1},
    {"int_negative", claims({rule("level", {"-3"})}), R"({"level":-3})", true, Kind::kAllow, -1},
    {"uint64_big", claims({rule("n", {"18446744073709551615"})}), R"({"n":18446744073709551615})", true, Kind::kAllow, -1},
    {"integral_double_as_int", claims({rule("level", {"42"})}), R"({"level":42.0})", true, Kind::kAllow, -1},
    {"double_shortest", claims({rule("ratio", {"1.5"})}), R"({"ratio":1.50})", true, Kind::kAllow, -1},
    {"double_exponent", claims({rule("big", {"1e+300"})}), R"({"big":1e300})", true, Kind::kAllow, -1},
    {"number_vs_string_text", claims({rule("level", {"42"})}), R"({"level":"42"})", true, Kind::kAllow, -1},
    {"number_mismatch", claims({rule("level", {"42"})}), R"({"level":43})", false, Kind::kClaimValues, 0},
    {"bool_true", claims({rule("admin", {"true"})}), R"({"admin":true})", true, Kind::kAllow, -1},
    {"bool_false_mismatch", claims({rule("admin", {"true"})}), R"({"admin":false})", false, Kind::kClaimValues, 0},
    {"object_only_star", claims({rule("o", {"{}"})}), R"({"o":{}})", false, Kind::kClaimValues, 0},
    // Nested keys with nestedClaimDelimiter; without it a dotted key is one top-level name.
    {"nested_walk", claims({rule("realm_access.roles", {"admin"}, {}, ".")}), R"({"realm_access":{"roles":["user","admin"]}})", true, Kind::kAllow, -1},
    {"nested_missing_leaf", claims({rule("realm_access.roles", {"admin"}, {}, ".")}), R"({"realm_access":{}})", false, Kind::kClaimValues, 0},
    {"nested_through_scalar", claims({rule("a.b", {"*"}, {}, ".")}), R"({"a":"b"})", false, Kind::kClaimValues, 0},
    {"nested_not_top_level", claims({rule("a.b", {"x"}, {}, ".")}), R"({"a.b":"x"})", false, Kind::kClaimValues, 0},
    {"nested_multichar_delim", claims({rule("a::b", {"x"}, {}, "::")}), R"({"a":{"b":"x"}})", true, Kind::kAllow, -1},
    {"dotted_top_level", claims({rule("solo.io/company", {"solo"})}), R"({"solo.io/company":"solo"})", true, Kind::kAllow, -1},
    {"dotted_top_level_not_nested", claims({rule("solo.io/company", {"solo"})}), R"({"solo":{"io/company":"solo"}})", false, Kind::kClaimValues, 0},
    // `scope`/`scp` claims: a space-separated string is compared word by word.
    {"scope_claim_word", claims({rule("scope", {"is:developer"})}), R"({"scope":"email is:developer profile"})", true, Kind::kAllow, -1},
    {"scope_claim_whole_string_no_longer", claims({rule("scope", {"a b"})}), R"({"scope":"a b"})", false, Kind::kClaimValues, 0},
    {"scope_claim_glob_word", claims({rule("scope", {"read:*"})}), R"({"scope":"email read:x"})", true, Kind::kAllow, -1},
    {"scope_claim_not_values_word", claims({rule("scope", {}, {"admin"})}), R"({"scope":"read  admin"})", false, Kind::kClaimNotValues, 0},
    {"scope_claim_star_empty", claims({rule("scope", {"*"})}), R"({"scope":""})", true, Kind::kAllow, -1},
    {"scp_claim_word", claims({rule("scp", {"b"})}), R"({"scp":"a b"})", true, Kind::kAllow, -1},
    {"other_claim_not_split", claims({rule("roles", {"a"})}), R"({"roles":"a b"})", false, Kind::kClaimValues, 0},
    // requiredScopes: ANDed over `scope` (string or list), `scp` when `scope` is absent.
    {"scopes_string_all", scopes({"is:developer", "email"}), R"({"scope":"email is:developer"})", true, Kind::kAllow, -1},
    {"scopes_string_extra_ok", scopes({"a"}), R"({"scope":"b a c"})", true, Kind::kAllow, -1},
    {"scopes_string_one_missing", scopes({"a", "b"}), R"({"scope":"a c"})", false, Kind::kRequiredScope, 1},
    {"scopes_no_substring", scopes({"dev"}), R"({"scope":"developer"})", false, Kind::kRequiredScope, 0},
    {"scopes_list", scopes({"a", "b"}), R"({"scope":["b","a"]})", true, Kind::kAllow, -1},
    {"scopes_list_missing", scopes({"a", "b"}), R"({"scope":["a"]})", false, Kind::kRequiredScope, 1},
    {"scopes_missing_claim", scopes({"a"}), R"({"sub":"x"})", false, Kind::kRequiredScope, 0},
    {"scopes_scp_fallback", scopes({"a"}), R"({"scp":"a"})", true, Kind::kAllow, -1},
    {"scopes_scp_list", scopes({"a"}), R"({"scp":["a"]})", true, Kind::kAllow, -1},
    {"scopes_scope_wins_over_scp", scopes({"a"}), R"({"scope":"b","scp":"a"})", false, Kind::kRequiredScope, 0},
    {"scopes_null_scope_reads_scp", scopes({"a"}), R"({"scope":null,"scp":"a"})", true, Kind::kAllow, -1},
    {"scopes_number_grants_nothing", scopes({"1"}), R"({"scope":1})", false, Kind::kRequiredScope, 0},
    {"scopes_no_glob", scopes({"a*"}), R"({"scope":"abc"})", false, Kind::kRequiredScope, 0},
    {"scopes_after_claims", PolicySpec{{rule("org", {"x"})}, {"a"}}, R"({"org":"y","scope":"b"})", false, Kind::kClaimValues, 0},
    {"seed_policy_allow", PolicySpec{{rule("email", {"*"}), rule("org", {"internal", "partner"})}, {"is:developer"}},
     R"({"email":"dev@x.io","org":"internal","scope":"is:developer"})", true, Kind::kAllow, -1},
    {"seed_policy_user", PolicySpec{{rule("email", {"*"}), rule("org", {"internal", "partner"})}, {"is:developer"}},
     R"({"email":"u@x.io","org":"external","scope":"is:user"})", false, Kind::kClaimValues, 1},
    {"non_object_payload", claims({rule("a", {}, {"x"})}), R"([1,2])", true, Kind::kAllow, -1},
    {"empty_policy", PolicySpec{}, R"({})", true, Kind::kAllow, -1},
};

class ClaimsPolicyTable : public ::testing::TestWithParam<Case> {};

TEST_P(ClaimsPolicyTable, Decides) {
  const Case& c = GetParam();
  Decision d = run(c.spec, c.payload);
  EXPECT_EQ(d.allowed, c.allowed) << d.explain();
  EXPECT_EQ(d.kind, c.kind) << d.explain();
  EXPECT_EQ(d.rule_index, c.rule_index) << d.explain();
  if (d.allowed) {
    EXPECT_TRUE(d.seen.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, ClaimsPolicyTable, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ClaimsPolicy, ExplainsValuesDenial) {
  Decision d = run(claims({rule("email", {"*"}), rule("org", {"internal"})}),
                   R"({"email":"a","org":"ext\nernal"})");
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.key, "org");
  EXPECT_TRUE(d.claim_present);
  EXPECT_EQ(d.seen, "\"ext\\nernal\"");  // JSON-escaped: a claim cannot forge a log line
  EXPECT_EQ(d.explain(), "deny: claims[1] (org) values: saw \"ext\\nernal\"");
}

TEST(ClaimsPolicy, ExplainsMissingClaim) {
  Decision d = run(claims({rule("org", {"internal"})}), R"({})");
  EXPECT_FALSE(d.claim_present);
  EXPECT_TRUE(d.seen.empty());
  EXPECT_EQ(d.explain(), "deny: claims[0] (org) values: claim missing");
}

TEST(ClaimsPolicy, ExplainsNotValuesWithPolicyText) {
  Decision d = run(claims({rule("groups", {}, {"x", "*-banned"})}), R"({"groups":["ok","u-banned"]})");
  ASSERT_EQ(d.kind, DecisionKind::kClaimNotValues);
  EXPECT_EQ(d.expected, "*-banned");
  EXPECT_EQ(d.seen, R"(["ok","u-banned"])");
}

TEST(ClaimsPolicy, ExplainsRequiredScope) {
  Decision d = run(scopes({"a", "b"}), R"({"scp":"a c"})");
  ASSERT_EQ(d.kind, DecisionKind::kRequiredScope);
  EXPECT_EQ(d.key, "scp");
  EXPECT_EQ(d.expected, "b");
  EXPECT_EQ(d.explain(), "deny: requiredScopes[1] \"b\" not granted: scp \"a c\"");
  Decision none = run(scopes({"a"}), R"({})");
  EXPECT_EQ(none.explain(), "deny: requiredScopes[0] \"a\" not granted: no scope/scp claim");
}

TEST(ClaimsPolicy, SeenIsBounded) {
  std::string big = R"({"org":")" + std::string(1000, 'x') + R"("})";
  Decision d = run(claims({rule("org", {"y"})}), big.c_str());
  EXPECT_EQ(d.seen.size(), kMaxSeenBytes);
  EXPECT_TRUE(d.seen.ends_with("..."));
}

TEST(ClaimsPolicy, AllowPathDoesNotAllocate) {
  ClaimsPolicy policy = ClaimsPolicy::compile(PolicySpec{
      {rule("email", {"*"}), rule("org", {"internal", "partner"}), rule("n", {"4*"}),
       rule("a.b", {"*x*y"}, {"z"}, "."), rule("scope", {"read"})},
      {"is:developer"}});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"email":"e","org":["x","partner"],"n":42.0,)"
                                     R"("a":{"b":"_x_y"},"scope":"read is:developer"})"))
                .get(doc),
            simdjson::SUCCESS);
  const long before = g_allocations.load();
  Decision d = policy.evaluate(doc);
  const long after = g_allocations.load();
  EXPECT_TRUE(d.allowed) << d.explain();
  EXPECT_EQ(after - before, 0);
  // And the counter works: the deny path builds an explanation.
  ASSERT_EQ(parser.parse(std::string(R"({"email":"e","org":"a-much-longer-value-than-sso"})")).get(doc),
            simdjson::SUCCESS);
  const long deny_before = g_allocations.load();
  Decision denied = policy.evaluate(doc);
  EXPECT_FALSE(denied.allowed);
  EXPECT_GT(g_allocations.load() - deny_before, 0);
}

TEST(ClaimsPolicy, NoPayload) {
  ClaimsPolicy with_rules = ClaimsPolicy::compile(scopes({"a"}));
  Decision d = with_rules.evaluateWithoutPayload();
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.kind, DecisionKind::kNoPayload);
  ClaimsPolicy none = ClaimsPolicy::compile(PolicySpec{});
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.evaluateWithoutPayload().allowed);
  EXPECT_TRUE(ClaimsPolicy().evaluateWithoutPayload().allowed);
}

struct BadSpec {
  const char* name;
  PolicySpec spec;
  const char* field_path;
};

const BadSpec kBadSpecs[] = {
    {"empty_key", claims({rule("", {"x"})}), "claims[0].key"},
    {"no_values", claims({rule("a", {"x"}), rule("b", {}, {})}), "claims[1]"},
    {"duplicate_key", claims({rule("a", {"x"}), rule("a", {}, {"y"})}), "claims[1].key"},
    {"empty_nested_segment", claims({rule("a..b", {"x"}, {}, ".")}), "claims[0].key"},
    {"trailing_delimiter", claims({rule("a.", {"x"}, {}, ".")}), "claims[0].key"},
    {"empty_scope", scopes({"a", ""}), "requiredScopes[1]"},
    {"scope_with_space", scopes({"a b"}), "requiredScopes[0]"},
};

class ClaimsPolicyErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(ClaimsPolicyErrors, Refused) {
  try {
    ClaimsPolicy::compile(GetParam().spec);
    FAIL() << "compiled";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.fieldPath(), GetParam().field_path) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Spec, ClaimsPolicyErrors, ::testing::ValuesIn(kBadSpecs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ScalarText, RendersAsDocumented) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"([1, -0.0, 0.1, 1e21, 9007199254740992.0, true, "s", null, {}])")).get(doc),
            simdjson::SUCCESS);
  std::vector<std::string> got;
  char buf[40];
  simdjson::dom::array list = doc.get_array().value();
  for (simdjson::dom::element e : list) {
    std::string_view out;
    got.push_back(scalarText(e, buf, sizeof buf, &out) ? std::string(out) : "<none>");
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1", "0", "0.1", "1e+21", "9007199254740992", "true", "s",
                                           "<none>", "<none>"}));
}

}  // namespace
}  // namespace claimgate::policy
