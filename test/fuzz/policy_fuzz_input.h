// The policy fuzzer's input format, shared with the unit test that proves its seeds valid
// (test/policy/policy_corpus_test.cc). Lines separated by '\n':
//   line 0        the JWT payload (JSON)
//   "c KEY"       starts a claims entry       "v VALUE"  adds to its values
//   "n VALUE"     adds to its notValues       "d DELIM"  sets its nestedClaimDelimiter
//   "s SCOPE"     adds a required scope       "g PATTERN\tTEXT"  a glob differential check
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/claims_policy.h"

namespace claimgate::policy::fuzz {

struct Input {
  std::string payload;
  PolicySpec spec;
  std::vector<std::pair<std::string, std::string>> globs;  // pattern, text
};

inline Input decode(std::string_view data) {
  Input in;
  size_t nl = data.find('\n');
  in.payload = std::string(data.substr(0, nl));
  data = nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
  while (!data.empty()) {
    nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
    if (line.size() < 2 || line[1] != ' ') continue;
    std::string arg(line.substr(2));
    switch (line[0]) {
      case 'c': in.spec.claims.push_back(ClaimRuleSpec{arg, {}, {}, ""}); break;
      case 'v': if (!in.spec.claims.empty()) in.spec.claims.back().values.push_back(arg); break;
      case 'n': if (!in.spec.claims.empty()) in.spec.claims.back().not_values.push_back(arg); break;
      case 'd': if (!in.spec.claims.empty()) in.spec.claims.back().nested_claim_delimiter = arg; break;
      case 's': in.spec.required_scopes.push_back(arg); break;
      case 'g': {
        size_t tab = arg.find('\t');
        if (tab != std::string::npos) in.globs.emplace_back(arg.substr(0, tab), arg.substr(tab + 1));
        break;
      }
      default: break;
    }
  }
  return in;
}

// Reference glob: '*' matches any run (also empty), everything else literally. Exponential in
// the worst case, so callers bound the sizes.
// The textbook dynamic programme (O(|p|·|s|)): m[i][j] = p[0..i) matches s[0..j). A naive
// recursive matcher is exponential in the number of '*'s and made the fuzzer time out.
inline bool referenceGlob(std::string_view p, std::string_view s) {
  std::vector<std::vector<char>> m(p.size() + 1, std::vector<char>(s.size() + 1, 0));
  m[0][0] = 1;
  for (size_t i = 1; i <= p.size(); ++i) {
    for (size_t j = 0; j <= s.size(); ++j) {
      if (p[i - 1] == '*') {
        m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
      } else {
        m[i][j] = j > 0 && m[i - 1][j - 1] && p[i - 1] == s[j - 1];
      }
    }
  }
  return m[p.size()][s.size()];
}

// A JSON string literal for s.
inline std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace claimgate::policy::fuzz
