// Signature verification with OpenSSL 3 EVP, and the provider checks in Envoy's order
// (jwt_verify_lib src/verify.cc, src/check_audience.cc, Jwt::verifyTimeConstraint).
#include "jwt/verify.h"

#include "jwt/openssl_ptr.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>

namespace claimgate::jwt {
namespace {

// Digests fetched once: an implicit fetch per call (EVP_sha256()) costs a method-store lookup.
struct Digests {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
};

const EVP_MD* digestFor(Alg alg) {
  static const Digests digests;  // never freed: lives as long as the process
  switch (hashSizeFor(alg)) {
    case 32:
      return digests.sha256;
    case 48:
      return digests.sha384;
    case 64:
      return digests.sha512;
    default:
      return nullptr;
  }
}


// Group orders, big-endian, fixed width, for the r/s range check.
struct CurveOrder {
  int nid = 0;
  size_t bytes = 0;
  std::array<unsigned char, 66> order{};
};

const CurveOrder* orderFor(int nid) {
  static const std::array<CurveOrder, 4> orders = [] {
    std::array<CurveOrder, 4> out;
    const std::array<std::pair<int, size_t>, 4> curves = {{{NID_X9_62_prime256v1, 32},
                                                           {NID_secp384r1, 48},
                                                           {NID_secp521r1, 66},
                                                           {NID_secp256k1, 32}}};
    for (size_t i = 0; i < curves.size(); ++i) {
      out[i].nid = curves[i].first;
      out[i].bytes = curves[i].second;
      EC_GROUP* group = EC_GROUP_new_by_curve_name(curves[i].first);
      if (group != nullptr) {
        BN_bn2binpad(EC_GROUP_get0_order(group), out[i].order.data(),
                     static_cast<int>(out[i].bytes));
        EC_GROUP_free(group);
      }
    }
    return out;
  }();
  for (const auto& o : orders) {
    if (o.nid == nid) return &o;
  }
  return nullptr;
}

// 1 <= v <= n-1 for a big-endian fixed-width v (order read the same way).
bool inScalarRange(const unsigned char* v, const CurveOrder& o) {
  bool nonzero = false;
  for (size_t i = 0; i < o.bytes; ++i) nonzero |= v[i] != 0;
  return nonzero && std::memcmp(v, o.order.data(), o.bytes) < 0;
}

// Per-thread verification contexts, one per (key, alg), set up once (verify_init, padding, salt
// length, MGF1 and signature digest) and reused for every token, as `openssl speed` does: an
// EVP_PKEY_CTX per call costs a third of an RSA-2048 verification. No locks: each thread has
// its own. A cached context holds a reference on its EVP_PKEY, so the key (and its address)
// outlives the entry; entries are evicted round-robin when more keys are in use.
class VerifyContexts {
 public:
  VerifyContexts() = default;
  VerifyContexts(const VerifyContexts&) = delete;
  VerifyContexts& operator=(const VerifyContexts&) = delete;
  ~VerifyContexts() {
    for (auto& e : entries_) EVP_PKEY_CTX_free(e.ctx);
    EVP_MD_CTX_free(md_ctx_);
  }

  EVP_PKEY_CTX* get(EVP_PKEY* pkey, Alg alg) {
    for (auto& e : entries_) {
      if (e.ctx != nullptr && e.pkey == pkey && e.alg == alg) return e.ctx;
    }
    EVP_PKEY_CTX* ctx = make(pkey, alg);
    if (ctx == nullptr) return nullptr;
    Entry& slot = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    EVP_PKEY_CTX_free(slot.ctx);
    slot = Entry{pkey, alg, ctx};
    return ctx;
  }

  // H(data) with a reused digest context.
  bool digest(const EVP_MD* md, std::string_view data, unsigned char* out, unsigned int* len) {
    if (md_ctx_ == nullptr) md_ctx_ = EVP_MD_CTX_new();
    return md_ctx_ != nullptr && EVP_DigestInit_ex2(md_ctx_, md, nullptr) == 1 &&
           EVP_DigestUpdate(md_ctx_, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(md_ctx_, out, len) == 1;
  }

 private:
  struct Entry {
    EVP_PKEY* pkey = nullptr;
    Alg alg = Alg::kRS256;
    EVP_PKEY_CTX* ctx = nullptr;
  };

  static EVP_PKEY_CTX* make(EVP_PKEY* pkey, Alg alg) {
    const EVP_MD* md = digestFor(alg);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    const bool pss = alg == Alg::kPS256 || alg == Alg::kPS384 || alg == Alg::kPS512;
    // RFC 7518 §3.5: MGF1 with the same hash, salt length = hash length (not auto-detected).
    if (ctx == nullptr || EVP_PKEY_verify_init(ctx) != 1 ||
        (pss && (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                 EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1)) ||
        (!pss && keyTypeFor(alg) == KeyType::kRsa &&
         EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
      EVP_PKEY_CTX_free(ctx);
      return nullptr;
    }
    return ctx;
  }

  std::array<Entry, 16> entries_{};
  size_t next_ = 0;
  EVP_MD_CTX* md_ctx_ = nullptr;
};

VerifyContexts& contexts() {
  thread_local VerifyContexts c;
  return c;
}

// RSA (PKCS#1 v1.5 or PSS) and ECDSA (DER `sig`): hash, then verify the digest with the cached
// context. Leaves OpenSSL's per-thread error queue empty on failure.
bool prehashVerify(EVP_PKEY* pkey, Alg alg, std::string_view data, std::string_view sig) {
  VerifyContexts& c = contexts();
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash;
  unsigned int hash_len = 0;
  EVP_PKEY_CTX* ctx = c.get(pkey, alg);
  const bool ok = ctx != nullptr && c.digest(digestFor(alg), data, hash.data(), &hash_len) &&
                  EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                                  sig.size(), hash.data(), hash_len) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

// EdDSA signs the message itself (no prehash): one EVP_DigestVerify per call.
bool eddsaVerify(EVP_PKEY* pkey, std::string_view data, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

bool verifyRsa(Alg alg, const Jwk& key, std::string_view data, std::string_view sig) {
  // RFC 8017 §8.1.2/§8.2.2 step 1: the signature is exactly k bytes.
  if (sig.size() != static_cast<size_t>(EVP_PKEY_get_size(key.pkey.get()))) return false;
  // PKCS#1 v1.5: OpenSSL rebuilds EMSA-PKCS1-v1_5(H) and compares bytes (rsa_sign.c
  // ossl_rsa_verify), so a DigestInfo without its NULL parameter never verifies.
  return prehashVerify(key.pkey.get(), alg, data, sig);
}

bool verifyEc(Alg alg, const Jwk& key, std::string_view data, std::string_view sig) {
  // The curve is the algorithm's (RFC 7518 §3.4, RFC 8812): no ES256 with a P-384 key.
  if (ecCurveNidFor(alg) != key.ec_curve_nid) return false;
  const CurveOrder* order = orderFor(key.ec_curve_nid);
  // Raw r||s of exactly 2 x coordinate size, split at the half; never a lenient DER parse.
  if (order == nullptr || sig.size() != 2 * order->bytes) return false;
  const auto* r = reinterpret_cast<const unsigned char*>(sig.data());
  const auto* s = r + order->bytes;
  if (!inScalarRange(r, *order) || !inScalarRange(s, *order)) return false;
  ECDSA_SIG* esig = ECDSA_SIG_new();
  if (esig == nullptr) return false;
  BIGNUM* rb = BN_bin2bn(r, static_cast<int>(order->bytes), nullptr);
  BIGNUM* sb = BN_bin2bn(s, static_cast<int>(order->bytes), nullptr);
  if (rb == nullptr || sb == nullptr || ECDSA_SIG_set0(esig, rb, sb) != 1) {
    BN_free(rb);
    BN_free(sb);
    ECDSA_SIG_free(esig);
    return false;
  }
  std::array<unsigned char, 160> der;  // SEQUENCE of two INTEGERs of <= 67 bytes
  unsigned char* p = der.data();
  const int der_len = i2d_ECDSA_SIG(esig, nullptr);
  bool ok = false;
  if (der_len > 0 && static_cast<size_t>(der_len) <= der.size() && i2d_ECDSA_SIG(esig, &p) == der_len) {
    ok = prehashVerify(key.pkey.get(), alg, data,
                       std::string_view(reinterpret_cast<const char*>(der.data()),
                                        static_cast<size_t>(der_len)));
  }
  ECDSA_SIG_free(esig);
  return ok;
}

bool verifyEdDsa(const Jwk& key, std::string_view data, std::string_view sig) {
  // RFC 8032 §5.1.7 / §5.2.7: exactly 64 (Ed25519) or 114 (Ed448) bytes.
  if (sig.size() != (key.ed448 ? 114u : 64u)) return false;
  return eddsaVerify(key.pkey.get(), data, sig);
}

bool verifyHmac(Alg alg, const Jwk& key, std::string_view data, std::string_view sig) {
  const size_t n = hashSizeFor(alg);
  // RFC 7518 §3.2: the full-length MAC, and a key at least as long as the hash.
  if (sig.size() != n || key.secret.size() < n) return false;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
  unsigned int mac_len = 0;
  if (HMAC(digestFor(alg), key.secret.data(), static_cast<int>(key.secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &mac_len) == nullptr ||
      mac_len != n) {
    return false;
  }
  return CRYPTO_memcmp(mac.data(), sig.data(), n) == 0;
}

}  // namespace

bool verifySignature(Alg alg, const Jwk& key, std::string_view data, std::string_view sig) {
  // A key verifies only the algorithms of its own kty: no HS256 keyed with an RSA public key,
  // no RS256 against an EC key (stricter than Envoy for EC/OKP, see docs/jwt.md).
  if (keyTypeFor(alg) != key.kty) return false;
  if (key.alg && *key.alg != alg) return false;
  switch (key.kty) {
    case KeyType::kRsa:
      return key.pkey && verifyRsa(alg, key, data, sig);
    case KeyType::kEc:
      return key.pkey && verifyEc(alg, key, data, sig);
    case KeyType::kOkp:
      return key.pkey && verifyEdDsa(key, data, sig);
    case KeyType::kOct:
      return verifyHmac(alg, key, data, sig);
  }
  return false;
}

JwtStatus verifyJwtSignature(const Jwt& jwt, const Jwks& jwks) {
  bool kid_alg_matched = false;
  bool ed25519_wrong_length = false;
  for (const Jwk& key : jwks.keys()) {
    // Envoy verify.cc: skip when both kids are present and differ, or the key's alg differs.
    if (jwt.hasKid() && key.kid && !key.kid->empty() && *key.kid != jwt.kid()) continue;
    if (key.alg && *key.alg != jwt.alg()) continue;
    kid_alg_matched = true;
    if (key.kty != keyTypeFor(jwt.alg())) continue;
    // Envoy answers a wrong Ed25519 length with its own status. We report it once no key
    // verified, so an Ed448 key later in the set still gets its chance.
    if (key.kty == KeyType::kOkp && !key.ed448 && jwt.signature().size() != 64) {
      ed25519_wrong_length = true;
      continue;
    }
    if (verifySignature(jwt.alg(), key, jwt.signedPart(), jwt.signature())) return JwtStatus::kOk;
  }
  if (ed25519_wrong_length) return JwtStatus::kJwtEd25519SignatureWrongLength;
  return kid_alg_matched ? JwtStatus::kJwtVerificationFail : JwtStatus::kJwksKidAlgMismatch;
}

std::string_view normalizeAudience(std::string_view aud) {
  constexpr std::string_view kHttps = "https://";
  constexpr std::string_view kHttp = "http://";
  if (aud.substr(0, kHttps.size()) == kHttps) {
    aud.remove_prefix(kHttps.size());
  } else if (aud.substr(0, kHttp.size()) == kHttp) {
    aud.remove_prefix(kHttp.size());
  }
  if (!aud.empty() && aud.back() == '/') aud.remove_suffix(1);
  return aud;
}

JwtStatus checkClaims(const Jwt& jwt, const ProviderChecks& checks, uint64_t now) {
  if (!checks.issuer.empty() && jwt.iss() != checks.issuer) return JwtStatus::kJwtUnknownIssuer;
  // Saturating adds: exp near 2^64 must not wrap into "expired".
  auto add = [](uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; };
  const uint64_t skew = checks.clock_skew_seconds;
  if (add(now, skew) < jwt.nbf()) return JwtStatus::kJwtNotYetValid;
  if (jwt.exp() != 0 && now > add(jwt.exp(), skew)) return JwtStatus::kJwtExpired;
  if (!checks.audiences.empty()) {
    // RFC 7519 §4.1.3; Envoy check_audience.cc: any token audience equal to any configured one,
    // both normalised. A token without aud never matches.
    bool found = false;
    for (const auto& a : jwt.audiences()) {
      const std::string_view na = normalizeAudience(a);
      for (const auto& c : checks.audiences) {
        if (na == normalizeAudience(c)) {
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (!found) return JwtStatus::kJwtAudienceNotAllowed;
  }
  return JwtStatus::kOk;
}

JwtStatus verifyJwt(const Jwt& jwt, const ProviderChecks& checks, const Jwks& jwks, uint64_t now) {
  if (const JwtStatus s = checkClaims(jwt, checks, now); s != JwtStatus::kOk) return s;
  if (jwks.keys().empty()) return JwtStatus::kJwksNoValidKeys;
  return verifyJwtSignature(jwt, jwks);
}

}  // namespace claimgate::jwt
