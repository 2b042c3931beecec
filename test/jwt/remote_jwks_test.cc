// RemoteJwks state machine with a fake clock (time and timers move only when the test says) and
// a fake fetcher (the test completes each GET by hand, or lets it answer inline).
#include "jwt/remote_jwks.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "jwt/signer.h"
#include "test_keys.h"

namespace claimgate::jwt {
namespace {

using namespace std::chrono_literals;
using testing::KeyId;
using testing::testKey;

class FakeClock final : public Clock {
 public:
  Millis now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  int64_t unixSeconds() const override { return 1'700'000'000 + now().count() / 1000; }
  void runAfter(Millis delay, std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    timers_.emplace(now_ + delay, std::move(fn));
  }
  // Moves time forward by `d`, firing due timers in order at their due time.
  void advance(Millis d) {
    Millis target;
    {
      std::lock_guard lock(mu_);
      target = now_ + d;
    }
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lock(mu_);
        auto it = timers_.begin();
        if (it == timers_.end() || it->first > target) break;
        now_ = it->first;
        fn = std::move(it->second);
        timers_.erase(it);
      }
      fn();
    }
    std::lock_guard lock(mu_);
    now_ = target;
  }
  size_t pendingTimers() const {
    std::lock_guard lock(mu_);
    return timers_.size();
  }

 private:
  mutable std::mutex mu_;
  Millis now_{1000};
  std::multimap<Millis, std::function<void()>> timers_;
};

// What the fake fetcher saw; shared with the test since RemoteJwks owns the fetcher.
struct FetchLog {
  std::mutex mu;
  std::vector<JwksFetcher::Callback> pending;
  std::vector<Millis> started_at;
  std::atomic<int> calls{0};
  std::optional<FetchResult> auto_answer;  // answer inline when set
};

class FakeFetcher final : public JwksFetcher {
 public:
  FakeFetcher(std::shared_ptr<FetchLog> log, std::shared_ptr<FakeClock> clock)
      : log_(std::move(log)), clock_(std::move(clock)) {}
  void fetch(Callback done) override {
    std::optional<FetchResult> answer;
    {
      std::lock_guard lock(log_->mu);
      ++log_->calls;
      log_->started_at.push_back(clock_->now());
      if (log_->auto_answer) {
        answer = log_->auto_answer;
      } else {
        log_->pending.push_back(std::move(done));
        return;
      }
    }
    done(std::move(*answer));
  }

 private:
  std::shared_ptr<FetchLog> log_;
  std::shared_ptr<FakeClock> clock_;
};

std::string jwksBody(std::string_view kid) {
  return "{\"keys\":[" + publicJwkJson(testKey(KeyId::kP256), kid, Alg::kES256) + "]}";
}
FetchResult okResult(std::string_view kid) { return FetchResult{true, 200, jwksBody(kid), ""}; }
FetchResult failResult(std::string why = "connect: Connection refused") {
  return FetchResult{false, 0, "", std::move(why)};
}

class RemoteJwksTest : public ::testing::Test {
 protected:
  // Every failed fetch logs a warning; hundreds of simulated retries would flood the output.
  void SetUp() override { spdlog::set_level(spdlog::level::err); }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  std::shared_ptr<RemoteJwks> make(RemoteJwksOptions o) {
    if (o.name.empty()) o.name = "https://idp.test/jwks";
    if (o.jitter_seed == 0) o.jitter_seed = 42;
    return RemoteJwks::create(o, std::make_unique<FakeFetcher>(log_, clock_), clock_);
  }
  // Completes the oldest pending fetch.
  void complete(FetchResult r) {
    JwksFetcher::Callback cb;
    {
      std::lock_guard lock(log_->mu);
      ASSERT_FALSE(log_->pending.empty()) << "no fetch is pending";
      cb = std::move(log_->pending.front());
      log_->pending.erase(log_->pending.begin());
    }
    cb(std::move(r));
  }
  size_t pending() {
    std::lock_guard lock(log_->mu);
    return log_->pending.size();
  }
  static std::string kidOf(const KeySource::Keys& k) {
    if (!k.jwks || k.jwks->keys().empty() || !k.jwks->keys()[0].kid) return "";
    return *k.jwks->keys()[0].kid;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<FetchLog> log_ = std::make_shared<FetchLog>();
};

// ---------------------------------------------------------------------------------- async mode

TEST_F(RemoteJwksTest, AsyncFetchesAtStartAndRefreshesBeforeExpiry) {
  auto keys = make({.cache_duration = 60s, .async_fetch = true});
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(log_->calls, 0) << "async mode must not fetch from the request path";
  keys->start();
  keys->start();  // idempotent
  ASSERT_EQ(log_->calls, 1);
  complete(okResult("k1"));
  EXPECT_TRUE(keys->waitFirst(0ms));
  EXPECT_EQ(keys->current().status, JwtStatus::kOk);
  EXPECT_EQ(kidOf(keys->current()), "k1");

  // Refresh at cacheDuration - 5 s, before the set expires.
  clock_->advance(54999ms);
  EXPECT_EQ(log_->calls, 1);
  clock_->advance(1ms);
  ASSERT_EQ(log_->calls, 2);
  complete(okResult("k2"));
  EXPECT_EQ(kidOf(keys->current()), "k2");
  EXPECT_FALSE(keys->stats().stale_active);
  EXPECT_EQ(keys->stats().fetches_ok, 2u);
}

TEST_F(RemoteJwksTest, ShortCacheDurationRefreshesAtHalfLife) {
  auto keys = make({.cache_duration = 4s, .async_fetch = true});
  keys->start();
  complete(okResult("k1"));
  clock_->advance(1999ms);
  EXPECT_EQ(log_->calls, 1);
  clock_->advance(1ms);
  EXPECT_EQ(log_->calls, 2);
}

TEST_F(RemoteJwksTest, WaitFirstReturnsAfterAFailedFirstFetch) {
  auto keys = make({.async_fetch = true});
  keys->start();
  EXPECT_FALSE(keys->waitFirst(10ms)) << "nothing finished yet";
  complete(failResult());
  EXPECT_FALSE(keys->waitFirst(10s)) << "finished, but without keys";
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
}

TEST_F(RemoteJwksTest, AsyncBackoffGrowsDoublesAndCapsWithBoundedJitter) {
  // base 1 s, cap 8 s: retries after [1,1.25], [2,2.5], [4,5], [8,10], [8,10] s.
  auto keys = make({.async_fetch = true, .backoff_base = 1s, .backoff_cap = 8s});
  keys->start();
  std::vector<Millis> expected_base = {1s, 2s, 4s, 8s, 8s, 8s};
  for (size_t i = 0; i < expected_base.size(); ++i) {
    complete(failResult());
    Millis failed_at = clock_->now();
    // Advance in 10 ms steps until the retry fetch starts.
    int before = log_->calls;
    while (log_->calls == before) {
      clock_->advance(10ms);
      ASSERT_LT(clock_->now() - failed_at, 60s) << "no retry";
    }
    Millis delay = clock_->now() - failed_at;
    EXPECT_GE(delay, expected_base[i]) << "retry " << i;
    EXPECT_LE(delay, expected_base[i] + expected_base[i] / 4 + 10ms) << "retry " << i;
  }
  EXPECT_EQ(keys->stats().consecutive_failures, expected_base.size());
  EXPECT_EQ(keys->stats().fetches_failed, expected_base.size());
  EXPECT_EQ(keys->stats().last_error, "connect: Connection refused");
}

TEST_F(RemoteJwksTest, BackoffDelayFormula) {
  struct Case {
    Millis base, cap;
    uint32_t failures;
    double jitter;
    Millis want;
  };
  const Case cases[] = {
      {1s, 300s, 1, 0.0, 1s},      {1s, 300s, 2, 0.0, 2s},       {1s, 300s, 3, 1.0, 5s},
      {1s, 300s, 9, 0.0, 256s},    {1s, 300s, 10, 0.0, 300s},    {1s, 300s, 10, 1.0, 375s},
      {1s, 300s, 4000, 0.5, 337500ms}, {10s, 5s, 1, 0.0, 10s},   {0s, 300s, 1, 0.0, 1s},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RemoteJwks::backoffDelay(c.base, c.cap, c.failures, c.jitter), c.want)
        << c.base.count() << " " << c.cap.count() << " " << c.failures << " " << c.jitter;
  }
}

TEST_F(RemoteJwksTest, JitterSpreadsRetriesWithinBounds) {
  // Many instances failing once: every first retry lies in [base, 1.25 base] and not all equal.
  std::set<int64_t> delays;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    auto clock = std::make_shared<FakeClock>();
    auto log = std::make_shared<FetchLog>();
    log->auto_answer = failResult();
    auto keys = RemoteJwks::create({.name = "x", .async_fetch = true, .backoff_base = 4s,
                                    .jitter_seed = seed},
                                   std::make_unique<FakeFetcher>(log, clock), clock);
    keys->start();
    Millis t0 = clock->now();
    while (log->calls == 1) clock->advance(1ms);
    Millis d = clock->now() - t0;
    EXPECT_GE(d, 4s);
    EXPECT_LE(d, 5s);
    delays.insert(d.count());
  }
  EXPECT_GT(delays.size(), 10u) << "jitter does not spread retries";
}

TEST_F(RemoteJwksTest, StaleKeysServeWithinWindowThenFail) {
  auto keys = make({.cache_duration = 60s, .async_fetch = true, .backoff_base = 1s,
                    .backoff_cap = 10s, .stale_window = 1h});
  log_->auto_answer = okResult("k1");
  keys->start();
  log_->auto_answer = failResult("HTTP 503");
  clock_->advance(59s);  // refresh at 55 s fails; still fresh
  EXPECT_EQ(keys->current().status, JwtStatus::kOk);
  EXPECT_FALSE(keys->stats().stale_active);
  clock_->advance(2s);  // past expiry: stale
  EXPECT_EQ(kidOf(keys->current()), "k1");
  EXPECT_TRUE(keys->stats().stale_active);
  clock_->advance(1h - 2s);  // 1 s before the window ends (expiry was at t0+60s)
  EXPECT_EQ(keys->current().status, JwtStatus::kOk);
  clock_->advance(1s);
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(keys->current().jwks, nullptr);
  RemoteJwksStats s = keys->stats();
  EXPECT_FALSE(s.has_keys);
  EXPECT_FALSE(s.stale_active);
  EXPECT_EQ(s.last_error, "HTTP 503");
  EXPECT_GT(s.fetches_failed, 100u) << "retries continue during the outage";
  // Recovery: the next retry succeeds and keys serve again.
  log_->auto_answer = okResult("k2");
  clock_->advance(13s);  // the capped retry comes within 10 s + 25 % jitter
  EXPECT_EQ(kidOf(keys->current()), "k2");
  EXPECT_EQ(keys->stats().consecutive_failures, 0u);
}

TEST_F(RemoteJwksTest, InvalidJwksBodyIsAFailureAndKeepsTheLastGoodSet) {
  auto keys = make({.cache_duration = 60s, .async_fetch = true});
  keys->start();
  complete(okResult("k1"));
  clock_->advance(55s);
  const FetchResult bad[] = {
      {true, 200, "<html>login</html>", ""},
      {true, 200, "{\"keys\":[]}", ""},
      {true, 200, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", ""},
      {true, 200, "", ""},
  };
  for (const auto& r : bad) {
    ASSERT_EQ(pending(), 1u);
    complete(r);
    EXPECT_EQ(kidOf(keys->current()), "k1") << r.body;
    EXPECT_NE(keys->stats().last_error.find("not a usable JWKS"), std::string::npos)
        << keys->stats().last_error;
    clock_->advance(keys->stats().consecutive_failures >= 3 ? 10s : 5s);
  }
  EXPECT_EQ(keys->stats().fetches_failed, 4u);
  EXPECT_EQ(keys->stats().fetches_ok, 1u);
}

// ---------------------------------------------------------------------------------- lazy mode

TEST_F(RemoteJwksTest, LazyFirstRequestTriggersOneFetchAndFailsFast) {
  auto keys = make({.cache_duration = 60s});
  keys->start();
  EXPECT_TRUE(keys->waitFirst(0ms) == false);
  EXPECT_EQ(log_->calls, 0) << "lazy mode fetches on demand only";
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(log_->calls, 1) << "single flight";
  complete(okResult("k1"));
  EXPECT_EQ(kidOf(keys->current()), "k1");
  EXPECT_EQ(log_->calls, 1);
  // Expired: served stale while the request-triggered refresh runs.
  clock_->advance(60s);
  EXPECT_EQ(kidOf(keys->current()), "k1");
  EXPECT_EQ(log_->calls, 2);
  EXPECT_TRUE(keys->stats().stale_active);
  complete(okResult("k2"));
  EXPECT_EQ(kidOf(keys->current()), "k2");
  EXPECT_EQ(clock_->pendingTimers(), 0u) << "lazy mode sets no timers";
}

TEST_F(RemoteJwksTest, LazyFailureBacksOffRequestTriggeredFetches) {
  auto keys = make({.backoff_base = 2s});
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  complete(failResult());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(log_->calls, 1) << "requests during the backoff must not refetch";
  clock_->advance(2500ms);  // past [2, 2.5] s
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  EXPECT_EQ(log_->calls, 2);
  complete(failResult());
  clock_->advance(3s);  // second backoff is [4, 5] s
  keys->current();
  EXPECT_EQ(log_->calls, 2);
  clock_->advance(2s);
  keys->current();
  EXPECT_EQ(log_->calls, 3);
}

TEST_F(RemoteJwksTest, SingleFlightUnderConcurrentTriggers) {
  auto keys = make({});
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 1000; ++i) {
        keys->current();
        keys->onUnknownKid();
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(log_->calls, 1);
  complete(okResult("k1"));
  EXPECT_EQ(keys->current().status, JwtStatus::kOk);
}

TEST_F(RemoteJwksTest, AwaitFetchResumesWaitersOnceTheFetchFinished) {
  auto keys = make({});
  int resumed = 0;
  EXPECT_FALSE(keys->awaitFetch([&] { ++resumed; })) << "nothing is running";
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);  // starts the fetch
  EXPECT_TRUE(keys->awaitFetch([&] { ++resumed; }));
  EXPECT_TRUE(keys->awaitFetch([&] { ++resumed; }));
  EXPECT_EQ(resumed, 0);
  complete(okResult("k1"));
  EXPECT_EQ(resumed, 2);
  EXPECT_EQ(kidOf(keys->current()), "k1");
  EXPECT_FALSE(keys->awaitFetch([&] { ++resumed; }));
  // A failure wakes waiters too.
  clock_->advance(5min);
  keys->current();
  EXPECT_TRUE(keys->awaitFetch([&] { ++resumed; }));
  complete(failResult());
  EXPECT_EQ(resumed, 3);
}

TEST_F(RemoteJwksTest, CurrentSaysWhenAFetchIsWorthWaitingFor) {
  auto keys = make({.backoff_base = 2s});
  KeySource::Keys k = keys->current();  // lazy: starts the first fetch
  EXPECT_EQ(k.status, JwtStatus::kJwksFetchFail);
  EXPECT_TRUE(k.fetching);
  complete(failResult());
  k = keys->current();  // backoff on: nothing runs, nothing to wait for
  EXPECT_EQ(k.status, JwtStatus::kJwksFetchFail);
  EXPECT_FALSE(k.fetching);
  clock_->advance(3s);
  EXPECT_TRUE(keys->current().fetching);  // the backoff passed: a new fetch runs
  complete(okResult("k1"));
  k = keys->current();
  EXPECT_EQ(k.status, JwtStatus::kOk);
  EXPECT_FALSE(k.fetching);
}

TEST_F(RemoteJwksTest, NoFetcherAlwaysFailsClosed) {
  auto keys = RemoteJwks::create({.name = "x", .async_fetch = true}, nullptr, clock_);
  keys->start();
  EXPECT_FALSE(keys->waitFirst(1s));
  EXPECT_EQ(keys->current().status, JwtStatus::kJwksFetchFail);
  keys->onUnknownKid();
}

// ---------------------------------------------------------------------------------- unknown kid

TEST_F(RemoteJwksTest, UnknownKidRefetchIsRateLimited) {
  auto keys = make({.cache_duration = 10min, .async_fetch = true, .unknown_kid_interval = 30s});
  keys->onUnknownKid();
  EXPECT_EQ(log_->calls, 0) << "no key set yet: nothing to refresh early";
  keys->start();
  complete(okResult("old"));
  keys->onUnknownKid();
  ASSERT_EQ(log_->calls, 2);
  keys->onUnknownKid();  // in flight
  complete(okResult("new"));
  EXPECT_EQ(kidOf(keys->current()), "new");
  clock_->advance(29s);
  keys->onUnknownKid();
  keys->onUnknownKid();
  EXPECT_EQ(log_->calls, 2) << "rate limited to one per 30 s";
  clock_->advance(1s);
  keys->onUnknownKid();
  EXPECT_EQ(log_->calls, 3);
  complete(okResult("new"));
  EXPECT_EQ(keys->stats().unknown_kid_refetches, 2u);
}

// Through the Authenticator: a token with a rotated kid fails once, triggers the refetch, and
// the next request with the same token passes.
TEST_F(RemoteJwksTest, AuthenticatorPicksUpARotatedKey) {
  auto keys = make({.cache_duration = 10min, .async_fetch = true});
  keys->start();
  complete(okResult("old"));
  std::vector<ProviderConfig> providers(1);
  providers[0].name = "idp";
  providers[0].checks.issuer = "https://idp.test";
  providers[0].keys = keys;
  Authenticator auth(std::move(providers), ValidationPolicy::kRequireValid);
  std::string token = testing::rawToken(Alg::kES256, R"({"alg":"ES256","kid":"new"})",
                                        R"({"iss":"https://idp.test"})");
  std::string target = "/?access_token=" + token;
  RequestView req{std::span<const HeaderView>(), target};
  EXPECT_EQ(auth.authenticate(req, 1'700'000'000).status, JwtStatus::kJwksKidAlgMismatch);
  ASSERT_EQ(log_->calls, 2) << "the kid/alg mismatch must trigger one refetch";
  complete(okResult("new"));
  EXPECT_EQ(auth.authenticate(req, 1'700'000'000).status, JwtStatus::kOk);
}

TEST_F(RemoteJwksTest, UnknownKidDoesNotBypassFailureBackoff) {
  auto keys = make({.cache_duration = 10min, .async_fetch = true, .backoff_base = 10s});
  keys->start();
  complete(okResult("k1"));
  keys->onUnknownKid();
  complete(failResult());
  clock_->advance(31s);  // past the kid interval; the backoff retry (10-12.5 s) already ran
  ASSERT_EQ(log_->calls, 3);
  complete(failResult());  // second failure: backoff 20-25 s
  keys->onUnknownKid();
  EXPECT_EQ(log_->calls, 3);
  EXPECT_EQ(kidOf(keys->current()), "k1") << "the fresh set still serves";
}

TEST_F(RemoteJwksTest, DestroyedSourceIgnoresLateCompletionsAndTimers) {
  auto keys = make({.async_fetch = true});
  keys->start();
  JwksFetcher::Callback late;
  {
    std::lock_guard lock(log_->mu);
    late = std::move(log_->pending.front());
    log_->pending.clear();
  }
  keys.reset();
  late(okResult("k1"));  // must not crash
  clock_->advance(1h);
  EXPECT_EQ(log_->calls, 1);
}

// ---------------------------------------------------------------------------------- URL

TEST(JwksUrlTest, Parses) {
  struct Case {
    std::string url;
    bool https;
    std::string host, authority, target;
    uint16_t port;
  };
  const Case cases[] = {
      {"https://idp.example.com/.well-known/jwks.json", true, "idp.example.com", "idp.example.com",
       "/.well-known/jwks.json", 443},
      {"http://idp:8080/keys?x=1", false, "idp", "idp:8080", "/keys?x=1", 8080},
      {"https://idp.example.com", true, "idp.example.com", "idp.example.com", "/", 443},
      {"https://idp.example.com?a=b", true, "idp.example.com", "idp.example.com", "/?a=b", 443},
      {"http://[::1]:9000/j", false, "::1", "[::1]:9000", "/j", 9000},
      {"https://[::1]/j", true, "::1", "[::1]", "/j", 443},
  };
  for (const auto& c : cases) {
    std::string why;
    auto u = parseJwksUrl(c.url, &why);
    ASSERT_TRUE(u) << c.url << ": " << why;
    EXPECT_EQ(u->https, c.https) << c.url;
    EXPECT_EQ(u->host, c.host) << c.url;
    EXPECT_EQ(u->authority, c.authority) << c.url;
    EXPECT_EQ(u->target, c.target) << c.url;
    EXPECT_EQ(u->port, c.port) << c.url;
  }
}

TEST(JwksUrlTest, Refuses) {
  const char* bad[] = {"",
                       "ftp://idp/jwks",
                       "idp.example.com/jwks",
                       "https:///jwks",
                       "https://user:pw@idp/jwks",
                       "https://idp:0/jwks",
                       "https://idp:65536/jwks",
                       "https://idp:abc/jwks",
                       "https://idp/jwks#frag",
                       "https://idp/jw ks",
                       "https://[::1/jwks",
                       "https://:443/jwks"};
  for (const char* url : bad) {
    std::string why;
    EXPECT_FALSE(parseJwksUrl(url, &why)) << url;
    EXPECT_FALSE(why.empty()) << url;
  }
}

}  // namespace
}  // namespace claimgate::jwt
