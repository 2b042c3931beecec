// ASCII case folding for protocol text: header field names, hosts, Connection options,
// ignoreCase matchers. Only A–Z fold, with no locale, as Envoy's absl::AsciiStrToLower; the one
// copy every module calls.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claimgate {

constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Equal ignoring ASCII case (field names are case-insensitive, RFC 9110 §5.1).
constexpr bool asciiIequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

inline std::string asciiLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

}  // namespace claimgate
