// Texts copied from jwt_verify_lib src/status.cc (Apache-2.0 strings; they are wire API).
#include "common/status.h"

namespace claimgate {

std::string_view statusText(JwtStatus status) {
  switch (status) {
    case JwtStatus::kOk:
      return "OK";
    case JwtStatus::kJwtMissed:
      return "Jwt is missing";
    case JwtStatus::kJwtNotYetValid:
      return "Jwt not yet valid";
    case JwtStatus::kJwtExpired:
      return "Jwt is expired";
    case JwtStatus::kJwtBadFormat:
      return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    case JwtStatus::kJwtHeaderParseErrorBadBase64:
      return "Jwt header is an invalid Base64url encoded";
    case JwtStatus::kJwtHeaderParseErrorBadJson:
      return "Jwt header is an invalid JSON";
    case JwtStatus::kJwtHeaderBadAlg:
      return "Jwt header [alg] field is required and must be a string";
    case JwtStatus::kJwtHeaderNotImplementedAlg:
      return "Jwt header [alg] is not supported";
    case JwtStatus::kJwtHeaderBadKid:
      return "Jwt header [kid] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorBadBase64:
      return "Jwt payload is an invalid Base64url encoded";
    case JwtStatus::kJwtEd25519SignatureWrongLength:
      return "Jwt ED25519 signature is wrong length";
    case JwtStatus::kJwtPayloadParseErrorBadJson:
      return "Jwt payload is an invalid JSON";
    case JwtStatus::kJwtPayloadParseErrorIssNotString:
      return "Jwt payload [iss] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorSubNotString:
      return "Jwt payload [sub] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorIatNotInteger:
      return "Jwt payload [iat] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorIatOutOfRange:
      return "Jwt payload [iat] field is not a positive 64 bit integer";
    case JwtStatus::kJwtPayloadParseErrorNbfNotInteger:
      return "Jwt payload [nbf] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorNbfOutOfRange:
      return "Jwt payload [nbf] field is not a positive 64 bit integer";
    case JwtStatus::kJwtPayloadParseErrorExpNotInteger:
      return "Jwt payload [exp] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorExpOutOfRange:
      return "Jwt payload [exp] field is not a positive 64 bit integer";
    case JwtStatus::kJwtPayloadParseErrorJtiNotString:
      return "Jwt payload [jti] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorAudNotString:
      return "Jwt payload [aud] field is not a string or string list";
    case JwtStatus::kJwtSignatureParseErrorBadBase64:
      return "Jwt signature is an invalid Base64url encoded";
    case JwtStatus::kJwtUnknownIssuer:
      return "Jwt issuer is not configured";
    case JwtStatus::kJwtAudienceNotAllowed:
      return "Audiences in Jwt are not allowed";
    case JwtStatus::kJwtVerificationFail:
      return "Jwt verification fails";
    case JwtStatus::kJwtMultipleTokens:
      return "Found multiple Jwt tokens";
    case JwtStatus::kJwksParseError:
      return "Jwks is an invalid JSON";
    case JwtStatus::kJwksNoKeys:
      return "Jwks does not have [keys] field";
    case JwtStatus::kJwksBadKeys:
      return "[keys] in Jwks is not an array";
    case JwtStatus::kJwksNoValidKeys:
      return "Jwks doesn't have any valid public key";
    case JwtStatus::kJwksKidAlgMismatch:
      return "Jwks doesn't have key to match kid or alg from Jwt";
    case JwtStatus::kJwksRsaParseError:
      return "Jwks RSA [n] or [e] field is missing or has a parse error";
    case JwtStatus::kJwksEcCreateKeyFail:
      return "Jwks EC create key fail";
    case JwtStatus::kJwksEcXorYBadBase64:
      return "Jwks EC [x] or [y] field is an invalid Base64.";
    case JwtStatus::kJwksEcParseError:
      return "Jwks EC [x] and [y] fields have a parse error.";
    case JwtStatus::kJwksOctBadBase64:
      return "Jwks Oct key is an invalid Base64";
    case JwtStatus::kJwksOKPXBadBase64:
      return "Jwks OKP [x] field is an invalid Base64.";
    case JwtStatus::kJwksOKPXWrongLength:
      return "Jwks OKP [x] field is wrong length.";
    case JwtStatus::kJwksFetchFail:
      return "Jwks remote fetch is failed";
    case JwtStatus::kJwksMissingKty:
      return "[kty] is missing in [keys]";
    case JwtStatus::kJwksBadKty:
      return "[kty] is bad in [keys]";
    case JwtStatus::kJwksNotImplementedKty:
      return "[kty] is not supported in [keys]";
    case JwtStatus::kJwksRSAKeyBadAlg:
      return "[alg] is not started with [RS] or [PS] for an RSA key";
    case JwtStatus::kJwksRSAKeyMissingN:
      return "[n] field is missing for a RSA key";
    case JwtStatus::kJwksRSAKeyBadN:
      return "[n] field is not string for a RSA key";
    case JwtStatus::kJwksRSAKeyMissingE:
      return "[e] field is missing for a RSA key";
    case JwtStatus::kJwksRSAKeyBadE:
      return "[e] field is not string for a RSA key";
    case JwtStatus::kJwksECKeyBadAlg:
      return "[alg] is not started with [ES] for an EC key";
    case JwtStatus::kJwksECKeyBadCrv:
      return "[crv] field is not string for an EC key";
    case JwtStatus::kJwksECKeyAlgOrCrvUnsupported:
      return "[crv] or [alg] field is not supported for an EC key";
    case JwtStatus::kJwksECKeyAlgNotCompatibleWithCrv:
      return "[crv] field specified is not compatible with [alg] for an EC key";
    case JwtStatus::kJwksECKeyMissingX:
      return "[x] field is missing for an EC key";
    case JwtStatus::kJwksECKeyBadX:
      return "[x] field is not string for an EC key";
    case JwtStatus::kJwksECKeyMissingY:
      return "[y] field is missing for an EC key";
    case JwtStatus::kJwksECKeyBadY:
      return "[y] field is not string for an EC key";
    case JwtStatus::kJwksHMACKeyBadAlg:
      return "[alg] does not start with [HS] for an HMAC key";
    case JwtStatus::kJwksHMACKeyMissingK:
      return "[k] field is missing for an HMAC key";
    case JwtStatus::kJwksHMACKeyBadK:
      return "[k] field is not string for an HMAC key";
    case JwtStatus::kJwksOKPKeyBadAlg:
      return "[alg] is not [EdDSA] for an OKP key";
    case JwtStatus::kJwksOKPKeyMissingCrv:
      return "[crv] field is missing for an OKP key";
    case JwtStatus::kJwksOKPKeyBadCrv:
      return "[crv] field is not string for an OKP key";
    case JwtStatus::kJwksOKPKeyCrvUnsupported:
      return "[crv] field is not supported for an OKP key";
    case JwtStatus::kJwksOKPKeyMissingX:
      return "[x] field is missing for an OKP key";
    case JwtStatus::kJwksOKPKeyBadX:
      return "[x] field is not string for an OKP key";
    case JwtStatus::kJwksX509BioWriteError:
      return "X509 parse pubkey internal fails: memory allocation";
    case JwtStatus::kJwksX509ParseError:
      return "X509 parse pubkey fails";
    case JwtStatus::kJwksX509GetPubkeyError:
      return "X509 parse pubkey internal fails: get pubkey";
    case JwtStatus::kJwksPemNotImplementedKty:
      return "PEM Key type is not supported";
    case JwtStatus::kJwksPemBadBase64:
      return "PEM pubkey parse fails";
    case JwtStatus::kJwksPemGetRawEd25519Error:
      return "PEM failed to get raw ED25519 key";
    case JwtStatus::kJwksBioAllocError:
      return "Failed to create BIO due to memory allocation failure";
  }
  return "Unknown status";
}

std::string_view statusName(JwtStatus status) {
  switch (status) {
    case JwtStatus::kOk:
      return "Ok";
    case JwtStatus::kJwtMissed:
      return "JwtMissed";
    case JwtStatus::kJwtNotYetValid:
      return "JwtNotYetValid";
    case JwtStatus::kJwtExpired:
      return "JwtExpired";
    case JwtStatus::kJwtBadFormat:
      return "JwtBadFormat";
    case JwtStatus::kJwtHeaderParseErrorBadBase64:
      return "JwtHeaderParseErrorBadBase64";
    case JwtStatus::kJwtHeaderParseErrorBadJson:
      return "JwtHeaderParseErrorBadJson";
    case JwtStatus::kJwtHeaderBadAlg:
      return "JwtHeaderBadAlg";
    case JwtStatus::kJwtHeaderNotImplementedAlg:
      return "JwtHeaderNotImplementedAlg";
    case JwtStatus::kJwtHeaderBadKid:
      return "JwtHeaderBadKid";
    case JwtStatus::kJwtPayloadParseErrorBadBase64:
      return "JwtPayloadParseErrorBadBase64";
    case JwtStatus::kJwtEd25519SignatureWrongLength:
      return "JwtEd25519SignatureWrongLength";
    case JwtStatus::kJwtPayloadParseErrorBadJson:
      return "JwtPayloadParseErrorBadJson";
    case JwtStatus::kJwtPayloadParseErrorIssNotString:
      return "JwtPayloadParseErrorIssNotString";
    case JwtStatus::kJwtPayloadParseErrorSubNotString:
      return "JwtPayloadParseErrorSubNotString";
    case JwtStatus::kJwtPayloadParseErrorIatNotInteger:
      return "JwtPayloadParseErrorIatNotInteger";
    case JwtStatus::kJwtPayloadParseErrorIatOutOfRange:
      return "JwtPayloadParseErrorIatOutOfRange";
    case JwtStatus::kJwtPayloadParseErrorNbfNotInteger:
      return "JwtPayloadParseErrorNbfNotInteger";
    case JwtStatus::kJwtPayloadParseErrorNbfOutOfRange:
      return "JwtPayloadParseErrorNbfOutOfRange";
    case JwtStatus::kJwtPayloadParseErrorExpNotInteger:
      return "JwtPayloadParseErrorExpNotInteger";
    case JwtStatus::kJwtPayloadParseErrorExpOutOfRange:
      return "JwtPayloadParseErrorExpOutOfRange";
    case JwtStatus::kJwtPayloadParseErrorJtiNotString:
      return "JwtPayloadParseErrorJtiNotString";
    case JwtStatus::kJwtPayloadParseErrorAudNotString:
      return "JwtPayloadParseErrorAudNotString";
    case JwtStatus::kJwtSignatureParseErrorBadBase64:
      return "JwtSignatureParseErrorBadBase64";
    case JwtStatus::kJwtUnknownIssuer:
      return "JwtUnknownIssuer";
    case JwtStatus::kJwtAudienceNotAllowed:
      return "JwtAudienceNotAllowed";
    case JwtStatus::kJwtVerificationFail:
      return "JwtVerificationFail";
    case JwtStatus::kJwtMultipleTokens:
      return "JwtMultipleTokens";
    case JwtStatus::kJwksParseError:
      return "JwksParseError";
    case JwtStatus::kJwksNoKeys:
      return "JwksNoKeys";
    case JwtStatus::kJwksBadKeys:
      return "JwksBadKeys";
    case JwtStatus::kJwksNoValidKeys:
      return "JwksNoValidKeys";
    case JwtStatus::kJwksKidAlgMismatch:
      return "JwksKidAlgMismatch";
    case JwtStatus::kJwksRsaParseError:
      return "JwksRsaParseError";
    case JwtStatus::kJwksEcCreateKeyFail:
      return "JwksEcCreateKeyFail";
    case JwtStatus::kJwksEcXorYBadBase64:
      return "JwksEcXorYBadBase64";
    case JwtStatus::kJwksEcParseError:
      return "JwksEcParseError";
    case JwtStatus::kJwksOctBadBase64:
      return "JwksOctBadBase64";
    case JwtStatus::kJwksOKPXBadBase64:
      return "JwksOKPXBadBase64";
    case JwtStatus::kJwksOKPXWrongLength:
      return "JwksOKPXWrongLength";
    case JwtStatus::kJwksFetchFail:
      return "JwksFetchFail";
    case JwtStatus::kJwksMissingKty:
      return "JwksMissingKty";
    case JwtStatus::kJwksBadKty:
      return "JwksBadKty";
    case JwtStatus::kJwksNotImplementedKty:
      return "JwksNotImplementedKty";
    case JwtStatus::kJwksRSAKeyBadAlg:
      return "JwksRSAKeyBadAlg";
    case JwtStatus::kJwksRSAKeyMissingN:
      return "JwksRSAKeyMissingN";
    case JwtStatus::kJwksRSAKeyBadN:
      return "JwksRSAKeyBadN";
    case JwtStatus::kJwksRSAKeyMissingE:
      return "JwksRSAKeyMissingE";
    case JwtStatus::kJwksRSAKeyBadE:
      return "JwksRSAKeyBadE";
    case JwtStatus::kJwksECKeyBadAlg:
      return "JwksECKeyBadAlg";
    case JwtStatus::kJwksECKeyBadCrv:
      return "JwksECKeyBadCrv";
    case JwtStatus::kJwksECKeyAlgOrCrvUnsupported:
      return "JwksECKeyAlgOrCrvUnsupported";
    case JwtStatus::kJwksECKeyAlgNotCompatibleWithCrv:
      return "JwksECKeyAlgNotCompatibleWithCrv";
    case JwtStatus::kJwksECKeyMissingX:
      return "JwksECKeyMissingX";
    case JwtStatus::kJwksECKeyBadX:
      return "JwksECKeyBadX";
    case JwtStatus::kJwksECKeyMissingY:
      return "JwksECKeyMissingY";
    case JwtStatus::kJwksECKeyBadY:
      return "JwksECKeyBadY";
    case JwtStatus::kJwksHMACKeyBadAlg:
      return "JwksHMACKeyBadAlg";
    case JwtStatus::kJwksHMACKeyMissingK:
      return "JwksHMACKeyMissingK";
    case JwtStatus::kJwksHMACKeyBadK:
      return "JwksHMACKeyBadK";
    case JwtStatus::kJwksOKPKeyBadAlg:
      return "JwksOKPKeyBadAlg";
    case JwtStatus::kJwksOKPKeyMissingCrv:
      return "JwksOKPKeyMissingCrv";
    case JwtStatus::kJwksOKPKeyBadCrv:
      return "JwksOKPKeyBadCrv";
    case JwtStatus::kJwksOKPKeyCrvUnsupported:
      return "JwksOKPKeyCrvUnsupported";
    case JwtStatus::kJwksOKPKeyMissingX:
      return "JwksOKPKeyMissingX";
    case JwtStatus::kJwksOKPKeyBadX:
      return "JwksOKPKeyBadX";
    case JwtStatus::kJwksX509BioWriteError:
      return "JwksX509BioWriteError";
    case JwtStatus::kJwksX509ParseError:
      return "JwksX509ParseError";
    case JwtStatus::kJwksX509GetPubkeyError:
      return "JwksX509GetPubkeyError";
    case JwtStatus::kJwksPemNotImplementedKty:
      return "JwksPemNotImplementedKty";
    case JwtStatus::kJwksPemBadBase64:
      return "JwksPemBadBase64";
    case JwtStatus::kJwksPemGetRawEd25519Error:
      return "JwksPemGetRawEd25519Error";
    case JwtStatus::kJwksBioAllocError:
      return "JwksBioAllocError";
  }
  return "Unknown";
}

int httpStatusFor(JwtStatus status) {
  switch (status) {
    case JwtStatus::kOk:
      return 200;
    case JwtStatus::kJwtAudienceNotAllowed:
      return 403;  // Envoy PR #7646: audience mismatch is a 403.
    default:
      return 401;
  }
}

}  // namespace claimgate
