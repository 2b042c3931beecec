// Token parsing in jwt_verify_lib's order (src/jwt.cc at b59e8075), so the first failure is
// reported with Envoy's status. JSON goes through simdjson's DOM with bounded capacity and depth.
#include "jwt/jwt.h"

#include <algorithm>
#include <array>

#include "common/base64url.h"

namespace claimgate::jwt {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// One parser per thread: parsing is request-path work and must not lock. Its buffers are sized
// once for the largest token, so no parse allocates in the parser.
simdjson::dom::parser& threadParser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p(kMaxTokenBytes);
    // An allocation failure here only means parse() will try again (and fail cleanly).
    if (p.allocate(kMaxTokenBytes, kMaxJsonDepth) != simdjson::SUCCESS) return p;
    return p;
  }();
  return parser;
}

// simdjson reads up to SIMDJSON_PADDING bytes past the end; give it zeroed, owned bytes so it
// never needs to copy the input.
void padForSimdjson(std::string& s) {
  const size_t n = s.size();
  s.append(simdjson::SIMDJSON_PADDING, '\0');
  s.resize(n);
}

// RFC 7515 §4 / RFC 7519 §4: a header or claim set with duplicate member names must be rejected
// or read "last wins"; parsers disagree, so we reject (an Envoy token never has duplicates).
bool hasDuplicateKeys(object obj) {
  std::array<std::string_view, 32> small;
  std::vector<std::string_view> big;
  size_t n = 0;
  for (auto field : obj) {
    if (n < small.size()) {
      small[n] = field.key;
    } else {
      if (big.empty()) big.assign(small.begin(), small.end());
      big.push_back(field.key);
    }
    ++n;
  }
  auto check = [](auto begin, auto end) {
    std::sort(begin, end);
    return std::adjacent_find(begin, end) != end;
  };
  return big.empty() ? check(small.begin(), small.begin() + n) : check(big.begin(), big.end());
}

// jwt_verify_lib StructUtils::GetString: absent = OK (value untouched), present non-string
// (null included) = wrong type.
enum class Find : uint8_t { kOk, kMissing, kWrongType, kOutOfRange };

Find getString(object obj, std::string_view name, std::string& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return Find::kMissing;
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return Find::kWrongType;
  out.assign(s);
  return Find::kOk;
}

// jwt_verify_lib StructUtils::GetUInt64: any JSON number (protobuf reads them as doubles) with
// 0 <= v < 2^64, fractions truncated; anything else is the wrong type.
Find getUInt64(object obj, std::string_view name, uint64_t& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return Find::kMissing;
  constexpr double kTwoTo64 = 18446744073709551616.0;
  switch (e.type()) {
    case element_type::INT64: {
      const int64_t v = int64_t(e);
      if (v < 0) return Find::kOutOfRange;
      out = static_cast<uint64_t>(v);
      return Find::kOk;
    }
    case element_type::UINT64: {
      const uint64_t v = uint64_t(e);
      // Envoy compares the double: values that round up to 2^64 are out of range there too.
      if (static_cast<double>(v) >= kTwoTo64) return Find::kOutOfRange;
      out = v;
      return Find::kOk;
    }
    case element_type::DOUBLE: {
      const double v = double(e);
      if (!(v >= 0.0) || v >= kTwoTo64) return Find::kOutOfRange;
      out = static_cast<uint64_t>(v);
      return Find::kOk;
    }
    default:
      return Find::kWrongType;
  }
}

JwtStatus timeStatus(Find f, JwtStatus not_integer, JwtStatus out_of_range) {
  switch (f) {
    case Find::kWrongType:
      return not_integer;
    case Find::kOutOfRange:
      return out_of_range;
    default:
      return JwtStatus::kOk;
  }
}

}  // namespace

void Jwt::reset() {
  token_.clear();
  first_dot_ = second_dot_ = 0;
  header_json_.clear();
  payload_json_.clear();
  signature_.clear();
  alg_ = Alg::kRS256;
  kid_.clear();
  iss_.clear();
  sub_.clear();
  jti_.clear();
  audiences_.clear();
  iat_ = nbf_ = exp_ = 0;
}

JwtStatus Jwt::parse(std::string_view token, ParseMode mode) {
  reset();
  // Bounded work: refuse before decoding anything.
  if (token.size() > kMaxTokenBytes) return JwtStatus::kJwtBadFormat;

  // Exactly two dots and three non-empty segments. jwt_verify_lib splits with SkipEmpty and
  // wants three pieces, which refuses `a.b`, `a..c`, `a.b.c.d` and the unsigned `h.p.`; we also
  // refuse the forms where skipping empty pieces would hide a stray dot (`.a.b.c`, `a..b.c`),
  // so the bytes the signature covers are always exactly the first two segments as sent.
  const size_t d1 = token.find('.');
  if (d1 == std::string_view::npos || d1 == 0) return JwtStatus::kJwtBadFormat;
  const size_t d2 = token.find('.', d1 + 1);
  // RFC 7515 allows an empty payload; a JWT never has one (Envoy: kJwtBadFormat).
  const bool empty_payload_ok = mode == ParseMode::kJws;
  if (d2 == std::string_view::npos || (d2 == d1 + 1 && !empty_payload_ok) ||
      d2 + 1 == token.size() ||
      token.find('.', d2 + 1) != std::string_view::npos) {
    return JwtStatus::kJwtBadFormat;
  }
  token_.assign(token);
  first_dot_ = d1;
  second_dot_ = d2;
  const std::string_view tok(token_);

  if (const JwtStatus s = parseHeader(tok.substr(0, d1)); s != JwtStatus::kOk) return s;

  const std::string_view payload_segment = tok.substr(d1 + 1, d2 - d1 - 1);
  if (mode == ParseMode::kJws) {
    if (!base64UrlDecode(payload_segment, payload_json_)) {
      return JwtStatus::kJwtPayloadParseErrorBadBase64;
    }
  } else if (const JwtStatus s = parsePayload(payload_segment); s != JwtStatus::kOk) {
    return s;
  }

  if (!base64UrlDecode(tok.substr(d2 + 1), signature_)) {
    return JwtStatus::kJwtSignatureParseErrorBadBase64;
  }
  return JwtStatus::kOk;
}

JwtStatus Jwt::parseHeader(std::string_view segment) {
  if (!base64UrlDecode(segment, header_json_)) return JwtStatus::kJwtHeaderParseErrorBadBase64;
  padForSimdjson(header_json_);
  element root;
  object obj;
  if (threadParser().parse(header_json_.data(), header_json_.size(), false).get(root) !=
          simdjson::SUCCESS ||
      root.get_object().get(obj) != simdjson::SUCCESS || hasDuplicateKeys(obj)) {
    return JwtStatus::kJwtHeaderParseErrorBadJson;
  }
  std::string alg;
  if (getString(obj, "alg", alg) != Find::kOk) return JwtStatus::kJwtHeaderBadAlg;
  const auto parsed = algFromName(alg);
  if (!parsed) return JwtStatus::kJwtHeaderNotImplementedAlg;
  alg_ = *parsed;
  if (getString(obj, "kid", kid_) == Find::kWrongType) return JwtStatus::kJwtHeaderBadKid;
  return JwtStatus::kOk;
}

JwtStatus Jwt::parsePayload(std::string_view segment) {
  if (!base64UrlDecode(segment, payload_json_)) return JwtStatus::kJwtPayloadParseErrorBadBase64;
  padForSimdjson(payload_json_);
  element root;
  object obj;
  if (threadParser()
              .parse_into_document(payload_doc_, payload_json_.data(), payload_json_.size(), false)
              .get(root) != simdjson::SUCCESS ||
      root.get_object().get(obj) != simdjson::SUCCESS || hasDuplicateKeys(obj)) {
    return JwtStatus::kJwtPayloadParseErrorBadJson;
  }
  if (getString(obj, "iss", iss_) == Find::kWrongType) {
    return JwtStatus::kJwtPayloadParseErrorIssNotString;
  }
  if (getString(obj, "sub", sub_) == Find::kWrongType) {
    return JwtStatus::kJwtPayloadParseErrorSubNotString;
  }
  if (JwtStatus s = timeStatus(getUInt64(obj, "iat", iat_),
                               JwtStatus::kJwtPayloadParseErrorIatNotInteger,
                               JwtStatus::kJwtPayloadParseErrorIatOutOfRange);
      s != JwtStatus::kOk) {
    return s;
  }
  if (JwtStatus s = timeStatus(getUInt64(obj, "nbf", nbf_),
                               JwtStatus::kJwtPayloadParseErrorNbfNotInteger,
                               JwtStatus::kJwtPayloadParseErrorNbfOutOfRange);
      s != JwtStatus::kOk) {
    return s;
  }
  if (JwtStatus s = timeStatus(getUInt64(obj, "exp", exp_),
                               JwtStatus::kJwtPayloadParseErrorExpNotInteger,
                               JwtStatus::kJwtPayloadParseErrorExpOutOfRange);
      s != JwtStatus::kOk) {
    return s;
  }
  if (getString(obj, "jti", jti_) == Find::kWrongType) {
    return JwtStatus::kJwtPayloadParseErrorJtiNotString;
  }
  // RFC 7519 §4.1.3: "aud" is a string or an array of strings.
  element aud;
  if (obj.at_key("aud").get(aud) == simdjson::SUCCESS) {
    std::string_view s;
    simdjson::dom::array list;
    if (aud.get_string().get(s) == simdjson::SUCCESS) {
      audiences_.emplace_back(s);
    } else if (aud.get_array().get(list) == simdjson::SUCCESS) {
      for (element item : list) {
        if (item.get_string().get(s) != simdjson::SUCCESS) {
          return JwtStatus::kJwtPayloadParseErrorAudNotString;
        }
        audiences_.emplace_back(s);
      }
    } else {
      return JwtStatus::kJwtPayloadParseErrorAudNotString;
    }
  }
  return JwtStatus::kOk;
}

std::string_view Jwt::signedPart() const {
  return std::string_view(token_).substr(0, second_dot_);
}

std::string_view Jwt::payloadSegment() const {
  return std::string_view(token_).substr(first_dot_ + 1, second_dot_ - first_dot_ - 1);
}

}  // namespace claimgate::jwt
