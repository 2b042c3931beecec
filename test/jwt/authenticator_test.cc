// Authenticator: requires_any over providers, validationPolicy, issuer-bound locations, Envoy's
// error preference, token stripping, and the headers added on success (claimsToHeaders,
// outputPayloadToHeader). Tokens are HS256, minted here with OpenSSL HMAC (no fixtures).
#include "jwt/authenticator.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/base64url.h"

namespace claimgate {
// gtest prints the status text instead of a byte (internal linkage: no clash with other tests).
[[maybe_unused]] static void PrintTo(JwtStatus s, std::ostream* os) { *os << statusText(s); }

namespace jwt {
namespace {

constexpr uint64_t kNow = 1'700'000'000;
const std::string kSecretA = "secret-of-provider-a-0123456789ab";
const std::string kSecretB = "secret-of-provider-b-0123456789ab";

// header {"alg":"HS256","typ":"JWT"} . payload . HMAC-SHA256(secret)
std::string mint(const std::string& payload, const std::string& secret) {
  std::string signed_part = base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                            base64UrlEncode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &len);
  return signed_part + "." + base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string tokenA(const std::string& extra = "") {
  return mint(R"({"iss":"https://a.example","sub":"alice")" + extra + "}", kSecretA);
}
std::string tokenB(const std::string& extra = "") {
  return mint(R"({"iss":"https://b.example","sub":"bob")" + extra + "}", kSecretB);
}
std::string expiredA() { return tokenA(R"(,"exp":1600000000)"); }
// One signature character changed; not the last one, whose low bits must stay zero (strict
// base64url), so this is a verification failure rather than a parse error.
std::string badSigA() {
  std::string t = tokenA();
  char& c = t[t.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  return t;
}

std::shared_ptr<const KeySource> octKeys(const std::string& secret) {
  JwtStatus st = JwtStatus::kOk;
  auto jwks = Jwks::fromJwkJson(R"({"kty":"oct","k":")" + base64UrlEncode(secret) + R"("})", &st);
  EXPECT_EQ(st, JwtStatus::kOk);
  return std::make_shared<StaticKeySource>(jwks);
}

ProviderConfig providerA(TokenLocations locs = {}) {
  ProviderConfig p;
  p.name = "a";
  p.checks.issuer = "https://a.example";
  p.keys = octKeys(kSecretA);
  p.locations = std::move(locs);
  return p;
}
ProviderConfig providerB(TokenLocations locs = {}) {
  ProviderConfig p;
  p.name = "b";
  p.checks.issuer = "https://b.example";
  p.keys = octKeys(kSecretB);
  p.locations = std::move(locs);
  return p;
}

TokenLocations header(std::string name) {
  return TokenLocations{{HeaderLocation{std::move(name), "Bearer "}}, {}, {}};
}

// Owns its strings: RequestView only holds views.
struct Req {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string target = "/get";
};

template <class List>
std::vector<std::string_view> list(const List& l) {
  return {l.begin(), l.end()};
}

AuthResult run(const Authenticator& auth, const Req& req, uint64_t now = kNow) {
  std::vector<HeaderView> views;
  for (const auto& [name, value] : req.headers) views.push_back(HeaderView{name, value});
  return auth.authenticate(RequestView{views, req.target}, now);
}

std::string bearer(const std::string& t) { return "Bearer " + t; }

// ---- validationPolicy -------------------------------------------------------------------------

struct PolicyCase {
  const char* name;
  ValidationPolicy policy;
  int token;  // 0 none, 1 valid, 2 bad signature, 3 expired
  bool allowed;
  JwtStatus status;
  bool has_jwt;
};

const PolicyCase kPolicyCases[] = {
    {"require_none", ValidationPolicy::kRequireValid, 0, false, JwtStatus::kJwtMissed, false},
    {"require_valid", ValidationPolicy::kRequireValid, 1, true, JwtStatus::kOk, true},
    {"require_bad", ValidationPolicy::kRequireValid, 2, false, JwtStatus::kJwtVerificationFail, false},
    {"require_expired", ValidationPolicy::kRequireValid, 3, false, JwtStatus::kJwtExpired, false},
    {"missing_none", ValidationPolicy::kAllowMissing, 0, true, JwtStatus::kJwtMissed, false},
    {"missing_valid", ValidationPolicy::kAllowMissing, 1, true, JwtStatus::kOk, true},
    {"missing_bad", ValidationPolicy::kAllowMissing, 2, false, JwtStatus::kJwtVerificationFail, false},
    {"missing_expired", ValidationPolicy::kAllowMissing, 3, false, JwtStatus::kJwtExpired, false},
    {"failed_none", ValidationPolicy::kAllowMissingOrFailed, 0, true, JwtStatus::kJwtMissed, false},
    {"failed_valid", ValidationPolicy::kAllowMissingOrFailed, 1, true, JwtStatus::kOk, true},
    {"failed_bad", ValidationPolicy::kAllowMissingOrFailed, 2, true, JwtStatus::kJwtVerificationFail, false},
    {"failed_expired", ValidationPolicy::kAllowMissingOrFailed, 3, true, JwtStatus::kJwtExpired, false},
};

class ValidationPolicyTable : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(ValidationPolicyTable, Decides) {
  const PolicyCase& c = GetParam();
  Authenticator auth({providerA()}, c.policy);
  Req req;
  std::string tok = c.token == 1 ? tokenA() : c.token == 2 ? badSigA() : expiredA();
  if (c.token != 0) req.headers.push_back({"Authorization", bearer(tok)});
  AuthResult r = run(auth, req);
  EXPECT_EQ(r.allowed, c.allowed);
  EXPECT_EQ(r.status, c.status) << statusText(r.status);
  EXPECT_EQ(r.jwt != nullptr, c.has_jwt);
  EXPECT_EQ(r.token_present, c.token != 0);
  EXPECT_EQ(r.provider, c.has_jwt ? 0 : -1);
  if (c.has_jwt) {
    EXPECT_EQ(r.jwt->sub(), "alice");
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, ValidationPolicyTable, ::testing::ValuesIn(kPolicyCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ALLOW_MISSING closes Envoy's "last token decides" hole: a good header token and a bad query
// token fail, in both orders.
TEST(Authenticator, AllowMissingFailsWhenAnyPresentTokenFails) {
  Authenticator auth({providerA()}, ValidationPolicy::kAllowMissing);
  Req good_header{{{"Authorization", bearer(tokenA())}}, "/get?access_token=" + badSigA()};
  Req bad_header{{{"Authorization", bearer(badSigA())}}, "/get?access_token=" + tokenA()};
  for (const Req& req : {good_header, bad_header}) {
    AuthResult r = run(auth, req);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.status, JwtStatus::kJwtVerificationFail);
  }
}

// ---- all tokens at a provider's locations must verify -----------------------------------------

TEST(Authenticator, GoodHeaderBadQueryFails) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}}, "/get?access_token=" + expiredA()});
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status, JwtStatus::kJwtExpired);
}

TEST(Authenticator, BadHeaderGoodQueryFails) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(expiredA())}}, "/get?access_token=" + tokenA()});
  EXPECT_EQ(r.status, JwtStatus::kJwtExpired);
}

TEST(Authenticator, QueryTokenErrorReportedFirstLikeEnvoy) {
  // Envoy verifies the last extracted token first: the query token's error wins.
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(badSigA())}}, "/get?access_token=" + expiredA()});
  EXPECT_EQ(r.status, JwtStatus::kJwtExpired);
}

TEST(Authenticator, RepeatedHeaderEveryValueMustVerify) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}, {"Authorization", bearer(badSigA())}}});
  EXPECT_EQ(r.status, JwtStatus::kJwtVerificationFail);
  AuthResult ok = run(auth, Req{{{"Authorization", bearer(tokenA())}, {"authorization", bearer(tokenA())}}});
  EXPECT_EQ(ok.status, JwtStatus::kOk);
  EXPECT_EQ(list(ok.strip_headers), std::vector<std::string_view>{"authorization"});
}

TEST(Authenticator, TrailingJunkFailsParsing) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA()) + " junk"}}});
  EXPECT_EQ(r.status, JwtStatus::kJwtSignatureParseErrorBadBase64) << statusText(r.status);
}

TEST(Authenticator, BothTokensValidHeaderTokenIsTheRequestsToken) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  std::string other = tokenA(R"(,"n":2)");
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}}, "/get?a=1&access_token=" + other});
  ASSERT_EQ(r.status, JwtStatus::kOk);
  EXPECT_EQ(r.jwt->token(), tokenA());
  EXPECT_EQ(list(r.strip_headers), std::vector<std::string_view>{"authorization"});
  EXPECT_EQ(list(r.strip_query_params), std::vector<std::string_view>{"access_token"});
  EXPECT_EQ(removeQueryParams("/get?a=1&access_token=" + other, r.strip_query_params), "/get?a=1");
}

// ---- two providers, issuer-bound locations, error preference ----------------------------------

TEST(Authenticator, SecondProviderAcceptsOnSharedLocation) {
  Authenticator auth({providerA(), providerB()}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenB())}}});
  EXPECT_EQ(r.status, JwtStatus::kOk);
  EXPECT_EQ(r.provider, 1);
  EXPECT_EQ(r.jwt->sub(), "bob");
}

TEST(Authenticator, TokenAtOtherProvidersLocationIsUnknownIssuer) {
  Authenticator auth({providerA(header("X-A")), providerB(header("X-B"))}, ValidationPolicy::kRequireValid);
  // B's token in A's header: A says unknown issuer, B finds nothing -> unknown issuer.
  EXPECT_EQ(run(auth, Req{{{"X-A", bearer(tokenB())}}}).status, JwtStatus::kJwtUnknownIssuer);
  AuthResult ok = run(auth, Req{{{"X-B", bearer(tokenB())}}});
  EXPECT_EQ(ok.status, JwtStatus::kOk);
  EXPECT_EQ(ok.provider, 1);
  EXPECT_EQ(list(ok.strip_headers), std::vector<std::string_view>{"x-b"});
  // A token in a location no provider reads is not seen at all.
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA())}}}).status, JwtStatus::kJwtMissed);
}

TEST(Authenticator, ProviderWithTokensElsewhereStillAcceptsItsOwn) {
  // requires_any: A accepts its own header even though B's header holds a bad token.
  Authenticator auth({providerA(header("X-A")), providerB(header("X-B"))}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"X-A", bearer(tokenA())}, {"X-B", bearer("x.y.z")}}});
  EXPECT_EQ(r.status, JwtStatus::kOk);
  EXPECT_EQ(r.provider, 0);
  EXPECT_EQ(list(r.strip_headers), std::vector<std::string_view>{"x-a"});
}

struct PreferenceCase {
  const char* name;
  std::string xa, xb;  // token in X-A (provider A), X-B (provider B); "" = none
  JwtStatus want;
};

TEST(Authenticator, ErrorPreferenceRealOverUnknownIssuerOverMissed) {
  Authenticator auth({providerA(header("X-A")), providerB(header("X-B"))}, ValidationPolicy::kRequireValid);
  const PreferenceCase cases[] = {
      {"missed_missed", "", "", JwtStatus::kJwtMissed},
      {"issuer_missed", tokenB(), "", JwtStatus::kJwtUnknownIssuer},
      {"missed_issuer", "", tokenA(), JwtStatus::kJwtUnknownIssuer},
      {"real_issuer", expiredA(), tokenA(), JwtStatus::kJwtExpired},
      {"issuer_real", tokenB(), mint(R"({"iss":"https://b.example","exp":1})", kSecretB), JwtStatus::kJwtExpired},
      {"real_real_last_wins", expiredA(), mint(R"({"iss":"https://b.example"})", kSecretA),
       JwtStatus::kJwtVerificationFail},
      {"real_real_last_wins_2", badSigA(), mint(R"({"iss":"https://b.example","exp":1})", kSecretB),
       JwtStatus::kJwtExpired},
  };
  for (const auto& c : cases) {
    Req req;
    if (!c.xa.empty()) req.headers.push_back({"X-A", bearer(c.xa)});
    if (!c.xb.empty()) req.headers.push_back({"X-B", bearer(c.xb)});
    AuthResult r = run(auth, req);
    EXPECT_EQ(r.status, c.want) << c.name << ": " << statusText(r.status);
    EXPECT_FALSE(r.allowed) << c.name;
  }
}

// ---- keys, checks order, stripping -------------------------------------------------------------

class FailingKeys final : public KeySource {
 public:
  Keys current() const override { return Keys{nullptr, JwtStatus::kJwksFetchFail}; }
};

TEST(Authenticator, KeySourceStatusAfterClaimChecks) {
  ProviderConfig p = providerA();
  p.keys = std::make_shared<FailingKeys>();
  Authenticator auth({p}, ValidationPolicy::kRequireValid);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA())}}}).status, JwtStatus::kJwksFetchFail);
  // Time is checked before keys (Envoy order): an expired token says so even without keys.
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(expiredA())}}}).status, JwtStatus::kJwtExpired);
}

// No keys yet, a fetch running (a lazy remote JWKS before its first key set).
class FetchingKeys final : public KeySource {
 public:
  Keys current() const override { return Keys{nullptr, JwtStatus::kJwksFetchFail, true}; }
};

TEST(Authenticator, ReportsKeysStillBeingFetched) {
  auto fetching = std::make_shared<FetchingKeys>();
  ProviderConfig a = providerA();
  a.keys = fetching;
  {
    Authenticator auth({a}, ValidationPolicy::kRequireValid);
    AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}}});
    EXPECT_EQ(r.status, JwtStatus::kJwksFetchFail);
    EXPECT_EQ(r.pending_keys, fetching.get());
    // A token that fails before the keys are needed (time) has nothing to wait for.
    EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(expiredA())}}}).pending_keys, nullptr);
    EXPECT_EQ(run(auth, Req{}).pending_keys, nullptr);  // no token
  }
  {
    // allow_missing_or_failed lets the request on, but waiting may still bring a payload.
    Authenticator auth({a}, ValidationPolicy::kAllowMissingOrFailed);
    AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}}});
    EXPECT_TRUE(r.allowed);
    EXPECT_EQ(r.pending_keys, fetching.get());
  }
  {
    // Another provider accepting the request: nothing to wait for.
    ProviderConfig ok = providerA();
    Authenticator auth({a, ok}, ValidationPolicy::kRequireValid);
    AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenA())}}});
    EXPECT_EQ(r.status, JwtStatus::kOk);
    EXPECT_EQ(r.pending_keys, nullptr);
  }
  {
    ProviderConfig f = providerA();
    f.keys = std::make_shared<FailingKeys>();
    Authenticator auth({f}, ValidationPolicy::kRequireValid);
    EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA())}}}).pending_keys, nullptr);
  }
}

// Keys with kid "old"; counts the unknown-kid notifications a remote source would act on.
class CountingKeys final : public KeySource {
 public:
  CountingKeys() {
    JwtStatus st = JwtStatus::kOk;
    jwks_ = Jwks::fromJwkJson(R"({"kty":"oct","kid":"old","k":")" + base64UrlEncode(kSecretA) + R"("})", &st);
    EXPECT_EQ(st, JwtStatus::kOk);
  }
  Keys current() const override { return Keys{jwks_, JwtStatus::kOk}; }
  void onKidAlgMismatch() const override { ++mismatches; }
  mutable int mismatches = 0;

 private:
  std::shared_ptr<const Jwks> jwks_;
};

TEST(Authenticator, UnknownKidNotifiesTheKeySource) {
  auto keys = std::make_shared<CountingKeys>();
  ProviderConfig p = providerA();
  p.keys = keys;
  Authenticator auth({p}, ValidationPolicy::kRequireValid);
  auto withKid = [](const std::string& kid) {
    std::string signed_part = base64UrlEncode(R"({"alg":"HS256","kid":")" + kid + R"("})") + "." +
                              base64UrlEncode(R"({"iss":"https://a.example"})");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), kSecretA.data(), static_cast<int>(kSecretA.size()),
         reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &len);
    return signed_part + "." + base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
  };
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(withKid("old"))}}}).status, JwtStatus::kOk);
  EXPECT_EQ(keys->mismatches, 0);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(withKid("new"))}}}).status,
            JwtStatus::kJwksKidAlgMismatch);
  EXPECT_EQ(keys->mismatches, 1);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(badSigA())}}}).status, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(keys->mismatches, 1);  // a bad signature is not an unknown kid
}

TEST(Authenticator, EmptyStaticKeysAreNoValidKeys) {
  ProviderConfig p = providerA();
  p.keys = std::make_shared<StaticKeySource>(nullptr);
  Authenticator auth({p}, ValidationPolicy::kRequireValid);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA())}}}).status, JwtStatus::kJwksNoValidKeys);
}

TEST(Authenticator, AudienceMismatch) {
  ProviderConfig p = providerA();
  p.checks.audiences = {"api.example"};
  Authenticator auth({p}, ValidationPolicy::kRequireValid);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA(R"(,"aud":"other")"))}}}).status,
            JwtStatus::kJwtAudienceNotAllowed);
  EXPECT_EQ(run(auth, Req{{{"Authorization", bearer(tokenA(R"(,"aud":["x","https://api.example/"])"))}}}).status,
            JwtStatus::kOk);
}

TEST(Authenticator, KeepTokenAndCookiesAreNotStripped) {
  ProviderConfig keep = providerA();
  keep.keep_token = true;
  Authenticator kept({keep}, ValidationPolicy::kRequireValid);
  AuthResult r = run(kept, Req{{{"Authorization", bearer(tokenA())}}, "/?access_token=" + tokenA()});
  ASSERT_EQ(r.status, JwtStatus::kOk);
  EXPECT_TRUE(r.strip_headers.empty());
  EXPECT_TRUE(r.strip_query_params.empty());

  Authenticator cookie({providerA(TokenLocations{{}, {}, {"session"}})}, ValidationPolicy::kRequireValid);
  AuthResult c = run(cookie, Req{{{"Cookie", "a=b; session=" + tokenA()}}});
  ASSERT_EQ(c.status, JwtStatus::kOk);
  EXPECT_TRUE(c.strip_headers.empty());
  EXPECT_TRUE(c.strip_query_params.empty());
}

TEST(Authenticator, RefusesBadConfig) {
  EXPECT_THROW(Authenticator({}, ValidationPolicy::kRequireValid), std::invalid_argument);
  ProviderConfig no_keys = providerA();
  no_keys.keys = nullptr;
  EXPECT_THROW(Authenticator({no_keys}, ValidationPolicy::kRequireValid), std::invalid_argument);
  ProviderConfig bad_header = providerA();
  bad_header.claims_to_headers = {{"org", "x org", false}};
  EXPECT_THROW(Authenticator({bad_header}, ValidationPolicy::kRequireValid), std::invalid_argument);
  ProviderConfig bad_payload_header = providerA();
  bad_payload_header.output_payload_to_header = "x:payload";
  EXPECT_THROW(Authenticator({bad_payload_header}, ValidationPolicy::kRequireValid), std::invalid_argument);
  ProviderConfig bad_source = providerA(header("bad header"));
  EXPECT_THROW(Authenticator({bad_source}, ValidationPolicy::kRequireValid), std::invalid_argument);
}

// ---- headers to remove / add -------------------------------------------------------------------

TEST(Authenticator, HeadersToRemoveCoverEveryProvider) {
  ProviderConfig a = providerA();
  a.claims_to_headers = {{"org", "X-Org", false}, {"email", "x-email", false}};
  a.output_payload_to_header = "X-Jwt-Payload";
  ProviderConfig b = providerB();
  b.claims_to_headers = {{"org", "x-ORG", true}, {"team", "X-Team", false}};
  Authenticator auth({a, b}, ValidationPolicy::kRequireValid);
  EXPECT_EQ(auth.headersToRemove(),
            (std::vector<std::string>{"x-org", "x-email", "x-jwt-payload", "x-team"}));
}

struct RenderCase {
  const char* name;
  const char* claim;
  const char* payload;
  const char* want;    // nullptr: no header
  const char* reason;  // when want == nullptr
};

const RenderCase kRenderCases[] = {
    {"string_as_is", "org", R"({"org":"internal"})", "internal", nullptr},
    {"string_unicode", "n", R"({"n":"Zo\u00eb"})", "Zo\xc3\xab", nullptr},
    {"int", "n", R"({"n":42})", "42", nullptr},
    {"negative", "n", R"({"n":-7})", "-7", nullptr},
    {"big_uint", "n", R"({"n":18446744073709551615})", "18446744073709551615", nullptr},
    {"integral_double", "n", R"({"n":3.0})", "3", nullptr},
    {"double", "n", R"({"n":1.5})", "1.5", nullptr},
    {"bool_true", "b", R"({"b":true})", "true", nullptr},
    {"bool_false", "b", R"({"b":false})", "false", nullptr},
    {"array_compact_json", "g", R"({"g":[ "a", 1 , true ]})", R"(["a",1,true])", nullptr},
    {"object_compact_json", "o", R"({"o":{ "k" : "v" }})", R"({"k":"v"})", nullptr},
    {"array_with_newline_escaped", "g", R"({"g":["a\nb"]})", R"(["a\nb"])", nullptr},
    {"dotted_top_level", "solo.io/company", R"({"solo.io/company":"solo"})", "solo", nullptr},
    {"nested_fallback", "realm.role", R"({"realm":{"role":"admin"}})", "admin", nullptr},
    {"top_level_wins_over_nested", "a.b", R"({"a.b":"top","a":{"b":"nested"}})", "top", nullptr},
    {"missing", "org", R"({})", nullptr, "claim missing"},
    {"nested_missing", "a.b", R"({"a":"x"})", nullptr, "claim missing"},
    {"null", "org", R"({"org":null})", nullptr, "null"},
    {"empty_string", "org", R"({"org":""})", nullptr, "empty string"},
    {"cr_refused", "org", R"({"org":"a\rX-Admin: 1"})", nullptr, "control character"},
    {"lf_refused", "org", R"({"org":"a\nX-Admin: 1"})", nullptr, "control character"},
    {"crlf_refused", "org", R"({"org":"a\r\nX-Admin: 1"})", nullptr, "control character"},
    {"nul_refused", "org", R"({"org":"a\u0000b"})", nullptr, "control character"},
    {"del_refused", "org", R"({"org":"a\u007fb"})", nullptr, "control character"},
    {"tab_allowed", "org", R"({"org":"a\tb"})", "a\tb", nullptr},
};

TEST(RenderClaimForHeader, Table) {
  simdjson::dom::parser parser;
  for (const auto& c : kRenderCases) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(std::string(c.payload)).get(doc), simdjson::SUCCESS) << c.name;
    std::string out;
    std::string_view reason;
    bool ok = renderClaimForHeader(doc, c.claim, &out, &reason);
    if (c.want) {
      EXPECT_TRUE(ok) << c.name << ": " << reason;
      EXPECT_EQ(out, c.want) << c.name;
    } else {
      EXPECT_FALSE(ok) << c.name << ": rendered " << out;
      EXPECT_EQ(reason, c.reason) << c.name;
      EXPECT_TRUE(out.empty()) << c.name;
    }
  }
}

TEST(Authenticator, HeadersToAddOnSuccess) {
  ProviderConfig a = providerA();
  a.claims_to_headers = {{"org", "X-Org", false},
                         {"team", "X-Org", true},  // appended to X-Org
                         {"level", "X-Level", false},
                         {"sub", "X-Level", false},  // replaces X-Level
                         {"evil", "X-Evil", false},
                         {"absent", "X-Absent", false}};
  a.output_payload_to_header = "X-Jwt-Payload";
  Authenticator auth({a}, ValidationPolicy::kRequireValid);
  std::string tok = tokenA(R"(,"org":"internal","team":"blue","level":3,"evil":"x\r\nInjected: 1")");
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tok)}}});
  ASSERT_EQ(r.status, JwtStatus::kOk);
  HeadersToAdd h = auth.headersToAdd(r);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[0].name, "X-Org");
  EXPECT_EQ(h.headers[0].value, "internal,blue");
  EXPECT_EQ(h.headers[1].name, "X-Level");
  EXPECT_EQ(h.headers[1].value, "alice");
  EXPECT_EQ(h.headers[2].name, "X-Jwt-Payload");
  EXPECT_EQ(h.headers[2].value, tok.substr(tok.find('.') + 1, tok.rfind('.') - tok.find('.') - 1));
  ASSERT_EQ(h.skipped.size(), 2u);
  EXPECT_EQ(h.skipped[0].header, "X-Evil");
  EXPECT_EQ(h.skipped[0].reason, "control character");
  EXPECT_EQ(h.skipped[1].claim, "absent");
  EXPECT_EQ(h.skipped[1].reason, "claim missing");
}

TEST(Authenticator, NoHeadersToAddWithoutVerifiedToken) {
  ProviderConfig a = providerA();
  a.claims_to_headers = {{"sub", "X-Sub", false}};
  a.output_payload_to_header = "X-Jwt-Payload";
  Authenticator auth({a}, ValidationPolicy::kAllowMissingOrFailed);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(badSigA())}}});
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(auth.headersToAdd(r).headers.empty());
}

TEST(Authenticator, OnlyTheAcceptingProvidersHeaders) {
  ProviderConfig a = providerA();
  a.claims_to_headers = {{"sub", "X-A-Sub", false}};
  ProviderConfig b = providerB();
  b.claims_to_headers = {{"sub", "X-B-Sub", false}};
  Authenticator auth({a, b}, ValidationPolicy::kRequireValid);
  AuthResult r = run(auth, Req{{{"Authorization", bearer(tokenB())}}});
  HeadersToAdd h = auth.headersToAdd(r);
  ASSERT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.headers[0].name, "X-B-Sub");
  EXPECT_EQ(h.headers[0].value, "bob");
}


// ---- the verified-token cache -----------------------------------------------------------------

AuthResult runCached(const Authenticator& auth, const Req& req, TokenCache& cache,
                     uint64_t now = kNow) {
  std::vector<HeaderView> views;
  for (const auto& [n, v] : req.headers) views.push_back({n, v});
  return auth.authenticate(RequestView{views, req.target}, now, &cache);
}

// A key set that can be swapped (a refetched remote JWKS is a new Jwks object).
class SwappableKeys final : public KeySource {
 public:
  explicit SwappableKeys(const std::string& secret) { swap(secret); }
  void swap(const std::string& secret) {
    JwtStatus st = JwtStatus::kOk;
    jwks_ = Jwks::fromJwkJson(R"({"kty":"oct","k":")" + base64UrlEncode(secret) + R"("})", &st);
  }
  Keys current() const override {
    ++current_calls;
    return Keys{jwks_, JwtStatus::kOk};
  }
  uint64_t peekKeysetId() const override { return jwks_->id(); }
  mutable int current_calls = 0;

 private:
  std::shared_ptr<const Jwks> jwks_;
};

TEST(AuthenticatorCache, HitSkipsParseAndSignatureButNotTheTimeCheck) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  TokenCache cache;
  const std::string t = tokenA(R"(,"exp":1700000100)");
  const Req req{{{"Authorization", bearer(t)}}};
  AuthResult first = runCached(auth, req, cache);
  ASSERT_EQ(first.status, JwtStatus::kOk);
  EXPECT_EQ(cache.counters().inserts, 1u);
  AuthResult second = runCached(auth, req, cache);
  EXPECT_EQ(second.status, JwtStatus::kOk);
  EXPECT_EQ(cache.counters().hits, 1u);
  EXPECT_EQ(second.jwt, first.jwt) << "the cached Jwt itself, not a new parse";
  EXPECT_EQ(list(second.strip_headers), std::vector<std::string_view>{"authorization"});
  // Past exp (and its 60 s skew): the cached token is expired like a fresh one would be.
  EXPECT_EQ(runCached(auth, req, cache, 1700000100 + 61).status, JwtStatus::kJwtExpired);
  EXPECT_EQ(cache.counters().hits, 2u);
}

TEST(AuthenticatorCache, ReplayedBadSignatureIsAnsweredFromTheNegativeCache) {
  Authenticator auth({providerA()}, ValidationPolicy::kRequireValid);
  TokenCache cache;
  const Req req{{{"Authorization", bearer(badSigA())}}};
  EXPECT_EQ(runCached(auth, req, cache).status, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(cache.counters().negative_inserts, 1u);
  EXPECT_EQ(runCached(auth, req, cache).status, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(cache.counters().negative_hits, 1u);
  EXPECT_EQ(cache.size(), 0u) << "a bad token is never a positive entry";
  // A token that fails before the signature (time) is not remembered at all.
  EXPECT_EQ(runCached(auth, Req{{{"Authorization", bearer(expiredA())}}}, cache).status,
            JwtStatus::kJwtExpired);
  EXPECT_EQ(cache.counters().negative_inserts, 1u);
}

TEST(AuthenticatorCache, EntriesDieWithTheirKeySet) {
  auto keys = std::make_shared<SwappableKeys>(kSecretA);
  ProviderConfig p = providerA();
  p.keys = keys;
  Authenticator auth({p}, ValidationPolicy::kRequireValid);
  TokenCache cache;
  const Req req{{{"Authorization", bearer(tokenA())}}};
  ASSERT_EQ(runCached(auth, req, cache).status, JwtStatus::kOk);
  ASSERT_EQ(runCached(auth, req, cache).status, JwtStatus::kOk);
  EXPECT_EQ(cache.counters().hits, 1u);
  // Rotated to another secret: the cached token must be verified again, and now fails.
  keys->swap(kSecretB);
  EXPECT_EQ(runCached(auth, req, cache).status, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(cache.counters().hits, 1u);
  // Back to a set with the right key (a new object): verified afresh, then cached again.
  keys->swap(kSecretA);
  EXPECT_EQ(runCached(auth, req, cache).status, JwtStatus::kOk);
  EXPECT_EQ(runCached(auth, req, cache).status, JwtStatus::kOk);
  EXPECT_EQ(cache.counters().hits, 2u);
}

TEST(AuthenticatorCache, EachAuthenticatorHasItsOwnEntries) {
  // Same provider settings, two compiled policies (e.g. two snapshots): no sharing.
  Authenticator a1({providerA()}, ValidationPolicy::kRequireValid);
  Authenticator a2({providerA()}, ValidationPolicy::kRequireValid);
  TokenCache cache;
  const Req req{{{"Authorization", bearer(tokenA())}}};
  ASSERT_EQ(runCached(a1, req, cache).status, JwtStatus::kOk);
  ASSERT_EQ(runCached(a2, req, cache).status, JwtStatus::kOk);
  EXPECT_EQ(cache.counters().hits, 0u);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(AuthenticatorCache, IssuerStillCheckedOnAHit) {
  // Provider B shares A's key but wants another issuer; a token cached for A must not pass B.
  ProviderConfig b = providerA();
  b.checks.issuer = "https://other.example";
  Authenticator auth({b}, ValidationPolicy::kRequireValid);
  TokenCache cache;
  EXPECT_EQ(runCached(auth, Req{{{"Authorization", bearer(tokenA())}}}, cache).status,
            JwtStatus::kJwtUnknownIssuer);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace jwt
}  // namespace claimgate
