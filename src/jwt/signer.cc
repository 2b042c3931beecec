#include "jwt/signer.h"

#include "jwt/openssl_ptr.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <stdexcept>
#include <vector>

#include <simdjson.h>

#include "common/base64url.h"

namespace claimgate::jwt {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }


const EcCurve& curveByNid(int nid) {
  if (const EcCurve* c = ecCurveByNid(nid)) return *c;
  fail("unsupported EC curve");
}

const EVP_MD* mdFor(Alg alg) {
  switch (hashSizeFor(alg)) {
    case 32:
      return EVP_sha256();
    case 48:
      return EVP_sha384();
    case 64:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string bnBytes(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) fail(std::string("cannot read ") + name);
  BnPtr owned(bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

EvpPkeyPtr keypairFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    fail(std::string("cannot build the ") + type + " private key");
  }
  return EvpPkeyPtr(pkey);
}

std::string member(object obj, std::string_view name, bool required = true) {
  std::string_view s;
  if (obj.at_key(name).get_string().get(s) != simdjson::SUCCESS) {
    if (required) fail("private JWK: [" + std::string(name) + "] is missing or not a string");
    return {};
  }
  std::string out;
  if (!base64UrlDecode(s, out)) fail("private JWK: [" + std::string(name) + "] is not base64url");
  return out;
}

void pushBn(OSSL_PARAM_BLD* bld, const char* name, const std::string& bytes,
            std::vector<BnPtr>& keep) {
  keep.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()), nullptr));
  if (!keep.back() || OSSL_PARAM_BLD_push_BN(bld, name, keep.back().get()) != 1) {
    fail(std::string("private JWK: cannot use ") + name);
  }
}

PrivateKey fromPrivateJwk(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  object obj;
  if (parser.parse(json.data(), json.size(), true).get(root) != simdjson::SUCCESS ||
      root.get_object().get(obj) != simdjson::SUCCESS) {
    fail("the key is neither PEM nor a JSON object (JWK)");
  }
  std::string_view kty, s;
  if (obj.at_key("kty").get_string().get(kty) != simdjson::SUCCESS) fail("private JWK: no [kty]");
  PrivateKey key;
  if (obj.at_key("kid").get_string().get(s) == simdjson::SUCCESS) key.kid = std::string(s);
  if (obj.at_key("alg").get_string().get(s) == simdjson::SUCCESS) {
    key.alg = algFromName(s);
    if (!key.alg) fail("private JWK: [alg] " + std::string(s) + " is not supported");
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  std::vector<BnPtr> keep;
  if (kty == "RSA") {
    key.kty = KeyType::kRsa;
    pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_N, member(obj, "n"), keep);
    pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_E, member(obj, "e"), keep);
    pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_D, member(obj, "d"), keep);
    const std::string p = member(obj, "p", false);
    if (!p.empty()) {
      pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p, keep);
      pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, member(obj, "q"), keep);
      pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, member(obj, "dp"), keep);
      pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, member(obj, "dq"), keep);
      pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, member(obj, "qi"), keep);
    }
    key.pkey = keypairFromParams("RSA", bld.get());
  } else if (kty == "EC") {
    key.kty = KeyType::kEc;
    std::string_view crv;
    if (obj.at_key("crv").get_string().get(crv) != simdjson::SUCCESS) fail("private JWK: no [crv]");
    const EcCurve* curve = nullptr;
    for (const auto& c : ecCurves()) {
      if (c.jwk_name == crv) curve = &c;
    }
    if (curve == nullptr) fail("private JWK: [crv] " + std::string(crv) + " is not supported");
    key.ec_curve_nid = curve->nid;
    // Uncompressed SEC1 point. Appended step by step: `"\x04" + std::string` trips a false
    // -Wrestrict in g++ 12 at -O3 (GCC bug 105329).
    std::string point(1, '\x04');
    point += member(obj, "x");
    point += member(obj, "y");
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      fail("private JWK: bad EC point");
    }
    pushBn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, member(obj, "d"), keep);
    key.pkey = keypairFromParams("EC", bld.get());
  } else if (kty == "OKP") {
    key.kty = KeyType::kOkp;
    std::string_view crv;
    if (obj.at_key("crv").get_string().get(crv) != simdjson::SUCCESS) fail("private JWK: no [crv]");
    if (crv != "Ed25519" && crv != "Ed448") fail("private JWK: [crv] must be Ed25519 or Ed448");
    key.ed448 = crv == "Ed448";
    const std::string d = member(obj, "d");
    key.pkey.reset(EVP_PKEY_new_raw_private_key(key.ed448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519,
                                                nullptr,
                                                reinterpret_cast<const unsigned char*>(d.data()),
                                                d.size()));
    if (!key.pkey) fail("private JWK: [d] is not an " + std::string(crv) + " private key");
  } else if (kty == "oct") {
    key.kty = KeyType::kOct;
    key.secret = member(obj, "k");
    if (key.secret.empty()) fail("private JWK: [k] is empty");
  } else {
    fail("private JWK: [kty] " + std::string(kty) + " is not supported");
  }
  return key;
}

PrivateKey fromPkey(EvpPkeyPtr pkey) {
  PrivateKey key;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA:
      key.kty = KeyType::kRsa;
      break;
    case EVP_PKEY_EC: {
      key.kty = KeyType::kEc;
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                         sizeof(group), &len) != 1) {
        fail("EC key without a named curve");
      }
      key.ec_curve_nid = curveByNid(OBJ_txt2nid(group)).nid;
      break;
    }
    case EVP_PKEY_ED25519:
      key.kty = KeyType::kOkp;
      break;
    case EVP_PKEY_ED448:
      key.kty = KeyType::kOkp;
      key.ed448 = true;
      break;
    default:
      fail("private key type is not RSA, EC, Ed25519 or Ed448");
  }
  key.pkey = std::move(pkey);
  return key;
}

void checkFits(Alg alg, const PrivateKey& key) {
  if (keyTypeFor(alg) != key.kty) {
    fail("algorithm " + std::string(algName(alg)) + " does not fit the key type");
  }
  if (key.kty == KeyType::kEc && ecCurveNidFor(alg) != key.ec_curve_nid) {
    fail("algorithm " + std::string(algName(alg)) + " does not fit the key's curve");
  }
}

std::string digestSign(Alg alg, const PrivateKey& key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = key.kty == KeyType::kOkp ? nullptr : mdFor(alg);
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key.pkey.get()) != 1) {
    fail("cannot start signing");
  }
  if (alg == Alg::kPS256 || alg == Alg::kPS384 || alg == Alg::kPS512) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
      fail("cannot set PSS parameters");
    }
  }
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) fail("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    fail("signing failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace

Alg PrivateKey::defaultAlg() const {
  if (alg) return *alg;
  switch (kty) {
    case KeyType::kRsa:
      return Alg::kRS256;
    case KeyType::kEc:
      return curveByNid(ec_curve_nid).alg;
    case KeyType::kOkp:
      return Alg::kEdDSA;
    case KeyType::kOct:
      return Alg::kHS256;
  }
  return Alg::kRS256;
}

PrivateKey loadPrivateKey(std::string_view text) {
  const size_t begin = text.find("-----BEGIN");
  if (begin == std::string_view::npos) return fromPrivateJwk(text);
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(text.data() + begin, static_cast<int>(text.size() - begin)));
  // PEM_read_bio_PrivateKey reads PKCS#8, PKCS#1 RSA and SEC1 EC blocks alike. An empty
  // passphrase callback makes encrypted keys fail instead of prompting on the terminal.
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (pkey == nullptr) fail("cannot read a private key from the PEM (encrypted keys are not supported)");
  return fromPkey(EvpPkeyPtr(pkey));
}

PrivateKey generatePrivateKey(Alg alg, bool ed448, int rsa_bits) {
  PrivateKey key;
  key.kty = keyTypeFor(alg);
  EVP_PKEY* pkey = nullptr;
  switch (key.kty) {
    case KeyType::kRsa:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyType::kEc:
      key.ec_curve_nid = *ecCurveNidFor(alg);
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curveByNid(key.ec_curve_nid).group);
      break;
    case KeyType::kOkp:
      key.ed448 = ed448;
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, ed448 ? "ED448" : "ED25519");
      break;
    case KeyType::kOct:
      key.secret.resize(64);
      if (RAND_bytes(reinterpret_cast<unsigned char*>(key.secret.data()), 64) != 1) {
        fail("no randomness");
      }
      return key;
  }
  if (pkey == nullptr) fail("key generation failed");
  key.pkey.reset(pkey);
  return key;
}

std::string signBytes(Alg alg, const PrivateKey& key, std::string_view input) {
  checkFits(alg, key);
  switch (key.kty) {
    case KeyType::kOct: {
      std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
      unsigned int len = 0;
      if (HMAC(mdFor(alg), key.secret.data(), static_cast<int>(key.secret.size()),
               reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
               &len) == nullptr) {
        fail("HMAC failed");
      }
      return std::string(reinterpret_cast<const char*>(mac.data()), len);
    }
    case KeyType::kEc: {
      // RFC 7518 §3.4: DER from OpenSSL -> fixed-width big-endian r || s.
      const std::string der = digestSign(alg, key, input);
      const auto* p = reinterpret_cast<const unsigned char*>(der.data());
      ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
      if (sig == nullptr) fail("bad ECDSA signature from OpenSSL");
      const size_t n = curveByNid(key.ec_curve_nid).coord_bytes;
      std::string out(2 * n, '\0');
      auto* o = reinterpret_cast<unsigned char*>(out.data());
      const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, static_cast<int>(n)) > 0 &&
                      BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + n, static_cast<int>(n)) > 0;
      ECDSA_SIG_free(sig);
      if (!ok) fail("bad ECDSA signature from OpenSSL");
      return out;
    }
    default:
      return digestSign(alg, key, input);
  }
}

std::string signCompact(Alg alg, const PrivateKey& key, std::string_view header_json,
                        std::string_view payload_json) {
  std::string input = base64UrlEncode(header_json);
  input += '.';
  input += base64UrlEncode(payload_json);
  const std::string sig = signBytes(alg, key, input);
  input += '.';
  input += base64UrlEncode(sig);
  return input;
}

std::string signToken(Alg alg, const PrivateKey& key, std::optional<std::string_view> kid,
                      std::string_view claims_json) {
  checkFits(alg, key);
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(claims_json.data(), claims_json.size(), true).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    fail("the claims are not a JSON object");
  }
  std::string header = "{\"alg\":\"" + std::string(algName(alg)) + "\",\"typ\":\"JWT\"";
  if (kid) header += ",\"kid\":\"" + jsonEscape(*kid) + "\"";
  header += "}";
  return signCompact(alg, key, header, claims_json);
}

std::string publicJwkJson(const PrivateKey& key, std::optional<std::string_view> kid,
                          std::optional<Alg> alg) {
  std::string out;
  switch (key.kty) {
    case KeyType::kRsa:
      out = "{\"kty\":\"RSA\",\"n\":\"" +
            base64UrlEncode(bnBytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\"" +
            base64UrlEncode(bnBytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E)) + "\"";
      break;
    case KeyType::kEc: {
      const EcCurve& c = curveByNid(key.ec_curve_nid);
      std::array<unsigned char, 1 + 2 * 66> point;
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(key.pkey.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                          point.data(), point.size(), &len) != 1 ||
          len != 1 + 2 * c.coord_bytes) {
        fail("cannot read the EC public point");
      }
      const std::string_view p(reinterpret_cast<const char*>(point.data()), len);
      out = "{\"kty\":\"EC\",\"crv\":\"" + std::string(c.jwk_name) + "\",\"x\":\"" +
            base64UrlEncode(p.substr(1, c.coord_bytes)) + "\",\"y\":\"" +
            base64UrlEncode(p.substr(1 + c.coord_bytes, c.coord_bytes)) + "\"";
      break;
    }
    case KeyType::kOkp: {
      std::array<unsigned char, 57> raw;
      size_t len = raw.size();
      if (EVP_PKEY_get_raw_public_key(key.pkey.get(), raw.data(), &len) != 1) {
        fail("cannot read the OKP public key");
      }
      out = std::string("{\"kty\":\"OKP\",\"crv\":\"") + (key.ed448 ? "Ed448" : "Ed25519") +
            "\",\"x\":\"" +
            base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), len)) +
            "\"";
      break;
    }
    case KeyType::kOct:
      out = "{\"kty\":\"oct\",\"k\":\"" + base64UrlEncode(key.secret) + "\"";
      break;
  }
  if (kid) out += ",\"kid\":\"" + jsonEscape(*kid) + "\"";
  if (alg) out += ",\"alg\":\"" + std::string(algName(*alg)) + "\"";
  out += "}";
  return out;
}

std::string publicKeyPem(const PrivateKey& key) {
  if (!key.pkey) fail("an HMAC key has no public PEM");
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.pkey.get()) != 1) fail("cannot write PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace claimgate::jwt
