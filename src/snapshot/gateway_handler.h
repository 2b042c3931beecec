// GatewayHandler: the request logic of claimgate on top of one Snapshot — route match, JWT
// authentication (Envoy jwt_authn semantics), claims/scopes authorization (Gloo JWTPolicy),
// header mutation, clearRouteCache re-routing, and the choice of upstream. It implements the
// network layer's RequestHandler seam; everything it reads is immutable snapshot data, and the
// only per-request writes go to the connection's Arena and the worker's own state.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "http/handler.h"
#include "jwt/token_cache.h"
#include "snapshot/snapshot.h"

namespace claimgate::snapshot {

struct HandlerOptions {
  std::chrono::milliseconds upstream_timeout{15000};  // Envoy's default route timeout
  // Seconds since the epoch; a parameter so tests can pin time.
  std::uint64_t (*now)() = nullptr;  // nullptr = the system clock
  // Per worker thread: verified tokens (and recent signature failures) by token bytes.
  jwt::TokenCacheOptions token_cache{};
};

class GatewayHandler final : public http::RequestHandler {
 public:
  GatewayHandler(std::shared_ptr<const Snapshot> snapshot, HandlerOptions options = {});

  http::Decision handle(const http::RequestHead& request, http::WorkerContext& worker,
                        http::Arena& arena) const override;

  const Snapshot& snapshot() const { return *snapshot_; }

 private:
  struct State;
  void stripProtected(const http::RequestHead& request, State& st, http::Arena& arena) const;
  enum class Enforced { kContinue, kDenied, kWait };
  Enforced enforce(const CompiledPolicy& policy, const http::RequestHead& request, State& st,
                   http::Arena& arena, http::Decision* reply) const;
  http::Decision act(const http::RequestHead& request, const router::RouteMatch& match,
                     const RouteRuntime& rt, State& st, http::WorkerContext& worker,
                     http::Arena& arena) const;

  std::shared_ptr<const Snapshot> snapshot_;
  HandlerOptions options_;
};

}  // namespace claimgate::snapshot
