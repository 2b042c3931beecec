// Internal to net/: the per-thread state of the server (includes Asio/Beast; never include it
// from a public header). Everything here is touched by its own worker thread only, except where
// a comment says otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/handler.h"
#include "net/access_log.h"
#include "net/any_stream.h"
#include "net/server.h"

namespace claimgate::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

using SteadyClock = std::chrono::steady_clock;

// A listener as the sessions see it (shared, immutable after start()).
struct ListenerState {
  std::size_t index = 0;
  std::uint16_t port = 0;
  bool https_redirect = false;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
};

// The handler as a worker holds it: swapped by generation, so the hot path reads one atomic.
// Sessions hold a reference (shared_ptr to this worker-local holder, whose count only this
// thread touches) while a request it decided is in flight.
struct HandlerHolder {
  std::shared_ptr<const http::RequestHandler> handler;
};

// A live downstream connection, linked into its worker's list so stop() can find idle ones.
struct SessionNode {
  SessionNode* prev = nullptr;
  SessionNode* next = nullptr;
  bool idle = false;              // waiting for the next request (keep-alive), nothing buffered
  bool parked = false;            // idle on plain TCP without a deadline: the sweep times it out
  std::chrono::steady_clock::time_point idle_since{};
  beast::tcp_stream* tcp = nullptr;  // lowest layer, for cancel()
};

// The allocator of read buffers: a request up to the pool's block size gets one of the
// worker's pooled blocks (a connection going idle gives its buffer back and the next busy one
// takes it without a malloc); a larger one goes to the heap.
template <class T>
struct PooledAllocator {
  using value_type = T;
  http::BlockPool* pool;
  explicit PooledAllocator(http::BlockPool& p) : pool(&p) {}
  template <class U>
  PooledAllocator(const PooledAllocator<U>& o) : pool(o.pool) {}  // NOLINT: rebind
  T* allocate(std::size_t n) {
    if (n * sizeof(T) <= pool->blockSize()) return reinterpret_cast<T*>(pool->get().release());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) <= pool->blockSize()) {
      pool->put(std::unique_ptr<char[]>(reinterpret_cast<char*>(p)));
    } else {
      ::operator delete(p);
    }
  }
  template <class U>
  bool operator==(const PooledAllocator<U>& o) const { return pool == o.pool; }
  template <class U>
  bool operator!=(const PooledAllocator<U>& o) const { return pool != o.pool; }
};
using ReadBuffer = beast::basic_flat_buffer<PooledAllocator<char>>;

// One upstream connection (plain or TLS), pooled per thread by UpstreamTarget::key.
struct UpstreamConn {
  explicit UpstreamConn(http::BlockPool& blocks) : buffer(PooledAllocator<char>(blocks)) {}
  std::string key;
  bool tls = false;
  bool reused = false;  // taken from the pool (a stale keep-alive may fail: retry rules apply)
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::shared_ptr<asio::ssl::context> ctx;  // keeps the SSL_CTX alive
  std::unique_ptr<AnyStream::Ops> ops;       // over plain or secure
  std::optional<AnyStream> stream;           // what the session reads and writes
  ReadBuffer buffer;                         // bytes read from the upstream, not yet parsed
  SteadyClock::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class UpstreamPool {
 public:
  // The most recently used idle connection for `key` that is still open and has nothing
  // unread (a non-blocking peek; see worker.cc), or null.
  std::unique_ptr<UpstreamConn> take(std::string_view key, SteadyClock::time_point now,
                                     std::chrono::milliseconds idle_timeout);
  // Keeps `conn` for reuse (or closes it when the pool for its key is full).
  void put(std::unique_ptr<UpstreamConn> conn, SteadyClock::time_point now, std::size_t max_idle);
  // Closes connections idle longer than idle_timeout (all of them when idle_timeout is 0).
  void sweep(SteadyClock::time_point now, std::chrono::milliseconds idle_timeout);
  std::size_t idleCount() const;

 private:
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>, StringHash,
                     std::equal_to<>>
      idle_;
};

// Per-thread async DNS cache: host:port → endpoints, for dns_ttl.
class DnsCache {
 public:
  struct Entry {
    std::vector<tcp::endpoint> endpoints;
    SteadyClock::time_point expires;
  };
  const Entry* find(std::string_view key, SteadyClock::time_point now) const;
  void store(std::string key, std::vector<tcp::endpoint> endpoints, SteadyClock::time_point expires);

 private:
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries_;
};

// Lets other threads (a JWKS fetch completing) post work to a worker's io_context for as long
// as the worker exists: close() (from ~Worker) turns later posts into no-ops. A mutex, because
// it is used only off the hot path (requests waiting for a fetch).
class PostGate {
 public:
  explicit PostGate(asio::io_context& ioc) : ioc_(&ioc) {}
  template <class F>
  void post(F&& f) {
    std::lock_guard lock(mu_);
    if (ioc_) asio::post(*ioc_, std::forward<F>(f));
  }
  void close() {
    std::lock_guard lock(mu_);
    ioc_ = nullptr;
  }

 private:
  std::mutex mu_;
  asio::io_context* ioc_;
};

class ServerCore;  // the parts of Server::Impl the workers need

struct Worker {
  Worker(ServerCore& core, unsigned index, http::StatsShard& stats)
      : core(core), ctx(index, stats), ioc(1), resolver(ioc), sweep_timer(ioc), log_timer(ioc),
        post_gate(std::make_shared<PostGate>(ioc)) {
    sessions.next = sessions.prev = &sessions;
  }
  ~Worker();

  ServerCore& core;
  // Declared before ioc, so they outlive the coroutine frames the io_context destroys.
  SessionNode sessions;  // list head (sentinel); sessions.next == &sessions when empty
  // Spare 16 KiB blocks (connection arenas, relay buffers) handed between this thread's
  // connections as they go idle and busy. Declared after `sessions` and before `ioc`: session
  // frames destroyed by the io_context give their blocks back to a live pool.
  http::BlockPool blocks{16 * 1024};
  std::atomic<std::size_t> session_count{0};  // written by the worker, read by the admin scrape
  http::WorkerContext ctx;
  // Run by this worker's thread only (other threads may post to it): concurrency hint 1 lets
  // Asio queue this thread's own posts (two per proxied request, session.cc) on a private queue,
  // without the scheduler's lock, and skip looking for other threads to wake.
  asio::io_context ioc{1};
  tcp::resolver resolver;
  std::vector<tcp::acceptor> acceptors;  // parallel to ServerCore::listeners
  asio::steady_timer sweep_timer;        // pool sweeps
  asio::steady_timer log_timer;          // hands a partial access-log batch over after a delay
  std::shared_ptr<PostGate> post_gate;   // for other threads' wake-ups (Decision::Wait)
  UpstreamPool pool;
  DnsCache dns;
  // Client TLS contexts by (ca_file, verify) — loading a CA bundle is config-time work.
  std::unordered_map<std::string, std::shared_ptr<asio::ssl::context>, StringHash, std::equal_to<>>
      client_tls;
  std::uint64_t handler_generation = 0;
  std::shared_ptr<HandlerHolder> handler;
  bool draining = false;
  std::thread thread;
  AccessLogFormatter log_formatter;  // per-thread JSON line buffer
  std::string log_batch;             // lines not yet handed to the AccessLog writer
  bool log_timer_armed = false;

  // Appends one access-log line to this worker's batch; the batch goes to the writer when full
  // or AccessLog::kBatchDelay after its first line. No-op without an access log.
  void appendLog(std::string_view line);
  void submitLog();  // hands the batch over now (also when the worker stops)

  // The current handler (refreshes the holder when Server::setHandler() bumped the generation).
  const std::shared_ptr<HandlerHolder>& currentHandler();
  // IMF-fixdate of now, cached per second (RFC 9110 §5.6.7).
  std::string_view httpDate();

  void link(SessionNode& n);
  void unlink(SessionNode& n);

 private:
  std::time_t date_second_ = 0;
  char date_[40] = {};
  std::size_t date_len_ = 0;
};

// Shared by all workers; set up before the threads start, read-only afterwards except where noted.
class ServerCore {
 public:
  ServerConfig config;
  std::vector<ListenerState> listeners;
  std::unique_ptr<AccessLog> access_log;  // null when off
  std::unique_ptr<http::Stats> stats;

  // Handler swap: setHandler() stores under the mutex and bumps the generation; workers compare
  // the generation (one atomic load per request) and copy under the mutex only when it moved.
  std::mutex handler_mu;
  std::shared_ptr<const http::RequestHandler> handler;
  std::atomic<std::uint64_t> handler_generation{1};
};

// Session entry points (session.cc).
asio::awaitable<void> runPlainSession(Worker& w, const ListenerState& l, tcp::socket socket);
asio::awaitable<void> runTlsSession(Worker& w, const ListenerState& l, tcp::socket socket);

// Upstream connection establishment (upstream.cc): resolve (cached), connect, TLS handshake.
enum class ConnectError { kNone, kResolve, kConnect, kTimeout, kTls };
asio::awaitable<std::unique_ptr<UpstreamConn>> connectUpstream(Worker& w,
                                                               const http::UpstreamTarget& t,
                                                               ConnectError& error);

}  // namespace claimgate::net::detail
