#include "cli/load.h"

#include <cstdio>

#include "config/loader.h"

namespace claimgate::cli {

std::shared_ptr<const snapshot::Snapshot> loadSnapshot(const std::vector<std::string>& paths,
                                                       config::Diagnostics& diags) {
  config::ConfigSet set = config::loadConfig(paths, diags);
  std::shared_ptr<const snapshot::Snapshot> snap;
  if (!diags.hasErrors()) snap = snapshot::Snapshot::compile(std::move(set), diags);
  const std::string text = diags.formatAll(config::Severity::kWarning);
  if (!text.empty()) std::fputs(text.c_str(), stderr);
  if (diags.hasErrors()) {
    std::fprintf(stderr, "config refused: %zu error(s), %zu warning(s)\n", diags.errorCount(),
                 diags.warningCount());
    return nullptr;
  }
  return snap;
}

}  // namespace claimgate::cli
