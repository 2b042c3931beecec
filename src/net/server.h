// net::Server: claimgate's data plane. HTTP/1.1 (and TLS) listeners, one io_context and one
// SO_REUSEPORT acceptor per listener per worker thread, a session coroutine per connection that
// asks a RequestHandler what to do with each request and then answers locally or proxies to an
// upstream through a per-thread keep-alive pool, streaming bodies through fixed buffers. Plus an
// admin listener (/ready, /stats/prometheus, /config_dump) and a JSON access log.
//
// No Asio/Beast in this header (pimpl), so the integrator's TUs stay cheap to compile.
// Behaviour, limits and defaults: docs/server.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/handler.h"
#include "http/stats.h"

namespace claimgate::net {

enum class TlsVersion { kTls1_2, kTls1_3 };

struct TlsSettings {
  // Certificate chain and private key, PEM text; when empty, read from the *_file paths.
  std::string cert_chain_pem, private_key_pem;
  std::string cert_chain_file, private_key_file;
  TlsVersion min_version = TlsVersion::kTls1_2;  // never below TLS 1.2
  TlsVersion max_version = TlsVersion::kTls1_3;
  // OpenSSL cipher names: TLS 1.2 suites ("ECDHE-RSA-AES128-GCM-SHA256") and TLS 1.3 suites
  // ("TLS_AES_128_GCM_SHA256") may be mixed; empty = OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
};

struct ListenerConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 0;  // 0 = ephemeral (tests); see Server::listenerPort()
  std::optional<TlsSettings> tls;
  bool https_redirect = false;  // answer every request with 301 to https://<host><target>
};

struct Limits {
  std::size_t max_request_head = 64 * 1024;   // request line + fields; over it: 431 and close
  std::size_t max_response_head = 64 * 1024;  // upstream response head; over it: 503
  std::chrono::milliseconds header_timeout{10000};  // connect/last response → complete head
  std::chrono::milliseconds idle_timeout{60000};    // idle keep-alive; also each body read/write
  std::chrono::milliseconds drain_timeout{5000};    // on stop: in-flight requests get this long
  std::chrono::milliseconds upstream_idle_timeout{30000};  // pooled upstream connections
  std::size_t max_idle_per_upstream = 64;  // per upstream per thread
  std::size_t body_buffer = 16 * 1024;     // each direction's relay buffer, per connection
  std::size_t max_drain_body = 64 * 1024;  // unread body after a local reply: read it or close
  std::chrono::milliseconds dns_ttl{5000};  // cached async DNS answers, per thread
};

struct ServerConfig {
  std::vector<ListenerConfig> listeners;
  unsigned threads = 0;  // 0 = std::thread::hardware_concurrency()
  Limits limits;
  std::string admin_address = "127.0.0.1";
  std::optional<std::uint16_t> admin_port = 9901;  // nullopt = no admin listener; 0 = ephemeral
  std::function<std::string()> config_dump;        // /config_dump body (JSON); may be empty
  // Appended to /stats/prometheus (already rendered Prometheus text, e.g. gauges kept elsewhere).
  std::function<std::string()> extra_metrics;
  std::string access_log;                          // "" = off, "-" = stdout, else a file path
  std::string server_name = "claimgate";           // `server` field of local replies ("" = none)
};

class Server {
 public:
  Server(ServerConfig config, std::shared_ptr<const http::RequestHandler> handler);
  ~Server();  // stop() if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (throws std::system_error / std::runtime_error on a bind or TLS
  // error), then starts the worker threads. Returns once all listeners accept (/ready is 200).
  void start();

  // Swaps the handler for new requests (config reload). Requests already decided finish with
  // the handler that decided them. Lock-free for the workers; callable from any thread.
  void setHandler(std::shared_ptr<const http::RequestHandler> handler);

  // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish (their
  // responses carry `connection: close`) for at most `drain` (default limits.drain_timeout),
  // then stops the threads. Idempotent.
  void stop();
  void stop(std::chrono::milliseconds drain);

  // Blocks until SIGTERM or SIGINT arrives (or stop() is called elsewhere), then stop()s.
  void runUntilSignal();
  // Whether runUntilSignal() has installed its signal handlers (tests).
  bool signalsArmed() const;

  // The bound port of listeners[index] (useful with port 0) and of the admin listener.
  std::uint16_t listenerPort(std::size_t index) const;
  std::uint16_t adminPort() const;
  bool ready() const;

  http::Stats& stats();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace claimgate::net
