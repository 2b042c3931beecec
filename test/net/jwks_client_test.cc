// JwksClient against an in-test HTTP/1.1 server (plain and TLS) on 127.0.0.1. The TLS server's
// certificate chain (a CA and a leaf for localhost / 127.0.0.1) is generated with OpenSSL at
// test time.
#include "net/jwks_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace claimgate::net {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------- certificates

struct Pki {
  std::string ca_pem, leaf_pem, leaf_key_pem;
};

std::string pemOf(auto write) {
  BIO* b = BIO_new(BIO_s_mem());
  write(b);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

X509* makeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca,
               const char* san, long serial) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer : x, x, nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  };
  add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
  if (san) add(NID_subject_alt_name, san);
  X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
  return x;
}

const Pki& pki() {
  static Pki p = [] {
    EVP_PKEY* ca_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    EVP_PKEY* leaf_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* ca = makeCert(ca_key, "claimgate test CA", nullptr, nullptr, true, nullptr, 1);
    X509* leaf = makeCert(leaf_key, "localhost", ca, ca_key, false,
                          "DNS:localhost,DNS:idp.test,IP:127.0.0.1", 2);
    Pki out;
    out.ca_pem = pemOf([&](BIO* b) { PEM_write_bio_X509(b, ca); });
    out.leaf_pem = pemOf([&](BIO* b) { PEM_write_bio_X509(b, leaf); });
    out.leaf_key_pem = pemOf([&](BIO* b) {
      PEM_write_bio_PrivateKey(b, leaf_key, nullptr, nullptr, 0, nullptr, nullptr);
    });
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
    return out;
  }();
  return p;
}

std::string writeTemp(const std::string& content, const char* name) {
  std::string path = ::testing::TempDir() + "claimgate_jwks_" + std::to_string(::getpid()) + "_" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
  return path;
}

// ---------------------------------------------------------------------------------- server

// The P-256 public key of RFC 7515 Appendix A.3.
const std::string kJwks = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1",)"
                          R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                          R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

// Thread-per-connection HTTP/1.1 server answering by path:
//   /jwks... 200 with kJwks           /missing 404          /redirect 302 Location: /jwks
//   /big     200, content-length 2 MiB (sent)              /chunked-big 200, 2 MiB chunked
//   /slow    200 after 3 s (or when stopped)               /empty 200 with no body
class TestServer {
 public:
  explicit TestServer(bool tls) {
    if (tls) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      BIO* b = BIO_new_mem_buf(pki().leaf_pem.data(), static_cast<int>(pki().leaf_pem.size()));
      X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
      BIO_free(b);
      b = BIO_new_mem_buf(pki().leaf_key_pem.data(), static_cast<int>(pki().leaf_key_pem.size()));
      EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
      BIO_free(b);
      SSL_CTX_use_certificate(ctx_, x);
      SSL_CTX_use_PrivateKey(ctx_, k);
      X509_free(x);
      EVP_PKEY_free(k);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~TestServer() {
    stopped_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& t : threads_) t.join();
    if (ctx_) SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void acceptLoop() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard lock(mu_);
      threads_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    timeval tv{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = nullptr;
    if (ctx_) {
      ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        ::close(c);
        return;
      }
    }
    auto readSome = [&](char* buf, int n) -> int {
      return ssl ? SSL_read(ssl, buf, n) : static_cast<int>(::recv(c, buf, n, 0));
    };
    auto writeAll = [&](const std::string& s) {
      size_t off = 0;
      while (off < s.size()) {
        int n = ssl ? SSL_write(ssl, s.data() + off, static_cast<int>(s.size() - off))
                    : static_cast<int>(::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL));
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
    };
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      int n = readSome(buf, sizeof buf);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mu_);
      heads_.push_back(head);
    }
    std::string path = head.substr(4, head.find(' ', 4) - 4);
    auto reply = [&](const std::string& status, const std::string& extra, const std::string& body) {
      writeAll("HTTP/1.1 " + status + "\r\ncontent-length: " + std::to_string(body.size()) +
               "\r\ncontent-type: application/json\r\n" + extra + "\r\n" + body);
    };
    if (path.rfind("/jwks", 0) == 0) {
      reply("200 OK", "", kJwks);
    } else if (path == "/redirect") {
      reply("302 Found", "location: /jwks\r\n", "");
    } else if (path == "/big") {
      reply("200 OK", "", std::string(2 * 1024 * 1024, 'x'));
    } else if (path == "/chunked-big") {
      writeAll("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
      std::string chunk(64 * 1024, 'x');
      for (int i = 0; i < 32 && !stopped_; ++i) writeAll("10000\r\n" + chunk + "\r\n");
      writeAll("0\r\n\r\n");
    } else if (path == "/slow") {
      for (int i = 0; i < 300 && !stopped_; ++i) std::this_thread::sleep_for(10ms);
      reply("200 OK", "", kJwks);
    } else if (path == "/empty") {
      reply("200 OK", "", "");
    } else {
      reply("404 Not Found", "", "not found");
    }
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<std::string> heads_;
};

uint16_t deadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// ---------------------------------------------------------------------------------- helpers

jwt::JwksRequest request(const std::string& url, uint16_t port, bool tls = false) {
  jwt::JwksRequest r;
  r.url = url;
  std::string why;
  auto parsed = jwt::parseJwksUrl(url, &why);
  if (!parsed) throw std::runtime_error(why);
  r.parsed = *parsed;
  r.endpoints.push_back({"127.0.0.1", port});
  r.tls = tls;
  r.sni = parsed->host;
  r.timeout = 5s;
  return r;
}

jwt::FetchResult fetchSync(jwt::JwksFetcher& f) {
  auto promise = std::make_shared<std::promise<jwt::FetchResult>>();
  auto future = promise->get_future();
  f.fetch([promise](jwt::FetchResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "fetch never completed";
    return {};
  }
  return future.get();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------- plain HTTP

TEST(JwksClientTest, Fetches200WithHostAndPathFromUrl) {
  TestServer server(false);
  JwksClient client;
  auto f = client.makeFetcher(request("http://idp.example.com/jwks?v=2", server.port()));
  auto r = fetchSync(*f);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, kJwks);
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /jwks?v=2 HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_TRUE(contains(heads[0], "Host: idp.example.com\r\n")) << heads[0];
  EXPECT_TRUE(contains(heads[0], "Connection: close\r\n")) << heads[0];
}

TEST(JwksClientTest, HostHeaderKeepsAnExplicitPort) {
  TestServer server(false);
  JwksClient client;
  auto f = client.makeFetcher(request("http://idp.example.com:8080/jwks", server.port()));
  ASSERT_TRUE(fetchSync(*f).ok);
  EXPECT_TRUE(contains(server.heads().at(0), "Host: idp.example.com:8080\r\n"));
}

TEST(JwksClientTest, FailureModes) {
  TestServer server(false);
  JwksClient client;
  struct Case {
    std::string path;
    int status;
    std::string error_part;
  };
  const Case cases[] = {
      {"/missing", 404, "HTTP 404"},
      {"/redirect", 302, "redirects are not followed; Location: /jwks"},
      {"/big", 200, "exceeds 1048576 bytes"},
      {"/chunked-big", 200, "exceeds 1048576 bytes"},
      {"/empty", 200, "empty body"},
  };
  for (const auto& c : cases) {
    auto f = client.makeFetcher(request("http://idp.test" + c.path, server.port()));
    auto r = fetchSync(*f);
    EXPECT_FALSE(r.ok) << c.path;
    EXPECT_EQ(r.http_status, c.status) << c.path;
    EXPECT_TRUE(contains(r.error, c.error_part)) << c.path << ": " << r.error;
    EXPECT_TRUE(r.body.empty()) << c.path;
  }
  // The redirect was not followed: one request per case, none to /jwks.
  auto heads = server.heads();
  EXPECT_EQ(heads.size(), std::size(cases));
  for (const auto& h : heads) EXPECT_NE(h.rfind("GET /jwks", 0), 0u) << h;
}

TEST(JwksClientTest, TimeoutBoundsTheWholeFetch) {
  TestServer server(false);
  JwksClient client;
  auto req = request("http://idp.test/slow", server.port());
  req.timeout = 300ms;
  auto f = client.makeFetcher(req);
  auto t0 = std::chrono::steady_clock::now();
  auto r = fetchSync(*f);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "timed out after 300ms")) << r.error;
  EXPECT_LT(took, 2s);
  EXPECT_GE(took, 250ms);
}

TEST(JwksClientTest, ConnectFailureAndEndpointFallback) {
  TestServer server(false);
  JwksClient client;
  auto req = request("http://idp.test/jwks", deadPort());
  auto r = fetchSync(*client.makeFetcher(req));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "connect 127.0.0.1:")) << r.error;

  req.endpoints.push_back({"127.0.0.1", server.port()});
  r = fetchSync(*client.makeFetcher(req));
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(JwksClientTest, ResolvesNames) {
  TestServer server(false);
  JwksClient client;
  auto req = request("http://idp.test/jwks", server.port());
  req.endpoints = {{"localhost", server.port()}};
  auto r = fetchSync(*client.makeFetcher(req));
  EXPECT_TRUE(r.ok) << r.error;
  req.endpoints = {{"no-such-host.invalid", server.port()}};
  r = fetchSync(*client.makeFetcher(req));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "resolve no-such-host.invalid")) << r.error;
}

// ---------------------------------------------------------------------------------- TLS

TEST(JwksClientTest, TlsVerifiesAgainstTheCaFile) {
  TestServer server(true);
  JwksClient client;
  std::string ca = writeTemp(pki().ca_pem, "ca.pem");
  auto req = request("https://idp.test/jwks", server.port(), true);
  req.ca_file = ca;
  auto r = fetchSync(*client.makeFetcher(req));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, kJwks);
  EXPECT_TRUE(contains(server.heads().at(0), "Host: idp.test\r\n"));

  req.sni = "127.0.0.1";  // IP literal: matched against the IP SAN
  r = fetchSync(*client.makeFetcher(req));
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(JwksClientTest, TlsVerifyFailures) {
  TestServer server(true);
  JwksClient client;
  std::string ca = writeTemp(pki().ca_pem, "ca2.pem");
  std::string other_ca = writeTemp(pki().leaf_pem, "notca.pem");  // a leaf is no trust anchor
  struct Case {
    const char* what;
    std::string ca_file, sni;
    std::string error_part;
  };
  const Case cases[] = {
      {"default store does not know the test CA", "", "idp.test", "certificate verify failed"},
      {"wrong trust anchor", other_ca, "idp.test", "certificate verify failed"},
      {"name mismatch", ca, "other.example", "hostname mismatch"},
      {"unloadable CA file", "/nonexistent/ca.pem", "idp.test", "cannot load CA file"},
  };
  ::unsetenv("SSL_CERT_FILE");
  for (const auto& c : cases) {
    auto req = request("https://idp.test/jwks", server.port(), true);
    req.ca_file = c.ca_file;
    req.sni = c.sni;
    auto r = fetchSync(*client.makeFetcher(req));
    EXPECT_FALSE(r.ok) << c.what;
    EXPECT_TRUE(contains(r.error, c.error_part)) << c.what << ": " << r.error;
  }
}

TEST(JwksClientTest, TlsDefaultPathsHonourSslCertFile) {
  TestServer server(true);
  JwksClient client;
  std::string ca = writeTemp(pki().ca_pem, "ca3.pem");
  ::setenv("SSL_CERT_FILE", ca.c_str(), 1);
  auto f = client.makeFetcher(request("https://idp.test/jwks", server.port(), true));
  ::unsetenv("SSL_CERT_FILE");
  auto r = fetchSync(*f);
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(JwksClientTest, InsecureSkipVerifyOnlyWhenSet) {
  TestServer server(true);
  JwksClient client;
  auto req = request("https://idp.test/jwks", server.port(), true);
  req.sni = "other.example";
  req.insecure_skip_verify = true;
  auto r = fetchSync(*client.makeFetcher(req));
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(JwksClientTest, PlainClientAgainstTlsServerFails) {
  TestServer server(true);
  JwksClient client;
  auto req = request("http://idp.test/jwks", server.port(), false);
  req.timeout = 2s;
  auto r = fetchSync(*client.makeFetcher(req));
  EXPECT_FALSE(r.ok);
}

// ---------------------------------------------------------------------------------- runtime

TEST(JwksClientTest, ClockTimersRunOnTheClientThread) {
  JwksClient client;
  auto clock = client.clock();
  std::promise<std::thread::id> fired;
  auto t0 = clock->now();
  clock->runAfter(50ms, [&] { fired.set_value(std::this_thread::get_id()); });
  auto fut = fired.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_NE(fut.get(), std::this_thread::get_id());
  EXPECT_GE(clock->now() - t0, 50ms);
  EXPECT_GT(clock->unixSeconds(), 1'600'000'000);
}

TEST(JwksClientTest, FetchAfterStopFailsAtOnce) {
  std::unique_ptr<jwt::JwksFetcher> f;
  {
    JwksClient client;
    f = client.makeFetcher(request("http://idp.test/jwks", deadPort()));
  }
  auto r = fetchSync(*f);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "JWKS client stopped");
}

// The whole chain: a RemoteJwks fed by the real client parses the served key set.
TEST(JwksClientTest, FeedsRemoteJwks) {
  TestServer server(false);
  JwksClient client;
  auto keys = jwt::RemoteJwks::create({.name = "test", .async_fetch = true},
                                      client.makeFetcher(request("http://idp.test/jwks",
                                                                 server.port())),
                                      client.clock());
  keys->start();
  ASSERT_TRUE(keys->waitFirst(10s)) << keys->stats().last_error;
  auto k = keys->current();
  ASSERT_EQ(k.status, JwtStatus::kOk);
  ASSERT_EQ(k.jwks->keys().size(), 1u);
  EXPECT_EQ(*k.jwks->keys()[0].kid, "k1");
}

}  // namespace
}  // namespace claimgate::net
