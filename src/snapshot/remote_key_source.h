// RemoteKeySource: the key set of a provider with `remote` JWKS (url + destinationRef), built by
// the snapshot compiler. It maps the Gloo config onto a jwt::RemoteJwks (the fetch/refresh state
// machine) that is shared, process-wide, by every provider with the same remote settings and
// kept across reloads while some snapshot still uses it — a reload during an IdP outage keeps
// the last good keys. Behaviour: docs/remote-jwks.md.
//
// The network side is installed once per process before any snapshot is compiled:
//   net::JwksClient client;
//   snapshot::installRemoteJwksRuntime(
//       [&client](const jwt::JwksRequest& r) { return client.makeFetcher(r); }, client.clock());
//   ... compile the snapshot ...
//   snapshot::startRemoteJwks();                 // enableAsyncFetch providers fetch now
//   snapshot::waitRemoteJwks(std::chrono::seconds(10));  // before opening the listeners
// Without a runtime (`claimgate validate`, unit tests) remote providers never fetch and answer
// kJwksFetchFail.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/resources.h"
#include "jwt/authenticator.h"
#include "jwt/remote_jwks.h"
#include "router/destination.h"

namespace claimgate::snapshot {

using JwksFetcherFactory =
    std::function<std::unique_ptr<jwt::JwksFetcher>(const jwt::JwksRequest&)>;

struct RemoteJwksRuntimeOptions {
  jwt::Millis stale_window{std::chrono::hours(24)};  // serve the last good set this long past expiry
  jwt::Millis backoff_cap{std::chrono::minutes(5)};  // unless retryPolicy.backoff.maxInterval
  size_t max_body_bytes = 1024 * 1024;
};

// Installs (or, with a null factory, removes) the process-wide fetcher factory and clock used by
// RemoteKeySources constructed afterwards. Config time only.
void installRemoteJwksRuntime(JwksFetcherFactory factory, std::shared_ptr<jwt::Clock> clock,
                              RemoteJwksRuntimeOptions options = {});

class RemoteKeySource final : public jwt::KeySource {
 public:
  RemoteKeySource(config::RemoteJwks remote, std::optional<router::ResolvedDestination> dest);

  // The shared key set's answer; kJwksFetchFail when the source cannot fetch (see
  // fetchSupported). Lock-free.
  Keys current() const override;
  uint64_t peekKeysetId() const override { return keys_ ? keys_->peekKeysetId() : 0; }
  // Call when a token's kid/alg matched no key of current() (kJwksKidAlgMismatch): one
  // rate-limited refetch. Lock-free.
  void onUnknownKid() const;
  void onKidAlgMismatch() const override { onUnknownKid(); }  // called by jwt::Authenticator
  // See jwt::RemoteJwks::awaitFetch (the lazy first fetch a request can wait for).
  bool awaitFetch(std::function<void()> resume) const override;

  // False when this source can never fetch: the URL does not parse or destinationRef did not
  // resolve. unsupportedReason() then says why.
  bool fetchSupported() const { return keys_ != nullptr; }
  const std::string& unsupportedReason() const { return unsupported_reason_; }

  void start();                              // async providers: first fetch now (idempotent)
  bool waitFirst(jwt::Millis timeout) const;  // see jwt::RemoteJwks::waitFirst
  std::optional<jwt::RemoteJwksStats> stats() const;

  const config::RemoteJwks& remote() const { return remote_; }
  const std::optional<router::ResolvedDestination>& destination() const { return destination_; }
  // The GET this source makes (null when !fetchSupported()).
  const jwt::JwksRequest* request() const { return request_ ? &*request_ : nullptr; }
  // The refresh settings of the shared key set (null when !fetchSupported()).
  const jwt::RemoteJwksOptions* refreshOptions() const { return keys_ ? &keys_->options() : nullptr; }

 private:
  config::RemoteJwks remote_;
  std::optional<router::ResolvedDestination> destination_;
  std::optional<jwt::JwksRequest> request_;
  std::string unsupported_reason_;
  std::shared_ptr<jwt::RemoteJwks> keys_;
};

// Every remote key set alive in the process (deduplicated), for the admin stats renderer.
struct RemoteJwksInfo {
  std::string url;
  bool async_fetch = false;
  jwt::RemoteJwksStats stats;
};
std::vector<RemoteJwksInfo> remoteJwksStats();

// start() on every live remote key set (the serve command, after compiling a snapshot).
void startRemoteJwks();
// Waits until every live enableAsyncFetch key set finished its first fetch, or `timeout` passed
// (one deadline for all). True when all of them have keys.
bool waitRemoteJwks(jwt::Millis timeout);

}  // namespace claimgate::snapshot
