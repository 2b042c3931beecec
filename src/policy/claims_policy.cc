// Claim matching: the payload is walked in place (simdjson DOM, no copies); scalars are rendered
// into a stack buffer so the allow path does not allocate.
#include "policy/claims_policy.h"

#include <charconv>
#include <cmath>
#include <algorithm>
#include <set>

namespace claimgate::policy {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kScalarBuf = 40;

// `scope` (RFC 8693 §4.2 / RFC 6749 §3.3: space-delimited) and `scp` (Entra ID, Okta).
bool isScopeKey(std::string_view key) { return key == "scope" || key == "scp"; }

// Visits the space-separated words of `s` (runs of ' ' separate; empty words skipped).
template <typename F>
bool anyWord(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i && f(s.substr(i, j - i))) return true;
    i = j;
  }
  return false;
}

// Compact JSON text of `v` (strings quoted and escaped, so a claim cannot forge a log line), cut
// to kMaxSeenBytes. Deny path only.
std::string boundedJson(element v) {
  std::string out;
  std::string_view sv;
  char buf[kScalarBuf];
  if (v.type() != element_type::STRING && scalarText(v, buf, sizeof buf, &sv)) {
    out.assign(sv);
  } else {
    out = simdjson::minify(v);
  }
  if (out.size() > kMaxSeenBytes) {
    out.resize(kMaxSeenBytes - 3);
    out += "...";
  }
  return out;
}

}  // namespace

bool scalarText(element value, char* buf, size_t buf_len, std::string_view* out) {
  switch (value.type()) {
    case element_type::STRING:
      *out = value.get_string().value_unsafe();
      return true;
    case element_type::BOOL:
      *out = value.get_bool().value_unsafe() ? "true" : "false";
      return true;
    case element_type::INT64: {
      auto r = std::to_chars(buf, buf + buf_len, value.get_int64().value_unsafe());
      *out = std::string_view(buf, r.ptr - buf);
      return true;
    }
    case element_type::UINT64: {
      auto r = std::to_chars(buf, buf + buf_len, value.get_uint64().value_unsafe());
      *out = std::string_view(buf, r.ptr - buf);
      return true;
    }
    case element_type::DOUBLE: {
      double d = value.get_double().value_unsafe();
      std::to_chars_result r;
      // 2^53: every integer below it is exact, so "42.0" and "42" are the same claim value.
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
        r = std::to_chars(buf, buf + buf_len, static_cast<int64_t>(d));
      } else {
        r = std::to_chars(buf, buf + buf_len, d);  // shortest round-trip form
      }
      *out = std::string_view(buf, r.ptr - buf);
      return true;
    }
    default:
      return false;
  }
}

std::string_view decisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kAllow: return "allow";
    case DecisionKind::kClaimValues: return "claim values";
    case DecisionKind::kClaimNotValues: return "claim notValues";
    case DecisionKind::kRequiredScope: return "requiredScope";
    case DecisionKind::kNoPayload: return "no payload";
  }
  return "unknown";
}

std::string Decision::explain() const {
  std::string out;
  switch (kind) {
    case DecisionKind::kAllow:
      return "allow";
    case DecisionKind::kNoPayload:
      return "deny: no verified token (claims/requiredScopes need one)";
    case DecisionKind::kClaimValues:
      out = "deny: claims[" + std::to_string(rule_index) + "] (" + std::string(key) + ") values: ";
      out += claim_present ? "saw " + seen : "claim missing";
      return out;
    case DecisionKind::kClaimNotValues:
      out = "deny: claims[" + std::to_string(rule_index) + "] (" + std::string(key) +
            ") notValues \"" + std::string(expected) + "\" matched: saw " + seen;
      return out;
    case DecisionKind::kRequiredScope:
      out = "deny: requiredScopes[" + std::to_string(rule_index) + "] \"" + std::string(expected) +
            "\" not granted: ";
      out += claim_present ? std::string(key) + " " + seen : "no scope/scp claim";
      return out;
  }
  return out;
}

bool ClaimsPolicy::Pattern::matches(std::string_view s) const {
  switch (kind) {
    case Kind::kAny: return true;
    case Kind::kExact: return s == text;
    case Kind::kPrefix: return s.starts_with(text);
    case Kind::kSuffix: return s.ends_with(text);
    case Kind::kGlob: {
      // parts = literals around the '*'s: the first anchors the start, the last the end, and the
      // middle ones are found left to right (leftmost-first is enough for '*'-only globs).
      const std::string& first = parts.front();
      const std::string& last = parts.back();
      if (s.size() < first.size() + last.size()) return false;
      if (!s.starts_with(first) || !s.ends_with(last)) return false;
      std::string_view mid = s.substr(first.size(), s.size() - first.size() - last.size());
      for (size_t i = 1; i + 1 < parts.size(); ++i) {
        size_t at = mid.find(parts[i]);
        if (at == std::string_view::npos) return false;
        mid.remove_prefix(at + parts[i].size());
      }
      return true;
    }
  }
  return false;
}

ClaimsPolicy::Pattern ClaimsPolicy::compilePattern(const std::string& value) {
  Pattern p;
  p.source = value;
  p.text = value;
  size_t stars = std::count(value.begin(), value.end(), '*');
  if (value == "*") {
    p.kind = Pattern::Kind::kAny;
  } else if (stars == 0) {
    p.kind = Pattern::Kind::kExact;
  } else if (stars == 1 && value.back() == '*') {
    p.kind = Pattern::Kind::kPrefix;
    p.text.pop_back();
  } else if (stars == 1 && value.front() == '*') {
    p.kind = Pattern::Kind::kSuffix;
    p.text.erase(0, 1);
  } else {
    p.kind = Pattern::Kind::kGlob;
    size_t start = 0;
    for (;;) {
      size_t star = value.find('*', start);
      p.parts.push_back(value.substr(start, star - start));
      if (star == std::string::npos) break;
      start = star + 1;
    }
  }
  return p;
}

ClaimsPolicy ClaimsPolicy::compile(const PolicySpec& spec) {
  ClaimsPolicy policy;
  std::set<std::string> seen_keys;
  for (size_t i = 0; i < spec.claims.size(); ++i) {
    const ClaimRuleSpec& c = spec.claims[i];
    const std::string at = "claims[" + std::to_string(i) + "]";
    if (c.key.empty()) throw PolicyError(at + ".key", "must not be empty");
    if (c.values.empty() && c.not_values.empty()) {
      throw PolicyError(at, "needs at least one of values or notValues");
    }
    if (!seen_keys.insert(c.key).second) {
      throw PolicyError(at + ".key", "claim \"" + c.key + "\" appears twice (Gloo supports one "
                                     "entry per key; put all values in one entry)");
    }
    Rule rule;
    rule.key = c.key;
    if (c.nested_claim_delimiter.empty()) {
      rule.path.push_back(c.key);
    } else {
      const std::string& d = c.nested_claim_delimiter;
      size_t start = 0;
      for (;;) {
        size_t pos = c.key.find(d, start);
        std::string seg = c.key.substr(start, pos == std::string::npos ? pos : pos - start);
        if (seg.empty()) {
          throw PolicyError(at + ".key", "\"" + c.key + "\" has an empty segment when split on \"" +
                                         d + "\"");
        }
        rule.path.push_back(std::move(seg));
        if (pos == std::string::npos) break;
        start = pos + d.size();
      }
    }
    // A top-level scope claim is a space-separated list (RFC 6749 §3.3); Gloo documents
    // `claims: [{key: scope, values: [is:developer]}]` as matching one scope of several.
    rule.split_spaces = rule.path.size() == 1 && isScopeKey(rule.path[0]);
    for (const auto& v : c.values) rule.values.push_back(compilePattern(v));
    for (const auto& v : c.not_values) rule.not_values.push_back(compilePattern(v));
    policy.rules_.push_back(std::move(rule));
  }
  for (size_t i = 0; i < spec.required_scopes.size(); ++i) {
    const std::string& s = spec.required_scopes[i];
    const std::string at = "requiredScopes[" + std::to_string(i) + "]";
    if (s.empty()) throw PolicyError(at, "must not be empty");
    if (s.find(' ') != std::string::npos) {
      throw PolicyError(at, "\"" + s + "\" holds a space; scopes are space-separated, so it "
                            "could never be granted (list each scope separately)");
    }
    policy.scopes_.push_back(s);
  }
  return policy;
}

bool ClaimsPolicy::lookup(element payload, const std::vector<std::string>& path, element* out) {
  element cur = payload;
  for (const auto& seg : path) {
    if (cur.type() != element_type::OBJECT) return false;
    auto r = cur.get_object().value_unsafe().at_key(seg);
    if (r.error()) return false;
    cur = r.value_unsafe();
  }
  // A JSON null is no value: it fails `values` and passes `notValues`, as a missing claim.
  if (cur.type() == element_type::NULL_VALUE) return false;
  *out = cur;
  return true;
}

const ClaimsPolicy::Pattern* ClaimsPolicy::firstMatchScalar(const std::vector<Pattern>& patterns,
                                                            element v, bool split_spaces) {
  char buf[kScalarBuf];
  std::string_view text;
  const bool scalar = scalarText(v, buf, sizeof buf, &text);
  for (const Pattern& p : patterns) {
    // "*" = present with any value: also "", an object, a null inside a list.
    if (p.kind == Pattern::Kind::kAny) return &p;
    if (!scalar) continue;
    if (split_spaces && v.type() == element_type::STRING) {
      if (anyWord(text, [&](std::string_view w) { return p.matches(w); })) return &p;
    } else if (p.matches(text)) {
      return &p;
    }
  }
  return nullptr;
}

const ClaimsPolicy::Pattern* ClaimsPolicy::firstMatch(const std::vector<Pattern>& patterns,
                                                      element claim, bool split_spaces) {
  if (claim.type() != element_type::ARRAY) return firstMatchScalar(patterns, claim, split_spaces);
  // A list matches when any element does; elements are not split further.
  simdjson::dom::array list = claim.get_array().value_unsafe();
  for (element e : list) {
    if (const Pattern* p = firstMatchScalar(patterns, e, false)) return p;
  }
  return nullptr;
}

Decision ClaimsPolicy::evaluate(element payload) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    element claim;
    const bool present = lookup(payload, r.path, &claim);
    if (!r.values.empty() && (!present || !firstMatch(r.values, claim, r.split_spaces))) {
      Decision d;
      d.allowed = false;
      d.kind = DecisionKind::kClaimValues;
      d.rule_index = static_cast<int>(i);
      d.key = r.key;
      d.claim_present = present;
      if (present) d.seen = boundedJson(claim);
      return d;
    }
    if (present && !r.not_values.empty()) {
      if (const Pattern* p = firstMatch(r.not_values, claim, r.split_spaces)) {
        Decision d;
        d.allowed = false;
        d.kind = DecisionKind::kClaimNotValues;
        d.rule_index = static_cast<int>(i);
        d.key = r.key;
        d.expected = p->source;
        d.claim_present = true;
        d.seen = boundedJson(claim);
        return d;
      }
    }
  }
  if (scopes_.empty()) return Decision{};
  return evaluateScopes(payload);
}

Decision ClaimsPolicy::evaluateScopes(element payload) const {
  // `scope` (RFC 8693 §4.2), else `scp` (Entra ID / Okta); a string is space-separated, a list
  // holds one scope per string element; anything else grants nothing.
  std::string_view key = "scope";
  element claim;
  bool present = false;
  if (payload.type() == element_type::OBJECT) {
    auto obj = payload.get_object().value_unsafe();
    auto r = obj.at_key("scope");
    if (!r.error() && r.value_unsafe().type() != element_type::NULL_VALUE) {
      claim = r.value_unsafe();
      present = true;
    } else {
      auto r2 = obj.at_key("scp");
      if (!r2.error() && r2.value_unsafe().type() != element_type::NULL_VALUE) {
        claim = r2.value_unsafe();
        present = true;
        key = "scp";
      }
    }
  }
  for (size_t i = 0; i < scopes_.size(); ++i) {
    const std::string& want = scopes_[i];
    bool granted = false;
    if (present) {
      if (claim.type() == element_type::STRING) {
        granted = anyWord(claim.get_string().value_unsafe(),
                          [&](std::string_view w) { return w == want; });
      } else if (claim.type() == element_type::ARRAY) {
        simdjson::dom::array list = claim.get_array().value_unsafe();
        for (element e : list) {
          if (e.type() == element_type::STRING && e.get_string().value_unsafe() == want) {
            granted = true;
            break;
          }
        }
      }
    }
    if (!granted) {
      Decision d;
      d.allowed = false;
      d.kind = DecisionKind::kRequiredScope;
      d.rule_index = static_cast<int>(i);
      d.key = key;
      d.expected = want;
      d.claim_present = present;
      if (present) d.seen = boundedJson(claim);
      return d;
    }
  }
  return Decision{};
}

Decision ClaimsPolicy::evaluateWithoutPayload() const {
  if (empty()) return Decision{};
  Decision d;
  d.allowed = false;
  d.kind = DecisionKind::kNoPayload;
  return d;
}

}  // namespace claimgate::policy
