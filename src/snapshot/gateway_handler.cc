#include "snapshot/gateway_handler.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "common/ascii.h"
#include "common/status.h"
#include "jwt/extractor.h"

#include <boost/container/small_vector.hpp>

namespace claimgate::snapshot {
namespace {

constexpr std::string_view kRbacDenied = "RBAC: access denied";
constexpr std::string_view kDecisionsTotal = "claimgate_decisions_total";
// Envoy's buildOriginalUri(headers, 256): the path (with its query) is cut to 256 bytes.
constexpr std::size_t kMaxRealmPath = 256;
// clearRouteCache can re-route at most this many times per request (each hop may bring a new
// policy); a config that keeps re-routing further is served by the last route matched.
constexpr int kMaxRouteHops = 3;

std::uint64_t systemNow() { return static_cast<std::uint64_t>(std::time(nullptr)); }

// Per-worker state: the round-robin counter for destinations and endpoints, and the
// verified-token cache (emptied when this worker first serves a new snapshot: its providers
// are new, so the old entries could never be found again).
struct WorkerState final : http::WorkerExtension {
  explicit WorkerState(const jwt::TokenCacheOptions& o) : cache(o) {}
  std::uint64_t next = 0;
  jwt::TokenCache cache;
  const Snapshot* snapshot = nullptr;
};

WorkerState& workerState(http::WorkerContext& worker, const jwt::TokenCacheOptions& o) {
  if (!worker.extension) worker.extension = std::make_unique<WorkerState>(o);
  return static_cast<WorkerState&>(*worker.extension);
}

template <class To, class From>
std::span<const To> convertHeaders(std::span<const From> in, http::Arena& arena) {
  if constexpr (std::is_same_v<To, From>) {
    return in;
  } else {
    std::span<To> out = arena.makeArray<To>(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = To{in[i].name, in[i].value};
    return out;
  }
}

template <class Names>
bool containsName(const Names& names, std::string_view name) {
  for (auto n : names) {
    if (asciiIequals(n, name)) return true;
  }
  return false;
}

}  // namespace

// What enforcement has changed so far, for this request.
// Inline storage: a request with the usual few edits allocates nothing here.
struct GatewayHandler::State {
  std::span<const http::HeaderView> headers;  // as the next matcher/authenticator sees them
  std::string_view target;                    // after stripped query parameters
  boost::container::small_vector<std::string_view, 8> remove;  // names removed upstream
  boost::container::small_vector<http::HeaderView, 4> add;     // fields added upstream
  WorkerState* worker = nullptr;
  std::array<const CompiledPolicy*, kMaxRouteHops + 1> enforced{};
  int enforced_count = 0;
  std::string_view policy, provider;  // for logs (the last policy enforced)

  bool wasEnforced(const CompiledPolicy* p) const {
    return std::find(enforced.begin(), enforced.begin() + enforced_count, p) !=
           enforced.begin() + enforced_count;
  }
};

GatewayHandler::GatewayHandler(std::shared_ptr<const Snapshot> snapshot, HandlerOptions options)
    : snapshot_(std::move(snapshot)), options_(options) {
  if (!options_.now) options_.now = systemNow;
}

http::Decision GatewayHandler::handle(const http::RequestHead& request, http::WorkerContext& worker,
                                      http::Arena& arena) const {
  const router::ListenerRoutes* listener = snapshot_->listenerRoutes(request.listener_port);
  State st;
  st.worker = &workerState(worker, options_.token_cache);
  if (st.worker->snapshot != snapshot_.get()) {
    st.worker->cache.clear();
    st.worker->snapshot = snapshot_.get();
  }
  st.headers = request.headers;
  st.target = request.target;
  stripProtected(request, st, arena);

  for (int hop = 0;; ++hop) {
    const std::string_view path = st.target.substr(0, st.target.find('?'));
    const std::string_view query =
        path.size() < st.target.size() ? st.target.substr(path.size() + 1) : std::string_view{};
    router::RouteMatch match;
    if (listener) {
      router::RequestHead rh{request.method, path, query, request.host,
                             convertHeaders<router::HeaderView>(st.headers, arena)};
      match = listener->table.match(rh);
    }
    if (!match) {
      worker.stats().inc(kDecisionsTotal, {{"route", ""}, {"policy", ""}, {"outcome", "no_route"}, {"reason", ""}});
      return http::Decision::reply(http::LocalReply::noRoute(),
                                   {{}, st.policy, st.provider, "no_route", {}});
    }
    const RouteRuntime* rt = snapshot_->runtimeFor(match.route);
    if (rt->policy && !st.wasEnforced(rt->policy)) {
      http::Decision denied;
      const std::size_t added_before = st.add.size();
      const Enforced e = enforce(*rt->policy, request, st, arena, &denied);
      if (e == Enforced::kWait) return denied;  // counted once decided, after the wait
      if (e == Enforced::kDenied) {
        denied.log.route = rt->id;
        worker.stats().inc(kDecisionsTotal, {{"route", rt->id},
                                             {"policy", rt->policy->id},
                                             {"outcome", "denied"},
                                             {"reason", std::get<http::LocalReply>(denied.action).body}});
        return denied;
      }
      const auto crc = rt->policy->clear_route_cache;
      const bool rematch = crc == config::ClearRouteCache::kTrue ||
                           (crc == config::ClearRouteCache::kAuto && st.add.size() > added_before);
      if (rematch && hop < kMaxRouteHops) {
        // Recompute what the next match sees: the request's fields minus removals plus additions.
        std::span<http::HeaderView> stored =
            arena.makeArray<http::HeaderView>(request.headers.size() + st.add.size());
        std::size_t k = 0;
        for (const auto& h : request.headers) {
          if (!containsName(st.remove, h.name)) stored[k++] = h;
        }
        for (const auto& h : st.add) stored[k++] = h;
        st.headers = stored.first(k);
        continue;
      }
    }
    return act(request, match, *rt, st, worker, arena);
  }
}

void GatewayHandler::stripProtected(const http::RequestHead& request, State& st,
                                    http::Arena& arena) const {
  const auto& names = snapshot_->protectedHeaders();
  if (names.empty()) return;
  std::size_t hits = 0;
  for (const auto& h : request.headers) {
    for (const auto& n : names) hits += asciiIequals(h.name, n) ? 1 : 0;
  }
  for (const auto& n : names) st.remove.push_back(n);
  if (hits == 0) return;  // nothing to filter: keep the request's own view (no allocation)
  std::span<http::HeaderView> kept = arena.makeArray<http::HeaderView>(request.headers.size() - hits);
  std::size_t i = 0;
  for (const auto& h : request.headers) {
    if (!containsName(st.remove, h.name)) kept[i++] = h;
  }
  st.headers = kept.first(i);
}

GatewayHandler::Enforced GatewayHandler::enforce(const CompiledPolicy& policy,
                                                 const http::RequestHead& request, State& st,
                                                 http::Arena& arena,
                                                 http::Decision* reply) const {
  const jwt::Authenticator& auth = *policy.authenticator;
  st.enforced[st.enforced_count++] = &policy;
  st.policy = policy.id;
  // Client copies of every header a provider sets were removed before routing (stripProtected).

  const jwt::RequestView view{convertHeaders<jwt::HeaderView>(st.headers, arena), st.target};
  const jwt::AuthResult r = auth.authenticate(view, options_.now(), &st.worker->cache);
  if (r.provider >= 0) st.provider = auth.providers()[static_cast<std::size_t>(r.provider)].name;
  if (r.pending_keys && request.may_wait) {
    // Lazy remote JWKS: a provider's first key set is being fetched. Wait for that one shared
    // fetch and decide again, as Envoy holds the first request (bounded by the server).
    const jwt::KeySource* keys = r.pending_keys;
    *reply = http::Decision::wait(
        {[keys](std::function<void()> resume) { return keys->awaitFetch(std::move(resume)); }});
    return Enforced::kWait;
  }
  if (!r.allowed) {
    const std::string_view scheme = request.tls ? "https" : "http";
    const std::string_view realm_path = request.target.substr(0, kMaxRealmPath);
    const bool missing = r.status == JwtStatus::kJwtMissed;
    std::string_view www = arena.concat({"Bearer realm=\"", scheme, "://", request.host, realm_path,
                                         missing ? "\"" : "\", error=\"invalid_token\""});
    http::LocalReply lr = http::LocalReply::text(httpStatusFor(r.status), statusText(r.status));
    lr.withHeader("www-authenticate", www);
    *reply = http::Decision::reply(lr, {{}, policy.id, st.provider, "deny", statusText(r.status)});
    return Enforced::kDenied;
  }
  if (!policy.claims.empty()) {
    policy::Decision d = r.jwt ? policy.claims.evaluate(r.jwt->payload())
                               : policy.claims.evaluateWithoutPayload();
    if (!d.allowed) {
      *reply = http::Decision::reply(http::LocalReply::text(403, kRbacDenied),
                                     {{}, policy.id, st.provider, "deny", arena.copy(d.explain())});
      return Enforced::kDenied;
    }
  }
  if (r.jwt) {
    jwt::HeadersToAdd add = auth.headersToAdd(r);
    for (auto& h : add.headers) {
      st.remove.push_back(h.name);
      st.add.push_back({h.name, arena.copy(h.value)});
    }
  }
  for (auto name : r.strip_headers) st.remove.push_back(name);
  if (!r.strip_query_params.empty()) {
    st.target = arena.copy(jwt::removeQueryParams(st.target, r.strip_query_params));
  }
  return Enforced::kContinue;
}

http::Decision GatewayHandler::act(const http::RequestHead& request,
                                   const router::RouteMatch& match, const RouteRuntime& rt,
                                   State& st, http::WorkerContext& worker,
                                   http::Arena& arena) const {
  const http::LogFields allowed_log{rt.id, st.policy, st.provider, "allow", {}};
  if (const auto* direct = std::get_if<router::DirectResponse>(&rt.route->action)) {
    worker.stats().inc(kDecisionsTotal, {{"route", rt.id}, {"policy", st.policy}, {"outcome", "direct_response"}, {"reason", direct->reason}});
    http::LocalReply lr = http::LocalReply::text(static_cast<int>(direct->status),
                                                 direct->body ? std::string_view(*direct->body) : "");
    return http::Decision::reply(lr, {rt.id, st.policy, st.provider, "direct_response", direct->reason});
  }
  if (const auto* redirect = std::get_if<router::Redirect>(&rt.route->action)) {
    const std::string_view host = redirect->host_redirect.empty() ? request.host
                                                                  : std::string_view(redirect->host_redirect);
    const std::string_view path = redirect->path_redirect ? std::string_view(*redirect->path_redirect)
                                                          : st.target;
    std::string_view location = arena.concat({request.tls ? "https://" : "http://", host, path});
    http::LocalReply lr = http::LocalReply::text(static_cast<int>(redirect->response_code), "");
    lr.withHeader("location", location);
    worker.stats().inc(kDecisionsTotal, {{"route", rt.id}, {"policy", st.policy}, {"outcome", "redirect"}, {"reason", ""}});
    return http::Decision::reply(lr, {rt.id, st.policy, st.provider, "redirect", {}});
  }

  // forwardTo: a weighted destination, then round-robin over its endpoints.
  WorkerState& ws = *st.worker;
  const std::uint64_t n = ws.next++;
  const WeightedUpstream* chosen = &rt.upstreams.front();
  if (rt.upstreams.size() > 1 && rt.total_weight > 0) {
    std::uint64_t pick = n % rt.total_weight;
    for (const auto& u : rt.upstreams) {
      if (pick < u.weight) {
        chosen = &u;
        break;
      }
      pick -= u.weight;
    }
  }
  const http::UpstreamTarget* target = chosen->endpoints[n % chosen->endpoints.size()].get();

  http::ForwardPlan plan;
  plan.upstream = target;
  plan.timeout = options_.upstream_timeout;
  const auto* fwd = std::get_if<router::ForwardTo>(&rt.route->action);
  if (fwd && (fwd->path_rewrite || fwd->regex_rewrite)) {
    const std::string_view path = st.target.substr(0, st.target.find('?'));
    const std::string_view query =
        path.size() < st.target.size() ? st.target.substr(path.size() + 1) : std::string_view{};
    plan.target = arena.copy(router::rewritePath(match, path, query));
  } else if (st.target != request.target) {
    plan.target = st.target;
  }
  if (!rt.host_rewrite.empty()) plan.host = rt.host_rewrite;
  if (!st.remove.empty()) {
    std::span<std::string_view> names = arena.makeArray<std::string_view>(st.remove.size());
    std::copy(st.remove.begin(), st.remove.end(), names.begin());
    plan.remove_headers = names;
  }
  if (!st.add.empty()) {
    std::span<http::HeaderView> fields = arena.makeArray<http::HeaderView>(st.add.size());
    std::copy(st.add.begin(), st.add.end(), fields.begin());
    plan.add_headers = fields;
  }
  worker.stats().inc(kDecisionsTotal, {{"route", rt.id}, {"policy", st.policy}, {"outcome", "allowed"}, {"reason", ""}});
  return http::Decision::forward(plan, allowed_log);
}

}  // namespace claimgate::snapshot
