// Every seed of test/fuzz/corpus/yaml/ is a well-formed YAML input of loadConfigFromString: seeds
// named `invalid-*` must be refused with config errors (not YAML syntax errors), the others must
// load cleanly, so the fuzzer starts from inputs that reach deep into the decoders.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"

namespace claimgate::config {
namespace {

namespace fs = std::filesystem;

TEST(YamlCorpus, EverySeedIsAValidInput) {
  std::size_t seeds = 0;
  for (const auto& e : fs::directory_iterator(fs::path(CLAIMGATE_SOURCE_DIR) / "test/fuzz/corpus/yaml")) {
    ++seeds;
    auto name = e.path().filename().string();
    SCOPED_TRACE(name);
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Diagnostics d;
    auto set = loadConfigFromString(ss.str(), name, d);
    EXPECT_GT(set.resourceCount(), 0u);
    for (const auto& x : d.all())
      EXPECT_EQ(x.message.find("invalid YAML"), std::string::npos) << x.format();
    if (name.starts_with("invalid-"))
      EXPECT_TRUE(d.hasErrors());
    else
      EXPECT_FALSE(d.hasErrors()) << d.formatAll();
  }
  EXPECT_GE(seeds, 4u);
}

}  // namespace
}  // namespace claimgate::config
