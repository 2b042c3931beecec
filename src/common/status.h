// JwtStatus: every way a token, a key set or a key fetch can fail, with the exact texts of
// Envoy's jwt_verify_lib (src/status.cc at b59e8075, the commit Envoy pins). The texts are API:
// Envoy sends them as 401/403 bodies and users' tests compare them byte for byte.
#pragma once

#include <cstdint>
#include <string_view>

namespace claimgate {

enum class JwtStatus : uint8_t {
  kOk = 0,

  // Token (client-visible).
  kJwtMissed,
  kJwtNotYetValid,
  kJwtExpired,
  kJwtBadFormat,
  kJwtHeaderParseErrorBadBase64,
  kJwtHeaderParseErrorBadJson,
  kJwtHeaderBadAlg,
  kJwtHeaderNotImplementedAlg,
  kJwtHeaderBadKid,
  kJwtPayloadParseErrorBadBase64,
  kJwtEd25519SignatureWrongLength,
  kJwtPayloadParseErrorBadJson,
  kJwtPayloadParseErrorIssNotString,
  kJwtPayloadParseErrorSubNotString,
  kJwtPayloadParseErrorIatNotInteger,
  kJwtPayloadParseErrorIatOutOfRange,
  kJwtPayloadParseErrorNbfNotInteger,
  kJwtPayloadParseErrorNbfOutOfRange,
  kJwtPayloadParseErrorExpNotInteger,
  kJwtPayloadParseErrorExpOutOfRange,
  kJwtPayloadParseErrorJtiNotString,
  kJwtPayloadParseErrorAudNotString,
  kJwtSignatureParseErrorBadBase64,
  kJwtUnknownIssuer,
  kJwtAudienceNotAllowed,
  kJwtVerificationFail,
  kJwtMultipleTokens,

  // Key set (client-visible: NoValidKeys, KidAlgMismatch, FetchFail; the rest only in logs).
  kJwksParseError,
  kJwksNoKeys,
  kJwksBadKeys,
  kJwksNoValidKeys,
  kJwksKidAlgMismatch,
  kJwksRsaParseError,
  kJwksEcCreateKeyFail,
  kJwksEcXorYBadBase64,
  kJwksEcParseError,
  kJwksOctBadBase64,
  kJwksOKPXBadBase64,
  kJwksOKPXWrongLength,
  kJwksFetchFail,
  kJwksMissingKty,
  kJwksBadKty,
  kJwksNotImplementedKty,
  kJwksRSAKeyBadAlg,
  kJwksRSAKeyMissingN,
  kJwksRSAKeyBadN,
  kJwksRSAKeyMissingE,
  kJwksRSAKeyBadE,
  kJwksECKeyBadAlg,
  kJwksECKeyBadCrv,
  kJwksECKeyAlgOrCrvUnsupported,
  kJwksECKeyAlgNotCompatibleWithCrv,
  kJwksECKeyMissingX,
  kJwksECKeyBadX,
  kJwksECKeyMissingY,
  kJwksECKeyBadY,
  kJwksHMACKeyBadAlg,
  kJwksHMACKeyMissingK,
  kJwksHMACKeyBadK,
  kJwksOKPKeyBadAlg,
  kJwksOKPKeyMissingCrv,
  kJwksOKPKeyBadCrv,
  kJwksOKPKeyCrvUnsupported,
  kJwksOKPKeyMissingX,
  kJwksOKPKeyBadX,
  kJwksX509BioWriteError,
  kJwksX509ParseError,
  kJwksX509GetPubkeyError,
  kJwksPemNotImplementedKty,
  kJwksPemBadBase64,
  kJwksPemGetRawEd25519Error,
  kJwksBioAllocError,
};

// The fixed text of a status; "OK" for kOk.
std::string_view statusText(JwtStatus status);

// The HTTP status Envoy's jwt_authn answers with for a failed status: 403 for an audience
// mismatch, 401 for everything else (kOk has none; returns 200).
int httpStatusFor(JwtStatus status);

// The enumerator's name without the leading k ("JwtExpired"): for logs and metrics labels.
std::string_view statusName(JwtStatus status);

// Number of enumerators (for table-driven tests over every value).
inline constexpr int kJwtStatusCount = static_cast<int>(JwtStatus::kJwksBioAllocError) + 1;

}  // namespace claimgate
