// Compiled request matchers (gloo-api.md §5, HTTPRequestMatcher): built once from config structs,
// matched with const methods. Within one RequestMatcher every condition must hold (AND); a
// MatcherSet holds the route's `matchers[]` (OR; an empty set matches everything).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/resources.h"
#include "router/request.h"

namespace re2 {
class RE2;
}

namespace claimgate::router {

// uri / header value / query value matcher. Regexes are RE2 full matches (Envoy safe_regex).
class StringMatcher {
 public:
  enum class Kind { kExact, kPrefix, kSuffix, kRegex, kPresent };

  // Returns nullptr-equivalent (nullopt) and sets `error` when a regex does not compile.
  static std::optional<StringMatcher> create(Kind kind, std::string value, bool ignore_case,
                                             std::string* error);
  StringMatcher(StringMatcher&&) noexcept;
  StringMatcher& operator=(StringMatcher&&) noexcept;
  ~StringMatcher();

  bool match(std::string_view s) const;
  // A literal every string this matcher accepts starts with (case-sensitively): the value of an
  // exact or prefix matcher, the common prefix of the range a regex can match (RE2's
  // PossibleMatchRange); empty when there is none (suffix, present, ignore_case, `.*...`).
  std::string literalPrefix() const;
  Kind kind() const { return kind_; }
  const std::string& value() const { return value_; }

 private:
  StringMatcher(Kind kind, std::string value, bool ignore_case);
  Kind kind_;
  std::string value_;
  bool ignore_case_ = false;
  std::unique_ptr<re2::RE2> re_;
};

class RequestMatcher {
 public:
  struct Header {
    std::string name;  // lower-case
    StringMatcher value;
    bool invert = false;
  };
  struct Query {
    std::string name;
    StringMatcher value;
  };

  bool match(const RequestHead& req) const;

  std::optional<StringMatcher> uri;
  std::vector<Header> headers;
  std::vector<Query> query_parameters;
  std::string method;   // empty = any
  bool never = false;   // `port` names another listener: this matcher can never match
};

struct MatcherSet {
  std::vector<RequestMatcher> any_of;  // empty = match all
  // The matcher that matched (nullptr for an empty set), or nullopt when none did.
  std::optional<const RequestMatcher*> match(const RequestHead& req) const;
};

// A necessary condition on the path for a route's matcher chain to match, checked before the
// chain itself so that a request skips most non-matching routes with a prefix comparison or
// two (a regex or header matcher costs far more). Sound by construction: mayMatch() is false
// only when the chain cannot match.
class PathFilter {
 public:
  static PathFilter forChain(const std::vector<std::shared_ptr<const MatcherSet>>& chain);
  bool mayMatch(std::string_view path) const {
    if (never_) return false;
    if (prefixes_.empty()) return true;
    for (const auto& p : prefixes_)
      if (path.starts_with(p)) return true;
    return false;
  }
  bool never() const { return never_; }
  const std::vector<std::string>& prefixes() const { return prefixes_; }  // empty: any path

 private:
  bool never_ = false;                 // some level has only matchers for another port
  std::vector<std::string> prefixes_;  // the path starts with one of these
};

// Compiles `matchers` for a listener on `listener_port`. Errors (bad regex) go to `errors` as
// (index path suffix, message) pairs; the caller reports them with the resource context.
struct MatcherError {
  std::string field;  // relative, e.g. "matchers[0].uri.regex"
  std::string message;
};
MatcherSet compileMatchers(const std::vector<config::HttpRequestMatcher>& matchers,
                           std::uint32_t listener_port, std::vector<MatcherError>& errors);

// The value of a query parameter (first occurrence, not URL-decoded, as Envoy's route
// matching); nullopt when absent.
std::optional<std::string_view> findQueryParameter(std::string_view query, std::string_view name);

}  // namespace claimgate::router
