// RemoteKeySource: how a Gloo `remote` block and its resolved destinationRef become the JWKS GET
// and the refresh options, and the process-wide sharing of key sets. The network is a fake
// fetcher factory that records what it was asked for.
#include "snapshot/remote_key_source.h"

#include <gtest/gtest.h>

#include <vector>

namespace claimgate::snapshot {
namespace {

using namespace std::chrono_literals;

class StillClock final : public jwt::Clock {
 public:
  jwt::Millis now() const override { return jwt::Millis(1000); }
  int64_t unixSeconds() const override { return 1'700'000'000; }
  void runAfter(jwt::Millis, std::function<void()>) override {}
};

// A fetcher answering inline with a fixed result.
class InlineFetcher final : public jwt::JwksFetcher {
 public:
  InlineFetcher(jwt::FetchResult r, int* calls) : result_(std::move(r)), calls_(calls) {}
  void fetch(Callback done) override {
    ++*calls_;
    done(result_);
  }

 private:
  jwt::FetchResult result_;
  int* calls_;
};

// RFC 7515 Appendix A.3's P-256 public key.
const char* kJwks = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1",)"
                    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

class RemoteKeySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    installRemoteJwksRuntime(
        [this](const jwt::JwksRequest& r) -> std::unique_ptr<jwt::JwksFetcher> {
          requests_.push_back(r);
          return std::make_unique<InlineFetcher>(jwt::FetchResult{true, 200, kJwks, ""}, &calls_);
        },
        std::make_shared<StillClock>());
  }
  void TearDown() override { installRemoteJwksRuntime(nullptr, nullptr); }

  static router::ResolvedDestination dest(bool tls = false) {
    router::ResolvedDestination d;
    d.endpoints = {{"idp.internal", 8443}, {"10.0.0.7", 8443}};
    d.tls = tls;
    d.service_host = "idp.internal";
    return d;
  }
  static config::RemoteJwks remote(std::string url) {
    config::RemoteJwks r;
    r.url = std::move(url);
    return r;
  }

  std::vector<jwt::JwksRequest> requests_;
  int calls_ = 0;
};

TEST_F(RemoteKeySourceTest, HttpsUrlAlwaysUsesTlsWithTheUrlHostAsName) {
  auto r = remote("https://idp.example.com/keys");
  r.timeout = 2s;
  RemoteKeySource src(r, dest(false));
  ASSERT_TRUE(src.fetchSupported()) << src.unsupportedReason();
  ASSERT_EQ(requests_.size(), 1u);
  const jwt::JwksRequest& q = requests_[0];
  EXPECT_TRUE(q.tls);
  EXPECT_EQ(q.sni, "idp.example.com");
  EXPECT_EQ(q.parsed.authority, "idp.example.com");
  EXPECT_EQ(q.parsed.target, "/keys");
  ASSERT_EQ(q.endpoints.size(), 2u);
  EXPECT_EQ(q.endpoints[0].host, "idp.internal");
  EXPECT_EQ(q.endpoints[1].port, 8443);
  EXPECT_EQ(q.timeout, 2s);
  EXPECT_EQ(q.ca_file, "");
  EXPECT_FALSE(q.insecure_skip_verify);
  EXPECT_EQ(q.max_body_bytes, 1024u * 1024u);
}

TEST_F(RemoteKeySourceTest, DestinationTlsAndClientsideTlsSettings) {
  auto d = dest(true);
  d.clientside_tls = config::ClientsideTls{};
  d.clientside_tls->sni = "sni.example";
  d.clientside_tls->ca_certificates = "/etc/ca.pem";
  d.clientside_tls->insecure_skip_verify = true;
  RemoteKeySource src(remote("http://idp.example.com:8080/jwks"), d);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_TRUE(requests_[0].tls);
  EXPECT_EQ(requests_[0].sni, "sni.example");
  EXPECT_EQ(requests_[0].ca_file, "/etc/ca.pem");
  EXPECT_TRUE(requests_[0].insecure_skip_verify);
  EXPECT_EQ(requests_[0].parsed.authority, "idp.example.com:8080");

  RemoteKeySource plain(remote("http://idp.example.com/jwks"), dest(false));
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_FALSE(requests_[1].tls);
}

TEST_F(RemoteKeySourceTest, DurationsMapOntoRefreshOptions) {
  struct Case {
    std::optional<jwt::Millis> cache, failed_refetch, base, max;
    jwt::Millis want_cache, want_base, want_cap;
  };
  const Case cases[] = {
      {{}, {}, {}, {}, 5min, 1s, 5min},
      {10min, 3s, {}, {}, 10min, 3s, 5min},
      {0ms, {}, 2s, 30s, 5min, 2s, 30s},
      {100ms, 4s, 2s, {}, 1s, 4s, 5min},   // failedRefetchDuration wins over baseInterval
      {{}, 10min, {}, 1min, 5min, 10min, 10min},  // cap never below base
  };
  int i = 0;
  for (const auto& c : cases) {
    auto r = remote("https://idp" + std::to_string(i++) + ".example.com/jwks");
    if (c.cache) r.cache_duration = *c.cache;
    r.failed_refetch_duration = c.failed_refetch;
    if (c.base || c.max) r.retry_policy = config::RetryPolicy{0, c.base, c.max};
    r.enable_async_fetch = true;
    RemoteKeySource src(r, dest());
    const jwt::RemoteJwksOptions* o = src.refreshOptions();
    ASSERT_NE(o, nullptr) << r.url;
    EXPECT_EQ(o->cache_duration, c.want_cache) << r.url;
    EXPECT_EQ(o->backoff_base, c.want_base) << r.url;
    EXPECT_EQ(o->backoff_cap, c.want_cap) << r.url;
    EXPECT_EQ(o->stale_window, 24h) << r.url;
    EXPECT_TRUE(o->async_fetch);
    EXPECT_EQ(o->name, r.url);
  }
}

TEST_F(RemoteKeySourceTest, UnusableConfigFailsClosedWithAReason) {
  RemoteKeySource bad_url(remote("ftp://idp/jwks"), dest());
  EXPECT_FALSE(bad_url.fetchSupported());
  EXPECT_NE(bad_url.unsupportedReason().find("url \"ftp://idp/jwks\""), std::string::npos)
      << bad_url.unsupportedReason();
  EXPECT_EQ(bad_url.current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(bad_url.request(), nullptr);

  RemoteKeySource no_dest(remote("https://idp/jwks"), std::nullopt);
  EXPECT_FALSE(no_dest.fetchSupported());
  EXPECT_NE(no_dest.unsupportedReason().find("destinationRef"), std::string::npos);
  EXPECT_EQ(no_dest.current().status, JwtStatus::kJwksFetchFail);
  no_dest.onUnknownKid();
  EXPECT_TRUE(requests_.empty());
}

TEST_F(RemoteKeySourceTest, IdenticalRemotesShareOneKeySet) {
  auto r = remote("https://shared.example.com/jwks");
  r.enable_async_fetch = true;
  RemoteKeySource a(r, dest());
  RemoteKeySource b(r, dest());
  EXPECT_EQ(requests_.size(), 1u) << "one fetcher for both";
  startRemoteJwks();
  EXPECT_TRUE(waitRemoteJwks(1s));
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(a.current().status, JwtStatus::kOk);
  EXPECT_EQ(b.current().jwks, a.current().jwks);
  ASSERT_TRUE(a.stats());
  EXPECT_EQ(a.stats()->fetches_ok, 1u);
  int listed = 0;
  for (const auto& info : remoteJwksStats()) {
    if (info.url != r.url) continue;
    ++listed;
    EXPECT_TRUE(info.async_fetch);
    EXPECT_EQ(info.stats.fetches_ok, 1u);
    EXPECT_EQ(info.stats.keys, 1u);
    EXPECT_EQ(info.stats.last_success_unix, 1'700'000'000);
  }
  EXPECT_EQ(listed, 1);

  auto other = r;
  other.cache_duration = 1h;
  RemoteKeySource c(other, dest());
  EXPECT_EQ(requests_.size(), 2u) << "different settings, different key set";
}

TEST(RemoteKeySourceNoRuntimeTest, NeverFetches) {
  installRemoteJwksRuntime(nullptr, nullptr);
  config::RemoteJwks r;
  r.url = "https://idp.example.com/jwks";
  r.enable_async_fetch = true;
  router::ResolvedDestination d;
  d.endpoints = {{"idp.example.com", 443}};
  RemoteKeySource src(r, d);
  EXPECT_TRUE(src.fetchSupported());
  src.start();
  EXPECT_FALSE(src.waitFirst(10ms));
  EXPECT_EQ(src.current().status, JwtStatus::kJwksFetchFail);
}

}  // namespace
}  // namespace claimgate::snapshot
