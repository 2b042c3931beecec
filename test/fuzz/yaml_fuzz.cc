// libFuzzer target: Gloo YAML text → config structs → compiled routes. Nothing may crash, hang or
// leak; diagnostics are the only output. Seeds: corpus/yaml/ (checked by
// test/fuzz_corpus_check/yaml_corpus_test.cc).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"
#include "router/route_table_set.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  claimgate::config::Diagnostics diags;
  auto set = claimgate::config::loadConfigFromString(text, "fuzz.yaml", diags);
  auto routes = claimgate::router::compileRoutes(set, diags);
  // Exercise matching on whatever compiled.
  claimgate::router::RequestHead req{"GET", "/a/b", "x=1", "example.com", {}};
  for (const auto& l : routes.listeners) (void)l.table.match(req);
  for (const auto& d : diags.all()) (void)d.format();
  return 0;
}
