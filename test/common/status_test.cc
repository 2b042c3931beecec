#include "common/status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace claimgate {
namespace {

// Every client-visible text, pinned byte for byte (jwt_verify_lib src/status.cc, b59e8075).
struct Row {
  JwtStatus status;
  const char* text;
};

constexpr Row kRows[] = {
    {JwtStatus::kOk, "OK"},
    {JwtStatus::kJwtMissed, "Jwt is missing"},
    {JwtStatus::kJwtNotYetValid, "Jwt not yet valid"},
    {JwtStatus::kJwtExpired, "Jwt is expired"},
    {JwtStatus::kJwtBadFormat, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"},
    {JwtStatus::kJwtHeaderParseErrorBadBase64, "Jwt header is an invalid Base64url encoded"},
    {JwtStatus::kJwtHeaderParseErrorBadJson, "Jwt header is an invalid JSON"},
    {JwtStatus::kJwtHeaderBadAlg, "Jwt header [alg] field is required and must be a string"},
    {JwtStatus::kJwtHeaderNotImplementedAlg, "Jwt header [alg] is not supported"},
    {JwtStatus::kJwtHeaderBadKid, "Jwt header [kid] field is not a string"},
    {JwtStatus::kJwtPayloadParseErrorBadBase64, "Jwt payload is an invalid Base64url encoded"},
    {JwtStatus::kJwtEd25519SignatureWrongLength, "Jwt ED25519 signature is wrong length"},
    {JwtStatus::kJwtPayloadParseErrorBadJson, "Jwt payload is an invalid JSON"},
    {JwtStatus::kJwtPayloadParseErrorIssNotString, "Jwt payload [iss] field is not a string"},
    {JwtStatus::kJwtPayloadParseErrorSubNotString, "Jwt payload [sub] field is not a string"},
    {JwtStatus::kJwtPayloadParseErrorIatNotInteger, "Jwt payload [iat] field is not an integer"},
    {JwtStatus::kJwtPayloadParseErrorIatOutOfRange, "Jwt payload [iat] field is not a positive 64 bit integer"},
    {JwtStatus::kJwtPayloadParseErrorNbfNotInteger, "Jwt payload [nbf] field is not an integer"},
    {JwtStatus::kJwtPayloadParseErrorNbfOutOfRange, "Jwt payload [nbf] field is not a positive 64 bit integer"},
    {JwtStatus::kJwtPayloadParseErrorExpNotInteger, "Jwt payload [exp] field is not an integer"},
    {JwtStatus::kJwtPayloadParseErrorExpOutOfRange, "Jwt payload [exp] field is not a positive 64 bit integer"},
    {JwtStatus::kJwtPayloadParseErrorJtiNotString, "Jwt payload [jti] field is not a string"},
    {JwtStatus::kJwtPayloadParseErrorAudNotString, "Jwt payload [aud] field is not a string or string list"},
    {JwtStatus::kJwtSignatureParseErrorBadBase64, "Jwt signature is an invalid Base64url encoded"},
    {JwtStatus::kJwtUnknownIssuer, "Jwt issuer is not configured"},
    {JwtStatus::kJwtAudienceNotAllowed, "Audiences in Jwt are not allowed"},
    {JwtStatus::kJwtVerificationFail, "Jwt verification fails"},
    {JwtStatus::kJwtMultipleTokens, "Found multiple Jwt tokens"},
    {JwtStatus::kJwksParseError, "Jwks is an invalid JSON"},
    {JwtStatus::kJwksNoKeys, "Jwks does not have [keys] field"},
    {JwtStatus::kJwksBadKeys, "[keys] in Jwks is not an array"},
    {JwtStatus::kJwksNoValidKeys, "Jwks doesn't have any valid public key"},
    {JwtStatus::kJwksKidAlgMismatch, "Jwks doesn't have key to match kid or alg from Jwt"},
    {JwtStatus::kJwksRsaParseError, "Jwks RSA [n] or [e] field is missing or has a parse error"},
    {JwtStatus::kJwksEcCreateKeyFail, "Jwks EC create key fail"},
    {JwtStatus::kJwksEcXorYBadBase64, "Jwks EC [x] or [y] field is an invalid Base64."},
    {JwtStatus::kJwksEcParseError, "Jwks EC [x] and [y] fields have a parse error."},
    {JwtStatus::kJwksOctBadBase64, "Jwks Oct key is an invalid Base64"},
    {JwtStatus::kJwksOKPXBadBase64, "Jwks OKP [x] field is an invalid Base64."},
    {JwtStatus::kJwksOKPXWrongLength, "Jwks OKP [x] field is wrong length."},
    {JwtStatus::kJwksFetchFail, "Jwks remote fetch is failed"},
    {JwtStatus::kJwksMissingKty, "[kty] is missing in [keys]"},
    {JwtStatus::kJwksBadKty, "[kty] is bad in [keys]"},
    {JwtStatus::kJwksNotImplementedKty, "[kty] is not supported in [keys]"},
    {JwtStatus::kJwksRSAKeyBadAlg, "[alg] is not started with [RS] or [PS] for an RSA key"},
    {JwtStatus::kJwksRSAKeyMissingN, "[n] field is missing for a RSA key"},
    {JwtStatus::kJwksRSAKeyBadN, "[n] field is not string for a RSA key"},
    {JwtStatus::kJwksRSAKeyMissingE, "[e] field is missing for a RSA key"},
    {JwtStatus::kJwksRSAKeyBadE, "[e] field is not string for a RSA key"},
    {JwtStatus::kJwksECKeyBadAlg, "[alg] is not started with [ES] for an EC key"},
    {JwtStatus::kJwksECKeyBadCrv, "[crv] field is not string for an EC key"},
    {JwtStatus::kJwksECKeyAlgOrCrvUnsupported, "[crv] or [alg] field is not supported for an EC key"},
    {JwtStatus::kJwksECKeyAlgNotCompatibleWithCrv, "[crv] field specified is not compatible with [alg] for an EC key"},
    {JwtStatus::kJwksECKeyMissingX, "[x] field is missing for an EC key"},
    {JwtStatus::kJwksECKeyBadX, "[x] field is not string for an EC key"},
    {JwtStatus::kJwksECKeyMissingY, "[y] field is missing for an EC key"},
    {JwtStatus::kJwksECKeyBadY, "[y] field is not string for an EC key"},
    {JwtStatus::kJwksHMACKeyBadAlg, "[alg] does not start with [HS] for an HMAC key"},
    {JwtStatus::kJwksHMACKeyMissingK, "[k] field is missing for an HMAC key"},
    {JwtStatus::kJwksHMACKeyBadK, "[k] field is not string for an HMAC key"},
    {JwtStatus::kJwksOKPKeyBadAlg, "[alg] is not [EdDSA] for an OKP key"},
    {JwtStatus::kJwksOKPKeyMissingCrv, "[crv] field is missing for an OKP key"},
    {JwtStatus::kJwksOKPKeyBadCrv, "[crv] field is not string for an OKP key"},
    {JwtStatus::kJwksOKPKeyCrvUnsupported, "[crv] field is not supported for an OKP key"},
    {JwtStatus::kJwksOKPKeyMissingX, "[x] field is missing for an OKP key"},
    {JwtStatus::kJwksOKPKeyBadX, "[x] field is not string for an OKP key"},
    {JwtStatus::kJwksX509BioWriteError, "X509 parse pubkey internal fails: memory allocation"},
    {JwtStatus::kJwksX509ParseError, "X509 parse pubkey fails"},
    {JwtStatus::kJwksX509GetPubkeyError, "X509 parse pubkey internal fails: get pubkey"},
    {JwtStatus::kJwksPemNotImplementedKty, "PEM Key type is not supported"},
    {JwtStatus::kJwksPemBadBase64, "PEM pubkey parse fails"},
    {JwtStatus::kJwksPemGetRawEd25519Error, "PEM failed to get raw ED25519 key"},
    {JwtStatus::kJwksBioAllocError, "Failed to create BIO due to memory allocation failure"},
};

TEST(StatusTest, EveryStatusHasItsEnvoyText) {
  ASSERT_EQ(std::size(kRows), static_cast<size_t>(kJwtStatusCount));
  for (const Row& row : kRows) {
    EXPECT_EQ(statusText(row.status), row.text) << statusName(row.status);
  }
}

TEST(StatusTest, TextsAndNamesAreUnique) {
  std::set<std::string> texts, names;
  for (int i = 0; i < kJwtStatusCount; ++i) {
    auto s = static_cast<JwtStatus>(i);
    EXPECT_TRUE(texts.insert(std::string(statusText(s))).second) << statusText(s);
    EXPECT_TRUE(names.insert(std::string(statusName(s))).second) << statusName(s);
  }
}

TEST(StatusTest, AudienceIs403EverythingElse401) {
  EXPECT_EQ(httpStatusFor(JwtStatus::kJwtAudienceNotAllowed), 403);
  EXPECT_EQ(httpStatusFor(JwtStatus::kOk), 200);
  for (int i = 1; i < kJwtStatusCount; ++i) {
    auto s = static_cast<JwtStatus>(i);
    if (s != JwtStatus::kJwtAudienceNotAllowed) {
      EXPECT_EQ(httpStatusFor(s), 401) << statusName(s);
    }
  }
}

}  // namespace
}  // namespace claimgate
