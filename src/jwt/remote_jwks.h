// RemoteJwks: the key set of a provider with a remote JWKS (Gloo `remote.url`), kept fresh by a
// fetch/refresh state machine. No sockets here: fetching goes through the JwksFetcher seam
// (net/jwks_client.h implements it) and time through the Clock seam, so tests drive both.
// Behaviour and the choices behind it: docs/remote-jwks.md.
//
//   auto keys = RemoteJwks::create(options, fetcher, clock);
//   keys->start();                       // async mode: first fetch now, refreshed in background
//   keys->waitFirst(5s);                 // serve command: before opening listeners
//   Keys k = keys->current();            // request path: lock-free
//   if (verify says kJwksKidAlgMismatch) keys->onUnknownKid();   // the Authenticator does it
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "jwt/authenticator.h"
#include "jwt/jwks.h"

namespace claimgate::jwt {

using Millis = std::chrono::milliseconds;

// ---------------------------------------------------------------------------------- seams

// The outcome of one JWKS GET. `ok` means a 200 response with a body within the size limit;
// whether the body is a usable JWKS is decided by RemoteJwks (so every fetcher agrees).
struct FetchResult {
  bool ok = false;
  int http_status = 0;  // 0 when no response was read
  std::string body;     // only when ok
  std::string error;    // human-readable reason when !ok ("connect: Connection refused", ...)
};

class JwksFetcher {
 public:
  using Callback = std::function<void(FetchResult)>;
  virtual ~JwksFetcher() = default;
  // Starts one GET and calls `done` exactly once, from any thread (possibly before fetch()
  // returns). Never throws; failures are reported through `done`.
  virtual void fetch(Callback done) = 0;
};

// Monotonic time plus one-shot timers. The real one (net/jwks_client.h) runs timers on the JWKS
// client thread; tests use a fake that only moves when told.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now() const = 0;              // monotonic, arbitrary epoch
  virtual int64_t unixSeconds() const = 0;     // wall clock, for stats only
  // Calls `fn` once, about `delay` from now, from any thread. Timers cannot be cancelled: the
  // state machine ignores timers it no longer wants (generation counter).
  virtual void runAfter(Millis delay, std::function<void()> fn) = 0;
};

// The real time sources (steady and system clocks); subclasses only say how to run timers.
class SystemClock : public Clock {
 public:
  Millis now() const override;
  int64_t unixSeconds() const override;
};

// ---------------------------------------------------------------------------------- URL

// A JWKS URL split for the GET (RFC 3986 §3): only http and https, no userinfo, no fragment.
struct JwksUrl {
  bool https = false;
  std::string host;       // without brackets for IPv6 literals
  uint16_t port = 0;      // explicit or the scheme default
  std::string authority;  // the Host header: host[:port] as written in the URL
  std::string target;     // path + query, "/" when the URL has no path
};
// nullopt with *why set when the URL is unusable.
std::optional<JwksUrl> parseJwksUrl(std::string_view url, std::string* why);

// Where and how to GET a JWKS: what a JwksFetcher factory gets (built by snapshot/ from the
// provider's `remote` block and its resolved destinationRef).
struct JwksRequest {
  std::string url;  // as configured (logs)
  JwksUrl parsed;   // Host header and request target
  struct Endpoint {
    std::string host;  // DNS name or IP literal
    uint16_t port = 0;
  };
  std::vector<Endpoint> endpoints;  // tried in order, never empty
  bool tls = false;
  std::string sni;      // SNI and the name the certificate must match (IP literal: IP SAN)
  std::string ca_file;  // PEM bundle; empty = OpenSSL default paths (honours SSL_CERT_FILE)
  bool insecure_skip_verify = false;
  Millis timeout{5000};                  // the whole fetch: resolve, connect, TLS, request, body
  size_t max_body_bytes = 1024 * 1024;   // bigger responses fail the fetch
};

// ---------------------------------------------------------------------------------- state machine

struct RemoteJwksOptions {
  std::string name;                      // the URL, for logs and stats
  Millis cache_duration{std::chrono::minutes(5)};
  bool async_fetch = false;              // Gloo enableAsyncFetch
  Millis backoff_base{1000};             // failedRefetchDuration, else 1 s
  Millis backoff_cap{std::chrono::minutes(5)};
  Millis stale_window{std::chrono::hours(24)};  // how long past expiry the last good set serves
  Millis unknown_kid_interval{30000};    // at most one unknown-kid refetch per interval
  uint64_t jitter_seed = 0;              // 0: random
};

struct RemoteJwksStats {
  uint64_t fetches_ok = 0;
  uint64_t fetches_failed = 0;
  uint64_t unknown_kid_refetches = 0;    // refetches triggered by onUnknownKid()
  int64_t last_success_unix = 0;         // 0: never
  uint32_t consecutive_failures = 0;
  size_t keys = 0;                       // keys in the current set (0: none)
  bool has_keys = false;                 // a key set is being served (fresh or stale)
  bool stale_active = false;             // serving a key set past its cacheDuration
  std::string last_error;                // reason of the last failed fetch ("" if none yet)
};

class RemoteJwks final : public KeySource, public std::enable_shared_from_this<RemoteJwks> {
 public:
  // `fetcher` may be null (no network, e.g. `claimgate validate`): the source then never
  // fetches and always answers kJwksFetchFail. `clock` must not be null.
  static std::shared_ptr<RemoteJwks> create(RemoteJwksOptions options,
                                            std::unique_ptr<JwksFetcher> fetcher,
                                            std::shared_ptr<Clock> clock);
  ~RemoteJwks() override;

  // The key set to verify with. Lock-free: one atomic load and a clock read. Answers
  // kJwksFetchFail when no key set was ever fetched, or the last one is past its stale window.
  // Lazy mode (async_fetch false): a call that finds no set or an expired one starts the one
  // shared fetch (unless one is running or the failure backoff is on) and does not wait for it.
  Keys current() const override;
  // The id of the last fetched set (even past its expiry; current() decides), 0 before any.
  uint64_t peekKeysetId() const override;

  // Async mode: starts the first fetch (idempotent). Lazy mode: nothing.
  void start();
  // Blocks (real time) until the first fetch finished, successfully or not, or `timeout`
  // passed. True when a key set is available. Lazy mode: returns at once.
  bool waitFirst(Millis timeout) const;

  // A token's kid/alg matched no key of the current set: refetch once, at most once per
  // unknown_kid_interval, never while a fetch runs or the failure backoff is on. Thread-safe,
  // lock-free (atomics only; the fetch itself is started on the caller's thread).
  void onUnknownKid() const;
  void onKidAlgMismatch() const override { onUnknownKid(); }  // the Authenticator's hook

  // For a request path that can suspend: when a fetch is running, registers `resume` to be
  // called once it finished (success or failure; from the fetcher's thread, so post back to
  // your own executor) and returns true; returns false (and drops `resume`) when no fetch is
  // running. Call after current() answered kJwksFetchFail with `fetching` (lazy mode starts the
  // fetch in current()). Takes a mutex: not for the hot path.
  bool awaitFetch(std::function<void()> resume) const override;

  RemoteJwksStats stats() const;  // takes a mutex: admin path only
  const RemoteJwksOptions& options() const { return options_; }

  // The delay before retry number `failures` (>= 1): d = min(cap, base * 2^(failures-1)), then
  // d plus a uniform jitter of up to d/4. Exposed for tests and docs.
  static Millis backoffDelay(Millis base, Millis cap, uint32_t failures, double jitter01);

 private:
  struct Entry {
    std::shared_ptr<const Jwks> jwks;
    Millis expires_at;
    Millis stale_until;
  };

  RemoteJwks(RemoteJwksOptions options, std::unique_ptr<JwksFetcher> fetcher,
             std::shared_ptr<Clock> clock);
  // Starts a fetch unless one runs, or (unless `force`) the backoff is on. Request-path safe.
  void maybeFetch(Millis now, bool force) const;
  void onFetched(FetchResult result);
  void schedule(Millis delay);  // async mode: replaces any pending timer

  const RemoteJwksOptions options_;
  const std::unique_ptr<JwksFetcher> fetcher_;
  const std::shared_ptr<Clock> clock_;

  // Request path.
  std::atomic<std::shared_ptr<const Entry>> entry_;
  mutable std::atomic<bool> in_flight_{false};
  mutable std::atomic<int64_t> retry_not_before_ms_{0};
  mutable std::atomic<int64_t> next_kid_refetch_ms_{0};
  mutable std::atomic<uint64_t> unknown_kid_refetches_{0};
  std::atomic<bool> started_{false};

  // Fetch completion and timers (never the request path).
  mutable std::mutex mu_;
  mutable std::condition_variable first_cv_;
  bool first_done_ = false;
  mutable std::vector<std::function<void()>> waiters_;
  uint64_t timer_generation_ = 0;
  std::minstd_rand rng_;
  RemoteJwksStats stats_;
};

}  // namespace claimgate::jwt
