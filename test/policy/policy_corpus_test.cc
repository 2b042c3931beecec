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

}  // namespace
}  // namespace claimgate::policy
