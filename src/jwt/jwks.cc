// Key loading. Config-time code: it may allocate freely, but it never throws, since remote JWKS
// bodies are untrusted input parsed on a worker (fuzzed by test/fuzz/jwks_fuzz.cc).
#include "jwt/jwks.h"

#include "jwt/openssl_ptr.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <set>

#include <simdjson.h>

#include "common/base64url.h"

namespace claimgate::jwt {

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

namespace {

using simdjson::dom::element;
using simdjson::dom::object;


// Carries the first refusal so a set with no usable key reports it.
struct Errors {
  JwtStatus first = JwtStatus::kOk;
  std::string text;
  void add(JwtStatus s, std::string_view what) {
    if (first == JwtStatus::kOk) first = s;
    if (!text.empty()) text += "; ";
    text += what;
  }
};

using Curve = EcCurve;
const Curve* curveByNid(int nid) { return ecCurveByNid(nid); }

// ROCA (CVE-2017-15361): moduli from Infineon's weak generator are, modulo each of these small
// primes, powers of 65537. The fingerprint (Nemec et al., CCS 2017, as in crocs-muni/roca
// detect) has a negligible false-positive rate for honest keys.
bool hasRocaFingerprint(const BIGNUM* n) {
  constexpr std::array<unsigned, 38> kPrimes = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,
                                                37,  41,  43,  47,  53,  59,  61,  67,  71,  73,
                                                79,  83,  89,  97,  101, 103, 107, 109, 113, 127,
                                                131, 137, 139, 149, 151, 157, 163, 167};
  for (unsigned p : kPrimes) {
    const BN_ULONG r = BN_mod_word(n, p);
    if (r == static_cast<BN_ULONG>(-1)) return false;
    const unsigned g = 65537 % p;
    unsigned x = 1;
    bool in_group = false;
    for (unsigned i = 0; i < p; ++i) {
      if (x == r) {
        in_group = true;
        break;
      }
      x = x * g % p;
    }
    if (!in_group) return false;
  }
  return true;
}

// RSA policy (docs/jwt.md): 2048 <= bits <= 16384, e odd and >= 3, not a ROCA modulus.
bool rsaPolicyOk(const EVP_PKEY* pkey, Errors& errors, std::string_view who) {
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    BN_free(n);
    errors.add(JwtStatus::kJwksRsaParseError, std::string(who) + ": cannot read the RSA key");
    return false;
  }
  BnPtr np(n), ep(e);
  const int bits = BN_num_bits(n);
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    errors.add(JwtStatus::kJwksRsaParseError,
               std::string(who) + ": RSA modulus of " + std::to_string(bits) +
                   " bits (accepted: 2048..16384, RFC 7518 §3.3)");
    return false;
  }
  if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64) {
    errors.add(JwtStatus::kJwksRsaParseError,
               std::string(who) + ": RSA public exponent must be odd, >= 3 and < 2^64");
    return false;
  }
  if (hasRocaFingerprint(n)) {
    errors.add(JwtStatus::kJwksRsaParseError,
               std::string(who) + ": RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
    return false;
  }
  return true;
}

bool publicKeyValid(EVP_PKEY* pkey) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

EvpPkeyPtr pkeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(pkey);
}

// A string member: kMissing when absent, kWrongType when present but not a string.
enum class Member : uint8_t { kOk, kMissing, kWrongType };
Member getString(object obj, std::string_view name, std::string_view& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return Member::kMissing;
  return e.get_string().get(out) == simdjson::SUCCESS ? Member::kOk : Member::kWrongType;
}

// A required string member: false, with the JWKS status recorded, when it is missing or not a
// string (jwt_verify_lib's "[x] field is missing / is not string" pairs).
bool requireString(object obj, std::string_view name, std::string_view& out, JwtStatus missing,
                   JwtStatus wrong_type, Errors& errors, const std::string& who) {
  switch (getString(obj, name, out)) {
    case Member::kOk:
      return true;
    case Member::kMissing:
      errors.add(missing, who + ": [" + std::string(name) + "] is missing");
      return false;
    case Member::kWrongType:
      errors.add(wrong_type, who + ": [" + std::string(name) + "] is not a string");
      return false;
  }
  return false;
}

std::optional<Jwk> rsaFromJwk(object obj, Errors& errors, const std::string& who) {
  std::string_view n64, e64;
  if (!requireString(obj, "n", n64, JwtStatus::kJwksRSAKeyMissingN, JwtStatus::kJwksRSAKeyBadN,
                     errors, who)) {
    return std::nullopt;
  }
  if (!requireString(obj, "e", e64, JwtStatus::kJwksRSAKeyMissingE, JwtStatus::kJwksRSAKeyBadE,
                     errors, who)) {
    return std::nullopt;
  }
  std::string n, e;
  if (!base64UrlDecode(n64, n) || !base64UrlDecode(e64, e) || n.empty() || e.empty()) {
    errors.add(JwtStatus::kJwksRsaParseError, who + ": [n] or [e] is not base64url");
    return std::nullopt;
  }
  BnPtr nb(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()),
                     nullptr));
  BnPtr eb(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()),
                     nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!nb || !eb || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nb.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, eb.get()) != 1) {
    errors.add(JwtStatus::kJwksRsaParseError, who + ": cannot build the RSA key");
    return std::nullopt;
  }
  EvpPkeyPtr pkey = pkeyFromParams("RSA", bld.get());
  if (!pkey) {
    errors.add(JwtStatus::kJwksRsaParseError, who + ": cannot build the RSA key");
    return std::nullopt;
  }
  if (!rsaPolicyOk(pkey.get(), errors, who)) return std::nullopt;
  Jwk jwk;
  jwk.kty = KeyType::kRsa;
  jwk.pkey = std::move(pkey);
  return jwk;
}

std::optional<Jwk> ecFromJwk(object obj, std::optional<Alg> alg, Errors& errors,
                             const std::string& who) {
  std::string_view crv;
  const Curve* curve = nullptr;
  switch (getString(obj, "crv", crv)) {
    case Member::kWrongType:
      errors.add(JwtStatus::kJwksECKeyBadCrv, who + ": [crv] is not a string");
      return std::nullopt;
    case Member::kMissing: {
      // Envoy: no crv means the alg's curve, and P-256 when there is no alg either.
      const int nid = ecCurveNidFor(alg.value_or(Alg::kES256)).value_or(NID_X9_62_prime256v1);
      curve = curveByNid(nid);
      break;
    }
    case Member::kOk:
      for (const auto& c : ecCurves()) {
        if (c.jwk_name == crv) curve = &c;
      }
      if (curve == nullptr) {
        errors.add(JwtStatus::kJwksECKeyAlgOrCrvUnsupported,
                   who + ": [crv] " + std::string(crv) + " is not supported");
        return std::nullopt;
      }
      break;
  }
  if (alg && *alg != curve->alg) {
    errors.add(JwtStatus::kJwksECKeyAlgNotCompatibleWithCrv,
               who + ": [alg] " + std::string(algName(*alg)) + " does not fit [crv] " +
                   std::string(curve->jwk_name));
    return std::nullopt;
  }
  std::string_view x64, y64;
  if (!requireString(obj, "x", x64, JwtStatus::kJwksECKeyMissingX, JwtStatus::kJwksECKeyBadX,
                     errors, who)) {
    return std::nullopt;
  }
  if (!requireString(obj, "y", y64, JwtStatus::kJwksECKeyMissingY, JwtStatus::kJwksECKeyBadY,
                     errors, who)) {
    return std::nullopt;
  }
  std::string x, y;
  if (!base64UrlDecode(x64, x) || !base64UrlDecode(y64, y)) {
    errors.add(JwtStatus::kJwksEcXorYBadBase64, who + ": [x] or [y] is not base64url");
    return std::nullopt;
  }
  // RFC 7518 §6.2.1.2/§6.2.1.3: each coordinate is exactly the full coordinate size.
  if (x.size() != curve->coord_bytes || y.size() != curve->coord_bytes) {
    errors.add(JwtStatus::kJwksEcParseError,
               who + ": [x] and [y] must be " + std::to_string(curve->coord_bytes) + " bytes for " +
                   std::string(curve->jwk_name));
    return std::nullopt;
  }
  std::string point = "\x04" + x + y;
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  EvpPkeyPtr pkey;
  if (bld &&
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) == 1) {
    pkey = pkeyFromParams("EC", bld.get());
  }
  // fromdata does not check the point is on the curve: do it here (invalid-curve attacks).
  if (!pkey || !publicKeyValid(pkey.get())) {
    errors.add(JwtStatus::kJwksEcCreateKeyFail, who + ": [x], [y] is not a point of the curve");
    return std::nullopt;
  }
  Jwk jwk;
  jwk.kty = KeyType::kEc;
  jwk.ec_curve_nid = curve->nid;
  jwk.pkey = std::move(pkey);
  return jwk;
}

std::optional<Jwk> okpFromJwk(object obj, Errors& errors, const std::string& who) {
  std::string_view crv, x64;
  if (!requireString(obj, "crv", crv, JwtStatus::kJwksOKPKeyMissingCrv, JwtStatus::kJwksOKPKeyBadCrv,
                     errors, who)) {
    return std::nullopt;
  }
  const bool ed448 = crv == "Ed448";
  if (crv != "Ed25519" && !ed448) {
    errors.add(JwtStatus::kJwksOKPKeyCrvUnsupported,
               who + ": [crv] " + std::string(crv) + " is not Ed25519 or Ed448");
    return std::nullopt;
  }
  if (!requireString(obj, "x", x64, JwtStatus::kJwksOKPKeyMissingX, JwtStatus::kJwksOKPKeyBadX,
                     errors, who)) {
    return std::nullopt;
  }
  std::string x;
  if (!base64UrlDecode(x64, x)) {
    errors.add(JwtStatus::kJwksOKPXBadBase64, who + ": [x] is not base64url");
    return std::nullopt;
  }
  if (x.size() != (ed448 ? 57u : 32u)) {
    errors.add(JwtStatus::kJwksOKPXWrongLength, who + ": [x] has the wrong length");
    return std::nullopt;
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(ed448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x.data()),
                                              x.size()));
  if (!pkey) {
    errors.add(JwtStatus::kJwksOKPXWrongLength, who + ": [x] is not a public key");
    return std::nullopt;
  }
  Jwk jwk;
  jwk.kty = KeyType::kOkp;
  jwk.ed448 = ed448;
  jwk.pkey = std::move(pkey);
  return jwk;
}

std::optional<Jwk> octFromJwk(object obj, std::optional<Alg> alg, Errors& errors,
                              const std::string& who) {
  std::string_view k64;
  if (!requireString(obj, "k", k64, JwtStatus::kJwksHMACKeyMissingK, JwtStatus::kJwksHMACKeyBadK,
                     errors, who)) {
    return std::nullopt;
  }
  Jwk jwk;
  if (!base64UrlDecode(k64, jwk.secret)) {
    errors.add(JwtStatus::kJwksOctBadBase64, who + ": [k] is not base64url");
    return std::nullopt;
  }
  // RFC 7518 §3.2: a key at least as long as the hash output.
  const size_t min = alg ? hashSizeFor(*alg) : kMinHmacKeyBytes;
  if (jwk.secret.size() < min) {
    errors.add(JwtStatus::kJwksHMACKeyBadK, who + ": [k] has " + std::to_string(jwk.secret.size()) +
                                                " bytes, fewer than " + std::to_string(min) +
                                                " (RFC 7518 §3.2)");
    return std::nullopt;
  }
  jwk.kty = KeyType::kOct;
  return jwk;
}

JwtStatus badAlgStatus(KeyType kty) {
  switch (kty) {
    case KeyType::kRsa:
      return JwtStatus::kJwksRSAKeyBadAlg;
    case KeyType::kEc:
      return JwtStatus::kJwksECKeyBadAlg;
    case KeyType::kOkp:
      return JwtStatus::kJwksOKPKeyBadAlg;
    case KeyType::kOct:
      return JwtStatus::kJwksHMACKeyBadAlg;
  }
  return JwtStatus::kJwksBadKty;
}

std::optional<Jwk> jwkFromObject(object obj, Errors& errors, const std::string& who) {
  std::string_view kty_name, alg_name, kid, use;
  if (!requireString(obj, "kty", kty_name, JwtStatus::kJwksMissingKty, JwtStatus::kJwksBadKty,
                     errors, who)) {
    return std::nullopt;
  }
  KeyType kty;
  if (kty_name == "RSA") {
    kty = KeyType::kRsa;
  } else if (kty_name == "EC") {
    kty = KeyType::kEc;
  } else if (kty_name == "OKP") {
    kty = KeyType::kOkp;
  } else if (kty_name == "oct") {
    kty = KeyType::kOct;
  } else {
    errors.add(JwtStatus::kJwksNotImplementedKty,
               who + ": [kty] " + std::string(kty_name) + " is not supported");
    return std::nullopt;
  }
  // RFC 7517 §4.2/§4.3: a key meant for encryption must not verify signatures.
  const Member use_found = getString(obj, "use", use);
  if (use_found == Member::kWrongType || (use_found == Member::kOk && use != "sig")) {
    errors.add(JwtStatus::kJwksNoValidKeys, who + ": [use] is not \"sig\"");
    return std::nullopt;
  }
  element ops;
  if (obj.at_key("key_ops").get(ops) == simdjson::SUCCESS) {
    bool verify = false;
    simdjson::dom::array list;
    if (ops.get_array().get(list) == simdjson::SUCCESS) {
      for (element op : list) {
        std::string_view s;
        if (op.get_string().get(s) == simdjson::SUCCESS && s == "verify") verify = true;
      }
    }
    if (!verify) {
      errors.add(JwtStatus::kJwksNoValidKeys, who + ": [key_ops] does not allow \"verify\"");
      return std::nullopt;
    }
  }
  std::optional<Alg> alg;
  switch (getString(obj, "alg", alg_name)) {
    case Member::kWrongType:
      errors.add(badAlgStatus(kty), who + ": [alg] is not a string");
      return std::nullopt;
    case Member::kOk:
      alg = algFromName(alg_name);
      if (!alg || keyTypeFor(*alg) != kty) {
        errors.add(badAlgStatus(kty), who + ": [alg] " + std::string(alg_name) +
                                          " is not a signature algorithm for kty " +
                                          std::string(kty_name));
        return std::nullopt;
      }
      break;
    case Member::kMissing:
      break;
  }
  const Member kid_found = getString(obj, "kid", kid);
  if (kid_found == Member::kWrongType) {
    errors.add(JwtStatus::kJwksParseError, who + ": [kid] is not a string");
    return std::nullopt;
  }
  std::optional<Jwk> jwk;
  switch (kty) {
    case KeyType::kRsa:
      jwk = rsaFromJwk(obj, errors, who);
      break;
    case KeyType::kEc:
      jwk = ecFromJwk(obj, alg, errors, who);
      break;
    case KeyType::kOkp:
      jwk = okpFromJwk(obj, errors, who);
      break;
    case KeyType::kOct:
      jwk = octFromJwk(obj, alg, errors, who);
      break;
  }
  if (!jwk) return std::nullopt;
  jwk->alg = alg;
  if (kid_found == Member::kOk) jwk->kid = std::string(kid);
  return jwk;
}

std::string keyName(size_t index, object obj) {
  std::string_view kid;
  std::string who = "key " + std::to_string(index);
  if (getString(obj, "kid", kid) == Member::kOk) who += " (kid " + std::string(kid) + ")";
  return who;
}

// Set-level refusals (see the header): ambiguity an attacker could steer.
std::shared_ptr<const Jwks> finish(std::vector<Jwk> keys, Errors& errors, JwtStatus* status,
                                   std::string* detail) {
  auto fail = [&](JwtStatus s) -> std::shared_ptr<const Jwks> {
    if (status) *status = s;
    if (detail) *detail = errors.text;
    return nullptr;
  };
  if (keys.empty()) {
    return fail(errors.first == JwtStatus::kOk ? JwtStatus::kJwksNoValidKeys : errors.first);
  }
  const bool has_oct = std::any_of(keys.begin(), keys.end(),
                                   [](const Jwk& k) { return k.kty == KeyType::kOct; });
  const bool has_public = std::any_of(keys.begin(), keys.end(),
                                      [](const Jwk& k) { return k.kty != KeyType::kOct; });
  if (has_oct && has_public) {
    errors = Errors{};
    errors.add(JwtStatus::kJwksNoValidKeys,
               "the key set mixes HMAC (oct) and public keys; refused as ambiguous");
    return fail(JwtStatus::kJwksNoValidKeys);
  }
  std::set<std::pair<int, std::string>> seen;
  for (const auto& k : keys) {
    if (!k.kid) continue;
    if (!seen.emplace(static_cast<int>(k.kty), *k.kid).second) {
      errors = Errors{};
      errors.add(JwtStatus::kJwksNoValidKeys,
                 "two keys of one kty share kid " + *k.kid + "; refused as ambiguous");
      return fail(JwtStatus::kJwksNoValidKeys);
    }
  }
  if (status) *status = JwtStatus::kOk;
  if (detail) *detail = errors.text;
  return std::make_shared<const Jwks>(std::move(keys));
}

// Parses JSON text with bounded size and depth; config-time, so a local parser is fine.
constexpr size_t kMaxJwksBytes = 16 * 1024 * 1024;  // a JWKS is never this large
bool parseJson(simdjson::dom::parser& parser, std::string_view text, element& root) {
  if (text.size() > kMaxJwksBytes) return false;
  if (parser.allocate(text.size(), 100) != simdjson::SUCCESS) return false;
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

std::shared_ptr<const Jwks> fromJwksRoot(object obj, JwtStatus* status, std::string* detail) {
  element keys;
  simdjson::dom::array list;
  Errors errors;
  auto fail = [&](JwtStatus s, std::string_view why) -> std::shared_ptr<const Jwks> {
    if (status) *status = s;
    if (detail) *detail = std::string(why);
    return nullptr;
  };
  if (obj.at_key("keys").get(keys) != simdjson::SUCCESS) {
    return fail(JwtStatus::kJwksNoKeys, "no [keys] member");
  }
  if (keys.get_array().get(list) != simdjson::SUCCESS) {
    return fail(JwtStatus::kJwksBadKeys, "[keys] is not an array");
  }
  // Duplicate kids are judged over every entry, loadable or not: a set where two entries claim
  // one kid for one kty is ambiguous even if our stricter parser happens to drop one of them.
  std::set<std::pair<std::string, std::string>> kids;
  for (element item : list) {
    std::string_view kty, kid;
    object key;
    if (item.get_object().get(key) == simdjson::SUCCESS &&
        getString(key, "kty", kty) == Member::kOk && getString(key, "kid", kid) == Member::kOk &&
        !kids.emplace(std::string(kty), std::string(kid)).second) {
      return fail(JwtStatus::kJwksNoValidKeys,
                  "two keys of kty " + std::string(kty) + " share kid " + std::string(kid) +
                      "; refused as ambiguous");
    }
  }
  std::vector<Jwk> out;
  size_t index = 0;
  for (element item : list) {
    object key;
    if (item.get_object().get(key) != simdjson::SUCCESS) {
      errors.add(JwtStatus::kJwksNoValidKeys, "key " + std::to_string(index) + ": not an object");
    } else if (auto jwk = jwkFromObject(key, errors, keyName(index, key))) {
      out.push_back(std::move(*jwk));
    }
    ++index;
  }
  return finish(std::move(out), errors, status, detail);
}

// Envoy's "Google x509" form: {"<kid>": "-----BEGIN CERTIFICATE-----...", ...}.
bool isX509Map(object obj) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  size_t n = 0;
  for (auto field : obj) {
    std::string_view s;
    if (field.value.get_string().get(s) != simdjson::SUCCESS || s.substr(0, kBegin.size()) != kBegin) {
      return false;
    }
    ++n;
  }
  return n > 0;
}

EvpPkeyPtr pkeyFromCertificatePem(std::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return nullptr;
  return EvpPkeyPtr(X509_get_pubkey(cert.get()));
}

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  return s;
}

}  // namespace

std::optional<Jwk> jwkFromPkey(EvpPkeyPtr pkey, JwtStatus* status, std::string* detail) {
  Errors errors;
  std::optional<Jwk> jwk;
  auto done = [&]() -> std::optional<Jwk> {
    if (status) *status = jwk ? JwtStatus::kOk : errors.first;
    if (detail) *detail = errors.text;
    return std::move(jwk);
  };
  if (!pkey) {
    errors.add(JwtStatus::kJwksPemBadBase64, "not a PEM key");
    return done();
  }
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA:
      if (rsaPolicyOk(pkey.get(), errors, "PEM RSA key")) {
        jwk.emplace();
        jwk->kty = KeyType::kRsa;
      }
      break;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      const Curve* curve = nullptr;
      if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                         sizeof(group), &len) == 1) {
        curve = curveByNid(OBJ_txt2nid(group));
      }
      if (curve == nullptr) {
        errors.add(JwtStatus::kJwksPemNotImplementedKty,
                   std::string("PEM EC key on an unsupported curve ") + group);
      } else if (!publicKeyValid(pkey.get())) {
        errors.add(JwtStatus::kJwksEcCreateKeyFail, "PEM EC key is not a point of its curve");
      } else {
        jwk.emplace();
        jwk->kty = KeyType::kEc;
        jwk->ec_curve_nid = curve->nid;
      }
      break;
    }
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      jwk.emplace();
      jwk->kty = KeyType::kOkp;
      jwk->ed448 = EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED448;
      break;
    default:
      errors.add(JwtStatus::kJwksPemNotImplementedKty,
                 "PEM key type is not RSA, EC, Ed25519 or Ed448 (RSA-PSS-only keys are not "
                 "supported)");
      break;
  }
  if (jwk) jwk->pkey = std::move(pkey);
  return done();
}

std::shared_ptr<const Jwks> Jwks::fromJwksJson(std::string_view json, JwtStatus* status,
                                               std::string* detail) {
  simdjson::dom::parser parser;
  element root;
  object obj;
  if (!parseJson(parser, json, root) || root.get_object().get(obj) != simdjson::SUCCESS) {
    if (status) *status = JwtStatus::kJwksParseError;
    if (detail) *detail = "not a JSON object";
    return nullptr;
  }
  return fromJwksRoot(obj, status, detail);
}

std::shared_ptr<const Jwks> Jwks::fromJwkJson(std::string_view json, JwtStatus* status,
                                              std::string* detail) {
  simdjson::dom::parser parser;
  element root;
  object obj;
  if (!parseJson(parser, json, root) || root.get_object().get(obj) != simdjson::SUCCESS) {
    if (status) *status = JwtStatus::kJwksParseError;
    if (detail) *detail = "not a JSON object";
    return nullptr;
  }
  Errors errors;
  std::vector<Jwk> keys;
  if (auto jwk = jwkFromObject(obj, errors, keyName(0, obj))) keys.push_back(std::move(*jwk));
  return finish(std::move(keys), errors, status, detail);
}

std::shared_ptr<const Jwks> Jwks::fromPem(std::string_view pem, JwtStatus* status,
                                          std::string* detail) {
  Errors errors;
  std::vector<Jwk> keys;
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kEnd = "-----END ";
  size_t pos = 0;
  size_t index = 0;
  while ((pos = pem.find(kBegin, pos)) != std::string_view::npos) {
    const size_t label_end = pem.find("-----", pos + kBegin.size());
    const size_t end = pem.find(kEnd, pos);
    const size_t block_end =
        end == std::string_view::npos ? end : pem.find("-----", end + kEnd.size());
    if (label_end == std::string_view::npos || block_end == std::string_view::npos) {
      errors.add(JwtStatus::kJwksPemBadBase64, "PEM block without an END line");
      break;
    }
    const std::string_view label = pem.substr(pos + kBegin.size(), label_end - pos - kBegin.size());
    const std::string_view block = pem.substr(pos, block_end + 5 - pos);
    pos = block_end + 5;
    const std::string who = "PEM block " + std::to_string(index++) + " (" + std::string(label) + ")";
    EvpPkeyPtr pkey;
    std::unique_ptr<BIO, BioDeleter> bio(
        BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
    if (!bio) {
      errors.add(JwtStatus::kJwksBioAllocError, who + ": out of memory");
      continue;
    }
    if (label == "PUBLIC KEY") {
      pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    } else if (label == "RSA PUBLIC KEY") {
      // PKCS#1 RSAPublicKey (RFC 8017 A.1.1): OpenSSL 3 reads it as the "type-specific"
      // structure of an RSA key.
      EVP_PKEY* raw = nullptr;
      OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
          &raw, "PEM", "type-specific", "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
      if (dctx != nullptr && OSSL_DECODER_from_bio(dctx, bio.get()) == 1) pkey.reset(raw);
      else EVP_PKEY_free(raw);
      OSSL_DECODER_CTX_free(dctx);
    } else if (label == "CERTIFICATE") {
      pkey = pkeyFromCertificatePem(block);
    } else {
      errors.add(JwtStatus::kJwksPemNotImplementedKty,
                 who + ": not a public key or certificate (a private key? give its public half)");
      continue;
    }
    if (!pkey) {
      errors.add(JwtStatus::kJwksPemBadBase64, who + ": cannot be decoded");
      continue;
    }
    JwtStatus s;
    std::string why;
    if (auto jwk = jwkFromPkey(std::move(pkey), &s, &why)) {
      keys.push_back(std::move(*jwk));
    } else {
      errors.add(s, who + ": " + why);
    }
  }
  if (keys.empty() && errors.first == JwtStatus::kOk) {
    errors.add(JwtStatus::kJwksPemBadBase64, "no PEM block");
  }
  return finish(std::move(keys), errors, status, detail);
}

std::shared_ptr<const Jwks> Jwks::fromAny(std::string_view text, JwtStatus* status,
                                          std::string* detail) {
  const std::string_view t = trimLeft(text);
  if (t.substr(0, 10) == "-----BEGIN") return fromPem(t, status, detail);
  simdjson::dom::parser parser;
  element root;
  object obj;
  if (!parseJson(parser, t, root) || root.get_object().get(obj) != simdjson::SUCCESS) {
    if (status) *status = JwtStatus::kJwksParseError;
    if (detail) *detail = "neither a PEM key nor a JSON object";
    return nullptr;
  }
  element unused;
  if (obj.at_key("keys").get(unused) == simdjson::SUCCESS) return fromJwksRoot(obj, status, detail);
  if (obj.at_key("kty").get(unused) == simdjson::SUCCESS) {
    Errors errors;
    std::vector<Jwk> keys;
    if (auto jwk = jwkFromObject(obj, errors, keyName(0, obj))) keys.push_back(std::move(*jwk));
    return finish(std::move(keys), errors, status, detail);
  }
  if (isX509Map(obj)) {
    Errors errors;
    std::vector<Jwk> keys;
    for (auto field : obj) {
      const std::string who = "certificate " + std::string(field.key);
      JwtStatus s;
      std::string why;
      std::string_view pem;
      if (field.value.get_string().get(pem) != simdjson::SUCCESS) continue;  // isX509Map said so
      auto jwk = jwkFromPkey(pkeyFromCertificatePem(pem), &s, &why);
      if (jwk && jwk->kty != KeyType::kRsa) {
        // Envoy reads RSA certificates only in this form.
        jwk.reset();
        s = JwtStatus::kJwksX509GetPubkeyError;
        why = "not an RSA key";
      }
      if (jwk) {
        jwk->kid = std::string(field.key);
        keys.push_back(std::move(*jwk));
      } else {
        errors.add(s == JwtStatus::kJwksPemBadBase64 ? JwtStatus::kJwksX509ParseError : s,
                   who + ": " + why);
      }
    }
    return finish(std::move(keys), errors, status, detail);
  }
  return fromJwksRoot(obj, status, detail);  // reports kJwksNoKeys
}

std::shared_ptr<const Jwks> Jwks::fromKeys(std::vector<Jwk> keys, JwtStatus* status,
                                           std::string* detail) {
  Errors errors;
  return finish(std::move(keys), errors, status, detail);
}

uint64_t Jwks::nextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace claimgate::jwt
