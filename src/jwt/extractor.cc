// Mirrors Envoy source/extensions/filters/http/jwt_authn/extractor.cc (the post-#27877 token
// scan) and source/common/http/utility.cc forEachCookie.
#include "jwt/extractor.h"

#include <stdexcept>

#include "common/ascii.h"

namespace claimgate::jwt {
namespace {

bool isTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view queryOf(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  // A fragment is not part of a request-target (RFC 9112 §3.2), but cut one if a client sent it.
  return query.substr(0, query.find('#'));
}

// Calls f(raw_name, raw_value, raw_pair) for each '&'-separated parameter; stops when f is true.
template <typename F>
void forEachParam(std::string_view query, F&& f) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (f(name, value)) return;
  }
}

bool nameEquals(std::string_view raw, std::string_view want) {
  if (raw.find('%') == std::string_view::npos) return raw == want;
  return percentDecode(raw) == want;
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

TokenLocations TokenLocations::withDefaults() const {
  if (!empty()) return *this;
  TokenLocations d;
  d.headers.push_back(HeaderLocation{"Authorization", "Bearer "});
  d.query_params.push_back("access_token");
  return d;
}

Extractor::Extractor(const std::vector<TokenLocations>& per_provider) {
  if (per_provider.size() > kMaxProviders) {
    throw std::invalid_argument("at most " + std::to_string(kMaxProviders) +
                                " providers per policy are supported");
  }
  // Locations are keyed like Envoy's: lower-cased header name + prefix, parameter name, cookie
  // name. Built kind by kind so that each kind is contiguous.
  std::vector<Location> headers, queries, cookies;
  auto add = [](std::vector<Location>& list, LocationKind kind, std::string name,
                std::string prefix, size_t provider) {
    for (Location& l : list) {
      if (l.name == name && l.prefix == prefix) {
        l.providers |= uint64_t{1} << provider;
        return;
      }
    }
    list.push_back(Location{kind, std::move(name), std::move(prefix), uint64_t{1} << provider});
  };
  for (size_t p = 0; p < per_provider.size(); ++p) {
    const TokenLocations locs = per_provider[p].withDefaults();
    for (const HeaderLocation& h : locs.headers) {
      if (h.name.empty()) throw std::invalid_argument("tokenSource.headers[].name must not be empty");
      add(headers, LocationKind::kHeader, asciiLowerCopy(h.name), h.prefix, p);
    }
    for (const std::string& q : locs.query_params) {
      if (q.empty()) throw std::invalid_argument("tokenSource.queryParams[] must not be empty");
      add(queries, LocationKind::kQuery, q, "", p);
    }
    for (const std::string& c : locs.cookies) {
      if (c.empty()) throw std::invalid_argument("tokenSource.cookies[] must not be empty");
      add(cookies, LocationKind::kCookie, c, "", p);
    }
  }
  locations_ = std::move(headers);
  first_query_ = locations_.size();
  locations_.insert(locations_.end(), queries.begin(), queries.end());
  first_cookie_ = locations_.size();
  locations_.insert(locations_.end(), cookies.begin(), cookies.end());
}

void Extractor::extract(const RequestView& request, TokenList& out) const {
  for (size_t i = 0; i < first_query_; ++i) {
    const Location& loc = locations_[i];
    for (const HeaderView& h : request.headers) {
      if (!asciiIequals(h.name, loc.name)) continue;
      std::string_view value = h.value;
      if (loc.prefix.empty()) {
        out.emplace_back(static_cast<uint16_t>(i), value);
        continue;
      }
      size_t at = value.find(loc.prefix);
      if (at == std::string_view::npos) continue;  // no prefix: this value holds no token
      size_t start = at + loc.prefix.size();
      while (start < value.size() && !isTokenChar(value[start])) ++start;
      // Envoy: no token character after the prefix -> the whole value is the "token".
      out.emplace_back(static_cast<uint16_t>(i),
                       start == value.size() ? value : value.substr(start));
    }
  }
  if (first_cookie_ > first_query_) {
    std::string_view query = queryOf(request.target);
    for (size_t i = first_query_; i < first_cookie_; ++i) {
      const Location& loc = locations_[i];
      forEachParam(query, [&](std::string_view name, std::string_view value) {
        if (!nameEquals(name, loc.name)) return false;
        out.emplace_back(static_cast<uint16_t>(i), percentDecode(value));
        return true;  // first occurrence only
      });
    }
  }
  for (size_t i = first_cookie_; i < locations_.size(); ++i) {
    const Location& loc = locations_[i];
    bool found = false;
    for (const HeaderView& h : request.headers) {
      if (found) break;
      if (!asciiIequals(h.name, "cookie")) continue;
      std::string_view rest = h.value;
      while (!found && !rest.empty()) {
        size_t semi = rest.find(';');
        std::string_view pair = trimSpaces(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) != loc.name) continue;
        std::string_view value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        out.emplace_back(static_cast<uint16_t>(i), std::string(value));
        found = true;
      }
    }
  }
}

std::string removeQueryParams(std::string_view target, std::span<const std::string_view> names) {
  size_t q = target.find('?');
  if (q == std::string_view::npos || names.empty()) return std::string(target);
  std::string out(target.substr(0, q));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    std::string_view name = pair.substr(0, pair.find('='));
    bool drop = false;
    for (std::string_view n : names) {
      if (!pair.empty() && nameEquals(name, n)) {
        drop = true;
        break;
      }
    }
    if (drop) continue;
    out += first ? '?' : '&';
    out.append(pair);
    first = false;
  }
  return out;
}

}  // namespace claimgate::jwt
