// RemoteKeySource: Gloo `remote` block → jwt::JwksRequest + jwt::RemoteJwksOptions, and the
// process-wide registry that shares one jwt::RemoteJwks per distinct remote configuration.
// Everything here runs at config time (or on the admin path) and may take the registry mutex.
#include "snapshot/remote_key_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace claimgate::snapshot {
namespace {

// Time without timers, for sources that never fetch.
class IdleClock final : public jwt::SystemClock {
 public:
  void runAfter(jwt::Millis, std::function<void()>) override {}
};

struct Registry {
  std::mutex mu;
  JwksFetcherFactory factory;
  std::shared_ptr<jwt::Clock> clock = std::make_shared<IdleClock>();
  RemoteJwksRuntimeOptions options;
  uint64_t generation = 0;  // a new runtime never reuses key sets of the previous one
  std::map<std::string, std::weak_ptr<jwt::RemoteJwks>> live;

  std::vector<std::shared_ptr<jwt::RemoteJwks>> alive() {
    std::vector<std::shared_ptr<jwt::RemoteJwks>> out;
    std::lock_guard lock(mu);
    for (auto it = live.begin(); it != live.end();) {
      if (auto p = it->second.lock()) {
        out.push_back(std::move(p));
        ++it;
      } else {
        it = live.erase(it);
      }
    }
    return out;
  }
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: sources may outlive static teardown
  return *r;
}

jwt::Millis positiveOr(jwt::Millis value, jwt::Millis fallback) {
  return value > jwt::Millis(0) ? value : fallback;
}

}  // namespace

void installRemoteJwksRuntime(JwksFetcherFactory factory, std::shared_ptr<jwt::Clock> clock,
                              RemoteJwksRuntimeOptions options) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.factory = std::move(factory);
  r.clock = clock ? std::move(clock) : std::make_shared<IdleClock>();
  r.options = options;
  ++r.generation;
  r.live.clear();
}

RemoteKeySource::RemoteKeySource(config::RemoteJwks remote,
                                 std::optional<router::ResolvedDestination> dest)
    : remote_(std::move(remote)), destination_(std::move(dest)) {
  std::string why;
  auto url = jwt::parseJwksUrl(remote_.url, &why);
  if (!url) {
    unsupported_reason_ = fmt::format("url \"{}\" is not usable: {}: requests on this policy's "
                                      "routes get 401 \"Jwks remote fetch is failed\"",
                                      remote_.url, why);
    return;
  }
  if (!destination_ || destination_->endpoints.empty()) {
    unsupported_reason_ = "destinationRef did not resolve to an endpoint: requests on this "
                          "policy's routes get 401 \"Jwks remote fetch is failed\"";
    return;
  }

  Registry& reg = registry();
  std::lock_guard lock(reg.mu);

  jwt::JwksRequest req;
  req.url = remote_.url;
  req.parsed = *url;
  for (const auto& ep : destination_->endpoints) req.endpoints.push_back({ep.host, ep.port});
  // TLS when the destination originates it or the URL says https: keys are never fetched in
  // clear text from an https:// URL.
  req.tls = destination_->tls || url->https;
  const auto& ctls = destination_->clientside_tls;
  req.sni = ctls && !ctls->sni.empty() ? ctls->sni : url->host;
  if (ctls) {
    req.ca_file = ctls->ca_certificates;
    req.insecure_skip_verify = ctls->insecure_skip_verify;
  }
  req.timeout = positiveOr(remote_.timeout, std::chrono::seconds(5));
  req.max_body_bytes = reg.options.max_body_bytes;

  jwt::RemoteJwksOptions opts;
  opts.name = remote_.url;
  // Envoy allows 1 ms; below 1 s a refresh loop would hammer the IdP.
  opts.cache_duration = std::max<jwt::Millis>(remote_.cache_duration > jwt::Millis(0)
                                                  ? remote_.cache_duration
                                                  : std::chrono::minutes(5),
                                              std::chrono::seconds(1));
  opts.async_fetch = remote_.enable_async_fetch;
  opts.backoff_base = std::chrono::seconds(1);
  opts.backoff_cap = reg.options.backoff_cap;
  if (remote_.retry_policy && remote_.retry_policy->base_interval) {
    opts.backoff_base = positiveOr(*remote_.retry_policy->base_interval, opts.backoff_base);
  }
  if (remote_.failed_refetch_duration) {
    opts.backoff_base = positiveOr(*remote_.failed_refetch_duration, opts.backoff_base);
  }
  if (remote_.retry_policy && remote_.retry_policy->max_interval) {
    opts.backoff_cap = positiveOr(*remote_.retry_policy->max_interval, opts.backoff_cap);
  }
  opts.backoff_cap = std::max(opts.backoff_cap, opts.backoff_base);
  opts.stale_window = reg.options.stale_window;

  std::string endpoints;
  for (const auto& ep : req.endpoints) endpoints += fmt::format("{}:{},", ep.host, ep.port);
  std::string key = fmt::format(
      "{}|{}|{}|tls={}|sni={}|ca={}|insecure={}|timeout={}|cache={}|async={}|base={}|cap={}|"
      "stale={}|max={}",
      reg.generation, req.url, endpoints, req.tls, req.sni, req.ca_file, req.insecure_skip_verify,
      req.timeout.count(), opts.cache_duration.count(), opts.async_fetch,
      opts.backoff_base.count(), opts.backoff_cap.count(), opts.stale_window.count(),
      req.max_body_bytes);
  request_ = req;
  if (auto it = reg.live.find(key); it != reg.live.end()) keys_ = it->second.lock();
  if (!keys_) {
    std::unique_ptr<jwt::JwksFetcher> fetcher = reg.factory ? reg.factory(req) : nullptr;
    keys_ = jwt::RemoteJwks::create(std::move(opts), std::move(fetcher), reg.clock);
    reg.live[key] = keys_;
  }
}

jwt::KeySource::Keys RemoteKeySource::current() const {
  if (!keys_) return Keys{nullptr, JwtStatus::kJwksFetchFail};
  return keys_->current();
}

bool RemoteKeySource::awaitFetch(std::function<void()> resume) const {
  return keys_ && keys_->awaitFetch(std::move(resume));
}

void RemoteKeySource::onUnknownKid() const {
  if (keys_) keys_->onUnknownKid();
}

void RemoteKeySource::start() {
  if (keys_) keys_->start();
}

bool RemoteKeySource::waitFirst(jwt::Millis timeout) const {
  return keys_ && keys_->waitFirst(timeout);
}

std::optional<jwt::RemoteJwksStats> RemoteKeySource::stats() const {
  if (!keys_) return std::nullopt;
  return keys_->stats();
}

std::vector<RemoteJwksInfo> remoteJwksStats() {
  std::vector<RemoteJwksInfo> out;
  for (const auto& k : registry().alive()) {
    out.push_back(RemoteJwksInfo{k->options().name, k->options().async_fetch, k->stats()});
  }
  return out;
}

void startRemoteJwks() {
  for (const auto& k : registry().alive()) k->start();
}

bool waitRemoteJwks(jwt::Millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all = true;
  for (const auto& k : registry().alive()) {
    if (!k->options().async_fetch) continue;
    auto left = std::chrono::duration_cast<jwt::Millis>(deadline -
                                                        std::chrono::steady_clock::now());
    if (!k->waitFirst(std::max(left, jwt::Millis(0)))) all = false;
  }
  return all;
}

}  // namespace claimgate::snapshot
