// Server: worker threads (one io_context each), SO_REUSEPORT acceptors, the admin listener,
// handler swaps, signals and drain.
#include "net/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "net/tls.h"
#include "net/worker.h"

namespace claimgate::net {

using namespace detail;
namespace bh = beast::http;
using asio::redirect_error;
using asio::use_awaitable;

struct Server::Impl : ServerCore {
  std::vector<std::unique_ptr<Worker>> workers;
  asio::io_context admin_ioc{1};
  std::optional<tcp::acceptor> admin_acceptor;
  std::thread admin_thread;
  std::uint16_t admin_port = 0;
  std::atomic<bool> started{false}, ready{false}, draining{false}, stopped{false};
  std::atomic<bool> signals_armed{false};
  std::mutex stop_mu;  // serialises stop()
};

namespace {

void logSessionException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::debug("connection coroutine ended by exception: {}", ex.what());
  } catch (...) {
  }
}

asio::awaitable<void> acceptLoop(Worker& w, tcp::acceptor& a, const ListenerState& l) {
  const bool tls = l.tls != nullptr;
  for (;;) {
    beast::error_code ec;
    tcp::socket sock = co_await a.async_accept(redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !a.is_open() || w.draining) co_return;
      // Out of descriptors and the like: back off instead of spinning on the error.
      spdlog::warn("accept on port {}: {}", l.port, ec.message());
      asio::steady_timer t(w.ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    sock.set_option(tcp::no_delay(true), ec);
    w.ctx.stats().inc("claimgate_downstream_connections_total", {{"tls", tls ? "true" : "false"}});
    if (tls) {
      asio::co_spawn(w.ioc, runTlsSession(w, l, std::move(sock)), logSessionException);
    } else {
      asio::co_spawn(w.ioc, runPlainSession(w, l, std::move(sock)), logSessionException);
    }
  }
}

// Every few seconds (a quarter of the idle timeout when that is shorter, at least 50 ms):
// closes pooled upstream connections idle for longer than their limit, and ends parked
// keep-alive client connections idle for longer than idle_timeout (they wait without a timer
// of their own; see serve()).
asio::awaitable<void> sweepLoop(Worker& w) {
  const auto idle_timeout = w.core.config.limits.idle_timeout;
  const auto period = std::clamp<std::chrono::milliseconds>(
      idle_timeout / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(5000));
  for (;;) {
    beast::error_code ec;
    w.sweep_timer.expires_after(period);
    co_await w.sweep_timer.async_wait(redirect_error(use_awaitable, ec));
    if (ec || w.draining) co_return;
    const auto now = SteadyClock::now();
    w.pool.sweep(now, w.core.config.limits.upstream_idle_timeout);
    if (idle_timeout.count() <= 0) continue;
    for (SessionNode* n = w.sessions.next; n != &w.sessions; n = n->next) {
      if (n->parked && now - n->idle_since > idle_timeout) n->tcp->socket().cancel(ec);
    }
  }
}

// Runs on the worker: stop accepting, close idle connections, wait (bounded) for the rest.
asio::awaitable<void> drainWorker(Worker& w, SteadyClock::time_point deadline) {
  w.draining = true;
  beast::error_code ec;
  for (auto& a : w.acceptors) a.close(ec);
  w.sweep_timer.cancel();
  w.pool.sweep(SteadyClock::now(), std::chrono::milliseconds(0));
  for (SessionNode* n = w.sessions.next; n != &w.sessions; n = n->next) {
    if (n->idle) n->tcp->cancel();
  }
  asio::steady_timer t(w.ioc);
  while (w.session_count.load(std::memory_order_relaxed) > 0 && SteadyClock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(10));
    co_await t.async_wait(redirect_error(use_awaitable, ec));
    // Sessions that finished a request since and now wait for the next one.
    for (SessionNode* n = w.sessions.next; n != &w.sessions; n = n->next) {
      if (n->idle) n->tcp->cancel();
    }
  }
  w.pool.sweep(SteadyClock::now(), std::chrono::milliseconds(0));
  if (w.session_count.load(std::memory_order_relaxed) > 0) {
    spdlog::warn("worker {}: drain timeout, closing {} connections", w.ctx.index(),
                 w.session_count.load());
    w.ioc.stop();
  }
}

void setReusePort(tcp::acceptor& a) {
  int one = 1;
  if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_REUSEPORT)");
  }
}

tcp::acceptor bindAcceptor(asio::io_context& ioc, const std::string& address, std::uint16_t port,
                           bool reuse_port) {
  tcp::endpoint ep(asio::ip::make_address(address), port);
  tcp::acceptor a(ioc);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  if (reuse_port) setReusePort(a);
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  return a;
}

asio::awaitable<void> adminSession(Server::Impl& s, tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  beast::error_code ec;
  for (;;) {
    bh::request<bh::string_body> req;
    stream.expires_after(std::chrono::seconds(10));
    co_await bh::async_read(stream, buf, req, redirect_error(use_awaitable, ec));
    if (ec) break;
    bh::response<bh::string_body> res{bh::status::ok, req.version()};
    res.set(bh::field::content_type, "text/plain");
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    if (path == "/ready") {
      bool ok = s.ready.load() && !s.draining.load();
      res.result(ok ? bh::status::ok : bh::status::service_unavailable);
      res.body() = ok ? "LIVE\n" : (s.draining.load() ? "DRAINING\n" : "PRE_INITIALIZING\n");
    } else if (path == "/stats/prometheus") {
      std::string body = s.stats->renderPrometheus();
      if (s.config.extra_metrics) body += s.config.extra_metrics();
      body += "# TYPE claimgate_downstream_connections_active gauge\n";
      std::size_t active = 0;
      for (auto& w : s.workers) active += w->session_count.load(std::memory_order_relaxed);
      body += "claimgate_downstream_connections_active " + std::to_string(active) + "\n";
      res.set(bh::field::content_type, "text/plain; version=0.0.4");
      res.body() = std::move(body);
    } else if (path == "/config_dump" && s.config.config_dump) {
      res.set(bh::field::content_type, "application/json");
      res.body() = s.config.config_dump();
    } else {
      res.result(bh::status::not_found);
      res.body() = "not found\n";
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await bh::async_write(stream, res, redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> adminAcceptLoop(Server::Impl& s) {
  for (;;) {
    beast::error_code ec;
    tcp::socket sock = co_await s.admin_acceptor->async_accept(redirect_error(use_awaitable, ec));
    if (ec) {
      if (!s.admin_acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(s.admin_ioc, adminSession(s, std::move(sock)), logSessionException);
  }
}

}  // namespace

Server::Server(ServerConfig config, std::shared_ptr<const http::RequestHandler> handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
}

Server::~Server() { stop(); }

void Server::start() {
  Impl& s = *impl_;
  if (s.started.exchange(true)) throw std::logic_error("Server::start() called twice");
  unsigned threads = s.config.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  s.stats = std::make_unique<http::Stats>(threads);
  if (!s.config.access_log.empty()) s.access_log = std::make_unique<AccessLog>(s.config.access_log);

  s.listeners.resize(s.config.listeners.size());
  for (std::size_t i = 0; i < s.config.listeners.size(); ++i) {
    const ListenerConfig& lc = s.config.listeners[i];
    ListenerState& ls = s.listeners[i];
    ls.index = i;
    ls.https_redirect = lc.https_redirect;
    if (lc.tls) ls.tls = makeServerTlsContext(*lc.tls);
  }
  for (unsigned i = 0; i < threads; ++i) {
    s.workers.push_back(std::make_unique<Worker>(s, i, s.stats->shard(i)));
  }
  // One acceptor per listener per worker on the same port (SO_REUSEPORT: the kernel spreads
  // connections over the threads). Port 0 is resolved by the first bind.
  for (std::size_t i = 0; i < s.listeners.size(); ++i) {
    const ListenerConfig& lc = s.config.listeners[i];
    std::uint16_t port = lc.port;
    for (auto& w : s.workers) {
      w->acceptors.push_back(bindAcceptor(w->ioc, lc.bind_address, port, true));
      if (port == 0) port = w->acceptors.back().local_endpoint().port();
    }
    s.listeners[i].port = port;
  }
  if (s.config.admin_port) {
    s.admin_acceptor.emplace(bindAcceptor(s.admin_ioc, s.config.admin_address, *s.config.admin_port, false));
    s.admin_port = s.admin_acceptor->local_endpoint().port();
    asio::co_spawn(s.admin_ioc, adminAcceptLoop(s), asio::detached);
    s.admin_thread = std::thread([&s] { s.admin_ioc.run(); });
  }
  for (auto& wp : s.workers) {
    Worker& w = *wp;
    for (std::size_t i = 0; i < s.listeners.size(); ++i) {
      asio::co_spawn(w.ioc, acceptLoop(w, w.acceptors[i], s.listeners[i]), asio::detached);
    }
    asio::co_spawn(w.ioc, sweepLoop(w), asio::detached);
    w.thread = std::thread([&w] {
      try {
        w.ioc.run();
      } catch (const std::exception& e) {
        spdlog::error("worker {} stopped by exception: {}", w.ctx.index(), e.what());
      }
      w.submitLog();            // the last partial access-log batch
      w.ctx.extension.reset();  // per-thread state dies on its thread
    });
  }
  s.ready = true;
  spdlog::info("claimgate listening: {} listener(s), {} worker thread(s), admin port {}",
               s.listeners.size(), threads, s.admin_port);
}

void Server::setHandler(std::shared_ptr<const http::RequestHandler> handler) {
  std::lock_guard lock(impl_->handler_mu);
  impl_->handler = std::move(handler);
  impl_->handler_generation.fetch_add(1, std::memory_order_release);
}

void Server::stop() { stop(impl_->config.limits.drain_timeout); }

void Server::stop(std::chrono::milliseconds drain) {
  Impl& s = *impl_;
  std::lock_guard lock(s.stop_mu);
  if (!s.started || s.stopped) return;
  s.draining = true;
  auto deadline = SteadyClock::now() + drain;
  for (auto& wp : s.workers) {
    Worker& w = *wp;
    asio::co_spawn(w.ioc, drainWorker(w, deadline), asio::detached);
  }
  for (auto& w : s.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  s.workers.clear();  // after the joins: frames of connections cut at the deadline die here
  if (s.admin_acceptor) {
    asio::post(s.admin_ioc, [&s] {
      beast::error_code ec;
      s.admin_acceptor->close(ec);
    });
    s.admin_ioc.stop();
    if (s.admin_thread.joinable()) s.admin_thread.join();
  }
  if (s.access_log) s.access_log->flush();
  s.ready = false;
  s.stopped = true;
}

void Server::runUntilSignal() {
  asio::io_context ioc(1);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  bool got = false;
  signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (!ec) {
      got = true;
      spdlog::info("signal {}: draining", sig);
    }
  });
  impl_->signals_armed = true;
  while (!got && !impl_->stopped.load()) ioc.run_for(std::chrono::milliseconds(100));
  impl_->signals_armed = false;
  stop();
}

bool Server::signalsArmed() const { return impl_->signals_armed.load(); }

std::uint16_t Server::listenerPort(std::size_t index) const { return impl_->listeners.at(index).port; }

std::uint16_t Server::adminPort() const { return impl_->admin_port; }

bool Server::ready() const { return impl_->ready.load() && !impl_->draining.load(); }

http::Stats& Server::stats() { return *impl_->stats; }

}  // namespace claimgate::net
