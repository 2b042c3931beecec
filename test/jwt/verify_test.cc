// Signatures (every alg, bit flips, confusion), key selection, and checkClaims edges.
#include "jwt/verify.h"

#include <gtest/gtest.h>

#include <string>

#include "jwt/signer.h"
#include "test_keys.h"

namespace claimgate::jwt {
namespace {

using testing::flipSignatureBit;
using testing::jwksOf;
using testing::keyFor;
using testing::KeyId;
using testing::testKey;

constexpr std::string_view kClaims = R"({"iss":"https://issuer","sub":"u1","exp":2000000000})";

std::string tokenFor(Alg alg, KeyId id, std::optional<std::string_view> kid = {}) {
  return signToken(alg, testKey(id), kid, kClaims);
}

JwtStatus verifyToken(const std::string& token, const Jwks& jwks) {
  Jwt jwt;
  const JwtStatus s = jwt.parse(token);
  if (s != JwtStatus::kOk) return s;
  return verifyJwtSignature(jwt, jwks);
}

TEST(Verify, EveryAlgRoundTripsAndRejectsEveryBitFlip) {
  for (Alg alg : kAllAlgs) {
    SCOPED_TRACE(std::string(algName(alg)));
    const KeyId id = keyFor(alg);
    const auto jwks = jwksOf(id);
    const std::string token = tokenFor(alg, id);
    ASSERT_EQ(verifyToken(token, *jwks), JwtStatus::kOk);
    Jwt jwt;
    ASSERT_EQ(jwt.parse(token), JwtStatus::kOk);
    const size_t bits = jwt.signature().size() * 8;
    // Every bit for short signatures, a spread of bits for RSA.
    const size_t step = bits > 1200 ? 7 : 1;
    for (size_t b = 0; b < bits; b += step) {
      ASSERT_EQ(verifyToken(flipSignatureBit(token, b), *jwks), JwtStatus::kJwtVerificationFail)
          << "bit " << b;
    }
  }
}

TEST(Verify, Ed448RoundTrip) {
  const auto jwks = jwksOf(KeyId::kEd448);
  const std::string token = tokenFor(Alg::kEdDSA, KeyId::kEd448);
  EXPECT_EQ(verifyToken(token, *jwks), JwtStatus::kOk);
  EXPECT_EQ(verifyToken(flipSignatureBit(token, 5), *jwks), JwtStatus::kJwtVerificationFail);
}

TEST(Verify, PemKeysVerifyToo) {
  for (KeyId id : {KeyId::kRsa, KeyId::kP256, KeyId::kP384, KeyId::kP521, KeyId::kK256,
                   KeyId::kEd25519, KeyId::kEd448}) {
    JwtStatus status;
    const auto jwks = Jwks::fromAny(publicKeyPem(testKey(id)), &status);
    ASSERT_TRUE(jwks) << statusName(status);
    const PrivateKey& key = testKey(id);
    EXPECT_EQ(verifyToken(signToken(key.defaultAlg(), key, std::nullopt, kClaims), *jwks),
              JwtStatus::kOk);
  }
}

TEST(Verify, ModifiedPayloadOrHeaderFails) {
  const auto jwks = jwksOf(KeyId::kRsa);
  const std::string token = tokenFor(Alg::kRS256, KeyId::kRsa);
  const std::string other = tokenFor(Alg::kRS256, KeyId::kRsa, "kid");
  // Swap in another token's header: same key, different signed bytes.
  const std::string spliced = other.substr(0, other.find('.')) + token.substr(token.find('.'));
  EXPECT_EQ(verifyToken(spliced, *jwks), JwtStatus::kJwtVerificationFail);
}

TEST(Verify, KeyTypeMustFitAlg) {
  // HS256 keyed with the RSA public key's bytes (the classic confusion), and cross-family algs.
  const PrivateKey& rsa = testKey(KeyId::kRsa);
  PrivateKey fake_hmac;
  fake_hmac.kty = KeyType::kOct;
  fake_hmac.secret = publicKeyPem(rsa);
  const std::string hs_with_rsa_pem =
      signToken(Alg::kHS256, fake_hmac, std::nullopt, kClaims);
  EXPECT_EQ(verifyToken(hs_with_rsa_pem, *jwksOf(KeyId::kRsa)), JwtStatus::kJwtVerificationFail);
  JwtStatus status;
  const auto pem_jwks = Jwks::fromPem(publicKeyPem(rsa), &status);
  ASSERT_TRUE(pem_jwks);
  EXPECT_EQ(verifyToken(hs_with_rsa_pem, *pem_jwks), JwtStatus::kJwtVerificationFail);

  // An ES256 signature presented as RS256 to an EC key; an RS256 token against an EC key.
  const std::string es = tokenFor(Alg::kES256, KeyId::kP256);
  const std::string relabelled = testing::seg(R"({"alg":"RS256"})") + es.substr(es.find('.'));
  EXPECT_EQ(verifyToken(relabelled, *jwksOf(KeyId::kP256)), JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kRS256, KeyId::kRsa), *jwksOf(KeyId::kP256)),
            JwtStatus::kJwtVerificationFail);
  // ES384 against a P-256 key: the curve is the alg's.
  const std::string es384_header = testing::seg(R"({"alg":"ES384"})") + es.substr(es.find('.'));
  EXPECT_EQ(verifyToken(es384_header, *jwksOf(KeyId::kP256)), JwtStatus::kJwtVerificationFail);
  // ES256K signature under ES256 against a secp256k1 key.
  const std::string k = tokenFor(Alg::kES256K, KeyId::kK256);
  const std::string k_as_es256 = testing::seg(R"({"alg":"ES256"})") + k.substr(k.find('.'));
  EXPECT_EQ(verifyToken(k_as_es256, *jwksOf(KeyId::kK256)), JwtStatus::kJwtVerificationFail);
}

TEST(Verify, PrimitiveRefusesKeysThatDoNotFit) {
  const std::string data = "a.b";
  const std::string sig = signBytes(Alg::kRS256, testKey(KeyId::kRsa), data);
  const auto jwks = jwksOf(KeyId::kRsa);
  EXPECT_TRUE(verifySignature(Alg::kRS256, jwks->keys()[0], data, sig));
  EXPECT_FALSE(verifySignature(Alg::kPS256, jwks->keys()[0], data, sig));
  EXPECT_FALSE(verifySignature(Alg::kRS384, jwks->keys()[0], data, sig));
  EXPECT_FALSE(verifySignature(Alg::kHS256, jwks->keys()[0], data, sig));
  EXPECT_FALSE(verifySignature(Alg::kES256, jwks->keys()[0], data, sig));
  // A key with alg RS384 never verifies RS256.
  const auto pinned = jwksOf(KeyId::kRsa, std::nullopt, Alg::kRS384);
  EXPECT_FALSE(verifySignature(Alg::kRS256, pinned->keys()[0], data, sig));
}

TEST(Verify, HmacTagMustBeFullLength) {
  const auto jwks = jwksOf(KeyId::kHmac);
  const std::string data = "h.p";
  const std::string tag = signBytes(Alg::kHS256, testKey(KeyId::kHmac), data);
  EXPECT_TRUE(verifySignature(Alg::kHS256, jwks->keys()[0], data, tag));
  EXPECT_FALSE(verifySignature(Alg::kHS256, jwks->keys()[0], data, tag.substr(0, 16)));
  EXPECT_FALSE(verifySignature(Alg::kHS256, jwks->keys()[0], data, tag + "x"));
  EXPECT_FALSE(verifySignature(Alg::kHS256, jwks->keys()[0], data, ""));
}

TEST(Verify, EcdsaRawSignatureShape) {
  const auto jwks = jwksOf(KeyId::kP256);
  const Jwk& key = jwks->keys()[0];
  const std::string data = "h.p";
  const std::string sig = signBytes(Alg::kES256, testKey(KeyId::kP256), data);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(verifySignature(Alg::kES256, key, data, sig));
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, sig.substr(0, 63)));
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, sig + std::string(1, '\0')));
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, std::string(1, '\0') + sig));
  // r = 0 or s = 0 ("psychic signatures", CVE-2022-21449).
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, std::string(64, '\0')));
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, std::string(32, '\0') + sig.substr(32)));
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, sig.substr(0, 32) + std::string(32, '\0')));
  // s >= n.
  EXPECT_FALSE(verifySignature(Alg::kES256, key, data, sig.substr(0, 32) + std::string(32, '\xff')));
}

TEST(Verify, Ed25519WrongLengthHasItsOwnStatus) {
  const auto jwks = jwksOf(KeyId::kEd25519);
  const std::string token = tokenFor(Alg::kEdDSA, KeyId::kEd25519);
  const std::string short_sig =
      token.substr(0, token.rfind('.') + 1) + testing::seg(std::string(63, 'x'));
  EXPECT_EQ(verifyToken(short_sig, *jwks), JwtStatus::kJwtEd25519SignatureWrongLength);
  // Ed448 keys have no such status: a wrong length simply fails.
  EXPECT_EQ(verifyToken(short_sig, *jwksOf(KeyId::kEd448)), JwtStatus::kJwtVerificationFail);
}

struct SelectCase {
  const char* name;
  std::optional<std::string_view> token_kid;
  Alg token_alg;
  std::optional<std::string_view> key_kid;
  std::optional<Alg> key_alg;
  JwtStatus want;
};

TEST(Verify, KidAndAlgSelectionAsEnvoy) {
  const SelectCase cases[] = {
      {"no_kids", {}, Alg::kRS256, {}, {}, JwtStatus::kOk},
      {"same_kid", "a", Alg::kRS256, "a", {}, JwtStatus::kOk},
      {"token_kid_key_none", "a", Alg::kRS256, {}, {}, JwtStatus::kOk},
      {"key_kid_token_none", {}, Alg::kRS256, "a", {}, JwtStatus::kOk},
      {"empty_token_kid_is_none", "", Alg::kRS256, "a", {}, JwtStatus::kOk},
      {"kid_differs", "b", Alg::kRS256, "a", {}, JwtStatus::kJwksKidAlgMismatch},
      {"alg_same", {}, Alg::kRS256, {}, Alg::kRS256, JwtStatus::kOk},
      {"alg_differs", {}, Alg::kPS256, {}, Alg::kRS256, JwtStatus::kJwksKidAlgMismatch},
      {"kid_ok_alg_differs", "a", Alg::kRS384, "a", Alg::kRS256, JwtStatus::kJwksKidAlgMismatch},
      {"kid_alg_match_bad_sig_kind", "a", Alg::kPS256, "a", Alg::kPS256,
       JwtStatus::kJwtVerificationFail},
  };
  const std::string good = tokenFor(Alg::kRS256, KeyId::kRsa);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto jwks = jwksOf(KeyId::kRsa, c.key_kid, c.key_alg);
    std::string header = "{\"alg\":\"" + std::string(algName(c.token_alg)) + "\"";
    if (c.token_kid) header += ",\"kid\":\"" + std::string(*c.token_kid) + "\"";
    header += "}";
    // Sign with RS256 whatever the header says: the kid_alg_match case must then fail the
    // signature (PS256 verification of a PKCS#1 v1.5 signature).
    const std::string input = testing::seg(header) + "." + testing::seg(kClaims);
    const std::string token =
        input + "." + base64UrlEncode(signBytes(Alg::kRS256, testKey(KeyId::kRsa), input));
    EXPECT_EQ(verifyToken(token, *jwks), c.want);
  }
}

TEST(Verify, FirstMatchingKeyAmongManyVerifies) {
  // Three keys: the token's kid picks the third; a token without kid tries all.
  const std::string set = "{\"keys\":[" +
                          publicJwkJson(testKey(KeyId::kP256), std::string_view("ec")) + "," +
                          publicJwkJson(testKey(KeyId::kEd25519), std::string_view("ed")) + "," +
                          publicJwkJson(testKey(KeyId::kRsa), std::string_view("rsa")) + "]}";
  JwtStatus status;
  const auto jwks = Jwks::fromJwksJson(set, &status);
  ASSERT_TRUE(jwks) << statusName(status);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kRS256, KeyId::kRsa, "rsa"), *jwks), JwtStatus::kOk);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kRS256, KeyId::kRsa), *jwks), JwtStatus::kOk);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kEdDSA, KeyId::kEd25519), *jwks), JwtStatus::kOk);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kRS256, KeyId::kRsa, "ec"), *jwks),
            JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(verifyToken(tokenFor(Alg::kRS256, KeyId::kRsa, "nope"), *jwks),
            JwtStatus::kJwksKidAlgMismatch);
}

// ---- checkClaims ----

Jwt parsed(std::string_view payload) {
  Jwt jwt;
  const JwtStatus s = jwt.parse(testing::seg(R"({"alg":"HS256"})") + "." + testing::seg(payload) +
                                "." + testing::seg("sig"));
  EXPECT_EQ(s, JwtStatus::kOk) << payload;
  return jwt;
}

TEST(CheckClaims, IssuerExactAndEmptyMeansAny) {
  const Jwt jwt = parsed(R"({"iss":"https://issuer"})");
  const Jwt no_iss = parsed("{}");
  EXPECT_EQ(checkClaims(jwt, {.issuer = "https://issuer"}, 0), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(jwt, {.issuer = "https://issuer/"}, 0), JwtStatus::kJwtUnknownIssuer);
  EXPECT_EQ(checkClaims(jwt, {.issuer = "https://ISSUER"}, 0), JwtStatus::kJwtUnknownIssuer);
  EXPECT_EQ(checkClaims(jwt, {}, 0), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(no_iss, {}, 0), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(no_iss, {.issuer = "x"}, 0), JwtStatus::kJwtUnknownIssuer);
}

TEST(CheckClaims, SkewEdgesAreInclusive) {
  const Jwt jwt = parsed(R"({"nbf":1000,"exp":2000})");
  const ProviderChecks checks{.clock_skew_seconds = 60};
  EXPECT_EQ(checkClaims(jwt, checks, 939), JwtStatus::kJwtNotYetValid);
  EXPECT_EQ(checkClaims(jwt, checks, 940), JwtStatus::kOk);   // now + skew == nbf
  EXPECT_EQ(checkClaims(jwt, checks, 2060), JwtStatus::kOk);  // now == exp + skew
  EXPECT_EQ(checkClaims(jwt, checks, 2061), JwtStatus::kJwtExpired);
  const ProviderChecks no_skew{.clock_skew_seconds = 0};
  EXPECT_EQ(checkClaims(jwt, no_skew, 999), JwtStatus::kJwtNotYetValid);
  EXPECT_EQ(checkClaims(jwt, no_skew, 1000), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(jwt, no_skew, 2000), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(jwt, no_skew, 2001), JwtStatus::kJwtExpired);
}

TEST(CheckClaims, NoExpNeverExpiresAndHugeExpDoesNotWrap) {
  EXPECT_EQ(checkClaims(parsed("{}"), {}, UINT64_MAX), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(parsed(R"({"exp":0})"), {}, UINT64_MAX), JwtStatus::kOk);
  EXPECT_EQ(checkClaims(parsed(R"({"exp":18446744073709549568})"), {}, 1700000000),
            JwtStatus::kOk);
  EXPECT_EQ(checkClaims(parsed(R"({"nbf":18446744073709549568})"), {}, 1700000000),
            JwtStatus::kJwtNotYetValid);
}

TEST(CheckClaims, OrderIssuerThenTimeThenAudience) {
  const Jwt jwt = parsed(R"({"iss":"a","exp":10,"aud":"x"})");
  EXPECT_EQ(checkClaims(jwt, {.issuer = "b", .audiences = {"y"}}, 1000),
            JwtStatus::kJwtUnknownIssuer);
  EXPECT_EQ(checkClaims(jwt, {.issuer = "a", .audiences = {"y"}}, 1000), JwtStatus::kJwtExpired);
  EXPECT_EQ(checkClaims(jwt, {.issuer = "a", .audiences = {"y"}}, 0),
            JwtStatus::kJwtAudienceNotAllowed);
}

TEST(CheckClaims, AudienceNormalisationTable) {
  struct AudCase {
    const char* token_aud;  // JSON value, or nullptr for no aud
    std::vector<std::string> configured;
    bool ok;
  };
  const AudCase cases[] = {
      {R"("api.example.com")", {"api.example.com"}, true},
      {R"("https://api.example.com/")", {"api.example.com"}, true},
      {R"("http://api.example.com")", {"https://api.example.com/"}, true},
      {R"("api.example.com/")", {"api.example.com"}, true},
      {R"("api.example.com//")", {"api.example.com"}, false},  // only one '/' is dropped
      {R"("HTTPS://api.example.com")", {"api.example.com"}, false},  // scheme is case-sensitive
      {R"("ftp://api.example.com")", {"api.example.com"}, false},
      {R"("api.example.com/v1")", {"api.example.com"}, false},
      {R"(["a","b","https://c/"])", {"x", "c"}, true},
      {R"(["a","b"])", {"x", "y"}, false},
      {R"([])", {"x"}, false},
      {nullptr, {"x"}, false},  // a missing aud never matches
      {nullptr, {}, true},      // no configured audiences: no check
      {R"("anything")", {}, true},
  };
  for (const auto& c : cases) {
    const std::string payload =
        c.token_aud ? std::string("{\"aud\":") + c.token_aud + "}" : std::string("{}");
    EXPECT_EQ(checkClaims(parsed(payload), {.audiences = c.configured}, 0),
              c.ok ? JwtStatus::kOk : JwtStatus::kJwtAudienceNotAllowed)
        << payload;
  }
  EXPECT_EQ(normalizeAudience("https://a/"), "a");
  EXPECT_EQ(normalizeAudience("http://"), "");
  EXPECT_EQ(normalizeAudience("/"), "");
  EXPECT_EQ(normalizeAudience(""), "");
}

TEST(VerifyJwt, ClaimsBeforeSignature) {
  const auto jwks = jwksOf(KeyId::kRsa);
  Jwt jwt;
  // Expired with a bad signature: the time error wins (Envoy order).
  const std::string expired = flipSignatureBit(
      signToken(Alg::kRS256, testKey(KeyId::kRsa), std::nullopt, R"({"exp":100})"), 3);
  ASSERT_EQ(jwt.parse(expired), JwtStatus::kOk);
  EXPECT_EQ(verifyJwt(jwt, {}, *jwks, 1000), JwtStatus::kJwtExpired);
  EXPECT_EQ(verifyJwt(jwt, {}, *jwks, 50), JwtStatus::kJwtVerificationFail);
  ASSERT_EQ(jwt.parse(tokenFor(Alg::kRS256, KeyId::kRsa)), JwtStatus::kOk);
  EXPECT_EQ(verifyJwt(jwt, {.issuer = "https://issuer", .audiences = {}}, *jwks, 1700000000),
            JwtStatus::kOk);
}

}  // namespace
}  // namespace claimgate::jwt
