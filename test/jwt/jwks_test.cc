// Key loading: one case per JWKS status, formats (JWKS, JWK, PEM, x509 map), key policy.
#include "jwt/jwks.h"

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <string>

#include "jwt/signer.h"
#include "test_keys.h"

namespace claimgate::jwt {
namespace {

using testing::KeyId;
using testing::testKey;

// Replaces the value of string member `name` in a flat JSON object text.
std::string withMember(std::string json, std::string_view name, std::string_view value_json) {
  const std::string key = "\"" + std::string(name) + "\":";
  const size_t at = json.find(key);
  if (at == std::string::npos) {
    json.insert(json.size() - 1, "," + key + std::string(value_json));
    return json;
  }
  size_t end = at + key.size();
  if (json[end] == '"') {
    end = json.find('"', end + 1) + 1;
  } else {
    end = json.find_first_of(",}", end);
  }
  json.replace(at + key.size(), end - at - key.size(), value_json);
  return json;
}

std::string without(std::string json, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":";
  const size_t at = json.find(key);
  if (at == std::string::npos) return json;
  size_t end = json.find_first_of(",}", json.find('"', json.find('"', at + key.size()) + 1));
  size_t begin = at;
  if (json[end] == ',') {
    ++end;
  } else if (json[begin - 1] == ',') {
    --begin;
  }
  json.erase(begin, end - begin);
  return json;
}

std::string set(std::initializer_list<std::string> keys) {
  std::string out = "{\"keys\":[";
  bool first = true;
  for (const auto& k : keys) {
    if (!first) out += ",";
    out += k;
    first = false;
  }
  return out + "]}";
}

JwtStatus load(const std::string& text) {
  JwtStatus status = JwtStatus::kOk;
  std::string detail;
  const auto jwks = Jwks::fromAny(text, &status, &detail);
  EXPECT_EQ(jwks != nullptr, status == JwtStatus::kOk) << detail;
  return status;
}

TEST(Jwks, EveryJwksStatus) {
  const std::string rsa = publicJwkJson(testKey(KeyId::kRsa));
  const std::string ec = publicJwkJson(testKey(KeyId::kP256));
  const std::string okp = publicJwkJson(testKey(KeyId::kEd25519));
  const std::string oct = publicJwkJson(testKey(KeyId::kHmac));
  std::string ec_off_curve = ec;
  {
    // Change one character in the middle of y: still 32 bytes, almost surely off the curve.
    const size_t y = ec_off_curve.find("\"y\":\"") + 10;
    ec_off_curve[y] = ec_off_curve[y] == 'A' ? 'B' : 'A';
  }
  struct Case {
    const char* name;
    std::string text;
    JwtStatus want;
  };
  const Case cases[] = {
      {"not_json", "{keys", JwtStatus::kJwksParseError},
      {"json_array", "[]", JwtStatus::kJwksParseError},
      {"no_keys", R"({"foo":1})", JwtStatus::kJwksNoKeys},
      {"keys_not_array", R"({"keys":{}})", JwtStatus::kJwksBadKeys},
      {"keys_empty", R"({"keys":[]})", JwtStatus::kJwksNoValidKeys},
      {"keys_not_objects", R"({"keys":[1,"a"]})", JwtStatus::kJwksNoValidKeys},
      {"missing_kty", set({without(rsa, "kty")}), JwtStatus::kJwksMissingKty},
      {"kty_number", set({withMember(rsa, "kty", "1")}), JwtStatus::kJwksBadKty},
      {"kty_unknown", set({withMember(rsa, "kty", "\"DSA\"")}), JwtStatus::kJwksNotImplementedKty},
      {"rsa_bad_alg", set({withMember(rsa, "alg", "\"ES256\"")}), JwtStatus::kJwksRSAKeyBadAlg},
      {"rsa_enc_alg", set({withMember(rsa, "alg", "\"RSA-OAEP\"")}), JwtStatus::kJwksRSAKeyBadAlg},
      {"rsa_missing_n", set({without(rsa, "n")}), JwtStatus::kJwksRSAKeyMissingN},
      {"rsa_n_number", set({withMember(rsa, "n", "5")}), JwtStatus::kJwksRSAKeyBadN},
      {"rsa_missing_e", set({without(rsa, "e")}), JwtStatus::kJwksRSAKeyMissingE},
      {"rsa_e_number", set({withMember(rsa, "e", "65537")}), JwtStatus::kJwksRSAKeyBadE},
      {"rsa_n_bad_base64", set({withMember(rsa, "n", "\"!!\"")}), JwtStatus::kJwksRsaParseError},
      {"rsa_e_one", set({withMember(rsa, "e", "\"AQ\"")}), JwtStatus::kJwksRsaParseError},
      {"rsa_e_even", set({withMember(rsa, "e", "\"Ag\"")}), JwtStatus::kJwksRsaParseError},
      {"ec_bad_alg", set({withMember(ec, "alg", "\"RS256\"")}), JwtStatus::kJwksECKeyBadAlg},
      {"ec_crv_number", set({withMember(ec, "crv", "1")}), JwtStatus::kJwksECKeyBadCrv},
      {"ec_crv_unknown", set({withMember(ec, "crv", "\"P-224\"")}),
       JwtStatus::kJwksECKeyAlgOrCrvUnsupported},
      {"ec_alg_crv_mismatch", set({withMember(ec, "alg", "\"ES384\"")}),
       JwtStatus::kJwksECKeyAlgNotCompatibleWithCrv},
      {"ec_missing_x", set({without(ec, "x")}), JwtStatus::kJwksECKeyMissingX},
      {"ec_x_number", set({withMember(ec, "x", "1")}), JwtStatus::kJwksECKeyBadX},
      {"ec_missing_y", set({without(ec, "y")}), JwtStatus::kJwksECKeyMissingY},
      {"ec_y_number", set({withMember(ec, "y", "1")}), JwtStatus::kJwksECKeyBadY},
      {"ec_x_bad_base64", set({withMember(ec, "x", "\"a=\"")}), JwtStatus::kJwksEcXorYBadBase64},
      {"ec_x_short", set({withMember(ec, "x", "\"AAAA\"")}), JwtStatus::kJwksEcParseError},
      {"ec_p384_with_p256_coords", set({withMember(ec, "crv", "\"P-384\"")}),
       JwtStatus::kJwksEcParseError},
      {"ec_off_curve", set({ec_off_curve}), JwtStatus::kJwksEcCreateKeyFail},
      {"oct_bad_alg", set({withMember(oct, "alg", "\"A256GCM\"")}), JwtStatus::kJwksHMACKeyBadAlg},
      {"oct_missing_k", set({without(oct, "k")}), JwtStatus::kJwksHMACKeyMissingK},
      {"oct_k_number", set({withMember(oct, "k", "1")}), JwtStatus::kJwksHMACKeyBadK},
      {"oct_k_bad_base64", set({withMember(oct, "k", "\"a b\"")}), JwtStatus::kJwksOctBadBase64},
      {"oct_k_empty", set({withMember(oct, "k", "\"\"")}), JwtStatus::kJwksHMACKeyBadK},
      {"oct_k_31_bytes", set({withMember(oct, "k", "\"" + base64UrlEncode(std::string(31, 'k')) + "\"")}),
       JwtStatus::kJwksHMACKeyBadK},
      {"oct_hs512_with_48_bytes",
       set({withMember(withMember(oct, "k", "\"" + base64UrlEncode(std::string(48, 'k')) + "\""),
                       "alg", "\"HS512\"")}),
       JwtStatus::kJwksHMACKeyBadK},
      {"okp_bad_alg", set({withMember(okp, "alg", "\"ES256\"")}), JwtStatus::kJwksOKPKeyBadAlg},
      {"okp_missing_crv", set({without(okp, "crv")}), JwtStatus::kJwksOKPKeyMissingCrv},
      {"okp_crv_number", set({withMember(okp, "crv", "25519")}), JwtStatus::kJwksOKPKeyBadCrv},
      {"okp_x25519", set({withMember(okp, "crv", "\"X25519\"")}), JwtStatus::kJwksOKPKeyCrvUnsupported},
      {"okp_missing_x", set({without(okp, "x")}), JwtStatus::kJwksOKPKeyMissingX},
      {"okp_x_number", set({withMember(okp, "x", "1")}), JwtStatus::kJwksOKPKeyBadX},
      {"okp_x_bad_base64", set({withMember(okp, "x", "\"#\"")}), JwtStatus::kJwksOKPXBadBase64},
      {"okp_x_short", set({withMember(okp, "x", "\"AAAA\"")}), JwtStatus::kJwksOKPXWrongLength},
      {"ed448_with_ed25519_x", set({withMember(okp, "crv", "\"Ed448\"")}),
       JwtStatus::kJwksOKPXWrongLength},
      {"kid_number", set({withMember(rsa, "kid", "3")}), JwtStatus::kJwksParseError},
      {"use_enc", set({withMember(rsa, "use", "\"enc\"")}), JwtStatus::kJwksNoValidKeys},
      {"key_ops_encrypt", set({withMember(rsa, "key_ops", "[\"encrypt\"]")}),
       JwtStatus::kJwksNoValidKeys},
      {"mixed_hmac_and_public", set({rsa, oct}), JwtStatus::kJwksNoValidKeys},
      {"duplicate_kid",
       set({withMember(rsa, "kid", "\"a\""), withMember(publicJwkJson(generatePrivateKey(Alg::kRS256)),
                                                        "kid", "\"a\"")}),
       JwtStatus::kJwksNoValidKeys},
      // First failure is reported when nothing loads.
      {"first_failure_reported", set({without(rsa, "n"), without(ec, "x")}),
       JwtStatus::kJwksRSAKeyMissingN},
      // PEM.
      {"pem_garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
       JwtStatus::kJwksPemBadBase64},
      {"pem_no_end", "-----BEGIN PUBLIC KEY-----\nAAAA\n", JwtStatus::kJwksPemBadBase64},
      {"pem_private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
       JwtStatus::kJwksPemNotImplementedKty},
      // Loads.
      {"good_rsa", set({rsa}), JwtStatus::kOk},
      {"good_single_jwk", ec, JwtStatus::kOk},
      {"good_skips_bad_entries", set({without(rsa, "n"), "7", ec}), JwtStatus::kOk},
      {"good_same_kid_other_kty",
       set({withMember(rsa, "kid", "\"a\""), withMember(ec, "kid", "\"a\"")}), JwtStatus::kOk},
      {"good_use_sig_key_ops_verify",
       set({withMember(withMember(rsa, "use", "\"sig\""), "key_ops", "[\"verify\"]")}),
       JwtStatus::kOk},
      {"good_ec_no_crv_p256", set({without(ec, "crv")}), JwtStatus::kOk},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(load(c.text), c.want) << c.name << ": got " << statusName(load(c.text));
  }
}

TEST(Jwks, RsaKeyPolicy) {
  const PrivateKey small = generatePrivateKey(Alg::kRS256, false, 1024);
  EXPECT_EQ(load(set({publicJwkJson(small)})), JwtStatus::kJwksRsaParseError);
  EXPECT_EQ(load(publicKeyPem(small)), JwtStatus::kJwksRsaParseError);
  const PrivateKey k3072 = generatePrivateKey(Alg::kRS256, false, 3072);
  EXPECT_EQ(load(set({publicJwkJson(k3072)})), JwtStatus::kOk);
}

TEST(Jwks, RocaKeyIsRefused) {
  // The ROCA-weak modulus from Wycheproof json_web_key_test.json (group jws_rsa_roca_key).
  std::ifstream in(CLAIMGATE_SHARED_DIR "/conformance/wycheproof/json_web_key_test.json");
  ASSERT_TRUE(in) << "shared Wycheproof folder missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS);
  std::string_view n;
  bool found = false;
  for (auto g : root["testGroups"].get_array()) {
    std::string_view comment;
    if (g["comment"].get(comment) == simdjson::SUCCESS && comment == "jws_rsa_roca_key") {
      ASSERT_EQ(g["public"]["keys"].at(0)["n"].get(n), simdjson::SUCCESS);
      found = true;
    }
  }
  ASSERT_TRUE(found);
  const std::string jwk = "{\"kty\":\"RSA\",\"n\":\"" + std::string(n) + "\",\"e\":\"AQAB\"}";
  JwtStatus status;
  std::string detail;
  EXPECT_EQ(Jwks::fromAny(jwk, &status, &detail), nullptr);
  EXPECT_EQ(status, JwtStatus::kJwksRsaParseError);
  EXPECT_NE(detail.find("ROCA"), std::string::npos) << detail;
}

TEST(Jwks, PemFormats) {
  // SPKI for every key family, PKCS#1 RSA PUBLIC KEY, a certificate, several blocks.
  for (KeyId id : {KeyId::kRsa, KeyId::kP256, KeyId::kP384, KeyId::kP521, KeyId::kK256,
                   KeyId::kEd25519, KeyId::kEd448}) {
    JwtStatus status;
    const auto jwks = Jwks::fromPem(publicKeyPem(testKey(id)), &status);
    ASSERT_TRUE(jwks) << static_cast<int>(id) << " " << statusName(status);
    ASSERT_EQ(jwks->keys().size(), 1u);
    EXPECT_EQ(jwks->keys()[0].kty, testKey(id).kty);
    EXPECT_FALSE(jwks->keys()[0].kid.has_value());
    EXPECT_FALSE(jwks->keys()[0].alg.has_value());
  }
  JwtStatus status;
  const auto both = Jwks::fromAny(
      "\n  " + publicKeyPem(testKey(KeyId::kRsa)) + publicKeyPem(testKey(KeyId::kP256)), &status);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->keys().size(), 2u);

  // PKCS#1 "RSA PUBLIC KEY", written by OpenSSL's encoder.
  EVP_PKEY* pk = testKey(KeyId::kRsa).pkey.get();
  BIO* bio = BIO_new(BIO_s_mem());
  OSSL_ENCODER_CTX* ectx = OSSL_ENCODER_CTX_new_for_pkey(pk, EVP_PKEY_PUBLIC_KEY, "PEM",
                                                         "type-specific", nullptr);
  ASSERT_NE(ectx, nullptr);
  ASSERT_EQ(OSSL_ENCODER_to_bio(ectx, bio), 1);
  OSSL_ENCODER_CTX_free(ectx);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pkcs1(data, static_cast<size_t>(len));
  BIO_free(bio);
  ASSERT_NE(pkcs1.find("BEGIN RSA PUBLIC KEY"), std::string::npos) << pkcs1;
  const auto from_pkcs1 = Jwks::fromAny(pkcs1, &status);
  ASSERT_TRUE(from_pkcs1) << statusName(status);
  EXPECT_EQ(from_pkcs1->keys()[0].kty, KeyType::kRsa);
}

// A self-signed certificate for `key` (PEM), built at runtime.
std::string selfSignedCert(const PrivateKey& key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key.pkey.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key.pkey.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(cert);
  return out;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(Jwks, X509MapAndCertificates) {
  const std::string rsa_cert = selfSignedCert(testKey(KeyId::kRsa));
  const std::string ec_cert = selfSignedCert(testKey(KeyId::kP256));
  JwtStatus status;
  std::string detail;
  // Envoy's "Google x509" form: RSA certificates keyed by kid.
  const auto jwks = Jwks::fromAny("{\"k1\":" + jsonString(rsa_cert) + "}", &status, &detail);
  ASSERT_TRUE(jwks) << detail;
  EXPECT_EQ(jwks->keys()[0].kid, std::optional<std::string>("k1"));
  EXPECT_EQ(load("{\"k1\":" + jsonString(ec_cert) + "}"), JwtStatus::kJwksX509GetPubkeyError);
  EXPECT_EQ(load("{\"k1\":\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\"}"),
            JwtStatus::kJwksX509ParseError);
  // A PEM certificate (any supported key type) is accepted as a key too.
  EXPECT_EQ(load(ec_cert), JwtStatus::kOk);
}

}  // namespace
}  // namespace claimgate::jwt
