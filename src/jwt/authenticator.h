// Authenticator: one JWTPolicy's providers compiled for the request path, with Envoy
// jwt_authn's `requires_any` semantics (verifier.cc, authenticator.cc) and Gloo's
// validationPolicy on top. Rules and choices: DESIGN §3 and docs/authentication.md.
//
//   Authenticator auth(providers, ValidationPolicy::kRequireValid);
//   AuthResult r = auth.authenticate(RequestView{headers, target}, now);
//   // before anything: drop client copies of auth.headersToRemove()
//   if (!r.allowed) -> 401/403 with statusText(r.status)
//   else: strip r.strip_headers / r.strip_query_params, add auth.headersToAdd(r).headers,
//         evaluate claims on r.jwt->payload() (or without payload when r.jwt is null).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "common/status.h"
#include "jwt/extractor.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/token_cache.h"
#include "jwt/verify.h"

namespace claimgate::jwt {

// Where a provider's keys come from. A local key set never changes; a remote one (later) is
// refreshed in the background and may not be available yet.
class KeySource {
 public:
  struct Keys {
    std::shared_ptr<const Jwks> jwks;  // null: no usable keys, `status` says why
    JwtStatus status = JwtStatus::kOk;
    // jwks is null but a fetch that may bring keys is running: a caller that can suspend may
    // awaitFetch() and decide again (Envoy makes the first request wait for a lazy fetch).
    bool fetching = false;
  };
  virtual ~KeySource() = default;
  // Thread-safe; no lock on the request path (remote sources swap an atomic shared_ptr).
  virtual Keys current() const = 0;
  // Jwks::id() of the set current() would answer now, or 0 for none; no side effects (no fetch),
  // lock-free. The verified-token cache looks entries up with it, then confirms with current().
  virtual uint64_t peekKeysetId() const { return 0; }
  // Called (request path, no lock allowed) when a token's kid/alg matched no key of current()
  // (kJwksKidAlgMismatch): a remote source may schedule one rate-limited refetch so a rotated key
  // is picked up early (Envoy never refetches, envoy#39643). The request itself still fails.
  virtual void onKidAlgMismatch() const {}
  // When a fetch is running, registers `resume` to be called once (from any thread) when it
  // finished, and returns true; returns false (dropping `resume`) when there is nothing to wait
  // for. Not for the hot path (it may take a lock); only after current() said `fetching`.
  virtual bool awaitFetch(std::function<void()> resume) const {
    (void)resume;
    return false;
  }
};

// A fixed key set (`local.inline`, `local.secretRef`). A null or empty set answers
// kJwksNoValidKeys (Envoy's answer for a local JWKS that did not parse).
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(std::shared_ptr<const Jwks> jwks);
  Keys current() const override { return keys_; }
  uint64_t peekKeysetId() const override { return keys_.jwks ? keys_.jwks->id() : 0; }

 private:
  Keys keys_;
};

struct ClaimToHeader {
  std::string claim;   // top-level claim name; if absent and it holds '.', walked as a nested path
  std::string header;  // request header to set
  bool append = false; // true: join with earlier values of the header (","); false: replace
};

struct ProviderConfig {
  std::string name;  // the `providers` map key: logs only
  ProviderChecks checks;
  std::shared_ptr<const KeySource> keys;
  TokenLocations locations;  // empty: Authorization "Bearer " + ?access_token
  bool keep_token = false;
  std::vector<ClaimToHeader> claims_to_headers;
  std::string output_payload_to_header;  // empty: none
};

enum class ValidationPolicy : uint8_t {
  kRequireValid,          // a valid token from some provider is required
  kAllowMissing,          // no token at all: continue without one; any other failure rejects
  kAllowMissingOrFailed,  // never rejects; a payload only from a valid token
};

struct AuthResult {
  // kOk when a provider accepted the request's tokens; otherwise the reported failure
  // (kJwtMissed when no token was found), also when the validation policy lets it on.
  JwtStatus status = JwtStatus::kJwtMissed;
  bool allowed = false;        // continue to authorization (claims)
  bool token_present = false;  // a token was found at some configured location
  int provider = -1;           // index of the accepting provider, -1 if none
  std::shared_ptr<const Jwt> jwt;  // the verified token (null unless status == kOk)
  // Token locations to remove before forwarding (the accepting provider's, unless keepToken):
  // whole header fields (lower-case names) and query parameters. Cookies are never removed.
  // Views into the Authenticator. Inline storage: no allocation for the usual one or two.
  boost::container::small_vector<std::string_view, 2> strip_headers;
  boost::container::small_vector<std::string_view, 2> strip_query_params;
  // Set when the request was not accepted and some provider had no keys only because their
  // fetch is still running (Keys::fetching): waiting for it may change the answer.
  const KeySource* pending_keys = nullptr;
};

struct HeaderToAdd {
  std::string_view name;  // as configured; into the Authenticator
  std::string value;
};
struct SkippedClaimHeader {
  std::string_view claim, header;  // into the Authenticator
  std::string_view reason;         // "claim missing", "null", "empty string", "control character"
};
struct HeadersToAdd {
  std::vector<HeaderToAdd> headers;  // one entry per header name, in configuration order
  std::vector<SkippedClaimHeader> skipped;
};

class Authenticator {
 public:
  // Throws std::invalid_argument for: no provider, more than kMaxProviders, a provider without
  // keys, an invalid header name in claimsToHeaders/outputPayloadToHeader or tokenSource.
  Authenticator(std::vector<ProviderConfig> providers, ValidationPolicy policy);

  // Providers are ORed: the first (in order) that finds at least one token at its locations and
  // verifies every token found there accepts. Per token: parse, then checkClaims (issuer ->
  // nbf/exp -> audience), then the provider's current keys, then the signature; tokens are
  // checked in Envoy's order (cookies, query parameters, then headers, last found first) and
  // the first failure is the provider's error. When every provider fails, the error reported
  // is the last provider's real error, else kJwtUnknownIssuer, else kJwtMissed.
  //
  // `cache` (optional, one per worker thread): a token found there for the provider and its
  // current key set skips parsing and the signature (issuer, time and audience are still
  // checked, in the same order); a token verified here is added; a token whose signature just
  // failed is remembered so that replaying it costs no signature work (same status).
  AuthResult authenticate(const RequestView& request, uint64_t now,
                          TokenCache* cache = nullptr) const;

  // Lower-case names of every header some provider sets (claimsToHeaders, outputPayloadToHeader):
  // a client must never be able to send them, so they are removed from every request to the
  // route before authentication, whatever its outcome.
  const std::vector<std::string>& headersToRemove() const { return headers_to_remove_; }

  // The headers to add after a successful authentication (empty unless r.jwt): the accepting
  // provider's claimsToHeaders (string as is; number/bool as JSON text; array/object as compact
  // JSON; null, missing or "" claims skipped; a value with a control character other than HTAB
  // — CR, LF, NUL... — is refused and reported in `skipped`) and outputPayloadToHeader (the
  // payload segment as sent, base64url unpadded).
  HeadersToAdd headersToAdd(const AuthResult& r) const;

  const std::vector<ProviderConfig>& providers() const { return providers_; }
  const Extractor& extractor() const { return extractor_; }
  ValidationPolicy validationPolicy() const { return policy_; }

 private:
  struct Parsed {
    std::shared_ptr<const Jwt> jwt;
    JwtStatus status = JwtStatus::kOk;
  };
  using ParsedList = boost::container::small_vector<Parsed, 4>;
  JwtStatus verifyForProvider(size_t p, const TokenList& tokens, ParsedList& parsed, uint64_t now,
                              TokenCache* cache, bool* any, const KeySource** pending) const;
  JwtStatus verifyToken(size_t p, std::string_view token, Parsed& pt, uint64_t now,
                        TokenCache* cache, const KeySource** pending) const;
  void acceptedBy(size_t p, const TokenList& tokens, const ParsedList& parsed,
                  AuthResult& r) const;

  std::vector<ProviderConfig> providers_;
  std::vector<uint64_t> provider_ids_;  // unique per provider instance: token-cache keys
  ValidationPolicy policy_;
  Extractor extractor_;
  std::vector<std::string> headers_to_remove_;
};

// How a claim value is rendered into a header (see Authenticator::headersToAdd). Returns false
// with `reason` set when no header must be produced.
bool renderClaimForHeader(simdjson::dom::element payload, std::string_view claim, std::string* out,
                          std::string_view* reason);

}  // namespace claimgate::jwt
