// Decoder for security.policy.gloo.solo.io/v2 JWTPolicy (DESIGN §2, gloo-api.md §2). This is the
// resource where a silently ignored field could open a route, so anything claimgate cannot honour
// exactly is an error, and the semantic checks of DESIGN §2 run here.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "config/decoders.h"

namespace claimgate::config::detail {

namespace {

RouteSelector decodeRouteSelector(const Node& n) {
  RouteSelector r;
  MapReader m(n);
  if (auto v = m.take("route")) {
    // RouteLabelSelector: labels, namespace, cluster, workspace (there is no `name`).
    ObjectSelector s;
    MapReader rm(*v);
    if (auto x = rm.take("labels")) s.labels = readStringMap(*x);
    if (auto x = rm.take("namespace")) s.namespace_ = readString(*x).value_or("");
    if (auto x = rm.take("cluster")) {
      s.cluster = readString(*x).value_or("");
      if (!s.cluster.empty()) x->warning("ignored (claimgate runs as one gateway without clusters)");
    }
    if (auto x = rm.take("workspace")) {
      s.workspace = readString(*x).value_or("");
      if (!s.workspace.empty()) x->warning("ignored (claimgate has no workspaces)");
    }
    rm.finish();
    r.route = std::move(s);
  }
  if (auto v = m.take("withDestinations")) {
    DestinationSelector d;
    MapReader dm(*v);
    if (auto x = dm.take("selector")) d.selector = decodeObjectSelector(*x);
    if (auto x = dm.take("kind")) d.kind = decodeDestinationKind(*x);
    if (auto x = dm.take("port")) d.port = decodePortSelector(*x);
    dm.finish();
    r.with_destinations = std::move(d);
  }
  m.finish();
  if (r.route && r.with_destinations) n.error("set only one of \"route\" and \"withDestinations\"");
  // `{}` selects every route (gloo-api.md §4): keep it as an empty route selector.
  if (!r.route && !r.with_destinations && m.valid()) r.route = ObjectSelector{};
  return r;
}

void decodePhase(const Node& n, JwtPolicyConfig& c) {
  MapReader m(n);
  int phases = 0;
  for (auto key : {"preAuthz", "postAuthz"}) {
    auto v = m.take(key);
    if (!v) continue;
    ++phases;
    c.post_authz = std::string_view(key) == "postAuthz";
    MapReader pm(*v);
    if (auto p = pm.take("priority")) {
      c.phase_priority = readInt32(*p).value_or(0);
      p->warning("ignored (claimgate runs one JWT step per route; there is no other policy to "
                 "order it against)");
    }
    pm.finish();
  }
  m.finish();
  if (phases > 1) n.error("set only one of \"preAuthz\" and \"postAuthz\"");
}

TokenSource decodeTokenSource(const Node& n) {
  TokenSource t;
  MapReader m(n);
  if (auto v = m.take("headers")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      TokenHeader h;
      MapReader hm(e);
      if (auto x = hm.take("name")) h.name = readString(*x).value_or("");
      if (auto x = hm.take("prefix")) h.prefix = readString(*x).value_or("");
      hm.finish();
      if (hm.valid() && h.name.empty()) e.error("\"name\" is required");
      t.headers.push_back(std::move(h));
    });
  }
  if (auto v = m.take("queryParams")) {
    t.query_params = readStringList(*v);
    for (std::size_t i = 0; i < t.query_params.size(); ++i)
      if (t.query_params[i].empty()) v->element(i).error("a query parameter name cannot be empty");
  }
  if (auto v = m.take("cookies")) {  // claimgate extension (Envoy jwt_authn from_cookies)
    t.cookies = readStringList(*v);
    for (std::size_t i = 0; i < t.cookies.size(); ++i)
      if (t.cookies[i].empty()) v->element(i).error("a cookie name cannot be empty");
  }
  m.finish();
  return t;
}

LocalJwks decodeLocal(const Node& n, std::string_view ns) {
  LocalJwks l;
  MapReader m(n);
  auto inl = m.take("inline");
  if (inl) l.inline_ = readString(*inl).value_or("");
  if (auto v = m.take("secretRef")) {
    SecretKeyRef s;
    MapReader sm(*v);
    auto ref = sm.take("objectRef");
    if (ref) s.object_ref = decodeObjectReference(*ref, ns);
    if (auto x = sm.take("key")) s.key = readString(*x).value_or("");
    sm.finish();
    if (sm.valid() && !ref) v->error("\"objectRef\" is required");
    if (sm.valid() && s.key.empty()) v->error("\"key\" is required (the Secret data key holding the key)");
    l.secret_ref = std::move(s);
  }
  m.finish();
  if (!m.valid()) return l;
  if (inl && l.secret_ref) n.error("set only one of \"inline\" and \"secretRef\"");
  if (!inl && !l.secret_ref) n.error("needs \"inline\" (a PEM public key or JWKS) or \"secretRef\"");
  if (inl && !inl->isNull() && l.inline_.empty()) inl->error("the inline key is empty");
  if (inl && inl->isNull()) inl->error("the inline key is empty");
  return l;
}

bool looksLikeUrl(std::string_view u) {
  std::string_view rest;
  if (u.starts_with("https://"))
    rest = u.substr(8);
  else if (u.starts_with("http://"))
    rest = u.substr(7);
  else
    return false;
  auto end = rest.find_first_of("/?#");
  auto host = rest.substr(0, end);
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '[' || c == ']' || c == '_';
  });
}

RemoteJwks decodeRemote(const Node& n, std::string_view ns) {
  RemoteJwks r;
  MapReader m(n);
  auto url = m.take("url");
  if (url) r.url = readString(*url).value_or("");
  auto dest = m.take("destinationRef");
  if (dest) r.destination_ref = decodeDestinationReference(*dest, ns);
  if (auto v = m.take("cacheDuration")) {
    if (auto d = readDuration(*v)) {
      if (d->count() <= 0)
        v->error("the cache duration must be positive");
      else
        r.cache_duration = *d;
    }
  }
  if (auto v = m.take("timeout")) {
    if (auto d = readDuration(*v)) {
      if (d->count() <= 0)
        v->error("the timeout must be positive");
      else
        r.timeout = *d;
    }
  }
  if (auto v = m.take("enableAsyncFetch")) r.enable_async_fetch = readBool(*v).value_or(false);
  if (auto v = m.take("failedRefetchDuration")) r.failed_refetch_duration = readDuration(*v);
  if (auto v = m.take("retryPolicy")) {
    RetryPolicy p;
    MapReader pm(*v);
    if (auto x = pm.take("numRetries")) p.num_retries = readUint32(*x).value_or(0);
    if (auto x = pm.take("backoff")) {
      MapReader bm(*x);
      if (auto y = bm.take("baseInterval")) p.base_interval = readDuration(*y);
      if (auto y = bm.take("maxInterval")) p.max_interval = readDuration(*y);
      bm.finish();
    }
    pm.finish();
    r.retry_policy = std::move(p);
  }
  m.finish();
  if (!m.valid()) return r;
  if (!url || r.url.empty()) {
    n.error("\"url\" is required");
  } else if (r.url.find("${") == std::string::npos && !looksLikeUrl(r.url)) {
    url->error(fmt::format("\"{}\" is not an http:// or https:// URL", r.url));
  }
  if (!dest) {
    // Gloo connects to the JWKS server only through destinationRef; the url gives Host and path.
    n.error("\"destinationRef\" is required: it names the upstream (usually an ExternalService) "
            "the JWKS is fetched from");
  }
  return r;
}

JwtProvider decodeProvider(const Node& n, std::string name, std::string_view ns) {
  JwtProvider p;
  p.name = std::move(name);
  MapReader m(n);
  if (auto v = m.take("issuer")) p.issuer = readString(*v).value_or("");
  if (auto v = m.take("audiences")) p.audiences = readStringList(*v);
  if (auto v = m.take("tokenSource")) p.token_source = decodeTokenSource(*v);
  auto local = m.take("local");
  if (local) p.local = decodeLocal(*local, ns);
  auto remote = m.take("remote");
  if (remote) p.remote = decodeRemote(*remote, ns);
  if (auto v = m.take("claimsToHeaders")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      ClaimToHeader c;
      MapReader cm(e);
      if (auto x = cm.take("claim")) c.claim = readString(*x).value_or("");
      if (auto x = cm.take("header")) c.header = readString(*x).value_or("");
      if (auto x = cm.take("append")) c.append = readBool(*x).value_or(false);
      cm.finish();
      if (cm.valid() && c.claim.empty()) e.error("\"claim\" is required");
      if (cm.valid() && c.header.empty()) e.error("\"header\" is required");
      p.claims_to_headers.push_back(std::move(c));
    });
  }
  if (auto v = m.take("keepToken")) p.keep_token = readBool(*v).value_or(false);
  if (auto v = m.take("clockSkewSeconds")) p.clock_skew_seconds = readUint32(*v).value_or(60);
  if (auto v = m.take("outputPayloadToHeader")) p.output_payload_to_header = readString(*v).value_or("");
  if (auto v = m.take("customDelimiter")) p.custom_delimiter = readString(*v).value_or("");
  m.finish();
  if (!m.valid()) return p;
  if (local && remote) n.error("set only one of \"local\" and \"remote\"");
  if (!local && !remote) n.error("a provider needs \"local\" or \"remote\" keys");
  return p;
}

}  // namespace

void decodeJwtPolicy(const Node& spec, JwtPolicy& out) {
  const auto& ns = out.metadata.namespace_;
  MapReader m(spec);
  if (auto v = m.take("applyToRoutes")) {
    forEach(*v, [&](const Node& e, std::size_t) { out.apply_to_routes.push_back(decodeRouteSelector(e)); });
  }
  if (auto v = m.take("applyToDestinations")) {
    if (!v->isNull() && !v->isSequence()) v->error("expected a list");
    out.apply_to_destinations = v->isSequence() ? v->yaml().size() : 0;
    if (out.apply_to_destinations > 0)
      v->warning("ignored (selects Kubernetes Services for sidecars; claimgate applies policies to "
                 "routes only)");
  }
  auto config = m.take("config");
  m.finish();
  if (!m.valid()) return;
  if (!config || config->isNull()) {
    spec.error("\"config\" is required");
    return;
  }

  auto& c = out.config;
  MapReader cm(*config);
  if (auto v = cm.take("phase")) decodePhase(*v, c);
  auto providers = cm.take("providers");
  if (providers) {
    MapReader pm(*providers);
    if (pm.valid() && !providers->isNull()) {
      for (auto it = providers->yaml().begin(); it != providers->yaml().end(); ++it) {
        if (!it->first.IsScalar()) continue;
        auto name = it->first.Scalar();
        if (auto v = pm.take(name)) c.providers.push_back(decodeProvider(*v, name, ns));
      }
    }
    // Gloo emits providers sorted by name (Envoy requires_any order, gloo-api.md §2.4).
    std::sort(c.providers.begin(), c.providers.end(),
              [](const JwtProvider& a, const JwtProvider& b) { return a.name < b.name; });
  }
  auto claims = cm.take("claims");
  if (claims) {
    std::set<std::string> keys;
    forEach(*claims, [&](const Node& e, std::size_t) {
      ClaimMatcher cl;
      MapReader clm(e);
      auto key = clm.take("key");
      if (key) cl.key = readString(*key).value_or("");
      auto values = clm.take("values");
      if (values) cl.values = readStringList(*values);
      auto not_values = clm.take("notValues");
      if (not_values) cl.not_values = readStringList(*not_values);
      if (auto x = clm.take("nestedClaimDelimiter")) cl.nested_claim_delimiter = readString(*x).value_or("");
      clm.finish();
      if (!clm.valid()) return;
      if (cl.key.empty()) {
        e.error("\"key\" is required");
      } else if (!keys.insert(cl.key).second) {
        // Gloo documents duplicate keys as unsupported: they would overwrite each other.
        key->error(fmt::format("claim \"{}\" appears more than once; put all its values in one entry",
                               cl.key));
      }
      auto malformed = [](const std::optional<Node>& x) {
        return x && !x->isNull() && !x->isSequence();  // reported by readStringList
      };
      if (cl.values.empty() && cl.not_values.empty() && !malformed(values) && !malformed(not_values))
        e.error("a claim needs \"values\" or \"notValues\" (an entry with neither checks nothing)");
      c.claims.push_back(std::move(cl));
    });
  }
  auto scopes = cm.take("requiredScopes");
  if (scopes) {
    c.required_scopes = readStringList(*scopes);
    for (std::size_t i = 0; i < c.required_scopes.size(); ++i)
      if (c.required_scopes[i].empty()) scopes->element(i).error("a scope cannot be empty");
  }
  auto vp = cm.take("validationPolicy");
  std::optional<std::size_t> vp_value;
  if (vp) {
    static constexpr std::array<std::string_view, 3> kNames = {"REQUIRE_VALID", "ALLOW_MISSING",
                                                               "ALLOW_MISSING_OR_FAILED"};
    vp_value = readEnum(*vp, kNames);
    if (vp_value) c.validation_policy = static_cast<ValidationPolicy>(*vp_value);
  }
  if (auto v = cm.take("allowMissingOrFailed")) {
    auto b = readBool(*v);
    if (b && *b) {
      // Gloo: the deprecated bool wins unless validationPolicy is one of the ALLOW_* values.
      if (c.validation_policy == ValidationPolicy::kRequireValid) {
        c.validation_policy = ValidationPolicy::kAllowMissingOrFailed;
        v->warning("deprecated: means validationPolicy: ALLOW_MISSING_OR_FAILED (tokens that are "
                   "missing or invalid are let through; only claims/scopes can still deny)");
      } else {
        v->warning("deprecated and ignored because validationPolicy is set");
      }
    } else if (b) {
      v->warning("deprecated (use validationPolicy); false is the default");
    }
  }
  if (auto v = cm.take("clearRouteCache")) {
    static constexpr std::array<std::string_view, 3> kNames = {"AUTO", "TRUE", "FALSE"};
    if (auto i = readEnum(*v, kNames)) c.clear_route_cache = static_cast<ClearRouteCache>(*i);
  }
  cm.finish();
  if (!cm.valid()) return;
  if (!providers || c.providers.empty())
    config->error("\"providers\" needs at least one provider");
  if (c.post_authz && (!c.claims.empty() || !c.required_scopes.empty())) {
    config->child("phase", config->yaml()["phase"])
        .error("postAuthz cannot be combined with claims or requiredScopes: the JWT step that "
               "authorizes by claims must run before authorization (use preAuthz)");
  }
}

}  // namespace claimgate::config::detail
