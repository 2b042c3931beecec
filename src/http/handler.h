// The seam between the network layer (net/, which owns sockets, parsing and forwarding) and the
// request logic (routing + JWT + policy, implemented elsewhere): for every request head the
// server calls RequestHandler::handle() and either writes the LocalReply it returns or forwards
// the request as the ForwardPlan says. No Asio/Beast here.
//
// Lifetimes: RequestHead views live during handle() only. Everything a Decision points to must
// stay valid until the request is finished: either owned by the handler itself (the server keeps
// the handler alive, via its shared_ptr, while a request it decided is in flight — snapshot data
// such as UpstreamTarget, route names and fixed texts) or allocated in the per-connection Arena
// passed to handle() (per-request strings such as a www-authenticate realm or claim values).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "http/arena.h"
#include "http/local_reply.h"
#include "http/request.h"
#include "http/stats.h"

namespace claimgate::http {

// Where a request is forwarded. Built once (config time), long-lived, shared by threads.
struct UpstreamTarget {
  std::string host;  // DNS name or IP literal (IPv6 without brackets)
  std::uint16_t port = 80;
  bool tls = false;                   // originate TLS (1.2+) to the upstream
  std::string sni;                    // TLS server name; empty = host (unless host is an IP)
  std::string ca_file;                // PEM CA bundle; empty = OpenSSL's default store
  bool insecure_skip_verify = false;  // do not verify the upstream certificate at all
  std::chrono::milliseconds connect_timeout{5000};
  // Identity of the connection pool: targets with equal keys share idle connections (per
  // thread), also across handler swaps. Set it with finalize() once the fields are filled.
  std::string key;

  void finalize();  // key = every field above that affects the connection
};

struct ForwardPlan {
  const UpstreamTarget* upstream = nullptr;  // non-null
  std::string_view target;  // new request-target (path?query); empty = as sent
  std::string_view host;    // new Host value; empty = as sent
  // Field names removed before forwarding: every occurrence, case-insensitive. Hop-by-hop
  // fields (RFC 9110 §7.6.1) are always removed and need not be listed.
  std::span<const std::string_view> remove_headers;
  // Fields appended after removals (to replace a field, list it in remove_headers and here).
  std::span<const HeaderView> add_headers;
  // From the start of forwarding until the complete upstream response head has arrived, and
  // then again for each body read (Envoy's route timeout defaults to 15 s). 0 = no limit.
  std::chrono::milliseconds timeout{15000};
};

// What the access log says about the decision (views owned by the handler or the arena).
struct LogFields {
  std::string_view route, policy, provider, decision, reason;
};

// A decision that cannot be made yet because something it needs is being fetched (the first
// key set of a remote JWKS). The server suspends the request, calls `subscribe` with a callback
// that resumes it (called at most once, from any thread), and when resumed — or after at most
// its header timeout, or at once when `subscribe` returns false — calls handle() again with
// RequestHead::may_wait false. A handler never answers Wait to a request that may not wait.
struct Wait {
  std::function<bool(std::function<void()> resume)> subscribe;
};

struct Decision {
  std::variant<LocalReply, ForwardPlan, Wait> action;
  LogFields log;

  static Decision reply(const LocalReply& r, const LogFields& log = {}) { return {r, log}; }
  static Decision forward(const ForwardPlan& p, const LogFields& log = {}) { return {p, log}; }
  static Decision wait(Wait w) { return {std::move(w), {}}; }
};

// Base for per-thread state the integrator hangs on a WorkerContext (e.g. a verified-token
// cache). Destroyed on the worker thread when the server stops.
class WorkerExtension {
 public:
  virtual ~WorkerExtension() = default;
};

// One per worker thread; only that thread touches it, so nothing in it needs a lock.
class WorkerContext {
 public:
  WorkerContext(unsigned index, StatsShard& stats) : index_(index), stats_(stats) {}
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  unsigned index() const { return index_; }
  // This worker's counter shard: stats().inc("name", {{"label", "value"}}).
  StatsShard& stats() { return stats_; }

  // Integrator slot, created lazily by the handler on first use and kept across requests and
  // handler swaps (key caches by snapshot if that matters).
  std::unique_ptr<WorkerExtension> extension;

 private:
  unsigned index_;
  StatsShard& stats_;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Decides one request. Called on the worker thread owning the connection; must not block,
  // throw or take locks (const: one handler serves all threads).
  virtual Decision handle(const RequestHead& request, WorkerContext& worker, Arena& arena) const = 0;
};

}  // namespace claimgate::http
