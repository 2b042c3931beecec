// Every real Gloo manifest of shared/compat/gloo must load as Gloo takes it (index.json
// `expected`): files Gloo accepts load without errors (warnings are fine); files that are invalid
// as written are refused with an error that names the offending field.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "config/loader.h"

namespace claimgate::config {
namespace {

namespace fs = std::filesystem;

const fs::path kCompatDir = fs::path(CLAIMGATE_SHARED_DIR) / "compat" / "gloo";

struct Expectation {
  std::string expected;       // VALID | VALID_AFTER_ENVSUBST | INVALID
  std::string expected_text;  // "VALID after envsubst; raw INVALID", ...
  bool refused() const {
    return expected == "INVALID" || expected_text.find("raw INVALID") != std::string::npos;
  }
};

std::map<std::string, Expectation> readIndex() {
  std::map<std::string, Expectation> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load((kCompatDir / "index.json").string());
  simdjson::dom::array entries = doc.get_array();
  for (simdjson::dom::element entry : entries) {
    Expectation e;
    e.expected = std::string(std::string_view(entry["expected"]));
    e.expected_text = std::string(std::string_view(entry["expected_text"]));
    out[std::string(std::string_view(entry["file"]))] = e;
  }
  return out;
}

// The field an invalid-as-written file gets wrong, from INDEX.md's notes on those files.
const std::map<std::string, std::string> kOffendingField = {
    {"003", "port.number"}, {"004", "port.number"}, {"027", "remote.url"}};

TEST(CompatManifests, EveryFileLoadsAsGlooTakesIt) {
  auto index = readIndex();
  ASSERT_EQ(index.size(), 27u);
  std::size_t loaded = 0, refused = 0, warnings = 0, files = 0;
  for (const auto& entry : fs::directory_iterator(kCompatDir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    auto name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto it = index.find(name);
    ASSERT_NE(it, index.end()) << "file missing from index.json";
    Diagnostics diags;
    ConfigSet set = loadConfig({entry.path().string()}, diags);
    warnings += diags.warningCount();
    if (std::getenv("CLAIMGATE_PRINT_DIAGNOSTICS")) std::printf("%s", diags.formatAll().c_str());
    EXPECT_GT(set.jwt_policies.size(), 0u);
    if (it->second.refused()) {
      ++refused;
      EXPECT_TRUE(diags.hasErrors()) << "Gloo refuses this file as written";
      auto field = kOffendingField.find(name.substr(0, 3));
      ASSERT_NE(field, kOffendingField.end());
      bool named = std::any_of(diags.all().begin(), diags.all().end(), [&](const Diagnostic& d) {
        return d.severity == Severity::kError && d.field.find(field->second) != std::string::npos &&
               !d.resource.empty() && d.document > 0 && d.file == entry.path().string();
      });
      EXPECT_TRUE(named) << "no error names " << field->second << ":\n" << diags.formatAll();
    } else {
      if (!diags.hasErrors()) ++loaded;
      EXPECT_FALSE(diags.hasErrors()) << diags.formatAll(Severity::kError);
    }
  }
  EXPECT_EQ(files, 27u);
  // The coordinator reports these numbers.
  std::printf("[ compat ] %zu files: %zu loaded, %zu refused as Gloo would, %zu warnings\n", files,
              loaded, refused, warnings);
}

}  // namespace
}  // namespace claimgate::config
