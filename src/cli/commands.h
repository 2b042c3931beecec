// Each sub-command registers itself on the CLI11 app; main() only wires them.
#pragma once

#include <CLI/CLI.hpp>

namespace claimgate::cli {

// `claimgate token sign|inspect|verify` (token_command.cc).
void addTokenCommands(CLI::App& app);
// `claimgate validate --config PATH...` (validate_command.cc).
void addValidateCommand(CLI::App& app);
// `claimgate serve --config PATH... [options]` (serve_command.cc).
void addServeCommand(CLI::App& app);

}  // namespace claimgate::cli
