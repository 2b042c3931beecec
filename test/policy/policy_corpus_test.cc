// Every seed of the policy fuzz corpus (test/fuzz/corpus/policy, written by hand in the format of
// test/fuzz/policy_fuzz_input.h) is a valid input: the payload parses, the policy compiles, the
// glob lines agree with the reference matcher, and seed_*_allow / seed_*_deny decide as named.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "fuzz/policy_fuzz_input.h"
#include "policy/claims_policy.h"

namespace claimgate::policy {
namespace {

namespace fs = std::filesystem;

TEST(PolicyCorpus, EverySeedIsValid) {
  const fs::path dir = fs::path(CLAIMGATE_SOURCE_DIR) / "test" / "fuzz" / "corpus" / "policy";
  int seeds = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string name = e.path().filename().string();
    fuzz::Input in = fuzz::decode(ss.str());
    simdjson::dom::parser parser;
    simdjson::dom::element payload;
    ASSERT_EQ(parser.parse(in.payload).get(payload), simdjson::SUCCESS) << name;
    ClaimsPolicy policy = ClaimsPolicy::compile(in.spec);  // throws (fails) if invalid
    EXPECT_FALSE(policy.empty()) << name;
    Decision d = policy.evaluate(payload);
    if (name.ends_with("_allow")) {
      EXPECT_TRUE(d.allowed) << name << ": " << d.explain();
    }
    if (name.ends_with("_deny")) {
      EXPECT_FALSE(d.allowed) << name;
    }
    for (const auto& [pattern, text] : in.globs) {
      ClaimsPolicy g = ClaimsPolicy::compile(PolicySpec{{ClaimRuleSpec{"x", {pattern}, {}, ""}}, {}});
      simdjson::dom::parser p2;
      simdjson::dom::element doc;
      ASSERT_EQ(p2.parse("{\"x\":" + fuzz::jsonString(text) + "}").get(doc), simdjson::SUCCESS);
      EXPECT_EQ(g.evaluate(doc).allowed, fuzz::referenceGlob(pattern, text)) << pattern << " ~ " << text;
    }
    ++seeds;
  }
  EXPECT_GE(seeds, 4);
}

TEST(PolicyCorpus, ReferenceGlobSanity) {
  EXPECT_TRUE(fuzz::referenceGlob("a*b", "ab"));
  EXPECT_FALSE(fuzz::referenceGlob("ab*ba", "aba"));
  EXPECT_TRUE(fuzz::referenceGlob("*", ""));
  EXPECT_FALSE(fuzz::referenceGlob("a", "ab"));
}

// The fuzzer once timed out here: a pattern of many '*'s against a 48-byte text that does not
// match made the old recursive reference exponential. The reference and the policy's own glob
// must both answer (and agree) at the fuzzer's size limits.
TEST(PolicyCorpus, ManyStarsStayFastAndAgree) {
  const std::string pattern = "ti*" + std::string(16, '*') + "(*x";
  const std::string text = "ti" + std::string(46, 'a');  // no "(": the stars must all fail
  EXPECT_FALSE(fuzz::referenceGlob(pattern, text));
  EXPECT_TRUE(fuzz::referenceGlob(pattern, "ti" + std::string(40, 'a') + "(yx"));
  PolicySpec spec;
  spec.claims.push_back(ClaimRuleSpec{"x", {pattern}, {}, ""});
  ClaimsPolicy policy = ClaimsPolicy::compile(spec);
  simdjson::dom::parser parser;
  auto no = parser.parse(R"({"x":")" + text + R"("})");
  EXPECT_FALSE(policy.evaluate(no.value()).allowed);
  simdjson::dom::parser parser2;
  auto yes = parser2.parse(R"({"x":"ti)" + std::string(40, 'a') + R"((yx"})");
  EXPECT_TRUE(policy.evaluate(yes.value()).allowed);
}

}  // namespace
}  // namespace claimgate::policy
