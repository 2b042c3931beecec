// Signature verification, and the provider checks in Envoy's order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jwt/alg.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"

namespace claimgate::jwt {

// One primitive verification: `sig` (raw bytes) over `data` with `key` for `alg` (RS/PS with
// salt = hash length, ES raw r||s of exact length with r,s in [1,n-1], EdDSA of exact length,
// HS full-length constant-time with a key >= the hash length). False when the key type, curve or
// the key's own alg does not fit `alg`. The Wycheproof conformance test calls this directly.
bool verifySignature(Alg alg, const Jwk& key, std::string_view data, std::string_view sig);

// Key selection as Envoy (skip a key when both kids are present and differ, or when the key has
// an alg that differs), then the signature. kJwksKidAlgMismatch when no key passed the filter,
// kJwtVerificationFail when none verified, kJwtEd25519SignatureWrongLength for a bad EdDSA length.
JwtStatus verifyJwtSignature(const Jwt& jwt, const Jwks& jwks);

// What a provider checks besides the signature.
struct ProviderChecks {
  std::string issuer;                  // empty: any iss (even none)
  std::vector<std::string> audiences;  // empty: no audience check
  uint32_t clock_skew_seconds = 60;
};

// issuer -> nbf/exp (inclusive edges, skew) -> audience. `now` in seconds since the epoch.
JwtStatus checkClaims(const Jwt& jwt, const ProviderChecks& checks, uint64_t now);

// checkClaims, then verifyJwtSignature: the whole per-provider verification.
JwtStatus verifyJwt(const Jwt& jwt, const ProviderChecks& checks, const Jwks& jwks, uint64_t now);

// Envoy's audience normalisation: strip a leading http:// or https:// and one trailing '/'.
std::string_view normalizeAudience(std::string_view aud);

}  // namespace claimgate::jwt
