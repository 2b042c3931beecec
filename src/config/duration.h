// Duration strings as Gloo accepts them: Gloo decodes CRs with golang/protobuf jsonpb, which hands
// Durations to Go's time.ParseDuration, so both the proto3 JSON spelling (`300s`, `1.5s`) and Go's
// (`10m`, `1h30m`, `250ms`) are valid. A bare `0` is valid too (Go accepts it).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace claimgate::config {

// Parses a non-negative duration; nullopt when the text is not a Go/proto duration or is negative
// or overflows. Precision is one millisecond (finer parts are truncated).
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

}  // namespace claimgate::config
