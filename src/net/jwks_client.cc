// JwksClient: one coroutine per fetch on the client's io_context. Every step is bounded: one
// deadline for the whole fetch (Beast's tcp_stream timer for socket operations, a steady_timer
// that cancels DNS resolution), a 16 KiB header limit and the body limit of the request.
#include "net/jwks_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace claimgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

constexpr size_t kHeaderLimit = 16 * 1024;

struct JwksClient::Impl {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  std::thread thread;
  std::atomic<bool> stopped{false};
};

namespace {

bool isIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class RealClock final : public jwt::SystemClock {
 public:
  explicit RealClock(std::shared_ptr<JwksClient::Impl> impl) : impl_(std::move(impl)) {}
  void runAfter(jwt::Millis delay, std::function<void()> fn) override {
    if (impl_->stopped) return;
    auto timer = std::make_shared<asio::steady_timer>(impl_->ioc, delay);
    timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
      if (!ec) fn();
    });
  }

 private:
  std::shared_ptr<JwksClient::Impl> impl_;
};

// One fetch in progress: owns its sockets and calls `done` once.
struct FetchOp {
  FetchOp(asio::io_context& ioc, std::shared_ptr<const jwt::JwksRequest> r,
          std::shared_ptr<asio::ssl::context> ctx, jwt::JwksFetcher::Callback cb)
      : req(std::move(r)), tls_ctx(std::move(ctx)), resolver(ioc), deadline(ioc),
        done(std::move(cb)) {
    deadline_at = std::chrono::steady_clock::now() + req->timeout;
    if (req->tls) {
      secure.emplace(ioc, *tls_ctx);
    } else {
      plain.emplace(ioc);
    }
  }
  beast::tcp_stream& tcpLayer() { return secure ? secure->next_layer() : *plain; }

  std::shared_ptr<const jwt::JwksRequest> req;
  std::shared_ptr<asio::ssl::context> tls_ctx;
  tcp::resolver resolver;
  asio::steady_timer deadline;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::chrono::steady_clock::time_point deadline_at{};
  bool timed_out = false;
  jwt::JwksFetcher::Callback done;
};

jwt::FetchResult failure(std::string why, int status = 0) {
  jwt::FetchResult r;
  r.http_status = status;
  r.error = std::move(why);
  return r;
}

// Returns true when the stream is connected to one of the endpoints.
asio::awaitable<bool> connect(FetchOp& op, std::string& error) {
  beast::error_code ec;
  for (const auto& ep : op.req->endpoints) {
    std::vector<tcp::endpoint> addrs;
    asio::ip::address addr = asio::ip::make_address(ep.host, ec);
    if (!ec) {
      addrs.emplace_back(addr, ep.port);
    } else {
      auto results = co_await op.resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                        redirect_error(use_awaitable, ec));
      if (ec || results.empty()) {
        error = "resolve " + ep.host + ": " + (ec ? ec.message() : "no address");
        if (op.timed_out) co_return false;
        continue;
      }
      for (const auto& r : results) addrs.push_back(r.endpoint());
    }
    co_await op.tcpLayer().async_connect(addrs, redirect_error(use_awaitable, ec));
    if (!ec) co_return true;
    error = "connect " + ep.host + ":" + std::to_string(ep.port) + ": " + ec.message();
    if (op.timed_out || ec == beast::error::timeout) co_return false;
  }
  co_return false;
}

template <class Stream>
asio::awaitable<jwt::FetchResult> exchange(FetchOp& op, Stream& stream) {
  beast::error_code ec;
  http::request<http::empty_body> get{http::verb::get, op.req->parsed.target, 11};
  get.set(http::field::host, op.req->parsed.authority);
  get.set(http::field::user_agent, "claimgate");
  get.set(http::field::accept, "application/json, application/jwk-set+json");
  get.set(http::field::connection, "close");
  co_await http::async_write(stream, get, redirect_error(use_awaitable, ec));
  if (ec) co_return failure("sending the request: " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(op.req->max_body_bytes);
  auto tooBig = [&](int status) {
    return failure(
        "the response body exceeds " + std::to_string(op.req->max_body_bytes) + " bytes", status);
  };
  co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
  int status = static_cast<int>(parser.get().result_int());
  // A Content-Length over the limit is refused as soon as the header is read.
  if (ec == http::error::body_limit) co_return tooBig(status);
  if (ec) co_return failure("reading the response header: " + ec.message());
  if (status != 200) {
    std::string why = "HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) {
      std::string_view location = parser.get()[http::field::location];
      why += " (redirects are not followed";
      if (!location.empty()) why += "; Location: " + std::string(location.substr(0, 256));
      why += ")";
    }
    co_return failure(why, status);
  }
  co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
  if (ec == http::error::body_limit) co_return tooBig(status);
  if (ec) co_return failure("reading the response body: " + ec.message(), status);
  jwt::FetchResult r;
  r.ok = true;
  r.http_status = status;
  r.body = parser.release().body();
  if (r.body.empty()) co_return failure("HTTP 200 with an empty body", status);
  co_return r;
}

asio::awaitable<jwt::FetchResult> run(FetchOp& op) {
  const jwt::JwksRequest& req = *op.req;
  if (req.endpoints.empty()) co_return failure("no endpoint to connect to");
  auto deadline = op.deadline_at;
  op.tcpLayer().expires_at(deadline);  // every socket operation below
  op.deadline.expires_at(deadline);    // and DNS, which tcp_stream's timer does not cover
  op.deadline.async_wait([&op](beast::error_code ec) {
    if (ec) return;
    op.timed_out = true;
    op.resolver.cancel();
    op.tcpLayer().cancel();
  });

  std::string error;
  if (!co_await connect(op, error)) co_return failure(error);
  beast::error_code ec;
  if (!op.secure) co_return co_await exchange(op, *op.plain);

  SSL* ssl = op.secure->native_handle();
  const std::string& name = req.sni.empty() ? req.parsed.host : req.sni;
  bool ip = isIpLiteral(name);
  if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());  // RFC 6066 §3: DNS only
  if (!req.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
  }
  co_await op.secure->async_handshake(asio::ssl::stream_base::client,
                                      redirect_error(use_awaitable, ec));
  if (ec) {
    std::string why = "TLS handshake with " + name + ": " + ec.message();
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      why += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
    }
    co_return failure(why);
  }
  co_return co_await exchange(op, *op.secure);
}

class Fetcher final : public jwt::JwksFetcher {
 public:
  Fetcher(std::shared_ptr<JwksClient::Impl> impl, jwt::JwksRequest req)
      : impl_(std::move(impl)), req_(std::make_shared<const jwt::JwksRequest>(std::move(req))) {
    if (!req_->tls) return;
    tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    if (req_->insecure_skip_verify) {
      tls_->set_verify_mode(asio::ssl::verify_none, ec);
      return;
    }
    tls_->set_verify_mode(asio::ssl::verify_peer, ec);
    if (req_->ca_file.empty()) {
      tls_->set_default_verify_paths(ec);  // honours SSL_CERT_FILE / SSL_CERT_DIR
      if (ec) setup_error_ = "cannot load OpenSSL's default CA paths: " + ec.message();
    } else {
      tls_->load_verify_file(req_->ca_file, ec);
      if (ec) setup_error_ = "cannot load CA file " + req_->ca_file + ": " + ec.message();
    }
    ERR_clear_error();
  }

  void fetch(Callback done) override {
    if (!setup_error_.empty()) return done(failure(setup_error_));
    if (impl_->stopped) return done(failure("JWKS client stopped"));
    auto op = std::make_shared<FetchOp>(impl_->ioc, req_, tls_, std::move(done));
    asio::co_spawn(
        impl_->ioc,
        [op]() -> asio::awaitable<void> {
          jwt::FetchResult r;
          try {
            r = co_await run(*op);
          } catch (const std::exception& e) {
            r = failure(std::string("internal error: ") + e.what());
          }
          // Beast's stream timer and ours share the deadline; either may report it first.
          bool late = std::chrono::steady_clock::now() >= op->deadline_at;
          if (!r.ok && (op->timed_out || late)) {
            r.error = "timed out after " + std::to_string(op->req->timeout.count()) + "ms (" +
                      r.error + ")";
          }
          op->deadline.cancel();
          beast::error_code ignored;
          op->tcpLayer().socket().close(ignored);
          auto done = std::move(op->done);
          done(std::move(r));
        },
        asio::detached);
  }

 private:
  std::shared_ptr<JwksClient::Impl> impl_;
  std::shared_ptr<const jwt::JwksRequest> req_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::string setup_error_;
};

}  // namespace

JwksClient::JwksClient() : impl_(std::make_shared<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

JwksClient::~JwksClient() {
  impl_->stopped = true;
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::unique_ptr<jwt::JwksFetcher> JwksClient::makeFetcher(jwt::JwksRequest request) {
  return std::make_unique<Fetcher>(impl_, std::move(request));
}

std::shared_ptr<jwt::Clock> JwksClient::clock() { return std::make_shared<RealClock>(impl_); }

}  // namespace claimgate::net
