// Jwt: a parsed, not yet verified, compact JWS token (RFC 7519), checked in jwt_verify_lib's
// order so the first failure reported is Envoy's. Owns copies of everything it needs (the token
// text, the decoded parts and the payload's simdjson document) so that it can be kept in a
// verified-token cache after the request buffer is gone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/status.h"
#include "jwt/alg.h"

namespace claimgate::jwt {

// Tokens longer than this are refused as kJwtBadFormat before any decoding (bounded work).
inline constexpr size_t kMaxTokenBytes = 64 * 1024;
// Deepest JSON nesting accepted in the header and payload (protobuf's JSON parser, which Envoy
// uses, stops at 100 too). Deeper input is a JSON error, never a stack overflow.
inline constexpr size_t kMaxJsonDepth = 100;

enum class ParseMode : uint8_t {
  kJwt,  // a JWT: the payload must be a JSON object with well-typed registered claims
  kJws,  // a bare JWS (RFC 7515): the payload is opaque bytes; for the conformance tests
};

class Jwt {
 public:
  Jwt() = default;
  Jwt(const Jwt&) = delete;
  Jwt& operator=(const Jwt&) = delete;
  Jwt(Jwt&&) noexcept = default;
  Jwt& operator=(Jwt&&) noexcept = default;

  // Parses `token`. Order: size bound -> split -> header base64 -> header JSON -> alg -> kid ->
  // payload base64 -> payload JSON (an object) -> iss, sub, iat, nbf, exp, jti, aud types ->
  // signature base64. Returns kOk or the first failure. May be called again to reuse buffers.
  // No exceptions, no clock.
  JwtStatus parse(std::string_view token, ParseMode mode = ParseMode::kJwt);

  Alg alg() const { return alg_; }
  // True when the header has a non-empty "kid" (Envoy treats "kid":"" as no kid).
  bool hasKid() const { return !kid_.empty(); }
  const std::string& kid() const { return kid_; }
  const std::string& iss() const { return iss_; }
  const std::string& sub() const { return sub_; }
  const std::string& jti() const { return jti_; }
  const std::vector<std::string>& audiences() const { return audiences_; }
  uint64_t iat() const { return iat_; }  // 0 when absent
  uint64_t nbf() const { return nbf_; }  // 0 when absent
  uint64_t exp() const { return exp_; }  // 0 when absent = never expires

  const std::string& token() const { return token_; }
  // "header.payload" as sent: what the signature covers (RFC 7515 §5.2 step 8).
  std::string_view signedPart() const;
  // The payload segment exactly as sent (base64url): Envoy's forward_payload_header value.
  std::string_view payloadSegment() const;
  const std::string& signature() const { return signature_; }  // decoded bytes
  const std::string& payloadJson() const { return payload_json_; }  // decoded text
  const std::string& headerJson() const { return header_json_; }

  // The payload object, for claims (policy/) and claimsToHeaders. Only after parse() == kOk in
  // ParseMode::kJwt.
  simdjson::dom::element payload() const { return payload_doc_.root(); }

 private:
  void reset();
  JwtStatus parseHeader(std::string_view segment);
  JwtStatus parsePayload(std::string_view segment);

  std::string token_;
  size_t first_dot_ = 0, second_dot_ = 0;
  std::string header_json_, payload_json_, signature_;
  simdjson::dom::document payload_doc_;
  Alg alg_ = Alg::kRS256;
  std::string kid_, iss_, sub_, jti_;
  std::vector<std::string> audiences_;
  uint64_t iat_ = 0, nbf_ = 0, exp_ = 0;
};

}  // namespace claimgate::jwt
