// Forwarding: header edits reaching the upstream, hop-by-hop stripping both ways, keep-alive
// reuse, pipelining, streamed bodies, HEAD, Expect: 100-continue, local replies.
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "fixture.h"

namespace claimgate::nettest {
namespace {

class Proxy : public ::testing::Test {
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

TEST_F(Proxy, ForwardsWithHeaderEditsAndStripsHopByHop) {
  start(forwardTo(&target_, [](const http::RequestHead& r, http::ForwardPlan& p, http::Arena& a) {
    static const std::string_view kRemove[] = {"x-remove-me", "X-Jwt-Payload"};
    p.remove_headers = kRemove;
    auto add = a.makeArray<http::HeaderView>(2);
    add[0] = {"x-added", a.concat({"from-", r.method})};
    add[1] = {"x-jwt-payload", "eyJ9"};
    p.add_headers = add;
    p.host = "upstream.internal";
    p.target = a.concat({"/echo/rewritten?", r.query()});
  }));
  Client c(port_);
  Message m = c.request(
      "GET /orig?q=1 HTTP/1.1\r\nHost: front.example\r\nConnection: keep-alive, X-Hop\r\n"
      "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: x\r\n"
      "Upgrade: websocket\r\nX-Remove-Me: a\r\nx-remove-me: b\r\nx-jwt-payload: forged\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Keep: yes\r\n\r\n");
  ASSERT_TRUE(m.ok);
  EXPECT_EQ(m.status(), 200);
  Message up;
  ASSERT_TRUE(parseHead(m.body, up));
  EXPECT_EQ(up.start, "GET /echo/rewritten?q=1 HTTP/1.1");
  EXPECT_EQ(up.header("host"), "upstream.internal");
  for (const char* gone : {"connection", "x-hop", "keep-alive", "te", "proxy-connection", "upgrade",
                           "x-remove-me"}) {
    EXPECT_FALSE(up.has(gone)) << gone;
  }
  EXPECT_EQ(up.headers.count("x-jwt-payload"), 1u);
  EXPECT_EQ(up.header("x-jwt-payload"), "eyJ9");
  EXPECT_EQ(up.header("x-added"), "from-GET");
  EXPECT_EQ(up.header("x-keep"), "yes");
  EXPECT_EQ(up.header("x-forwarded-for"), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(up.headers.count("x-forwarded-proto"), 1u);
  EXPECT_EQ(up.header("x-forwarded-proto"), "http");
  // Response: the upstream's Connection and the field it names are stripped.
  EXPECT_FALSE(m.has("x-up-hop"));
  EXPECT_NE(m.header("connection"), "x-up-hop");
  EXPECT_TRUE(m.has("x-upstream-conn"));
}

TEST_F(Proxy, HostForwardedUnlessOverridden) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request(get("/echo", "X-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\n"));
  Message up;
  ASSERT_TRUE(parseHead(m.body, up));
  EXPECT_EQ(up.header("host"), "test.local");
  EXPECT_EQ(up.headers.count("x-forwarded-for"), 1u);
  EXPECT_EQ(up.header("x-forwarded-for"), "1.1.1.1, 2.2.2.2, 127.0.0.1");
}

TEST_F(Proxy, KeepAliveReusesUpstreamConnection) {
  start(forwardTo(&target_), testConfig(1));
  Client c(port_);
  for (int i = 0; i < 10; ++i) {
    Message m = c.request(get("/echo?i=" + std::to_string(i)));
    ASSERT_EQ(m.status(), 200) << i;
  }
  EXPECT_EQ(upstream_.connections(), 1);
  EXPECT_EQ(upstream_.requests(), 10);
  // A second client on the same worker thread shares the pool.
  Client c2(port_);
  EXPECT_EQ(c2.request(get("/echo")).status(), 200);
  EXPECT_EQ(upstream_.connections(), 1);
}

TEST_F(Proxy, HundredPipelinedRequestsAnsweredInOrder) {
  start(forwardTo(&target_));
  Client c(port_);
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += get("/echo?i=" + std::to_string(i));
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 100; ++i) {
    Message m = c.read();
    ASSERT_TRUE(m.ok) << i;
    ASSERT_EQ(m.status(), 200);
    EXPECT_EQ(m.body.rfind("GET /echo?i=" + std::to_string(i) + " HTTP/1.1\r\n", 0), 0u) << i;
  }
}

std::string pattern(std::size_t n) {
  std::string s(n, 'a');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

std::string fnv(const std::string& body) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : body) h = (h ^ ch) * 1099511628211ull;
  return "bytes=" + std::to_string(body.size()) + " fnv=" + std::to_string(h);
}

TEST_F(Proxy, ChunkedRequestBodyStreamed5MiB) {
  start(forwardTo(&target_));
  Client c(port_);
  const std::string body = pattern(5 * 1024 * 1024);
  std::string req = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t off = 0; off < body.size(); off += 333333) {
    std::size_t len = std::min<std::size_t>(333333, body.size() - off);
    char sz[32];
    std::snprintf(sz, sizeof sz, "%zx;ext=1\r\n", len);
    req += sz + body.substr(off, len) + "\r\n";
  }
  req += "0\r\n\r\n";
  std::thread writer([&] { c.send(req); });
  Message m = c.read();
  writer.join();
  ASSERT_TRUE(m.ok);
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.body, fnv(body));
}

TEST_F(Proxy, ContentLengthRequestBodyStreamed5MiB) {
  start(forwardTo(&target_));
  Client c(port_);
  const std::string body = pattern(5 * 1024 * 1024 + 17);
  std::string req = "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  std::thread writer([&] { c.send(req); });
  Message m = c.read();
  writer.join();
  EXPECT_EQ(m.body, fnv(body));
  // And the connection is still usable afterwards.
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

class ResponseModes : public Proxy, public ::testing::WithParamInterface<const char*> {};

TEST_P(ResponseModes, ResponseBodyStreamed5MiB) {
  start(forwardTo(&target_));
  Client c(port_);
  const std::size_t n = 5 * 1024 * 1024 + 3;
  Message m = c.request(get(std::string("/big?n=") + std::to_string(n) + "&mode=" + GetParam()));
  ASSERT_TRUE(m.ok);
  ASSERT_EQ(m.body.size(), n);
  for (std::size_t i = 0; i < n; i += 4099) ASSERT_EQ(m.body[i], static_cast<char>('a' + i % 26)) << i;
  if (std::string(GetParam()) == "length") {
    EXPECT_EQ(m.header("content-length"), std::to_string(n));
  } else {
    // Chunked upstream and close-delimited upstream are both re-framed as chunked.
    EXPECT_EQ(m.header("transfer-encoding"), "chunked");
  }
  EXPECT_EQ(c.request(get("/echo")).status(), 200);  // keep-alive survives
}

// Small responses leave head and body in one write straight to the socket; when the client does
// not read, the socket fills and the rest must go out later, in order, with nothing lost.
TEST_F(Proxy, SmallResponsesSurviveAFullClientSocket) {
  start(forwardTo(&target_));
  Client c(port_);
  const int kRequests = 3000;  // 18 MB of responses: more than loopback's socket buffers hold
  const std::size_t kBody = 6000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) batch += get("/big?n=" + std::to_string(kBody) + "&mode=length");
  ASSERT_TRUE(c.send(batch));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the gateway's writes block
  std::string expected(kBody, 'a');
  for (std::size_t i = 0; i < kBody; ++i) expected[i] = static_cast<char>('a' + i % 26);
  for (int i = 0; i < kRequests; ++i) {
    Message m = c.read();
    ASSERT_TRUE(m.ok) << i;
    ASSERT_EQ(m.status(), 200) << i;
    ASSERT_EQ(m.body, expected) << i;
  }
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

INSTANTIATE_TEST_SUITE_P(Framing, ResponseModes, ::testing::Values("length", "chunked", "close"));

TEST_F(Proxy, Http10ClientGetsCloseDelimitedBody) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request("GET /big?n=1000&mode=chunked HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(m.ok);
  EXPECT_EQ(m.start.rfind("HTTP/1.0 200", 0), 0u);
  EXPECT_FALSE(m.has("transfer-encoding"));
  EXPECT_EQ(m.body.size(), 1000u);
}

TEST_F(Proxy, HeadRequestHasNoBodyAndKeepsConnection) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request("HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n", /*head=*/true);
  ASSERT_EQ(m.status(), 200);
  EXPECT_NE(m.header("content-length"), "0");
  Message next = c.request(get("/echo?after-head"));
  EXPECT_EQ(next.status(), 200);
  EXPECT_EQ(next.body.rfind("GET /echo?after-head", 0), 0u);
}

TEST_F(Proxy, ExpectContinueAnsweredBeforeBody) {
  start(forwardTo(&target_));
  Client c(port_);
  c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  Message interim = c.read();
  ASSERT_EQ(interim.status(), 100);
  c.send("hello");
  Message m = c.read();
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.body, fnv("hello"));
}

TEST_F(Proxy, LocalReplyWithExpectClosesWithoutReadingBody) {
  start(handler([](const http::RequestHead&, http::WorkerContext&, http::Arena&) {
    return http::Decision::reply(http::LocalReply::text(401, "Jwt is missing"));
  }));
  Client c(port_);
  Message m = c.request("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(m.status(), 401);
  EXPECT_EQ(m.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(Proxy, LocalReplyExactResponseAndSmallBodyDrained) {
  start(handler([](const http::RequestHead& r, http::WorkerContext&, http::Arena& a) {
    auto realm = a.concat({"Bearer realm=\"http://", r.host, r.target, "\""});
    return http::Decision::reply(
        http::LocalReply::text(401, "Jwt is missing").withHeader("www-authenticate", realm));
  }));
  Client c(port_);
  Message m = c.request("POST /get?x=1 HTTP/1.1\r\nHost: localhost:18080\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(m.status(), 401);
  EXPECT_EQ(m.body, "Jwt is missing");
  EXPECT_EQ(m.header("content-length"), "14");
  EXPECT_EQ(m.header("content-type"), "text/plain");
  EXPECT_EQ(m.header("www-authenticate"), "Bearer realm=\"http://localhost:18080/get?x=1\"");
  EXPECT_TRUE(m.has("date"));
  // The body was read and discarded: the next request on the connection parses cleanly.
  EXPECT_EQ(c.request(get("/next")).status(), 401);
}

TEST_F(Proxy, HandlerSwapTakesEffect) {
  start(handler([](const http::RequestHead&, http::WorkerContext&, http::Arena&) {
    return http::Decision::reply(http::LocalReply::text(403, "RBAC: access denied"));
  }));
  Client c(port_);
  EXPECT_EQ(c.request(get("/echo")).status(), 403);
  server_->setHandler(forwardTo(&target_));
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

TEST_F(Proxy, StalePooledConnectionIsReplaced) {
  start(forwardTo(&target_), testConfig(1));
  Client c(port_);
  ASSERT_EQ(c.request(get("/echo?closeafter")).status(), 200);
  std::this_thread::sleep_for(50ms);  // the upstream's FIN reaches the pooled socket
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  EXPECT_EQ(upstream_.connections(), 2);
  // Found closed by the liveness check before anything was sent on it: no retry needed.
  EXPECT_EQ(server_->stats().value("claimgate_upstream_retries_total"), 0u);
}

TEST_F(Proxy, StalePooledConnectionIsCheckedBeforeAPost) {
  start(forwardTo(&target_), testConfig(1));
  Client c(port_);
  ASSERT_EQ(c.request(get("/echo?closeafter")).status(), 200);
  std::this_thread::sleep_for(50ms);  // the upstream's FIN reaches the pooled socket
  // Not replayable (it could not be retried): the closed connection must be found and dropped
  // before anything is sent on it.
  Message m = c.request("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.body, fnv("abc"));
  EXPECT_EQ(upstream_.connections(), 2);
  EXPECT_EQ(server_->stats().value("claimgate_upstream_retries_total"), 0u);
}

// An upstream that sends more than its response's Content-Length: the extra bytes (here a
// whole forged response) must never be taken as the next request's response.
TEST_F(Proxy, BytesAfterAResponseAreNotTheNextResponse) {
  start(forwardTo(&target_), testConfig(1));
  Client c(port_);
  Message m = c.request(get("/overlong"));
  ASSERT_EQ(m.status(), 200);
  EXPECT_EQ(m.body, "ok");
  Message next = c.request(get("/echo"));
  EXPECT_EQ(next.status(), 200);
  EXPECT_EQ(next.body.rfind("GET /echo HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(upstream_.connections(), 2);
}

TEST_F(Proxy, ClientConnectionCloseIsHonoured) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request(get("/echo", "Connection: close\r\n"));
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(Proxy, Http10KeepAliveRequested) {
  start(forwardTo(&target_));
  Client c(port_);
  Message m = c.request("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.start.rfind("HTTP/1.0 200", 0), 0u);
  EXPECT_EQ(lower(m.header("connection")), "keep-alive");
  EXPECT_EQ(c.request("GET /echo HTTP/1.0\r\n\r\n").status(), 200);
  EXPECT_TRUE(c.closedByServer());  // plain HTTP/1.0: closed after the response
}

TEST_F(Proxy, UpstreamByDnsName) {
  http::UpstreamTarget byName;
  byName.host = "localhost";
  byName.port = upstream_.port();
  byName.finalize();
  start(forwardTo(&byName));
  Client c(port_);
  // localhost may resolve to ::1 first, where nothing listens: the next address is tried.
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
}

// Connections that become ready together, each with a slow decision (as a signature verify
// is): every one of them decides before any of their requests goes upstream, so that the
// requests leave together (session.cc, exchange()). One worker; the upstream connections are
// pooled beforehand, so no connect stands between a decision and its send.
TEST_F(Proxy, AfterSlowDecisionsTheReadyConnectionsAllDecideBeforeAnySend) {
  std::atomic<bool> gate_entered{false}, gate_open{false};
  // Bounded waits: a failure must not leave the worker (or the test) spinning for ever.
  auto waitFor = [](const std::atomic<bool>& flag) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!flag && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    return flag.load();
  };
  std::mutex mu;
  std::vector<int> sent_at_decision;  // upstream requests counted as each slow decision ends
  start(forwardTo(&target_,
                  [&](const http::RequestHead& r, http::ForwardPlan&, http::Arena&) {
                    if (r.target == "/echo?gate") {
                      gate_entered = true;
                      waitFor(gate_open);
                    } else if (r.target == "/echo?slow") {
                      const auto until = std::chrono::steady_clock::now() + 1ms;
                      while (std::chrono::steady_clock::now() < until) {
                      }
                      std::lock_guard lock(mu);
                      sent_at_decision.push_back(upstream_.requests());
                    }
                  }),
        testConfig(1));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(std::make_unique<Client>(port_));
  // Five requests in flight at once: five upstream connections, then idle in the pool.
  for (auto& c : clients) ASSERT_TRUE(c->send(get("/slow?ms=200")));
  for (auto& c : clients) ASSERT_EQ(c->read().status(), 200);
  ASSERT_EQ(upstream_.connections(), 5);
  const int before = upstream_.requests();
  // A new connection holds the worker inside its decision while four requests arrive, so that
  // the worker finds them ready together. (Being accepted, it comes after whatever the worker
  // had queued: the five are parked by then.)
  Client gate(port_);
  ASSERT_TRUE(gate.send(get("/echo?gate")));
  struct Opener {
    std::atomic<bool>& gate;
    ~Opener() { gate = true; }  // on every way out, so that the worker is never held
  } opener{gate_open};
  ASSERT_TRUE(waitFor(gate_entered));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(clients[i]->send(get("/echo?slow")));
  // Nothing left unacknowledged: the server's kernel holds all four requests (loopback may
  // hand a segment to softirq later than the write returns).
  for (int i = 0; i < 4; ++i) {
    int unacked = 1;
    while (::ioctl(clients[i]->io.fd, SIOCOUTQ, &unacked) == 0 && unacked > 0) {
      std::this_thread::yield();
    }
  }
  gate_open = true;
  EXPECT_EQ(gate.read().status(), 200);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(clients[i]->read().status(), 200);
  ASSERT_EQ(sent_at_decision.size(), 4u);
  // At most the gate's own request had reached the upstream: none of the four.
  for (int n : sent_at_decision) EXPECT_LE(n, before + 1);
  EXPECT_EQ(upstream_.requests(), before + 5);
  EXPECT_EQ(upstream_.connections(), 5);  // every request went out on a pooled connection
}

TEST_F(Proxy, WorkerContextStatsFromHandler) {
  start(handler([](const http::RequestHead&, http::WorkerContext& w, http::Arena&) {
    w.stats().inc("test_handler_calls_total", {{"worker", w.index() < 2 ? "ok" : "bad"}});
    return http::Decision::reply(http::LocalReply::noRoute(), {.decision = "no_route"});
  }));
  Client c(port_);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(c.request(get("/x")).status(), 404);
  EXPECT_EQ(server_->stats().value(R"(test_handler_calls_total{worker="ok"})"), 4u);
}

}  // namespace
}  // namespace claimgate::nettest
