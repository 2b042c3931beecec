// The signer: PEM and private-JWK loading, and signToken for every alg.
#include "jwt/signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "jwt/jwt.h"
#include "jwt/verify.h"
#include "test_keys.h"

namespace claimgate::jwt {
namespace {

using testing::KeyId;
using testing::testKey;

// A private key written by OpenSSL's encoder in `structure` ("PrivateKeyInfo" = PKCS#8,
// "type-specific" = PKCS#1 for RSA / SEC1 for EC).
std::string privatePem(const PrivateKey& key, const char* structure) {
  BIO* bio = BIO_new(BIO_s_mem());
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key.pkey.get(), EVP_PKEY_KEYPAIR, "PEM", structure, nullptr);
  EXPECT_NE(ctx, nullptr);
  EXPECT_EQ(OSSL_ENCODER_to_bio(ctx, bio), 1);
  OSSL_ENCODER_CTX_free(ctx);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

bool verifies(Alg alg, const PrivateKey& signer, const PrivateKey& pub_of) {
  const std::string token = signToken(alg, signer, "k", R"({"sub":"x"})");
  Jwt jwt;
  if (jwt.parse(token) != JwtStatus::kOk) return false;
  JwtStatus status;
  const auto jwks = Jwks::fromJwksJson("{\"keys\":[" + publicJwkJson(pub_of, std::string_view("k")) + "]}", &status);
  return jwks && verifyJwtSignature(jwt, *jwks) == JwtStatus::kOk;
}

TEST(Signer, LoadsPemPrivateKeys) {
  struct Case {
    KeyId id;
    const char* structure;
    const char* label;
  };
  const Case cases[] = {
      {KeyId::kRsa, "PrivateKeyInfo", "BEGIN PRIVATE KEY"},
      {KeyId::kRsa, "type-specific", "BEGIN RSA PRIVATE KEY"},
      {KeyId::kP256, "PrivateKeyInfo", "BEGIN PRIVATE KEY"},
      {KeyId::kP384, "type-specific", "BEGIN EC PRIVATE KEY"},
      {KeyId::kP521, "type-specific", "BEGIN EC PRIVATE KEY"},
      {KeyId::kK256, "type-specific", "BEGIN EC PRIVATE KEY"},
      {KeyId::kEd25519, "PrivateKeyInfo", "BEGIN PRIVATE KEY"},
      {KeyId::kEd448, "PrivateKeyInfo", "BEGIN PRIVATE KEY"},
  };
  for (const auto& c : cases) {
    const PrivateKey& original = testKey(c.id);
    const std::string pem = privatePem(original, c.structure);
    ASSERT_NE(pem.find(c.label), std::string::npos) << pem;
    const PrivateKey loaded = loadPrivateKey(pem);
    EXPECT_EQ(loaded.kty, original.kty);
    EXPECT_EQ(loaded.ec_curve_nid, original.ec_curve_nid);
    EXPECT_EQ(loaded.ed448, original.ed448);
    EXPECT_TRUE(verifies(loaded.defaultAlg(), loaded, original)) << c.label;
  }
}

TEST(Signer, LoadsPrivateJwks) {
  // Private JWKs as an IdP would export them (RFC 7517 §9 / RFC 7518 §6.3.2, §6.2.2, RFC 8037).
  // Built from the generated keys' parameters.
  for (KeyId id : {KeyId::kRsa, KeyId::kP256, KeyId::kK256, KeyId::kEd25519, KeyId::kEd448,
                   KeyId::kHmac}) {
    const PrivateKey& k = testKey(id);
    std::string jwk = publicJwkJson(k, std::string_view("kid-1"));
    jwk.pop_back();
    if (k.kty == KeyType::kRsa) {
      for (auto [name, param] : {std::pair{"d", "d"}, {"p", "rsa-factor1"}, {"q", "rsa-factor2"},
                                 {"dp", "rsa-exponent1"}, {"dq", "rsa-exponent2"},
                                 {"qi", "rsa-coefficient1"}}) {
        BIGNUM* bn = nullptr;
        ASSERT_EQ(EVP_PKEY_get_bn_param(k.pkey.get(), param, &bn), 1) << param;
        std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
        BN_free(bn);
        jwk += std::string(",\"") + name + "\":\"" + base64UrlEncode(bytes) + "\"";
      }
    } else if (k.kty == KeyType::kEc) {
      BIGNUM* bn = nullptr;
      ASSERT_EQ(EVP_PKEY_get_bn_param(k.pkey.get(), "priv", &bn), 1);
      std::string bytes(32, '\0');
      BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), 32);
      BN_free(bn);
      jwk += ",\"d\":\"" + base64UrlEncode(bytes) + "\"";
    } else if (k.kty == KeyType::kOkp) {
      std::string raw(57, '\0');
      size_t len = raw.size();
      ASSERT_EQ(EVP_PKEY_get_raw_private_key(k.pkey.get(),
                                             reinterpret_cast<unsigned char*>(raw.data()), &len),
                1);
      raw.resize(len);
      jwk += ",\"d\":\"" + base64UrlEncode(raw) + "\"";
    }
    jwk += "}";
    const PrivateKey loaded = loadPrivateKey(jwk);
    EXPECT_EQ(loaded.kid, std::optional<std::string>("kid-1"));
    EXPECT_TRUE(verifies(loaded.defaultAlg(), loaded, k)) << jwk.substr(0, 40);
  }
}

TEST(Signer, RefusesWhatItCannotSign) {
  EXPECT_THROW(loadPrivateKey("not a key"), std::runtime_error);
  EXPECT_THROW(loadPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
               std::runtime_error);
  EXPECT_THROW(loadPrivateKey(R"({"kty":"EC","crv":"P-224","x":"AA","y":"AA","d":"AA"})"),
               std::runtime_error);
  EXPECT_THROW(signToken(Alg::kES384, testKey(KeyId::kP256), std::nullopt, "{}"),
               std::runtime_error);
  EXPECT_THROW(signToken(Alg::kHS256, testKey(KeyId::kRsa), std::nullopt, "{}"),
               std::runtime_error);
  EXPECT_THROW(signToken(Alg::kRS256, testKey(KeyId::kRsa), std::nullopt, "[1]"),
               std::runtime_error);
}

TEST(Signer, TokenShape) {
  const std::string token =
      signToken(Alg::kES512, testKey(KeyId::kP521), "a\"b", R"({"iss":"i"})");
  Jwt jwt;
  ASSERT_EQ(jwt.parse(token), JwtStatus::kOk);
  EXPECT_EQ(jwt.alg(), Alg::kES512);
  EXPECT_EQ(jwt.kid(), "a\"b");
  EXPECT_EQ(jwt.signature().size(), 132u);  // raw r||s, RFC 7518 §3.4
  EXPECT_EQ(jwt.headerJson(), R"({"alg":"ES512","typ":"JWT","kid":"a\"b"})");
}

}  // namespace
}  // namespace claimgate::jwt
