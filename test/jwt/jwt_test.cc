// Jwt::parse: one case per parse status, in jwt_verify_lib's order, plus the bounds.
#include "jwt/jwt.h"

#include <gtest/gtest.h>

#include <string>

#include "test_keys.h"

namespace claimgate::jwt {
namespace {

using testing::seg;

const std::string kHdr = seg(R"({"alg":"RS256","typ":"JWT"})");
const std::string kPay = seg(R"({"iss":"https://issuer","sub":"u1"})");
const std::string kSig = seg("signature-bytes");

std::string tok(std::string_view header_json, std::string_view payload_json) {
  return seg(header_json) + "." + seg(payload_json) + "." + kSig;
}

struct ParseCase {
  const char* name;
  std::string token;
  JwtStatus want;
};

TEST(JwtParse, EveryParseStatus) {
  const ParseCase cases[] = {
      // Split: exactly two dots, three non-empty segments.
      {"empty", "", JwtStatus::kJwtBadFormat},
      {"one_part", kHdr, JwtStatus::kJwtBadFormat},
      {"two_parts", kHdr + "." + kPay, JwtStatus::kJwtBadFormat},
      {"empty_payload", kHdr + ".." + kSig, JwtStatus::kJwtBadFormat},
      {"four_parts", kHdr + "." + kPay + "." + kSig + "." + kSig, JwtStatus::kJwtBadFormat},
      {"unsigned_alg_none", seg(R"({"alg":"none"})") + "." + kPay + ".", JwtStatus::kJwtBadFormat},
      {"leading_dot", "." + kHdr + "." + kPay + "." + kSig, JwtStatus::kJwtBadFormat},
      {"stray_double_dot", kHdr + "." + kPay + ".." + kSig, JwtStatus::kJwtBadFormat},
      {"too_long", kHdr + "." + std::string(kMaxTokenBytes, 'A') + "." + kSig,
       JwtStatus::kJwtBadFormat},
      // Header.
      {"header_padding", kHdr + "=." + kPay + "." + kSig, JwtStatus::kJwtHeaderParseErrorBadBase64},
      {"header_bad_char", "e!J." + kPay + "." + kSig, JwtStatus::kJwtHeaderParseErrorBadBase64},
      {"header_not_json", tok("alg RS256", "{}"), JwtStatus::kJwtHeaderParseErrorBadJson},
      {"header_array", tok(R"(["alg"])", "{}"), JwtStatus::kJwtHeaderParseErrorBadJson},
      {"header_duplicate_alg", tok(R"({"alg":"HS256","alg":"RS256"})", "{}"),
       JwtStatus::kJwtHeaderParseErrorBadJson},
      {"header_trailing_garbage", tok(R"({"alg":"RS256"} x)", "{}"),
       JwtStatus::kJwtHeaderParseErrorBadJson},
      {"alg_missing", tok(R"({"typ":"JWT"})", "{}"), JwtStatus::kJwtHeaderBadAlg},
      {"alg_number", tok(R"({"alg":256})", "{}"), JwtStatus::kJwtHeaderBadAlg},
      {"alg_null", tok(R"({"alg":null})", "{}"), JwtStatus::kJwtHeaderBadAlg},
      {"alg_none", tok(R"({"alg":"none"})", "{}"), JwtStatus::kJwtHeaderNotImplementedAlg},
      {"alg_NONE", tok(R"({"alg":"NONE"})", "{}"), JwtStatus::kJwtHeaderNotImplementedAlg},
      {"alg_lowercase", tok(R"({"alg":"rs256"})", "{}"), JwtStatus::kJwtHeaderNotImplementedAlg},
      {"alg_es224", tok(R"({"alg":"ES224"})", "{}"), JwtStatus::kJwtHeaderNotImplementedAlg},
      {"kid_number", tok(R"({"alg":"RS256","kid":7})", "{}"), JwtStatus::kJwtHeaderBadKid},
      {"kid_null", tok(R"({"alg":"RS256","kid":null})", "{}"), JwtStatus::kJwtHeaderBadKid},
      // Payload.
      {"payload_bad_base64", kHdr + ".e30=." + kSig, JwtStatus::kJwtPayloadParseErrorBadBase64},
      {"payload_not_json", tok(R"({"alg":"RS256"})", "foo"), JwtStatus::kJwtPayloadParseErrorBadJson},
      {"payload_string", tok(R"({"alg":"RS256"})", R"("claims")"),
       JwtStatus::kJwtPayloadParseErrorBadJson},
      {"payload_array", tok(R"({"alg":"RS256"})", "[{}]"), JwtStatus::kJwtPayloadParseErrorBadJson},
      {"payload_number", tok(R"({"alg":"RS256"})", "42"), JwtStatus::kJwtPayloadParseErrorBadJson},
      {"payload_duplicate_claim", tok(R"({"alg":"RS256"})", R"({"sub":"a","sub":"b"})"),
       JwtStatus::kJwtPayloadParseErrorBadJson},
      {"iss_number", tok(R"({"alg":"RS256"})", R"({"iss":1})"),
       JwtStatus::kJwtPayloadParseErrorIssNotString},
      {"iss_null", tok(R"({"alg":"RS256"})", R"({"iss":null})"),
       JwtStatus::kJwtPayloadParseErrorIssNotString},
      {"sub_object", tok(R"({"alg":"RS256"})", R"({"sub":{}})"),
       JwtStatus::kJwtPayloadParseErrorSubNotString},
      {"iat_string", tok(R"({"alg":"RS256"})", R"({"iat":"1"})"),
       JwtStatus::kJwtPayloadParseErrorIatNotInteger},
      {"iat_negative", tok(R"({"alg":"RS256"})", R"({"iat":-1})"),
       JwtStatus::kJwtPayloadParseErrorIatOutOfRange},
      {"nbf_bool", tok(R"({"alg":"RS256"})", R"({"nbf":true})"),
       JwtStatus::kJwtPayloadParseErrorNbfNotInteger},
      {"nbf_negative_double", tok(R"({"alg":"RS256"})", R"({"nbf":-0.5})"),
       JwtStatus::kJwtPayloadParseErrorNbfOutOfRange},
      {"exp_string", tok(R"({"alg":"RS256"})", R"({"exp":"123"})"),
       JwtStatus::kJwtPayloadParseErrorExpNotInteger},
      {"exp_2_pow_64", tok(R"({"alg":"RS256"})", R"({"exp":18446744073709551616.0})"),
       JwtStatus::kJwtPayloadParseErrorExpOutOfRange},
      {"exp_uint64_max", tok(R"({"alg":"RS256"})", R"({"exp":18446744073709551615})"),
       JwtStatus::kJwtPayloadParseErrorExpOutOfRange},
      {"exp_1e30", tok(R"({"alg":"RS256"})", R"({"exp":1e30})"),
       JwtStatus::kJwtPayloadParseErrorExpOutOfRange},
      {"jti_array", tok(R"({"alg":"RS256"})", R"({"jti":["a"]})"),
       JwtStatus::kJwtPayloadParseErrorJtiNotString},
      {"aud_number", tok(R"({"alg":"RS256"})", R"({"aud":1})"),
       JwtStatus::kJwtPayloadParseErrorAudNotString},
      {"aud_list_with_number", tok(R"({"alg":"RS256"})", R"({"aud":["a",1]})"),
       JwtStatus::kJwtPayloadParseErrorAudNotString},
      {"aud_object", tok(R"({"alg":"RS256"})", R"({"aud":{"a":"b"}})"),
       JwtStatus::kJwtPayloadParseErrorAudNotString},
      // Signature.
      {"signature_padding", kHdr + "." + kPay + "." + kSig + "=",
       JwtStatus::kJwtSignatureParseErrorBadBase64},
      {"signature_trailing_junk", kHdr + "." + kPay + "." + kSig + " junk",
       JwtStatus::kJwtSignatureParseErrorBadBase64},
      {"signature_trailing_bits", kHdr + "." + kPay + ".Zh", JwtStatus::kJwtSignatureParseErrorBadBase64},
  };
  for (const auto& c : cases) {
    Jwt jwt;
    EXPECT_EQ(jwt.parse(c.token), c.want)
        << c.name << ": got " << statusName(jwt.parse(c.token)) << ", want " << statusName(c.want);
  }
}

TEST(JwtParse, FirstFailureWinsInEnvoyOrder) {
  struct Order {
    const char* name;
    std::string token;
    JwtStatus want;
  };
  const Order cases[] = {
      {"bad_alg_before_bad_payload", seg(R"({"alg":"none"})") + ".!!!." + kSig,
       JwtStatus::kJwtHeaderNotImplementedAlg},
      {"bad_kid_before_bad_payload", seg(R"({"alg":"RS256","kid":1})") + ".!!!." + kSig,
       JwtStatus::kJwtHeaderBadKid},
      {"bad_alg_type_before_bad_kid", tok(R"({"kid":1,"alg":1})", "{}"), JwtStatus::kJwtHeaderBadAlg},
      {"iss_before_exp", tok(R"({"alg":"RS256"})", R"({"exp":"x","iss":1})"),
       JwtStatus::kJwtPayloadParseErrorIssNotString},
      {"iat_before_nbf_before_exp", tok(R"({"alg":"RS256"})", R"({"exp":-1,"nbf":-1,"iat":"x"})"),
       JwtStatus::kJwtPayloadParseErrorIatNotInteger},
      {"jti_before_aud", tok(R"({"alg":"RS256"})", R"({"aud":1,"jti":1})"),
       JwtStatus::kJwtPayloadParseErrorJtiNotString},
      {"payload_before_signature", seg(R"({"alg":"RS256"})") + "." + seg(R"({"sub":1})") + ".a=",
       JwtStatus::kJwtPayloadParseErrorSubNotString},
  };
  for (const auto& c : cases) {
    Jwt jwt;
    EXPECT_EQ(jwt.parse(c.token), c.want) << c.name;
  }
}

TEST(JwtParse, ExtractsFields) {
  const std::string token =
      tok(R"({"alg":"ES256K","kid":"k-1","typ":"JWT"})",
          R"({"iss":"https://issuer","sub":"u1","jti":"j","iat":1700000000.9,"nbf":1.5e9,)"
          R"("exp":1800000000,"aud":["a","b"],"org":{"team":"x"}})");
  Jwt jwt;
  ASSERT_EQ(jwt.parse(token), JwtStatus::kOk);
  EXPECT_EQ(jwt.alg(), Alg::kES256K);
  EXPECT_TRUE(jwt.hasKid());
  EXPECT_EQ(jwt.kid(), "k-1");
  EXPECT_EQ(jwt.iss(), "https://issuer");
  EXPECT_EQ(jwt.sub(), "u1");
  EXPECT_EQ(jwt.jti(), "j");
  EXPECT_EQ(jwt.iat(), 1700000000u);  // fractions truncated, as Envoy
  EXPECT_EQ(jwt.nbf(), 1500000000u);
  EXPECT_EQ(jwt.exp(), 1800000000u);
  EXPECT_EQ(jwt.audiences(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(jwt.token(), token);
  EXPECT_EQ(jwt.signedPart(), token.substr(0, token.rfind('.')));
  EXPECT_EQ(jwt.signature(), "signature-bytes");
  std::string_view team;
  ASSERT_EQ(jwt.payload()["org"]["team"].get(team), simdjson::SUCCESS);
  EXPECT_EQ(team, "x");
}

TEST(JwtParse, DefaultsAndSingleAudience) {
  Jwt jwt;
  ASSERT_EQ(jwt.parse(tok(R"({"alg":"HS256","kid":""})", R"({"aud":"only"})")), JwtStatus::kOk);
  EXPECT_FALSE(jwt.hasKid());  // Envoy treats "kid":"" as no kid
  EXPECT_EQ(jwt.exp(), 0u);
  EXPECT_EQ(jwt.nbf(), 0u);
  EXPECT_EQ(jwt.iss(), "");
  EXPECT_EQ(jwt.audiences(), std::vector<std::string>{"only"});
}

TEST(JwtParse, LargestInRangeTimeIsAccepted) {
  Jwt jwt;
  // The largest double below 2^64.
  ASSERT_EQ(jwt.parse(tok(R"({"alg":"RS256"})", R"({"exp":18446744073709549568})")),
            JwtStatus::kOk);
  EXPECT_EQ(jwt.exp(), 18446744073709549568u);
}

TEST(JwtParse, ReuseResetsState) {
  Jwt jwt;
  ASSERT_EQ(jwt.parse(tok(R"({"alg":"RS256","kid":"a"})", R"({"iss":"x","aud":"y","exp":5})")),
            JwtStatus::kOk);
  ASSERT_EQ(jwt.parse(tok(R"({"alg":"HS256"})", "{}")), JwtStatus::kOk);
  EXPECT_FALSE(jwt.hasKid());
  EXPECT_EQ(jwt.iss(), "");
  EXPECT_TRUE(jwt.audiences().empty());
  EXPECT_EQ(jwt.exp(), 0u);
}

TEST(JwtParse, DeeplyNestedPayloadIsAJsonError) {
  const std::string deep = "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  Jwt jwt;
  EXPECT_EQ(jwt.parse(tok(R"({"alg":"RS256"})", deep)), JwtStatus::kJwtPayloadParseErrorBadJson);
  const std::string deep_header =
      "{\"alg\":\"RS256\",\"x\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(jwt.parse(tok(deep_header, "{}")), JwtStatus::kJwtHeaderParseErrorBadJson);
  // Within the depth bound it parses.
  const std::string ok = "{\"a\":" + std::string(90, '[') + std::string(90, ']') + "}";
  EXPECT_EQ(jwt.parse(tok(R"({"alg":"RS256"})", ok)), JwtStatus::kOk);
}

TEST(JwtParse, HugePayloadIsRefusedBeforeDecoding) {
  const std::string big = "{\"a\":\"" + std::string(1024 * 1024, 'x') + "\"}";
  Jwt jwt;
  EXPECT_EQ(jwt.parse(tok(R"({"alg":"RS256"})", big)), JwtStatus::kJwtBadFormat);
  // Just under the bound is fine.
  const std::string fits = "{\"a\":\"" + std::string(40 * 1024, 'x') + "\"}";
  EXPECT_EQ(jwt.parse(tok(R"({"alg":"RS256"})", fits)), JwtStatus::kOk);
}

TEST(JwtParse, JwsModeTreatsPayloadAsBytes) {
  Jwt jwt;
  const std::string token = tok(R"({"alg":"HS256"})", "foo");
  EXPECT_EQ(jwt.parse(token), JwtStatus::kJwtPayloadParseErrorBadJson);
  ASSERT_EQ(jwt.parse(token, ParseMode::kJws), JwtStatus::kOk);
  EXPECT_EQ(jwt.payloadJson(), "foo");
  EXPECT_EQ(jwt.parse(kHdr + ".Zm9v=." + kSig, ParseMode::kJws),
            JwtStatus::kJwtPayloadParseErrorBadBase64);
}

TEST(JwtParse, EveryAlgNameParses) {
  for (Alg alg : kAllAlgs) {
    Jwt jwt;
    ASSERT_EQ(jwt.parse(tok("{\"alg\":\"" + std::string(algName(alg)) + "\"}", "{}")),
              JwtStatus::kOk)
        << algName(alg);
    EXPECT_EQ(jwt.alg(), alg);
  }
}

}  // namespace
}  // namespace claimgate::jwt
