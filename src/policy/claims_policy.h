// ClaimsPolicy: a JWTPolicy's `claims` and `requiredScopes` (Gloo Platform 2.4+), compiled once
// into an immutable matcher; evaluate() decides allow/deny for one verified JWT payload and says
// which rule decided. Rules are documented in docs/policy.md.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace claimgate::policy {

// Plain inputs, as config/ decodes them from `spec.config`.
struct ClaimRuleSpec {
  std::string key;
  std::vector<std::string> values;      // ORed; "*" = present; other '*' are globs
  std::vector<std::string> not_values;  // deny if any matches
  std::string nested_claim_delimiter;   // empty: `key` is one top-level claim name
};

struct PolicySpec {
  std::vector<ClaimRuleSpec> claims;         // ANDed
  std::vector<std::string> required_scopes;  // ANDed over `scope` (or `scp`)
};

// A spec that cannot be compiled. `fieldPath()` is relative to `spec.config`
// (e.g. "claims[1].values[0]"); config/ and snapshot/ prefix file, document and resource.
class PolicyError : public std::runtime_error {
 public:
  PolicyError(std::string field_path, const std::string& message)
      : std::runtime_error(field_path + ": " + message), field_path_(std::move(field_path)) {}
  const std::string& fieldPath() const { return field_path_; }

 private:
  std::string field_path_;
};

// Which rule decided.
enum class DecisionKind : uint8_t {
  kAllow,          // every rule passed (or there are none)
  kClaimValues,    // claims[rule_index]: no element matched `values` (or the claim is missing)
  kClaimNotValues, // claims[rule_index]: an element matched `notValues`
  kRequiredScope,  // requiredScopes[rule_index] is not among the token's scopes
  kNoPayload,      // no verified token (ALLOW_MISSING / ALLOW_MISSING_OR_FAILED) and rules exist
};

std::string_view decisionKindName(DecisionKind kind);

// Longest `seen` value kept in a Decision (longer ones are cut and end with "...").
inline constexpr size_t kMaxSeenBytes = 128;

struct Decision {
  bool allowed = true;
  DecisionKind kind = DecisionKind::kAllow;
  int rule_index = -1;          // index into claims[] or requiredScopes[]; -1 for kAllow/kNoPayload
  std::string_view key;         // claim key (kClaim*), "scope"/"scp" (kRequiredScope); into the policy
  std::string_view expected;    // kClaimNotValues: the notValues entry that matched;
                                // kRequiredScope: the missing scope. Into the policy.
  bool claim_present = false;   // whether the deciding claim was in the payload
  std::string seen;             // what the rule saw (compact JSON text, bounded); empty on allow

  // One line for logs: "deny: claims[1] (org) values: saw \"external\"".
  std::string explain() const;
};

class ClaimsPolicy {
 public:
  // Compiles and validates; throws PolicyError for: an empty key, an entry with neither
  // `values` nor `notValues`, a key that appears twice, an empty or space-holding required scope,
  // an empty nestedClaimDelimiter-split segment (e.g. "a..b").
  static ClaimsPolicy compile(const PolicySpec& spec);

  ClaimsPolicy() = default;  // no rules: allows everything

  // True when there is no claim rule and no required scope.
  bool empty() const { return rules_.empty() && scopes_.empty(); }

  // Decides for a verified token's payload (the JWT payload object). Claims rules first, in
  // order, then required scopes, in order; the first failing rule decides. Does not allocate when
  // it allows.
  Decision evaluate(simdjson::dom::element payload) const;

  // Decides when there is no verified token (ALLOW_MISSING without token): deny if any rule
  // exists, allow otherwise.
  Decision evaluateWithoutPayload() const;

  size_t claimRuleCount() const { return rules_.size(); }
  size_t requiredScopeCount() const { return scopes_.size(); }

 private:
  // One compiled policy value.
  struct Pattern {
    enum class Kind : uint8_t { kAny, kExact, kPrefix, kSuffix, kGlob } kind = Kind::kExact;
    std::string source;              // the policy value as written ("*@x.io")
    std::string text;                // kExact/kPrefix/kSuffix: the literal
    std::vector<std::string> parts;  // kGlob: the literals between '*'s (first/last may be empty)
    bool matches(std::string_view s) const;
  };
  struct Rule {
    std::string key;
    std::vector<std::string> path;  // key split on the delimiter (one segment without one)
    std::vector<Pattern> values, not_values;
    bool split_spaces = false;      // `scope`/`scp`: a string is a space-separated list
  };

  static Pattern compilePattern(const std::string& value);
  // The first pattern in `patterns` that matches `claim` (element-wise for lists), or nullptr.
  static const Pattern* firstMatch(const std::vector<Pattern>& patterns,
                                   simdjson::dom::element claim, bool split_spaces);
  static const Pattern* firstMatchScalar(const std::vector<Pattern>& patterns,
                                         simdjson::dom::element scalar, bool split_spaces);
  static bool lookup(simdjson::dom::element payload, const std::vector<std::string>& path,
                     simdjson::dom::element* out);
  Decision evaluateScopes(simdjson::dom::element payload) const;

  std::vector<Rule> rules_;
  std::vector<std::string> scopes_;
};

// Renders a scalar claim as policy values see it: strings as is, bools as true/false, integers
// in decimal, other doubles in the shortest text that reads back to the same double (1.5, 1e+300).
// Integral doubles with magnitude below 2^53 render as integers (42.0 -> "42"). Writes into `buf`
// (at least 32 bytes) for numbers and bools; returns false for arrays, objects and null.
bool scalarText(simdjson::dom::element value, char* buf, size_t buf_len, std::string_view* out);

}  // namespace claimgate::policy
