// TLS listener and TLS origination; admin endpoints, access log, drain and signals.
#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "fixture.h"

namespace claimgate::nettest {
namespace {

const Cert& cert() {
  static const Cert c = makeSelfSigned();
  return c;
}

net::ServerConfig tlsConfig() {
  net::ServerConfig cfg = testConfig();
  net::TlsSettings tls;
  tls.cert_chain_pem = cert().cert_pem;
  tls.private_key_pem = cert().key_pem;
  cfg.listeners[0].tls = tls;
  return cfg;
}

// A started TLS listener forwarding to a plain test upstream, and a client context trusting it.
struct TlsGateway {
  TlsGateway() { server.start(); }
  ~TlsGateway() {
    server.stop();
    SSL_CTX_free(client_ctx);
  }
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::Server server{tlsConfig(), forwardTo(&target)};
  SSL_CTX* client_ctx = clientCtx(&cert());
};

TEST(Tls, ListenerServesTlsClients) {
  TlsGateway g;
  {
    Client c(g.server.listenerPort(0), g.client_ctx);
    ASSERT_TRUE(c.connected());
    Message m = c.request(get("/echo"));
    ASSERT_EQ(m.status(), 200);
    Message up;
    ASSERT_TRUE(parseHead(m.body, up));
    EXPECT_EQ(up.header("x-forwarded-proto"), "https");
    EXPECT_EQ(c.request(get("/echo")).status(), 200);  // keep-alive over TLS
    EXPECT_EQ(SSL_version(c.io.ssl) >= TLS1_2_VERSION, true);
  }
}

// Requests in separate TLS records that arrive together: after the first, the next one is
// already held by OpenSSL (or on the socket) and is read at once, in order.
TEST(Tls, BackToBackRecordsAnsweredInOrder) {
  TlsGateway g;
  {
    Client c(g.server.listenerPort(0), g.client_ctx);
    ASSERT_TRUE(c.connected());
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.send(get("/echo?r=" + std::to_string(round) + "&i=" + std::to_string(i))));
      for (int i = 0; i < 5; ++i) {
        Message m = c.read();
        ASSERT_EQ(m.status(), 200) << round << "/" << i;
        EXPECT_EQ(m.body.rfind("GET /echo?r=" + std::to_string(round) + "&i=" + std::to_string(i) + " HTTP/1.1\r\n", 0), 0u);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // and the idle path between rounds
    }
  }
}

TEST(Tls, MinimumVersionIsEnforced) {
  net::ServerConfig cfg = tlsConfig();
  cfg.listeners[0].tls->min_version = net::TlsVersion::kTls1_3;
  net::Server server(cfg, forwardTo(nullptr));
  server.start();
  SSL_CTX* ctx = clientCtx(&cert());
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  Client c(server.listenerPort(0), ctx);
  EXPECT_FALSE(c.connected());
  SSL_CTX_free(ctx);
}

TEST(Tls, BadCertificateOrCipherIsAConfigError) {
  net::ServerConfig cfg = tlsConfig();
  cfg.listeners[0].tls->private_key_pem = makeSelfSigned().key_pem;  // does not match
  net::Server a(cfg, forwardTo(nullptr));
  EXPECT_THROW(a.start(), std::runtime_error);
  cfg = tlsConfig();
  cfg.listeners[0].tls->cipher_suites = {"NOT-A-CIPHER"};
  net::Server b(cfg, forwardTo(nullptr));
  EXPECT_THROW(b.start(), std::runtime_error);
}

TEST(Tls, CertificateFromFilesAndCipherList) {
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::ServerConfig cfg = testConfig();
  net::TlsSettings tls;
  tls.cert_chain_file = writeTempFile(cert().cert_pem, ".crt");
  tls.private_key_file = writeTempFile(cert().key_pem, ".key");
  tls.max_version = net::TlsVersion::kTls1_2;
  tls.cipher_suites = {"ECDHE-ECDSA-AES128-GCM-SHA256"};
  cfg.listeners[0].tls = tls;
  net::Server server(cfg, forwardTo(&target));
  server.start();
  SSL_CTX* ctx = clientCtx(&cert());
  Client c(server.listenerPort(0), ctx);
  ASSERT_TRUE(c.connected());
  EXPECT_STREQ(SSL_get_cipher_name(c.io.ssl), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(c.request(get("/echo")).status(), 200);
  SSL_CTX_free(ctx);
}

TEST(Tls, OriginatesTlsToUpstream) {
  SSL_CTX* up_ctx = serverCtx(cert());
  Upstream upstream(up_ctx);
  http::UpstreamTarget good;
  good.host = "127.0.0.1";
  good.port = upstream.port();
  good.tls = true;
  good.sni = "localhost";
  good.ca_file = writeTempFile(cert().cert_pem, ".pem");
  good.finalize();
  http::UpstreamTarget wrong_ca = good;
  wrong_ca.ca_file = writeTempFile(makeSelfSigned().cert_pem, ".pem");
  wrong_ca.finalize();
  http::UpstreamTarget wrong_name = good;
  wrong_name.sni = "other.example";
  wrong_name.finalize();
  http::UpstreamTarget insecure = wrong_ca;
  insecure.insecure_skip_verify = true;
  insecure.finalize();
  net::Server server(testConfig(1), handler([&](const http::RequestHead& r, http::WorkerContext&, http::Arena&) {
    http::ForwardPlan p;
    p.upstream = r.path() == "/echo/good" ? &good
               : r.path() == "/echo/wrongca" ? &wrong_ca
               : r.path() == "/echo/wrongname" ? &wrong_name : &insecure;
    return http::Decision::forward(p);
  }));
  server.start();
  Client c(server.listenerPort(0));
  EXPECT_EQ(c.request(get("/echo/good")).status(), 200);
  EXPECT_EQ(c.request(get("/echo/good")).status(), 200);
  EXPECT_EQ(upstream.connections(), 1);  // pooled TLS connection reused
  Message m = c.request(get("/echo/wrongca"));
  EXPECT_EQ(m.status(), 503);
  EXPECT_EQ(m.body, http::kUpstreamConnectFailureBody);
  EXPECT_EQ(c.request(get("/echo/wrongname")).status(), 503);
  EXPECT_EQ(c.request(get("/echo/insecure")).status(), 200);
  server.stop();
  upstream.stop();
  SSL_CTX_free(up_ctx);
}

std::string adminGet(std::uint16_t port, const std::string& path) {
  Client c(port);
  Message m = c.request("GET " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
  return std::to_string(m.status()) + " " + m.body;
}

TEST(Admin, ReadyStatsAndConfigDump) {
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::ServerConfig cfg = testConfig();
  cfg.config_dump = [] { return std::string(R"({"routes":[]})"); };
  net::Server server(cfg, forwardTo(&target));
  server.start();
  EXPECT_EQ(adminGet(server.adminPort(), "/ready"), "200 LIVE\n");
  Client c(server.listenerPort(0));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.request(get("/echo")).status(), 200);
  // Requests are counted right after their response is written: poll briefly.
  const std::string want = R"(claimgate_requests_total{route="r1",decision="allow",code="200"} 3)";
  std::string stats;
  for (int i = 0; i < 100 && stats.find(want) == std::string::npos; ++i) {
    stats = adminGet(server.adminPort(), "/stats/prometheus");
    if (stats.find(want) == std::string::npos) std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(stats.find("# TYPE claimgate_requests_total counter\n"), std::string::npos) << stats;
  EXPECT_NE(stats.find(want), std::string::npos) << stats;
  EXPECT_NE(stats.find("claimgate_downstream_connections_active 1"), std::string::npos) << stats;
  EXPECT_EQ(adminGet(server.adminPort(), "/config_dump"), R"(200 {"routes":[]})");
  EXPECT_EQ(adminGet(server.adminPort(), "/nope").substr(0, 3), "404");
  server.stop();
}

TEST(AccessLog, OneJsonLinePerRequest) {
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::ServerConfig cfg = testConfig(1);
  cfg.access_log = writeTempFile("", ".log");
  net::Server server(cfg, forwardTo(&target, [](const http::RequestHead&, http::ForwardPlan& p, http::Arena&) {
    p.target = "/echo/rewritten";
  }));
  server.start();
  {
    Client c(server.listenerPort(0));
    ASSERT_EQ(c.request(get("/orig?\"q\"")).status(), 200);
  }
  server.stop();
  std::ifstream in(cfg.access_log);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
  for (const char* part : {R"("method":"GET")", R"("authority":"test.local")",
                           R"("path":"/orig?\"q\"")", R"("route":"r1")", R"("status":200)",
                           R"("decision":"allow")", R"("upstream":"http://127.0.0.1:)",
                           R"("duration_ms":)"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
  EXPECT_FALSE(std::getline(in, line));
}

TEST(Drain, InFlightRequestFinishesIdleClosedNewRefused) {
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::Server server(testConfig(1), forwardTo(&target));
  server.start();
  std::uint16_t port = server.listenerPort(0);
  Client idle(port);
  ASSERT_EQ(idle.request(get("/echo")).status(), 200);
  Client busy(port);
  busy.send(get("/slow?ms=400"));
  std::this_thread::sleep_for(100ms);  // the request is at the upstream now
  std::thread stopper([&] { server.stop(); });
  Message m = busy.read();
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.body, "slow");
  EXPECT_EQ(m.header("connection"), "close");
  EXPECT_TRUE(idle.closedByServer());
  stopper.join();
  EXPECT_FALSE(server.ready());
  Client late(port);
  EXPECT_FALSE(late.connected());
}

TEST(Drain, BoundedByTheDrainTimeout) {
  Upstream upstream;
  http::UpstreamTarget target = plainTarget(upstream.port());
  net::Server server(testConfig(1), forwardTo(&target));
  server.start();
  Client stuck(server.listenerPort(0));
  stuck.send(get("/silent"));
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  server.stop(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(Signals, SigtermDrainsAndReturns) {
  net::Server server(testConfig(1), forwardTo(nullptr));
  server.start();
  std::thread runner([&] { server.runUntilSignal(); });
  while (!server.signalsArmed()) std::this_thread::sleep_for(5ms);
  ::kill(::getpid(), SIGTERM);
  runner.join();
  EXPECT_FALSE(server.ready());
}

}  // namespace
}  // namespace claimgate::nettest
