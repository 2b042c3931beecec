// RemoteJwks state machine. Threads: current()/onUnknownKid() run on request threads and only
// touch atomics; onFetched() and timers run on the fetcher's/clock's thread and take mu_ for
// the slow state (stats, backoff, timer generation). No lock is held while calling out to the
// fetcher or the clock, since a fake may call back inline.
#include "jwt/remote_jwks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace claimgate::jwt {
namespace {

std::string describe(Millis d) {
  auto ms = d.count();
  if (ms % 1000 != 0 || ms == 0) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

// Envoy's async fetcher refreshes `cache_duration - 5s` after a success; for short cache
// durations we refresh at half-life instead, so a refresh always happens before expiry.
Millis refreshDelay(Millis cache) {
  Millis lead = std::min<Millis>(Millis(5000), cache / 2);
  return std::max<Millis>(Millis(1), cache - lead);
}

}  // namespace

// ---------------------------------------------------------------------------------- URL

std::optional<JwksUrl> parseJwksUrl(std::string_view url, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<JwksUrl> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  JwksUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.https = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return fail("the URL must start with http:// or https://");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail("the URL contains a space or control character");
    }
  }
  if (rest.find('#') != std::string_view::npos) return fail("the URL has a fragment");
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.empty()) return fail("the URL has no host");
  if (authority.find('@') != std::string_view::npos) {
    return fail("the URL has user information (RFC 3986 §3.2.1), which is not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {  // IPv6 literal, RFC 3986 §3.2.2
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("the URL has an unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("the URL has garbage after the IPv6 literal");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return fail("the URL has no host");
  out.host = std::string(host);
  out.port = out.https ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      return fail("the URL has an invalid port \"" + std::string(port) + "\"");
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.authority = std::string(authority);
  out.target = target.empty() ? "/" : std::string(target);
  if (out.target.front() == '?') out.target.insert(0, "/");
  return out;
}

// ---------------------------------------------------------------------------------- RemoteJwks

std::shared_ptr<RemoteJwks> RemoteJwks::create(RemoteJwksOptions options,
                                               std::unique_ptr<JwksFetcher> fetcher,
                                               std::shared_ptr<Clock> clock) {
  return std::shared_ptr<RemoteJwks>(
      new RemoteJwks(std::move(options), std::move(fetcher), std::move(clock)));
}

RemoteJwks::RemoteJwks(RemoteJwksOptions options, std::unique_ptr<JwksFetcher> fetcher,
                       std::shared_ptr<Clock> clock)
    : options_(std::move(options)), fetcher_(std::move(fetcher)), clock_(std::move(clock)) {
  rng_.seed(options_.jitter_seed != 0 ? static_cast<uint32_t>(options_.jitter_seed)
                                      : std::random_device{}());
}

RemoteJwks::~RemoteJwks() = default;

KeySource::Keys RemoteJwks::current() const {
  std::shared_ptr<const Entry> e = entry_.load(std::memory_order_acquire);
  if (!e) {
    if (!options_.async_fetch) maybeFetch(clock_->now(), false);
    return Keys{nullptr, JwtStatus::kJwksFetchFail, in_flight_.load(std::memory_order_acquire)};
  }
  Millis now = clock_->now();
  if (now < e->expires_at) return Keys{e->jwks, JwtStatus::kOk};
  // Expired. Lazy mode refreshes on demand; meanwhile the last good set keeps serving
  // (stale-while-revalidate, then stale-if-error up to the stale window).
  if (!options_.async_fetch) maybeFetch(now, false);
  if (now < e->stale_until) return Keys{e->jwks, JwtStatus::kOk};
  return Keys{nullptr, JwtStatus::kJwksFetchFail, in_flight_.load(std::memory_order_acquire)};
}

uint64_t RemoteJwks::peekKeysetId() const {
  std::shared_ptr<const Entry> e = entry_.load(std::memory_order_acquire);
  return e && e->jwks ? e->jwks->id() : 0;
}

void RemoteJwks::start() {
  if (!options_.async_fetch || !fetcher_) return;
  if (started_.exchange(true)) return;
  maybeFetch(clock_->now(), true);
}

bool RemoteJwks::waitFirst(Millis timeout) const {
  if (options_.async_fetch && fetcher_) {
    std::unique_lock lock(mu_);
    first_cv_.wait_for(lock, timeout, [&] { return first_done_; });
  }
  return entry_.load() != nullptr;
}

void RemoteJwks::onUnknownKid() const {
  if (!fetcher_ || !entry_.load(std::memory_order_acquire)) return;  // no set: current() fetches
  Millis now = clock_->now();
  int64_t allowed = next_kid_refetch_ms_.load(std::memory_order_relaxed);
  if (now.count() < allowed) return;
  if (now.count() < retry_not_before_ms_.load(std::memory_order_acquire)) return;
  if (in_flight_.load(std::memory_order_acquire)) return;
  // One winner per interval among concurrent callers.
  if (!next_kid_refetch_ms_.compare_exchange_strong(
          allowed, (now + options_.unknown_kid_interval).count(), std::memory_order_acq_rel)) {
    return;
  }
  unknown_kid_refetches_.fetch_add(1, std::memory_order_relaxed);
  maybeFetch(now, false);
}

void RemoteJwks::maybeFetch(Millis now, bool force) const {
  if (!fetcher_) return;
  if (!force && now.count() < retry_not_before_ms_.load(std::memory_order_acquire)) return;
  if (in_flight_.exchange(true, std::memory_order_acq_rel)) return;  // single flight
  std::weak_ptr<const RemoteJwks> weak = weak_from_this();
  fetcher_->fetch([weak](FetchResult r) {
    if (auto self = std::const_pointer_cast<RemoteJwks>(weak.lock())) self->onFetched(std::move(r));
  });
}

void RemoteJwks::onFetched(FetchResult result) {
  Millis now = clock_->now();
  std::shared_ptr<const Jwks> jwks;
  std::string error;
  if (!result.ok) {
    error = result.error.empty() ? "fetch failed" : std::move(result.error);
  } else {
    JwtStatus status = JwtStatus::kOk;
    std::string detail;
    jwks = Jwks::fromJwksJson(result.body, &status, &detail);
    if (!jwks) {
      error = "the response is not a usable JWKS: " + std::string(statusText(status));
      if (!detail.empty()) error += " (" + detail + ")";
    } else if (!detail.empty()) {
      spdlog::warn("remote JWKS {}: some keys were skipped: {}", options_.name, detail);
    }
  }

  Millis next{0};
  if (jwks) {
    auto entry = std::make_shared<const Entry>(
        Entry{jwks, now + options_.cache_duration,
              now + options_.cache_duration + options_.stale_window});
    entry_.store(std::move(entry), std::memory_order_release);
    retry_not_before_ms_.store(0, std::memory_order_release);
    {
      std::lock_guard lock(mu_);
      ++stats_.fetches_ok;
      stats_.consecutive_failures = 0;
      stats_.last_success_unix = clock_->unixSeconds();
      stats_.keys = jwks->keys().size();
      first_done_ = true;
    }
    spdlog::debug("remote JWKS {}: fetched {} key(s)", options_.name, jwks->keys().size());
    next = refreshDelay(options_.cache_duration);
  } else {
    std::shared_ptr<const Entry> e = entry_.load(std::memory_order_acquire);
    uint32_t failures;
    {
      std::lock_guard lock(mu_);
      ++stats_.fetches_failed;
      failures = ++stats_.consecutive_failures;
      stats_.last_error = error;
      double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      next = backoffDelay(options_.backoff_base, options_.backoff_cap, failures, jitter);
      first_done_ = true;
    }
    retry_not_before_ms_.store((now + next).count(), std::memory_order_release);
    std::string serving;
    if (!e) {
      serving = "no key set yet: requests get 401 \"Jwks remote fetch is failed\"";
    } else if (now < e->expires_at) {
      serving = "the current key set is still fresh";
    } else if (now < e->stale_until) {
      serving = "serving the last good key set (stale for " + describe(now - e->expires_at) +
                ", at most " + describe(options_.stale_window) + ")";
    } else {
      serving = "the last good key set is past its stale window: requests get 401";
    }
    spdlog::warn("remote JWKS {}: fetch failed ({}): {}; {} attempt in {}", options_.name, error,
                 serving, options_.async_fetch ? "next" : "no request-triggered",
                 describe(next));
  }
  first_cv_.notify_all();
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mu_);
    waiters.swap(waiters_);
    // Cleared last (under mu_, so awaitFetch cannot register after the swap and miss its
    // wake-up), so a trigger that sees it false also sees the new entry and backoff.
    in_flight_.store(false, std::memory_order_release);
  }
  for (auto& w : waiters) w();
  if (options_.async_fetch) schedule(next);
}

bool RemoteJwks::awaitFetch(std::function<void()> resume) const {
  std::lock_guard lock(mu_);
  if (!in_flight_.load(std::memory_order_acquire)) return false;
  waiters_.push_back(std::move(resume));
  return true;
}

void RemoteJwks::schedule(Millis delay) {
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = ++timer_generation_;
  }
  std::weak_ptr<RemoteJwks> weak = weak_from_this();
  clock_->runAfter(delay, [weak, generation] {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard lock(self->mu_);
      if (generation != self->timer_generation_) return;  // superseded by a later schedule
    }
    self->maybeFetch(self->clock_->now(), true);
  });
}

RemoteJwksStats RemoteJwks::stats() const {
  RemoteJwksStats s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
  }
  s.unknown_kid_refetches = unknown_kid_refetches_.load(std::memory_order_relaxed);
  std::shared_ptr<const Entry> e = entry_.load(std::memory_order_acquire);
  Millis now = clock_->now();
  s.has_keys = e && now < e->stale_until;
  s.stale_active = e && now >= e->expires_at && now < e->stale_until;
  if (!s.has_keys) s.keys = 0;
  return s;
}

Millis RemoteJwks::backoffDelay(Millis base, Millis cap, uint32_t failures, double jitter01) {
  if (base <= Millis(0)) base = Millis(1000);
  if (cap < base) cap = base;
  Millis d = base;
  for (uint32_t i = 1; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  jitter01 = std::clamp(jitter01, 0.0, 1.0);
  return d + Millis(static_cast<int64_t>(static_cast<double>(d.count()) / 4.0 * jitter01));
}

Millis SystemClock::now() const {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
}

int64_t SystemClock::unixSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace claimgate::jwt
