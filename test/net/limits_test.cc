// Request limits and upstream failures: 431, smuggling-shaped framing (400/501 + close), slow
// clients, 503/504 with Envoy's texts, many concurrent connections.
#include <gtest/gtest.h>

#include "fixture.h"

namespace claimgate::nettest {
namespace {

class Limits : public ::testing::Test {
 protected:
  void start(std::shared_ptr<const http::RequestHandler> h, net::ServerConfig cfg = testConfig()) {
    server_ = std::make_unique<net::Server>(std::move(cfg), std::move(h));
    server_->start();
    port_ = server_->listenerPort(0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  Upstream upstream_;
  http::UpstreamTarget target_ = plainTarget(upstream_.port());
  std::unique_ptr<net::Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(Limits, HeadOver64KiBIs431AndClose) {
  start(forwardTo(&target_));
  Client c(port_);
  std::string big(70 * 1024, 'x');
  Message m = c.request("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(m.status(), 431);
  EXPECT_EQ(m.body, "Request Header Fields Too Large");
  EXPECT_EQ(m.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());
  EXPECT_EQ(upstream_.requests(), 0);
}

TEST_F(Limits, HeadJustUnderTheLimitIsForwarded) {
  start(forwardTo(&target_));
  Client c(port_);
  std::string big(60 * 1024, 'x');
  EXPECT_EQ(c.request("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + big + "\r\n\r\n").status(), 200);
}

struct Bad {
  const char* name;
  const char* request;
  int status;
};

class BadFraming : public Limits, public ::testing::WithParamInterface<Bad> {};

TEST_P(BadFraming, RejectedAndClosed) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request(GetParam().request);
  EXPECT_EQ(m.status(), GetParam().status);
  EXPECT_EQ(m.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());
  EXPECT_EQ(upstream_.requests(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Smuggling, BadFraming,
    ::testing::Values(
        Bad{"ClThenTe", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Bad{"TeThenCl", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
        Bad{"TwoDifferentCl", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
        Bad{"ClList", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!", 400},
        Bad{"InvalidCl", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400},
        Bad{"NegativeCl", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400},
        Bad{"ChunkedNotFinal", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        Bad{"TeIn10", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Bad{"UnknownCoding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
        Bad{"NoHost", "GET /echo HTTP/1.1\r\n\r\n", 400},
        Bad{"TwoHosts", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Bad{"Garbage", "\x01\x02 nonsense\r\n\r\n", 400},
        Bad{"SpaceBeforeColon", "GET /echo HTTP/1.1\r\nHost : t\r\n\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Limits, SameDuplicateContentLengthIsAccepted) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(m.status(), 200);
}

// Sends a head that is never finished; the server (header_timeout 1 s) must close about 1 s later.
void expectUnfinishedHeadCutOffAfterOneSecond(Client& c) {
  auto t0 = std::chrono::steady_clock::now();
  c.send("GET /echo HTTP/1.1\r\nHost: t\r\n");  // never finished
  EXPECT_TRUE(c.closedByServer());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
}

TEST_F(Limits, SlowClientCutOff) {
  net::ServerConfig cfg = testConfig();
  cfg.limits.header_timeout = 1s;
  start(forwardTo(&target_), cfg);
  Client c(port_);
  expectUnfinishedHeadCutOffAfterOneSecond(c);
}

// A parked keep-alive connection is woken by the first bytes of the next request and reads
// them at once; the rest of the head may come later (within header_timeout), or never.
TEST_F(Limits, HeadInPiecesAfterAnIdlePause) {
  start(forwardTo(&target_));
  Client c(port_);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  std::this_thread::sleep_for(100ms);  // parked
  c.send("GET /echo/second HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(100ms);
  Message m = c.request("st: t\r\n\r\n");
  EXPECT_EQ(m.status(), 200);
  EXPECT_NE(m.body.find("GET /echo/second HTTP/1.1"), std::string::npos);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

TEST_F(Limits, HeadStartedAfterAnIdlePauseButNeverFinishedIsCutOff) {
  net::ServerConfig cfg = testConfig();
  cfg.limits.header_timeout = 1s;
  start(forwardTo(&target_), cfg);
  Client c(port_);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  std::this_thread::sleep_for(1500ms);  // idle longer than header_timeout: no head deadline yet
  expectUnfinishedHeadCutOffAfterOneSecond(c);
}

TEST_F(Limits, IdleKeepAliveClosed) {
  net::ServerConfig cfg = testConfig();
  cfg.limits.idle_timeout = 300ms;
  start(forwardTo(&target_), cfg);
  Client c(port_);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(Limits, UpstreamDownIs503ConnectionFailure) {
  http::UpstreamTarget dead = plainTarget(deadPort());
  start(forwardTo(&dead));
  Client c(port_);
  Message m = c.request(get("/x"));
  EXPECT_EQ(m.status(), 503);
  EXPECT_EQ(m.body,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  EXPECT_EQ(m.header("content-type"), "text/plain");
  EXPECT_EQ(c.request(get("/x")).status(), 503);  // connection kept
}

TEST_F(Limits, UnresolvableUpstreamIs503NoHealthyUpstream) {
  http::UpstreamTarget t;
  t.host = "does-not-exist.invalid";
  t.port = 80;
  t.finalize();
  start(forwardTo(&t));
  Client c(port_);
  Message m = c.request(get("/x"));
  EXPECT_EQ(m.status(), 503);
  EXPECT_EQ(m.body, "no healthy upstream");
}

TEST_F(Limits, PlanWithoutUpstreamIs503) {
  start(forwardTo(nullptr));
  Client c(port_);
  Message m = c.request(get("/x"));
  EXPECT_EQ(m.status(), 503);
  EXPECT_EQ(m.body, "no healthy upstream");
}

TEST_F(Limits, SilentUpstreamIs504) {
  start(forwardTo(&target_, [](const http::RequestHead&, http::ForwardPlan& p, http::Arena&) {
    p.timeout = 300ms;
  }));
  Client c(port_);
  auto t0 = std::chrono::steady_clock::now();
  Message m = c.request(get("/silent"));
  EXPECT_EQ(m.status(), 504);
  EXPECT_EQ(m.body, "upstream request timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

TEST_F(Limits, UpstreamResetBeforeHeadersIs503) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request(get("/drop"));
  EXPECT_EQ(m.status(), 503);
  EXPECT_EQ(m.body,
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination");
}

TEST_F(Limits, FiveHundredConcurrentConnections) {
  raiseFdLimit();
  start(handler([](const http::RequestHead& r, http::WorkerContext&, http::Arena& a) {
    return http::Decision::reply(http::LocalReply::text(200, a.copy(r.target)));
  }));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 500; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(clients[i]->send(get("/c" + std::to_string(i))));
  for (int i = 0; i < 500; ++i) {
    Message m = clients[i]->read();
    ASSERT_EQ(m.status(), 200) << i;
    EXPECT_EQ(m.body, "/c" + std::to_string(i));
  }
}

TEST_F(Limits, FiveHundredConcurrentConnectionsForwarded) {
  raiseFdLimit();
  start(forwardTo(&target_));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 500; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(clients[i]->send(get("/slow?ms=20&c=" + std::to_string(i))));
  for (int i = 0; i < 500; ++i) {
    Message m = clients[i]->read();
    ASSERT_EQ(m.status(), 200) << i;
    EXPECT_EQ(m.body, "slow");
  }
  EXPECT_EQ(upstream_.requests(), 500);
}

TEST_F(Limits, HttpsRedirectListener) {
  net::ServerConfig cfg = testConfig();
  cfg.listeners[0].https_redirect = true;
  start(forwardTo(&target_), cfg);
  Client c(port_);
  Message m = c.request("GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
  EXPECT_EQ(m.status(), 301);
  EXPECT_EQ(m.header("location"), "https://example.com/a/b?c=d");
  EXPECT_EQ(upstream_.requests(), 0);
}

}  // namespace
}  // namespace claimgate::nettest
