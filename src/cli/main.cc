// claimgate: a JWT claim/scope policy gateway that reads Gloo Platform YAML.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"claimgate: JWT claim/scope policy gateway (Gloo JWTPolicy compatible)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "claimgate 0.1.0");
  claimgate::cli::addServeCommand(app);
  claimgate::cli::addValidateCommand(app);
  claimgate::cli::addTokenCommands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
