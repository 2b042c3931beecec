// Opening upstream connections: cached async DNS, connect with a deadline, TLS origination.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/worker.h"

namespace claimgate::net::detail {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

// Client TLS context for one (CA bundle, verify) pair, cached per thread.
std::shared_ptr<asio::ssl::context> clientTls(Worker& w, const http::UpstreamTarget& t) {
  std::string key = t.ca_file + (t.insecure_skip_verify ? "|insecure" : "|verify");
  auto it = w.client_tls.find(std::string_view(key));
  if (it != w.client_tls.end()) return it->second;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  if (t.insecure_skip_verify) {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    if (t.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);  // honours SSL_CERT_FILE / SSL_CERT_DIR
    } else {
      ctx->load_verify_file(t.ca_file, ec);
    }
  }
  // A CA bundle that fails to load leaves an empty trust store: every handshake then fails
  // (closed, never open). The config layer validates the path up front.
  w.client_tls.emplace(std::move(key), ctx);
  return ctx;
}

bool isIpLiteral(std::string_view host) {
  beast::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  return !ec;
}

}  // namespace

asio::awaitable<std::unique_ptr<UpstreamConn>> connectUpstream(Worker& w,
                                                               const http::UpstreamTarget& t,
                                                               ConnectError& error) {
  error = ConnectError::kNone;
  const Limits& limits = w.core.config.limits;
  auto now = SteadyClock::now();

  // Resolve: IP literals directly, names through the per-thread cache.
  std::vector<tcp::endpoint> resolved;
  const std::vector<tcp::endpoint>* endpoints = nullptr;
  beast::error_code ec;
  asio::ip::address addr = asio::ip::make_address(t.host, ec);
  if (!ec) {
    resolved.emplace_back(addr, t.port);
    endpoints = &resolved;
  } else {
    std::string dns_key = t.host + ':' + std::to_string(t.port);
    if (const DnsCache::Entry* e = w.dns.find(dns_key, now)) {
      endpoints = &e->endpoints;
    } else {
      auto results = co_await w.resolver.async_resolve(t.host, std::to_string(t.port),
                                                      redirect_error(use_awaitable, ec));
      if (ec || results.empty()) {
        error = ConnectError::kResolve;
        co_return nullptr;
      }
      for (const auto& r : results) resolved.push_back(r.endpoint());
      w.dns.store(dns_key, resolved, SteadyClock::now() + limits.dns_ttl);
      endpoints = &resolved;
    }
  }
  std::vector<tcp::endpoint> eps = *endpoints;  // the cache may change while we wait

  auto conn = std::make_unique<UpstreamConn>(w.blocks);
  conn->key = t.key;
  conn->tls = t.tls;
  if (t.tls) {
    conn->ctx = clientTls(w, t);
    conn->secure.emplace(w.ioc, *conn->ctx);
  } else {
    conn->plain.emplace(w.ioc);
  }
  beast::tcp_stream& tcp = conn->lowest();
  tcp.expires_after(t.connect_timeout);
  co_await tcp.async_connect(eps, redirect_error(use_awaitable, ec));
  if (ec) {
    error = ec == beast::error::timeout ? ConnectError::kTimeout : ConnectError::kConnect;
    co_return nullptr;
  }
  tcp.socket().set_option(tcp::no_delay(true), ec);
  tcp.socket().non_blocking(true, ec);  // the session writes a head straight to the socket first

  if (t.tls) {
    SSL* ssl = conn->secure->native_handle();
    const std::string& name = t.sni.empty() ? t.host : t.sni;
    bool ip = isIpLiteral(name);
    // SNI carries DNS names only (RFC 6066 §3).
    if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!t.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      }
    }
    co_await conn->secure->async_handshake(asio::ssl::stream_base::client,
                                           redirect_error(use_awaitable, ec));
    if (ec) {
      error = ec == beast::error::timeout ? ConnectError::kTimeout : ConnectError::kTls;
      co_return nullptr;
    }
  }
  tcp.expires_never();
  if (t.tls) {
    conn->ops = std::make_unique<StreamOps<beast::ssl_stream<beast::tcp_stream>>>(*conn->secure);
  } else {
    conn->ops = std::make_unique<StreamOps<beast::tcp_stream>>(*conn->plain);
  }
  conn->stream.emplace(*conn->ops, tcp, /*plain=*/!t.tls);
  co_return conn;
}

}  // namespace claimgate::net::detail
