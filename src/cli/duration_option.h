// Durations on the command line, in Gloo's spellings ("15s", "1.5s", "500ms", "10m", "1h30m").
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "config/duration.h"

namespace claimgate::cli {

inline std::chrono::milliseconds parseDurationOption(const std::string& text, const char* flag) {
  auto out = config::parseDuration(text);
  if (!out) throw CLI::ValidationError(flag, "invalid duration \"" + text + "\" (e.g. 15s, 500ms, 1m)");
  return *out;
}

}  // namespace claimgate::cli
