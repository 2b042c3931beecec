// Test support for net/: blocking socket clients (plain and TLS, via OpenSSL directly), an
// in-test upstream HTTP/1.1 server (thread per connection) that echoes what it received, a
// self-signed certificate made at test time, and a RequestHandler built from a lambda.
// Deliberately free of Asio/Beast, so the tests see the server only through its sockets.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/handler.h"

namespace claimgate::nettest {

using namespace std::chrono_literals;

// ---------------------------------------------------------------- certificates

struct Cert {
  std::string cert_pem, key_pem;
};

// A self-signed P-256 certificate for CN=localhost, SAN DNS:localhost, IP:127.0.0.1.
inline Cert makeSelfSigned() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  X509_sign(x, key, EVP_sha256());
  auto toPem = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
  };
  Cert c;
  c.cert_pem = toPem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  c.key_pem = toPem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  return c;
}

inline std::string writeTempFile(const std::string& content, const char* suffix) {
  std::string path = ::testing::TempDir() + "claimgate_net_" + std::to_string(::getpid()) + "_" +
                     std::to_string(std::rand()) + suffix;
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
  return path;
}

inline SSL_CTX* serverCtx(const Cert& c) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* b = BIO_new_mem_buf(c.cert_pem.data(), static_cast<int>(c.cert_pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(c.key_pem.data(), static_cast<int>(c.key_pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  SSL_CTX_use_certificate(ctx, x);
  SSL_CTX_use_PrivateKey(ctx, k);
  X509_free(x);
  EVP_PKEY_free(k);
  return ctx;
}

// Client context trusting exactly `c` (or nothing is verified when c is null).
inline SSL_CTX* clientCtx(const Cert* c) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (c) {
    BIO* b = BIO_new_mem_buf(c->cert_pem.data(), static_cast<int>(c->cert_pem.size()));
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x);
    X509_free(x);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

// ---------------------------------------------------------------- blocking I/O

struct Io {
  int fd = -1;
  SSL* ssl = nullptr;

  long read(char* buf, std::size_t n) {
    if (ssl) {
      int r = SSL_read(ssl, buf, static_cast<int>(n));
      return r > 0 ? r : (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
    }
    return ::recv(fd, buf, n, 0);
  }
  bool writeAll(std::string_view data) {
    while (!data.empty()) {
      long n = ssl ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                   : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void close() {
    if (ssl) {
      SSL_free(ssl);
      ssl = nullptr;
    }
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

inline void setRecvTimeout(int fd, std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

inline int connectTcp(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setRecvTimeout(fd, 5s);
  return fd;
}

// Buffered reader over an Io: lines, exact byte counts, HTTP message bodies.
struct Reader {
  Io& io;
  std::string buf;
  bool eof = false;

  bool fill() {
    char tmp[65536];
    long n = io.read(tmp, sizeof tmp);
    if (n <= 0) {
      eof = true;
      return false;
    }
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  // Up to and including "\r\n\r\n"; empty on EOF.
  std::string head() {
    for (;;) {
      auto p = buf.find("\r\n\r\n");
      if (p != std::string::npos) {
        std::string h = buf.substr(0, p + 4);
        buf.erase(0, p + 4);
        return h;
      }
      if (!fill()) return {};
    }
  }
  std::string line() {
    for (;;) {
      auto p = buf.find("\r\n");
      if (p != std::string::npos) {
        std::string l = buf.substr(0, p);
        buf.erase(0, p + 2);
        return l;
      }
      if (!fill()) return {};
    }
  }
  bool exact(std::size_t n, std::string& out) {
    while (buf.size() < n) {
      if (!fill()) return false;
    }
    out.append(buf, 0, n);
    buf.erase(0, n);
    return true;
  }
  // A chunked body (RFC 9112 §7.1); trailers skipped.
  bool chunked(std::string& out) {
    for (;;) {
      std::string l = line();
      if (l.empty() && eof) return false;
      std::size_t size = std::stoul(l.substr(0, l.find(';')), nullptr, 16);
      if (size == 0) {
        while (!line().empty()) {
        }
        return true;
      }
      if (!exact(size, out)) return false;
      line();
    }
  }
  void rest(std::string& out) {
    while (fill()) {
    }
    out += buf;
    buf.clear();
  }
};

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Message {
  std::string start;  // request or status line
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string raw_head;
  std::string body;
  bool ok = false;

  std::string header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return headers.count(lower(name)) != 0; }
  int status() const { return start.size() >= 12 ? std::stoi(start.substr(9, 3)) : 0; }
};

inline bool parseHead(const std::string& head, Message& m) {
  m.raw_head = head;
  std::size_t pos = head.find("\r\n");
  if (pos == std::string::npos) return false;
  m.start = head.substr(0, pos);
  pos += 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == pos || end == std::string::npos) break;
    std::string l = head.substr(pos, end - pos);
    auto colon = l.find(':');
    std::string v = l.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    m.headers.emplace(lower(l.substr(0, colon)), v);
    pos = end + 2;
  }
  return true;
}

// Reads one response (bodyless for HEAD / 1xx / 204 / 304).
inline Message readResponse(Reader& r, bool head_request = false) {
  Message m;
  std::string h = r.head();
  if (h.empty() || !parseHead(h, m)) return m;
  int st = m.status();
  if (head_request || st < 200 || st == 204 || st == 304) {
    m.ok = true;
  } else if (lower(m.header("transfer-encoding")) == "chunked") {
    m.ok = r.chunked(m.body);
  } else if (m.has("content-length")) {
    m.ok = r.exact(std::stoul(m.header("content-length")), m.body);
  } else {
    r.rest(m.body);
    m.ok = true;
  }
  return m;
}

struct Client {
  Io io;
  Reader reader{io};
  explicit Client(std::uint16_t port, SSL_CTX* tls = nullptr, const char* sni = "localhost") {
    io.fd = connectTcp(port);
    if (io.fd >= 0 && tls) {
      io.ssl = SSL_new(tls);
      SSL_set_fd(io.ssl, io.fd);
      SSL_set_tlsext_host_name(io.ssl, sni);
      SSL_set1_host(io.ssl, sni);
      if (SSL_connect(io.ssl) != 1) io.close();
    }
  }
  ~Client() { io.close(); }
  bool connected() const { return io.fd >= 0; }
  bool send(std::string_view s) { return io.writeAll(s); }
  Message read(bool head = false) { return readResponse(reader, head); }
  Message request(const std::string& raw, bool head = false) {
    send(raw);
    return read(head);
  }
  // True when the server closed the connection (EOF or reset) within the receive timeout.
  bool closedByServer() {
    if (!reader.buf.empty()) return false;
    char c;
    return io.read(&c, 1) <= 0;
  }
};

inline std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test.local\r\n" + extra + "\r\n";
}

// ---------------------------------------------------------------- upstream

// Answers by path:
//   /echo...        200, body = the request head exactly as received, then the body
//                   (with "closeafter" in the target the connection is closed afterwards)
//   /upload         200, body = "bytes=N fnv=H" over the request body
//   /big?n=N&mode=length|chunked|close   N bytes of a pattern ('a' + i % 26)
//   /silent         never answers (waits for the peer to close)
//   /slow?ms=N      answers 200 "slow" after N ms
//   /drop           closes the connection without answering
//   /overlong       200 "ok" (content-length 2) followed by a forged response in the same write
// Every response carries `x-upstream-conn: <connection number>`, `connection: x-up-hop` and an
// `x-up-hop` field (hop-by-hop: the proxy must strip both).
class Upstream {
 public:
  explicit Upstream(SSL_CTX* tls = nullptr) : tls_(tls) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 1024);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~Upstream() { stop(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void acceptLoop() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      int id = ++connections_;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  void serve(int fd, int id) {
    Io io{fd, nullptr};
    if (tls_) {
      io.ssl = SSL_new(tls_);
      SSL_set_fd(io.ssl, fd);
      if (SSL_accept(io.ssl) != 1) {
        SSL_free(io.ssl);
        return;  // fd closed by stop()
      }
    }
    setRecvTimeout(fd, 10s);
    Reader r{io};
    for (;;) {
      std::string head = r.head();
      if (head.empty()) break;
      ++requests_;
      Message m;
      parseHead(head, m);
      std::string body;
      if (lower(m.header("transfer-encoding")) == "chunked") {
        if (!r.chunked(body)) break;
      } else if (m.has("content-length")) {
        if (!r.exact(std::stoul(m.header("content-length")), body)) break;
      }
      std::string method = m.start.substr(0, m.start.find(' '));
      std::string target = m.start.substr(m.start.find(' ') + 1);
      target = target.substr(0, target.rfind(' '));
      if (!respond(io, id, method, target, head, body)) break;
    }
    if (io.ssl) {
      SSL_shutdown(io.ssl);
      SSL_free(io.ssl);
    }
    ::shutdown(fd, SHUT_WR);
  }

  static std::string param(const std::string& target, const std::string& name) {
    auto p = target.find(name + "=");
    if (p == std::string::npos) return {};
    auto e = target.find('&', p);
    return target.substr(p + name.size() + 1, e == std::string::npos ? e : e - p - name.size() - 1);
  }

  bool respond(Io& io, int id, const std::string& method, const std::string& target,
               const std::string& head, const std::string& body) {
    std::string common = "x-upstream-conn: " + std::to_string(id) +
                         "\r\nconnection: x-up-hop\r\nx-up-hop: secret\r\n";
    auto fixed = [&](const std::string& b, const std::string& status = "200 OK") {
      std::string out = "HTTP/1.1 " + status + "\r\n" + common +
                        "content-length: " + std::to_string(b.size()) + "\r\n\r\n";
      if (method != "HEAD") out += b;
      return io.writeAll(out);
    };
    if (target.rfind("/echo", 0) == 0) {
      // ?closeafter: a keep-alive response, then the upstream closes the idle connection.
      return fixed(head + body) && target.find("closeafter") == std::string::npos;
    }
    if (target.rfind("/upload", 0) == 0) {
      std::uint64_t h = 1469598103934665603ull;
      for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
      return fixed("bytes=" + std::to_string(body.size()) + " fnv=" + std::to_string(h));
    }
    if (target.rfind("/big", 0) == 0) {
      std::size_t n = std::stoul(param(target, "n"));
      std::string mode = param(target, "mode");
      std::string data(n, 'a');
      for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>('a' + i % 26);
      if (mode == "length") return fixed(data);
      if (mode == "close") {
        io.writeAll("HTTP/1.1 200 OK\r\nx-upstream-conn: " + std::to_string(id) +
                    "\r\nconnection: close\r\n\r\n" + data);
        return false;
      }
      if (!io.writeAll("HTTP/1.1 200 OK\r\n" + common + "transfer-encoding: chunked\r\n\r\n")) return false;
      for (std::size_t off = 0; off < n; off += 100000) {
        std::size_t len = std::min<std::size_t>(100000, n - off);
        char sz[32];
        std::snprintf(sz, sizeof sz, "%zx\r\n", len);
        if (!io.writeAll(std::string(sz) + data.substr(off, len) + "\r\n")) return false;
      }
      return io.writeAll("0\r\n\r\n");
    }
    if (target.rfind("/silent", 0) == 0) {
      char c;
      while (io.read(&c, 1) > 0) {
      }
      return false;
    }
    if (target.rfind("/slow", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(param(target, "ms"))));
      return fixed("slow");
    }
    if (target.rfind("/drop", 0) == 0) return false;
    if (target.rfind("/overlong", 0) == 0) {
      // Two bytes of body as framed, then a forged response in the same write.
      return io.writeAll("HTTP/1.1 200 OK\r\n" + common + "content-length: 2\r\n\r\nok" +
                         "HTTP/1.1 299 Forged\r\ncontent-length: 0\r\n\r\n");
    }
    return fixed("not found", "404 Not Found");
  }

  SSL_CTX* tls_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::atomic<int> connections_{0}, requests_{0};
  std::atomic<bool> stopped_{false};
};

// A port nothing listens on (bound, then closed).
inline std::uint16_t deadPort() {
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

// ---------------------------------------------------------------- handler

using HandleFn = std::function<http::Decision(const http::RequestHead&, http::WorkerContext&, http::Arena&)>;

class LambdaHandler : public http::RequestHandler {
 public:
  explicit LambdaHandler(HandleFn fn) : fn_(std::move(fn)) {}
  http::Decision handle(const http::RequestHead& r, http::WorkerContext& w, http::Arena& a) const override {
    return fn_(r, w, a);
  }

 private:
  HandleFn fn_;
};

inline std::shared_ptr<const http::RequestHandler> handler(HandleFn fn) {
  return std::make_shared<LambdaHandler>(std::move(fn));
}

inline void raiseFdLimit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace claimgate::nettest
