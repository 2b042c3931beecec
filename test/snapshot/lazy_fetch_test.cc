// A lazy remote JWKS (`enableAsyncFetch: false`) seen from the GatewayHandler: the first request
// is answered Decision::Wait while the one shared fetch runs; subscribing resumes it when the
// fetch ends; deciding again (may_wait false) uses the fetched keys. The network is a fake
// fetcher that completes only when the test says so.
#include <gtest/gtest.h>

#include "snapshot/remote_key_source.h"
#include "snapshot_test_util.h"

namespace claimgate::snapshot {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class StillClock final : public jwt::Clock {
 public:
  jwt::Millis now() const override { return jwt::Millis(1000); }
  int64_t unixSeconds() const override { return static_cast<int64_t>(kNow); }
  void runAfter(jwt::Millis, std::function<void()>) override {}
};

// Keeps the fetch callback until complete() is called.
struct PendingFetches {
  std::vector<jwt::JwksFetcher::Callback> callbacks;
  int started = 0;
  void complete(const jwt::FetchResult& r) {
    auto cbs = std::move(callbacks);
    callbacks.clear();
    for (auto& cb : cbs) cb(r);
  }
};

class DeferredFetcher final : public jwt::JwksFetcher {
 public:
  explicit DeferredFetcher(PendingFetches* p) : p_(p) {}
  void fetch(Callback done) override {
    ++p_->started;
    p_->callbacks.push_back(std::move(done));
  }

 private:
  PendingFetches* p_;
};

std::string lazyYaml(const std::string& url) {
  return gatewayYaml() +
         routeTableYaml(std::string("  - name: api\n    labels: {route: api}\n    ") + kToBackend + "\n") +
         R"(---
apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata: {name: lazy, namespace: gw}
spec:
  applyToRoutes:
  - route: {labels: {route: api}}
  config:
    claims:
    - key: org
      values: [internal]
    providers:
      idp:
        issuer: https://issuer
        remote:
          url: )" + url + R"(
          destinationRef: {ref: {name: backend}, kind: EXTERNAL_SERVICE, port: {number: 9000}}
          enableAsyncFetch: false
)";
}

class LazyFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    installRemoteJwksRuntime(
        [this](const jwt::JwksRequest&) -> std::unique_ptr<jwt::JwksFetcher> {
          return std::make_unique<DeferredFetcher>(&fetches_);
        },
        std::make_shared<StillClock>());
  }
  void TearDown() override { installRemoteJwksRuntime(nullptr, nullptr); }

  static jwt::FetchResult jwksOk() {
    return {true, 200, R"({"keys":[)" + jwt::publicJwkJson(testKey(), "k1", jwt::Alg::kRS256) + "]}", ""};
  }
  static std::string bearer(const std::string& org) {
    return "Bearer " + jwt::signToken(jwt::Alg::kRS256, testKey(), "k1",
                                      fmt::format(R"({{"iss":"https://issuer","org":"{}","exp":{}}})", org,
                                                  kNow + 100));
  }

  PendingFetches fetches_;
};

TEST_F(LazyFetchTest, FirstRequestWaitsForTheSharedFetchThenDecidesWithItsKeys) {
  // A URL of its own so no key set from another test is shared.
  auto snap = compileYaml(lazyYaml("http://127.0.0.1:1/lazy-ok/jwks"));
  ASSERT_TRUE(snap);
  Driver d(snap);
  EXPECT_EQ(fetches_.started, 0) << "lazy: nothing fetched before a request needs keys";

  http::Decision first = d.get("/", {{"authorization", bearer("internal")}});
  const auto* wait = std::get_if<http::Wait>(&first.action);
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(fetches_.started, 1);
  // A second request meanwhile shares the fetch (single flight) and waits too.
  http::Decision second = d.get("/", {{"authorization", bearer("other")}});
  const auto* wait2 = std::get_if<http::Wait>(&second.action);
  ASSERT_NE(wait2, nullptr);
  EXPECT_EQ(fetches_.started, 1);

  int resumed = 0;
  ASSERT_TRUE(wait->subscribe([&] { ++resumed; }));
  ASSERT_TRUE(wait2->subscribe([&] { ++resumed; }));
  // Deciding before the fetch ended, without waiting: the fetch-failed 401.
  http::Decision now = d.get("/", {{"authorization", bearer("internal")}}, 8080, false, false);
  ASSERT_TRUE(reply(now));
  EXPECT_EQ(reply(now)->status, 401);
  EXPECT_EQ(reply(now)->body, "Jwks remote fetch is failed");

  fetches_.complete(jwksOk());
  EXPECT_EQ(resumed, 2);
  http::Decision ok = d.get("/", {{"authorization", bearer("internal")}}, 8080, false, false);
  EXPECT_TRUE(forward(ok)) << (reply(ok) ? reply(ok)->body : "");
  http::Decision denied = d.get("/", {{"authorization", bearer("other")}}, 8080, false, false);
  ASSERT_TRUE(reply(denied));
  EXPECT_EQ(reply(denied)->status, 403);
  // Keys present now: no more waiting, even when allowed to.
  EXPECT_TRUE(forward(d.get("/", {{"authorization", bearer("internal")}})));
  EXPECT_EQ(fetches_.started, 1);
}

TEST_F(LazyFetchTest, AFailedFetchResumesWaitersAndFailsClosedWithoutWaitingAgain) {
  auto snap = compileYaml(lazyYaml("http://127.0.0.1:1/lazy-fail/jwks"));
  ASSERT_TRUE(snap);
  Driver d(snap);
  http::Decision first = d.get("/", {{"authorization", bearer("internal")}});
  const auto* wait = std::get_if<http::Wait>(&first.action);
  ASSERT_NE(wait, nullptr);
  int resumed = 0;
  ASSERT_TRUE(wait->subscribe([&] { ++resumed; }));
  fetches_.complete({false, 503, "", "HTTP 503"});
  EXPECT_EQ(resumed, 1);
  http::Decision again = d.get("/", {{"authorization", bearer("internal")}}, 8080, false, false);
  ASSERT_TRUE(reply(again));
  EXPECT_EQ(reply(again)->body, "Jwks remote fetch is failed");
  // During the backoff no fetch runs: a new request is answered at once, not told to wait.
  http::Decision fresh = d.get("/", {{"authorization", bearer("internal")}});
  ASSERT_TRUE(reply(fresh));
  EXPECT_EQ(reply(fresh)->status, 401);
  // A subscription after the fetch ended has nothing to wait for.
  EXPECT_FALSE(wait->subscribe([&] { ++resumed; }));
}

TEST_F(LazyFetchTest, RequestsWithoutTokenOrWithAnExpiredOneNeverWait) {
  auto snap = compileYaml(lazyYaml("http://127.0.0.1:1/lazy-none/jwks"));
  ASSERT_TRUE(snap);
  Driver d(snap);
  ASSERT_TRUE(reply(d.get("/")));
  const std::string expired =
      "Bearer " + jwt::signToken(jwt::Alg::kRS256, testKey(), "k1",
                                 fmt::format(R"({{"iss":"https://issuer","exp":{}}})", kNow - 1000));
  http::Decision r = d.get("/", {{"authorization", expired}});
  ASSERT_TRUE(reply(r));
  EXPECT_EQ(reply(r)->body, "Jwt is expired");
  EXPECT_EQ(fetches_.started, 0);
}

}  // namespace
}  // namespace claimgate::snapshot
