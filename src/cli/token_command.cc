// Placeholder until the token tool lands: registers nothing yet.
#include "cli/commands.h"

namespace claimgate::cli {
void addTokenCommands(CLI::App&) {}
}  // namespace claimgate::cli
