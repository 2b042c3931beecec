// `claimgate validate`: load + compile, print routes with their policies, exit 1 on errors.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/load.h"

namespace claimgate::cli {

void addValidateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Load and compile the config; print every route with "
                                             "the policy that applies; exit non-zero on errors");
  auto paths = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--config,-c", *paths, "YAML file or folder (repeatable)")->required();
  cmd->callback([paths] {
    config::Diagnostics diags;
    auto snap = loadSnapshot(*paths, diags);
    if (!snap) throw CLI::RuntimeError(1);
    std::fputs(snap->describe().c_str(), stdout);
    std::printf("config OK: %zu warning(s)\n", diags.warningCount());
  });
}

}  // namespace claimgate::cli
