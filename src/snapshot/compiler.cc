// Snapshot::compile: config structs -> routes, listeners, compiled policies, route bindings and
// upstream targets. Config-time code: it may allocate and report rich errors freely.
#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "jwt/jwks.h"
#include "snapshot/remote_key_source.h"
#include "snapshot/snapshot.h"

namespace claimgate::snapshot {

bool CompiledPolicy::olderThan(const CompiledPolicy& other) const {
  if (has_timestamp != other.has_timestamp) return has_timestamp;
  if (has_timestamp && creation_seconds != other.creation_seconds)
    return creation_seconds < other.creation_seconds;
  return load_order < other.load_order;
}

const router::ListenerRoutes* Snapshot::listenerRoutes(std::uint16_t port) const {
  auto it = by_port_.find(port);
  return it == by_port_.end() ? nullptr : it->second;
}

const RouteRuntime* Snapshot::runtimeFor(const router::Route* route) const {
  auto it = runtime_.find(route);
  return it == runtime_.end() ? nullptr : it->second.get();
}

class Compiler {
 public:
  Compiler(Snapshot& s, config::Diagnostics& diags) : s_(s), diags_(diags) {}

  void run() {
    s_.routes_ = router::compileRoutes(s_.config_, diags_);
    compileListeners();
    for (const auto& p : s_.config_.jwt_policies) compilePolicy(p);
    std::set<std::string> names;
    for (const auto& p : s_.policies_) {
      for (const auto& n : p->authenticator->headersToRemove()) names.insert(n);
    }
    s_.protected_headers_.assign(names.begin(), names.end());
    bindRoutes();
  }

 private:
  // ---- listeners ----------------------------------------------------------------------------
  void compileListeners() {
    std::set<std::uint32_t> ports;
    for (const auto& vg : s_.config_.virtual_gateways) {
      for (std::size_t i = 0; i < vg.listeners.size(); ++i) {
        const auto& l = vg.listeners[i];
        const std::string field = fmt::format("spec.listeners[{}]", i);
        if (!l.port.number) continue;  // the decoder reported it
        if (!ports.insert(*l.port.number).second) {
          diags_.error(vg.origin.file, vg.origin.document, vg.id(), field + ".port.number",
                       fmt::format("port {} is already used by another listener", *l.port.number));
          continue;
        }
        ListenerSpec spec;
        spec.port = static_cast<std::uint16_t>(*l.port.number);
        spec.https_redirect = l.https_redirect;
        spec.gateway = fmt::format("{}/{}#{}", vg.metadata.namespace_, vg.metadata.name, i);
        if (l.tls) compileTls(vg, *l.tls, field + ".tls", spec);
        s_.listeners_.push_back(std::move(spec));
      }
    }
    for (const auto& lr : s_.routes_.listeners) s_.by_port_.emplace(lr.port, &lr);
  }

  void compileTls(const config::VirtualGateway& vg, const config::TlsConfig& tls,
                  const std::string& field, ListenerSpec& spec) {
    spec.tls = true;
    using V = config::TlsProtocolVersion;
    const auto& p = tls.parameters;
    if (p.minimum_protocol_version == V::kTls1_0 || p.minimum_protocol_version == V::kTls1_1) {
      diags_.warning(vg.origin.file, vg.origin.document, vg.id(),
                     field + ".parameters.minimumProtocolVersion",
                     "claimgate never negotiates below TLS 1.2; using TLSv1_2");
    }
    spec.tls13_min = p.minimum_protocol_version == V::kTls1_3;
    spec.tls12_max = p.maximum_protocol_version == V::kTls1_2;
    spec.cipher_suites = p.cipher_suites;
    if (tls.files) {
      spec.cert_chain_file = tls.files->server_cert;
      spec.private_key_file = tls.files->private_key;
      return;
    }
    const config::Secret* secret = nullptr;
    for (const auto& sec : s_.config_.secrets) {
      if (sec.metadata.name == tls.secret_name &&
          sec.metadata.namespace_ == vg.metadata.namespace_) {
        secret = &sec;
      }
    }
    if (!secret) {
      // Gloo accepts this (the Secret is often created with kubectl, outside the manifests) and
      // Envoy keeps such a listener warming; claimgate likewise does not open it.
      spec.disabled_reason = fmt::format(
          "no Secret {}/{} in the config (claimgate looks the listener's Secret up in the "
          "VirtualGateway's namespace): this listener is not opened",
          vg.metadata.namespace_, tls.secret_name);
      diags_.warning(vg.origin.file, vg.origin.document, vg.id(), field + ".secretName",
                     spec.disabled_reason);
      return;
    }
    auto pick = [&](std::initializer_list<const char*> names) -> const std::string* {
      for (const char* n : names) {
        auto it = secret->data.find(n);
        if (it != secret->data.end()) return &it->second;
      }
      return nullptr;
    };
    const std::string* crt = pick({"tls.crt", "cert"});
    const std::string* key = pick({"tls.key", "key"});
    if (!crt || !key) {
      diags_.error(secret->origin.file, secret->origin.document, secret->id(), "data",
                   "a TLS Secret needs tls.crt and tls.key (or cert and key)");
      return;
    }
    spec.cert_chain_pem = *crt;
    spec.private_key_pem = *key;
  }

  // ---- policies -----------------------------------------------------------------------------
  void compilePolicy(const config::JwtPolicy& p) {
    auto cp = std::make_unique<CompiledPolicy>();
    cp->source = &p;
    cp->id = p.metadata.namespace_ + "/" + p.metadata.name;
    cp->origin = fmt::format("{}:{}", p.origin.file, p.origin.document);
    cp->has_timestamp = p.metadata.creation_seconds.has_value();
    cp->creation_seconds = p.metadata.creation_seconds.value_or(0);
    cp->load_order = p.origin.load_order;
    cp->clear_route_cache = p.config.clear_route_cache;
    cp->validation_policy = p.config.validation_policy;
    const std::size_t errors_before = diags_.errorCount();

    std::vector<jwt::ProviderConfig> providers;
    for (const auto& prov : p.config.providers) {
      cp->provider_names.push_back(prov.name);
      providers.push_back(compileProvider(p, prov, *cp));
    }
    if (diags_.errorCount() != errors_before) return;

    policy::PolicySpec spec;
    for (const auto& c : p.config.claims) {
      spec.claims.push_back({c.key, c.values, c.not_values, c.nested_claim_delimiter});
    }
    spec.required_scopes = p.config.required_scopes;
    try {
      cp->claims = policy::ClaimsPolicy::compile(spec);
    } catch (const policy::PolicyError& e) {
      const std::string what = e.what();
      diags_.error(p.origin.file, p.origin.document, p.id(), "spec.config." + e.fieldPath(),
                   what.substr(std::min(what.size(), e.fieldPath().size() + 2)));
      return;
    }
    if (providers.empty()) return;  // the decoder reported it
    jwt::ValidationPolicy vp = jwt::ValidationPolicy::kRequireValid;
    if (p.config.validation_policy == config::ValidationPolicy::kAllowMissing)
      vp = jwt::ValidationPolicy::kAllowMissing;
    if (p.config.validation_policy == config::ValidationPolicy::kAllowMissingOrFailed)
      vp = jwt::ValidationPolicy::kAllowMissingOrFailed;
    try {
      cp->authenticator = std::make_unique<jwt::Authenticator>(std::move(providers), vp);
    } catch (const std::invalid_argument& e) {
      diags_.error(p.origin.file, p.origin.document, p.id(), "spec.config.providers", e.what());
      return;
    }
    s_.policies_.push_back(std::move(cp));
  }

  jwt::ProviderConfig compileProvider(const config::JwtPolicy& p, const config::JwtProvider& prov,
                                      CompiledPolicy& cp) {
    const std::string field = "spec.config.providers." + prov.name;
    jwt::ProviderConfig pc;
    pc.name = prov.name;
    pc.checks.issuer = prov.issuer;
    pc.checks.audiences = prov.audiences;
    pc.checks.clock_skew_seconds = prov.clock_skew_seconds;
    pc.keep_token = prov.keep_token;
    pc.output_payload_to_header = prov.output_payload_to_header;
    for (const auto& c : prov.claims_to_headers) pc.claims_to_headers.push_back({c.claim, c.header, c.append});
    if (prov.token_source) {
      for (const auto& h : prov.token_source->headers) pc.locations.headers.push_back({h.name, h.prefix});
      pc.locations.query_params = prov.token_source->query_params;
      pc.locations.cookies = prov.token_source->cookies;
    }
    pc.keys = keySource(p, prov, field, cp);
    return pc;
  }

  std::shared_ptr<const jwt::KeySource> keySource(const config::JwtPolicy& p,
                                                  const config::JwtProvider& prov,
                                                  const std::string& field, CompiledPolicy& cp) {
    auto parse = [&](std::string_view text, const std::string& where) -> std::shared_ptr<const jwt::Jwks> {
      JwtStatus status = JwtStatus::kOk;
      std::string detail;
      auto jwks = jwt::Jwks::fromAny(text, &status, &detail);
      if (!jwks) {
        diags_.error(p.origin.file, p.origin.document, p.id(), where,
                     fmt::format("no usable key: {}{}", statusText(status),
                                 detail.empty() ? "" : " (" + detail + ")"));
      } else if (!detail.empty()) {
        diags_.warning(p.origin.file, p.origin.document, p.id(), where,
                       "some keys were skipped: " + detail);
      }
      return jwks;
    };
    if (prov.local && !prov.local->secret_ref) {
      return std::make_shared<jwt::StaticKeySource>(parse(prov.local->inline_, field + ".local.inline"));
    }
    if (prov.local && prov.local->secret_ref) {
      const auto& ref = *prov.local->secret_ref;
      const std::string where = field + ".local.secretRef";
      for (const auto& sec : s_.config_.secrets) {
        if (sec.metadata.name != ref.object_ref.name ||
            sec.metadata.namespace_ != ref.object_ref.namespace_) {
          continue;
        }
        auto it = sec.data.find(ref.key);
        if (it == sec.data.end()) break;
        return std::make_shared<jwt::StaticKeySource>(parse(it->second, where));
      }
      // Gloo tolerates a Secret created outside the manifests; so do we, failing closed.
      std::string note = fmt::format(
          "Secret {}/{} (key \"{}\") is not in the config: requests on this policy's routes get "
          "401 \"Jwks doesn't have any valid public key\" until it is",
          ref.object_ref.namespace_, ref.object_ref.name, ref.key);
      diags_.warning(p.origin.file, p.origin.document, p.id(), where, note);
      cp.notes.push_back(note);
      return std::make_shared<jwt::StaticKeySource>(nullptr);
    }
    if (prov.remote) return remoteKeySource(p, *prov.remote, field + ".remote", cp);
    return std::make_shared<jwt::StaticKeySource>(nullptr);
  }

  std::shared_ptr<const jwt::KeySource> remoteKeySource(const config::JwtPolicy& p,
                                                        const config::RemoteJwks& remote,
                                                        const std::string& field,
                                                        CompiledPolicy& cp) {
    std::string why;
    std::optional<router::ResolvedDestination> dest;
    if (remote.destination_ref) {
      dest = router::resolveDestination(s_.config_, *remote.destination_ref, &why);
      if (!dest) {
        diags_.warning(p.origin.file, p.origin.document, p.id(), field + ".destinationRef",
                       why + ": requests on this policy's routes get 401 \"Jwks remote fetch is "
                             "failed\"");
      }
    }
    auto source = std::make_shared<RemoteKeySource>(remote, std::move(dest));
    if (!source->fetchSupported()) {
      std::string note = source->unsupportedReason();
      diags_.warning(p.origin.file, p.origin.document, p.id(), field, note);
      cp.notes.push_back(note);
    }
    return source;
  }

  // ---- route bindings -----------------------------------------------------------------------
  bool selects(const config::JwtPolicy& p, const router::Route& r) const {
    if (p.apply_to_routes.empty()) return p.apply_to_destinations == 0;
    auto selects_ref = [&](const router::RouteRef& ref) {
      for (const auto& sel : p.apply_to_routes) {
        if (sel.route && routeSelectorMatches(*sel.route, ref)) return true;
      }
      return false;
    };
    if (selects_ref(r.id)) return true;
    // A policy on a delegating route also covers the routes it delegates to (fail closed).
    for (const auto& a : r.ancestors) {
      if (selects_ref(a)) return true;
    }
    for (const auto& sel : p.apply_to_routes) {
      if (sel.with_destinations && destinationSelectorMatches(*sel.with_destinations, r)) return true;
    }
    return false;
  }

  static bool labelsMatch(const config::Labels& want, const config::Labels& have) {
    for (const auto& [k, v] : want) {
      auto it = have.find(k);
      if (it == have.end() || it->second != v) return false;
    }
    return true;
  }

  static bool routeSelectorMatches(const config::ObjectSelector& sel, const router::RouteRef& ref) {
    if (!sel.namespace_.empty() && sel.namespace_ != ref.table_namespace) return false;
    return labelsMatch(sel.labels, ref.labels);
  }

  bool destinationSelectorMatches(const config::DestinationSelector& ds, const router::Route& r) const {
    const auto* fwd = std::get_if<router::ForwardTo>(&r.action);
    if (!fwd) return false;
    for (const auto& d : fwd->destinations) {
      const auto& ref = d.ref;
      if (ds.kind && *ds.kind != ref.kind) continue;
      if (!ds.selector.name.empty() && ds.selector.name != ref.ref.name) continue;
      if (!ds.selector.namespace_.empty() && ds.selector.namespace_ != ref.ref.namespace_) continue;
      if (ds.port.number && ref.port.number != ds.port.number) continue;
      if (!ds.port.name.empty() && ref.port.name != ds.port.name) continue;
      if (!ds.selector.labels.empty()) {
        const config::Labels* labels = nullptr;
        for (const auto& es : s_.config_.external_services) {
          if (es.metadata.name == ref.ref.name && es.metadata.namespace_ == ref.ref.namespace_)
            labels = &es.metadata.labels;
        }
        if (!labels || !labelsMatch(ds.selector.labels, *labels)) continue;
      }
      return true;
    }
    return false;
  }

  void bindRoutes() {
    for (const auto& listener : s_.routes_.listeners) {
      for (const auto& host : listener.table.hosts()) {
        for (const auto& route : host.routes) bindRoute(route);
      }
    }
  }

  void bindRoute(const router::Route& route) {
    auto rt = std::make_unique<RouteRuntime>();
    rt->route = &route;
    rt->id = fmt::format("{}/{}/{}", route.id.table_namespace, route.id.table_name, route.id.route_name);
    std::vector<const CompiledPolicy*> candidates;
    for (std::size_t i = 0; i < s_.policies_.size(); ++i) {
      if (selects(*s_.policies_[i]->source, route)) candidates.push_back(s_.policies_[i].get());
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const CompiledPolicy* a, const CompiledPolicy* b) { return a->olderThan(*b); });
    if (!candidates.empty()) {
      rt->policy = candidates.front();
      rt->conflicts.assign(candidates.begin() + 1, candidates.end());
      for (const CompiledPolicy* loser : rt->conflicts) {
        diags_.warning("", 0, "JWTPolicy/" + loser->id, "",
                       fmt::format("conflicts with the older JWTPolicy {} on route {}: only {} "
                                   "applies there",
                                   rt->policy->id, rt->id, rt->policy->id));
      }
    }
    if (const auto* fwd = std::get_if<router::ForwardTo>(&route.action)) {
      for (const auto& d : fwd->destinations) {
        WeightedUpstream wu;
        wu.weight = d.weight;
        for (const auto& ep : d.endpoints) {
          auto t = std::make_unique<http::UpstreamTarget>();
          t->host = ep.host;
          t->port = ep.port;
          t->tls = d.tls;
          t->sni = d.sni;
          if (d.clientside_tls) {
            t->ca_file = d.clientside_tls->ca_certificates;
            t->insecure_skip_verify = d.clientside_tls->insecure_skip_verify;
          }
          t->finalize();
          if (wu.label.empty()) wu.label = fmt::format("{}:{}", ep.host, ep.port);
          wu.endpoints.push_back(std::move(t));
        }
        rt->total_weight += wu.weight;
        rt->upstreams.push_back(std::move(wu));
      }
      if (fwd->host_rewrite) {
        rt->host_rewrite = *fwd->host_rewrite;
      } else if (fwd->auto_host_rewrite && !fwd->destinations.empty()) {
        rt->host_rewrite = fwd->destinations.front().service_host;
      }
    }
    s_.runtime_.emplace(&route, std::move(rt));
  }

  Snapshot& s_;
  config::Diagnostics& diags_;
};

std::shared_ptr<const Snapshot> Snapshot::compile(config::ConfigSet config,
                                                  config::Diagnostics& diags) {
  std::shared_ptr<Snapshot> s(new Snapshot());
  s->config_ = std::move(config);
  Compiler(*s, diags).run();
  if (diags.hasErrors()) return nullptr;
  return s;
}

}  // namespace claimgate::snapshot
