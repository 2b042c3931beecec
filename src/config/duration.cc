#include "config/duration.h"

#include <cstdint>

namespace claimgate::config {

namespace {

// Unit length in nanoseconds, as Go's time.ParseDuration (unitMap). `µs` is U+00B5, `μs` U+03BC.
std::optional<double> unitNanos(std::string_view u) {
  if (u == "ns") return 1.0;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1e3;
  if (u == "ms") return 1e6;
  if (u == "s") return 1e9;
  if (u == "m") return 60e9;
  if (u == "h") return 3600e9;
  return std::nullopt;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s == "0") return std::chrono::milliseconds(0);
  if (s.empty()) return std::nullopt;
  double total_ns = 0;
  while (!s.empty()) {
    // [0-9]*(\.[0-9]*)?  with at least one digit overall
    std::size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < s.size() && isDigit(s[i])) {
      value = value * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < s.size() && isDigit(s[i])) {
        value += (s[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) return std::nullopt;
    std::size_t j = i;
    while (j < s.size() && !isDigit(s[j]) && s[j] != '.') ++j;
    auto unit = unitNanos(s.substr(i, j - i));
    if (!unit) return std::nullopt;  // Go: "missing unit" / "unknown unit"
    total_ns += value * *unit;
    if (total_ns > 9.2e18) return std::nullopt;  // Go: "invalid duration" (int64 overflow)
    s.remove_prefix(j);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total_ns / 1e6));
}

}  // namespace claimgate::config
