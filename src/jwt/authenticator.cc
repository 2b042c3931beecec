// requires_any over providers (Envoy verifier.cc AnyVerifierImpl), each provider verifying every
// token at its own locations (authenticator.cc), with Gloo's validationPolicy applied last.
#include "jwt/authenticator.h"

#include <atomic>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "common/ascii.h"

namespace claimgate::jwt {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// RFC 9110 §5.6.2 tchar.
bool isHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// RFC 9110 §5.5: a field value has no CTL but HTAB. CR/LF would split the request (header
// injection towards the upstream), NUL truncates in many parsers.
bool hasForbiddenControl(std::string_view v) {
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

bool lookupClaim(element payload, std::string_view claim, element* out) {
  if (payload.type() != element_type::OBJECT) return false;
  simdjson::dom::object obj = payload.get_object().value_unsafe();
  auto top = obj.at_key(claim);
  if (!top.error()) {
    *out = top.value_unsafe();
    return true;
  }
  // Envoy's claim_to_headers splits the name on '.'; claimgate tries the exact top-level name
  // first so that claims such as "solo.io/company" (Gloo workshops) stay reachable.
  if (claim.find('.') == std::string_view::npos) return false;
  element cur = payload;
  while (true) {
    size_t dot = claim.find('.');
    if (cur.type() != element_type::OBJECT) return false;
    auto r = cur.get_object().value_unsafe().at_key(claim.substr(0, dot));
    if (r.error()) return false;
    cur = r.value_unsafe();
    if (dot == std::string_view::npos) break;
    claim.remove_prefix(dot + 1);
  }
  *out = cur;
  return true;
}

uint64_t nextProviderId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

bool renderClaimForHeader(element payload, std::string_view claim, std::string* out,
                          std::string_view* reason) {
  element v;
  if (!lookupClaim(payload, claim, &v)) {
    *reason = "claim missing";
    return false;
  }
  char buf[40];
  switch (v.type()) {
    case element_type::NULL_VALUE:
      *reason = "null";
      return false;
    case element_type::STRING:
      out->assign(std::string_view(v.get_string().value_unsafe()));
      if (out->empty()) {
        *reason = "empty string";  // Envoy adds no header for "" either
        return false;
      }
      break;
    case element_type::BOOL:
      out->assign(v.get_bool().value_unsafe() ? "true" : "false");
      break;
    case element_type::INT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64().value_unsafe());
      out->assign(buf, r.ptr);
      break;
    }
    case element_type::UINT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe());
      out->assign(buf, r.ptr);
      break;
    }
    case element_type::DOUBLE: {
      // Same text as the claims policy compares: integral values below 2^53 as integers,
      // others in the shortest round-trip form.
      double d = v.get_double().value_unsafe();
      std::to_chars_result r;
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
        r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
      } else {
        r = std::to_chars(buf, buf + sizeof buf, d);
      }
      out->assign(buf, r.ptr);
      break;
    }
    default:  // array / object: compact JSON (Envoy sends base64 of it; DESIGN §3 chose JSON)
      *out = simdjson::minify(v);
      break;
  }
  if (hasForbiddenControl(*out)) {
    out->clear();
    *reason = "control character";
    return false;
  }
  return true;
}

StaticKeySource::StaticKeySource(std::shared_ptr<const Jwks> jwks) {
  if (jwks && !jwks->keys().empty()) {
    keys_.jwks = std::move(jwks);
  } else {
    keys_.status = JwtStatus::kJwksNoValidKeys;
  }
}

Authenticator::Authenticator(std::vector<ProviderConfig> providers, ValidationPolicy policy)
    : providers_(std::move(providers)), policy_(policy) {
  if (providers_.empty()) throw std::invalid_argument("a JWT policy needs at least one provider");
  std::vector<TokenLocations> locs;
  for (const ProviderConfig& p : providers_) {
    if (!p.keys) throw std::invalid_argument("provider " + p.name + " has no key source");
    for (const HeaderLocation& h : p.locations.headers) {
      if (!isHeaderName(h.name)) {
        throw std::invalid_argument("provider " + p.name + ": invalid tokenSource header name \"" +
                                    h.name + "\"");
      }
    }
    auto remember = [&](const std::string& header) {
      if (!isHeaderName(header)) {
        throw std::invalid_argument("provider " + p.name + ": invalid header name \"" + header +
                                    "\"");
      }
      std::string lower = asciiLowerCopy(header);
      for (const auto& h : headers_to_remove_) {
        if (h == lower) return;
      }
      headers_to_remove_.push_back(std::move(lower));
    };
    for (const ClaimToHeader& c : p.claims_to_headers) {
      if (c.claim.empty()) throw std::invalid_argument("provider " + p.name + ": empty claim");
      remember(c.header);
    }
    if (!p.output_payload_to_header.empty()) remember(p.output_payload_to_header);
    locs.push_back(p.locations);
    provider_ids_.push_back(nextProviderId());
  }
  extractor_ = Extractor(locs);  // throws for > kMaxProviders or empty names
}

JwtStatus Authenticator::verifyForProvider(size_t p, const TokenList& tokens, ParsedList& parsed,
                                           uint64_t now, TokenCache* cache, bool* any,
                                           const KeySource** pending) const {
  const uint64_t bit = uint64_t{1} << p;
  *any = false;
  // Envoy pops tokens from the back of its list (cookies, then query parameters, then headers)
  // and stops at the first failure, which is the one reported.
  for (size_t i = tokens.size(); i-- > 0;) {
    if (!(extractor_.locations()[tokens[i].location()].providers & bit)) continue;
    *any = true;
    JwtStatus s = verifyToken(p, tokens[i].value(), parsed[i], now, cache, pending);
    if (s != JwtStatus::kOk) return s;
  }
  return *any ? JwtStatus::kOk : JwtStatus::kJwtMissed;
}

// One token for one provider: parse, then checkClaims (issuer bound to this provider's
// locations, time, audience), then keys, then the signature — each step only when the earlier
// ones passed, so a cached token reports exactly what a fresh verification would.
JwtStatus Authenticator::verifyToken(size_t p, std::string_view token, Parsed& pt, uint64_t now,
                                     TokenCache* cache, const KeySource** pending) const {
  const ProviderConfig& provider = providers_[p];
  const uint64_t pid = provider_ids_[p];
  // A cached token skips parsing here and the signature below, nothing else. The key set is
  // peeked without side effects (no lazy fetch for a token that may fail its time check);
  // current() below confirms it is still the set the token was verified with.
  uint64_t cached_keyset = 0;
  if (cache && !pt.jwt && token.size() <= cache->options().max_token_bytes) {
    const uint64_t keyset = provider.keys->peekKeysetId();
    if (keyset != 0) {
      if (const std::shared_ptr<const Jwt>* hit = cache->findValid(pid, keyset, token)) {
        pt.jwt = *hit;
        pt.status = JwtStatus::kOk;
        cached_keyset = keyset;
      }
    }
  }
  if (!pt.jwt) {
    std::shared_ptr<Jwt> jwt = cache ? cache->takeSpareJwt() : nullptr;  // reuses its buffers
    if (!jwt) jwt = std::make_shared<Jwt>();
    pt.status = jwt->parse(token);
    pt.jwt = std::move(jwt);
  }
  if (pt.status != JwtStatus::kOk) return pt.status;
  JwtStatus s = checkClaims(*pt.jwt, provider.checks, now);
  if (s != JwtStatus::kOk) return s;
  KeySource::Keys keys = provider.keys->current();
  if (!keys.jwks) {
    if (keys.fetching && !*pending) *pending = provider.keys.get();
    return keys.status == JwtStatus::kOk ? JwtStatus::kJwksNoValidKeys : keys.status;
  }
  if (cached_keyset != 0 && keys.jwks->id() == cached_keyset) return JwtStatus::kOk;
  const uint64_t keyset = keys.jwks->id();
  if (cache && cache->findInvalid(pid, keyset, token, &s)) return s;  // a replayed bad token
  s = verifyJwtSignature(*pt.jwt, *keys.jwks);
  if (s == JwtStatus::kJwksKidAlgMismatch) provider.keys->onKidAlgMismatch();
  if (cache) {
    if (s == JwtStatus::kOk) {
      cache->insertValid(pid, keyset, token, pt.jwt);
    } else if (s == JwtStatus::kJwtVerificationFail) {
      cache->insertInvalid(pid, keyset, token, s);
    }
  }
  return s;
}

void Authenticator::acceptedBy(size_t p, const TokenList& tokens, const ParsedList& parsed,
                               AuthResult& r) const {
  const uint64_t bit = uint64_t{1} << p;
  r.status = JwtStatus::kOk;
  r.allowed = true;
  r.provider = static_cast<int>(p);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Location& loc = extractor_.locations()[tokens[i].location()];
    if (!(loc.providers & bit)) continue;
    // Several tokens all verified: the first found (a header before a query parameter) is the
    // request's token, as Envoy, whose last metadata write is the first extracted token.
    if (!r.jwt) r.jwt = parsed[i].jwt;
    if (providers_[p].keep_token) continue;
    if (loc.kind == LocationKind::kCookie) continue;  // never removed (Envoy #17985)
    auto& list = loc.kind == LocationKind::kHeader ? r.strip_headers : r.strip_query_params;
    bool dup = false;
    for (std::string_view n : list) dup = dup || n == loc.name;
    if (!dup) list.push_back(loc.name);
  }
}

AuthResult Authenticator::authenticate(const RequestView& request, uint64_t now,
                                       TokenCache* cache) const {
  AuthResult r;
  TokenList tokens;
  extractor_.extract(request, tokens);
  r.token_present = !tokens.empty();
  if (tokens.empty()) {
    r.status = JwtStatus::kJwtMissed;
    r.allowed = policy_ != ValidationPolicy::kRequireValid;
    return r;
  }
  ParsedList parsed(tokens.size());
  JwtStatus last_real = JwtStatus::kOk;
  bool unknown_issuer = false;
  for (size_t p = 0; p < providers_.size(); ++p) {
    bool any = false;
    JwtStatus s = verifyForProvider(p, tokens, parsed, now, cache, &any, &r.pending_keys);
    if (s == JwtStatus::kOk) {
      r.pending_keys = nullptr;
      acceptedBy(p, tokens, parsed, r);
      return r;
    }
    if (s == JwtStatus::kJwtUnknownIssuer) {
      unknown_issuer = true;
    } else if (s != JwtStatus::kJwtMissed) {
      last_real = s;
    }
  }
  // Envoy's requires_any preference (verifier.cc, PR #10385).
  r.status = last_real != JwtStatus::kOk ? last_real
             : unknown_issuer            ? JwtStatus::kJwtUnknownIssuer
                                         : JwtStatus::kJwtMissed;
  // A token was present (else we returned above): ALLOW_MISSING rejects it as REQUIRE_VALID
  // does — any present token that no provider accepts fails the request, which closes Envoy's
  // allow_missing "last token decides" hole (envoyproxy/envoy#31298).
  r.allowed = policy_ == ValidationPolicy::kAllowMissingOrFailed;
  return r;
}

HeadersToAdd Authenticator::headersToAdd(const AuthResult& r) const {
  HeadersToAdd out;
  if (!r.jwt || r.provider < 0) return out;
  const ProviderConfig& p = providers_[static_cast<size_t>(r.provider)];
  element payload = r.jwt->payload();
  auto find = [&](std::string_view name) -> HeaderToAdd* {
    for (HeaderToAdd& h : out.headers) {
      if (asciiIequals(h.name, name)) return &h;
    }
    return nullptr;
  };
  for (const ClaimToHeader& c : p.claims_to_headers) {
    std::string value;
    std::string_view reason;
    if (!renderClaimForHeader(payload, c.claim, &value, &reason)) {
      out.skipped.push_back(SkippedClaimHeader{c.claim, c.header, reason});
      continue;
    }
    HeaderToAdd* existing = find(c.header);
    if (!existing) {
      out.headers.push_back(HeaderToAdd{c.header, std::move(value)});
    } else if (c.append) {
      existing->value += ',';
      existing->value += value;
    } else {
      existing->value = std::move(value);
    }
  }
  if (!p.output_payload_to_header.empty()) {
    std::string segment(r.jwt->payloadSegment());
    if (HeaderToAdd* existing = find(p.output_payload_to_header)) {
      existing->value = std::move(segment);
    } else {
      out.headers.push_back(HeaderToAdd{p.output_payload_to_header, std::move(segment)});
    }
  }
  return out;
}

}  // namespace claimgate::jwt
