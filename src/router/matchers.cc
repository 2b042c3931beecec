#include "router/matchers.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <re2/re2.h>

#include "common/ascii.h"

namespace claimgate::router {

namespace {

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && asciiIequals(s.substr(0, prefix.size()), prefix);
}

bool endsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && asciiIequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

std::optional<std::string_view> findQueryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

StringMatcher::StringMatcher(Kind kind, std::string value, bool ignore_case)
    : kind_(kind), value_(std::move(value)), ignore_case_(ignore_case) {}
StringMatcher::StringMatcher(StringMatcher&&) noexcept = default;
StringMatcher& StringMatcher::operator=(StringMatcher&&) noexcept = default;
StringMatcher::~StringMatcher() = default;

std::optional<StringMatcher> StringMatcher::create(Kind kind, std::string value, bool ignore_case,
                                                   std::string* error) {
  StringMatcher m(kind, std::move(value), ignore_case);
  if (kind == Kind::kRegex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    // ignoreCase has no effect on a regex (Envoy/Gloo); (?i) in the pattern does.
    m.re_ = std::make_unique<RE2>(m.value_, opts);
    if (!m.re_->ok()) {
      if (error) *error = fmt::format("invalid RE2 regex \"{}\": {}", m.value_, m.re_->error());
      return std::nullopt;
    }
  }
  return m;
}

bool StringMatcher::match(std::string_view s) const {
  switch (kind_) {
    case Kind::kPresent:
      return true;
    case Kind::kExact:
      return ignore_case_ ? asciiIequals(s, value_) : s == value_;
    case Kind::kPrefix:
      return ignore_case_ ? startsWithIgnoreCase(s, value_) : s.starts_with(value_);
    case Kind::kSuffix:
      return ignore_case_ ? endsWithIgnoreCase(s, value_) : s.ends_with(value_);
    case Kind::kRegex:
      return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *re_);
  }
  return false;
}

std::string StringMatcher::literalPrefix() const {
  switch (kind_) {
    case Kind::kExact:
    case Kind::kPrefix:
      return ignore_case_ ? std::string() : value_;
    case Kind::kRegex: {
      // Every anchored match s satisfies min <= s <= max, so s starts with their common prefix.
      std::string min, max;
      if (!re_ || !re_->PossibleMatchRange(&min, &max, 64)) return {};
      std::size_t n = 0;
      while (n < min.size() && n < max.size() && min[n] == max[n]) ++n;
      return min.substr(0, n);
    }
    case Kind::kSuffix:
    case Kind::kPresent:
      return {};
  }
  return {};
}

PathFilter PathFilter::forChain(const std::vector<std::shared_ptr<const MatcherSet>>& chain) {
  PathFilter best;
  std::size_t best_min = 0;  // the shortest prefix of `best`: the larger, the more selective
  for (const auto& level : chain) {
    if (!level || level->any_of.empty()) continue;  // matches any path
    std::vector<std::string> alternatives;
    bool constrained = true;
    for (const auto& m : level->any_of) {
      if (m.never) continue;  // cannot match: adds no alternative
      std::string p = m.uri ? m.uri->literalPrefix() : std::string();
      if (p.empty()) {
        constrained = false;  // this alternative matches paths of any prefix
        break;
      }
      alternatives.push_back(std::move(p));
    }
    if (!constrained) continue;
    if (alternatives.empty()) {  // every alternative is for another port
      PathFilter never;
      never.never_ = true;
      return never;
    }
    std::size_t shortest = alternatives.front().size();
    for (const auto& a : alternatives) shortest = std::min(shortest, a.size());
    if (shortest > best_min) {
      best_min = shortest;
      best.prefixes_ = std::move(alternatives);
    }
  }
  return best;
}

bool RequestMatcher::match(const RequestHead& req) const {
  if (never) return false;
  if (!method.empty() && req.method != method) return false;
  if (uri && !uri->match(req.path)) return false;
  for (const auto& h : headers) {
    // Envoy joins the values of a repeated header with ',' before matching.
    std::optional<std::string_view> value;
    std::string joined;
    for (const auto& rh : req.headers) {
      if (!asciiIequals(rh.name, h.name)) continue;
      if (!value) {
        value = rh.value;
      } else {
        if (joined.empty()) joined.assign(value->data(), value->size());
        joined += ',';
        joined.append(rh.value.data(), rh.value.size());
      }
    }
    if (!joined.empty()) value = joined;
    bool ok = value && h.value.match(*value);
    if (ok == h.invert) return false;
  }
  for (const auto& q : query_parameters) {
    auto v = findQueryParameter(req.query, q.name);
    if (!v || !q.value.match(*v)) return false;
  }
  return true;
}

std::optional<const RequestMatcher*> MatcherSet::match(const RequestHead& req) const {
  if (any_of.empty()) return static_cast<const RequestMatcher*>(nullptr);
  for (const auto& m : any_of)
    if (m.match(req)) return &m;
  return std::nullopt;
}

MatcherSet compileMatchers(const std::vector<config::HttpRequestMatcher>& matchers,
                           std::uint32_t listener_port, std::vector<MatcherError>& errors) {
  MatcherSet set;
  for (std::size_t i = 0; i < matchers.size(); ++i) {
    const auto& c = matchers[i];
    RequestMatcher m;
    m.method = c.method;
    m.never = c.port && *c.port != listener_port;
    std::string err;
    if (c.uri) {
      using K = config::StringMatch::Kind;
      StringMatcher::Kind kind = StringMatcher::Kind::kPrefix;
      switch (c.uri->kind) {
        case K::kExact: kind = StringMatcher::Kind::kExact; break;
        case K::kPrefix: kind = StringMatcher::Kind::kPrefix; break;
        case K::kSuffix: kind = StringMatcher::Kind::kSuffix; break;
        case K::kRegex: kind = StringMatcher::Kind::kRegex; break;
      }
      m.uri = StringMatcher::create(kind, c.uri->value, c.uri->ignore_case, &err);
      if (!m.uri) errors.push_back({fmt::format("matchers[{}].uri.regex", i), err});
    }
    for (std::size_t j = 0; j < c.headers.size(); ++j) {
      const auto& h = c.headers[j];
      auto kind = h.value.empty() ? StringMatcher::Kind::kPresent
                  : h.regex       ? StringMatcher::Kind::kRegex
                                  : StringMatcher::Kind::kExact;
      auto v = StringMatcher::create(kind, h.value, false, &err);
      if (!v) {
        errors.push_back({fmt::format("matchers[{}].headers[{}].value", i, j), err});
        continue;
      }
      m.headers.push_back({asciiLowerCopy(h.name), std::move(*v), h.invert_match});
    }
    for (std::size_t j = 0; j < c.query_parameters.size(); ++j) {
      const auto& q = c.query_parameters[j];
      auto kind = q.value.empty() ? StringMatcher::Kind::kPresent
                  : q.regex       ? StringMatcher::Kind::kRegex
                                  : StringMatcher::Kind::kExact;
      auto v = StringMatcher::create(kind, q.value, false, &err);
      if (!v) {
        errors.push_back({fmt::format("matchers[{}].queryParameters[{}].value", i, j), err});
        continue;
      }
      m.query_parameters.push_back({q.name, std::move(*v)});
    }
    set.any_of.push_back(std::move(m));
  }
  return set;
}

}  // namespace claimgate::router
