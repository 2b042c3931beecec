// Token extraction as Envoy's jwt_authn extractor.cc: where a provider looks for tokens
// (tokenSource headers with a prefix, query parameters, cookies) and what it finds there.
// No HTTP library types: callers hand in views of the request (see RequestView).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace claimgate::jwt {

// One request header field (views into the caller's buffer). Same shape as http::HeaderView,
// kept separate so jwt/ does not depend on http/.
struct HeaderView {
  std::string_view name, value;
};

// What the extractor reads of a request. Views valid for the duration of the call.
struct RequestView {
  std::span<const HeaderView> headers;  // all fields, in order, names as sent
  std::string_view target;              // request-target: path?query
};

// Where one provider looks (Gloo `tokenSource`; `cookies` is a claimgate extension).
struct HeaderLocation {
  std::string name;    // case-insensitive
  std::string prefix;  // case-sensitive, searched anywhere in the value; empty = whole value
};
struct TokenLocations {
  std::vector<HeaderLocation> headers;
  std::vector<std::string> query_params;
  std::vector<std::string> cookies;

  bool empty() const { return headers.empty() && query_params.empty() && cookies.empty(); }
  // Envoy's defaults when nothing is configured: `Authorization` with prefix "Bearer " (capital
  // B, one space) and the query parameter `access_token`. Returns *this unchanged otherwise.
  TokenLocations withDefaults() const;
};

enum class LocationKind : uint8_t { kHeader, kQuery, kCookie };

// One distinct place tokens come from, shared by the providers that configured it.
struct Location {
  LocationKind kind = LocationKind::kHeader;
  std::string name;    // header name lower-cased; query parameter / cookie name as configured
  std::string prefix;  // headers only
  uint64_t providers = 0;  // bit i set: provider i configured this location
};

// A token found in a request.
class ExtractedToken {
 public:
  ExtractedToken(uint16_t location, std::string_view view) : location_(location), view_(view) {}
  ExtractedToken(uint16_t location, std::string owned)
      : location_(location), owned_(std::move(owned)), is_owned_(true) {}

  uint16_t location() const { return location_; }  // index into Extractor::locations()
  // The token text: a view into the request for headers, a decoded copy for query and cookies.
  std::string_view value() const { return is_owned_ ? std::string_view(owned_) : view_; }

 private:
  uint16_t location_;
  std::string_view view_;
  std::string owned_;
  bool is_owned_ = false;
};

// The tokens of one request: inline storage for the usual few, so extraction does not allocate.
using TokenList = boost::container::small_vector<ExtractedToken, 4>;

// Most providers in one requirement (the per-location provider set is a 64-bit mask).
inline constexpr size_t kMaxProviders = 64;

class Extractor {
 public:
  Extractor() = default;
  // One TokenLocations per provider, in provider order (defaults applied by the caller or not:
  // an empty TokenLocations gets withDefaults() here). Throws std::invalid_argument for more than
  // kMaxProviders providers, an empty header name, or an empty query/cookie name.
  explicit Extractor(const std::vector<TokenLocations>& per_provider);

  const std::vector<Location>& locations() const { return locations_; }

  // Every token at every location, in location order (headers, then query parameters, then
  // cookies, each in configuration order). Appends to `out`.
  //   headers: every field with the name (case-insensitive), every value: with a prefix, the
  //     value must contain it (case-sensitive, anywhere); the token starts at the first character
  //     of [A-Za-z0-9-_.] after it and runs to the end of the value (trailing junk kept, so it
  //     fails to parse); no such character: the whole value. Empty prefix: the whole value.
  //   query: the first occurrence of the name, percent-decoded ('+' stays '+').
  //   cookies: every Cookie field split on ';', first occurrence, surrounding '"' stripped.
  void extract(const RequestView& request, TokenList& out) const;

 private:
  std::vector<Location> locations_;
  size_t first_query_ = 0, first_cookie_ = 0;  // where each kind starts in locations_
};

// Percent-decodes (RFC 3986 §2.1) `in`; an invalid escape is kept as is. '+' is not a space.
std::string percentDecode(std::string_view in);

// The request target without every query parameter named in `names` (compared after
// percent-decoding the parameter name); the other parameters are kept byte for byte and in
// order. The '?' goes when no parameter is left.
std::string removeQueryParams(std::string_view target, std::span<const std::string_view> names);

}  // namespace claimgate::jwt
