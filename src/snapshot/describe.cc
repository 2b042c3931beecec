// Snapshot::describe (the `claimgate validate` report) and Snapshot::configDumpJson (admin
// /config_dump). Secrets never appear in either: only their names, types and key names.
#include <fmt/format.h>

#include "common/json_text.h"

#include "snapshot/snapshot.h"

namespace claimgate::snapshot {
namespace {

std::string actionText(const router::Route& r, const RouteRuntime* rt) {
  if (const auto* d = std::get_if<router::DirectResponse>(&r.action)) {
    if (d->replaced) return fmt::format("500 (cannot serve: {})", d->reason);
    return fmt::format("directResponse {}", d->status);
  }
  if (const auto* red = std::get_if<router::Redirect>(&r.action)) {
    return fmt::format("redirect {} {}{}", red->response_code, red->host_redirect,
                       red->path_redirect.value_or(""));
  }
  std::string out = "forwardTo";
  if (rt) {
    for (const auto& u : rt->upstreams) {
      out += fmt::format(" {}{}", u.endpoints.front()->tls ? "https://" : "", u.label);
      if (rt->upstreams.size() > 1) out += fmt::format(" (weight {})", u.weight);
    }
  }
  return out;
}

std::string_view validationName(config::ValidationPolicy v) {
  switch (v) {
    case config::ValidationPolicy::kRequireValid: return "REQUIRE_VALID";
    case config::ValidationPolicy::kAllowMissing: return "ALLOW_MISSING";
    case config::ValidationPolicy::kAllowMissingOrFailed: return "ALLOW_MISSING_OR_FAILED";
  }
  return "?";
}

}  // namespace

std::string Snapshot::describe() const {
  std::string out;
  for (const auto& l : routes_.listeners) {
    out += fmt::format("listener {}/{}#{} port {} ({}{})\n", l.gateway_namespace, l.gateway_name,
                       l.listener_index, l.port, l.tls ? "https" : "http",
                       l.https_redirect ? ", redirects to https" : "");
    for (const auto& host : l.table.hosts()) {
      out += fmt::format("  host {}\n", host.pattern);
      for (const auto& r : host.routes) {
        const RouteRuntime* rt = runtimeFor(&r);
        out += fmt::format("    route {}/{}/{} -> {}\n", r.id.table_namespace, r.id.table_name,
                           r.id.route_name, actionText(r, rt));
        if (rt && rt->policy) {
          out += fmt::format("      policy {}\n", rt->policy->id);
          for (const auto* c : rt->conflicts) {
            out += fmt::format("      conflict: {} also selects this route but is newer; not applied\n",
                               c->id);
          }
        } else {
          out += "      policy none (open: no JWTPolicy selects this route)\n";
        }
      }
    }
  }
  if (routes_.listeners.empty()) out += "no listeners\n";
  out += fmt::format("{} JWTPolicy(s)\n", policies_.size());
  for (const auto& p : policies_) {
    std::size_t routes = 0;
    for (const auto& [route, rt] : runtime_) routes += rt->policy == p.get() ? 1 : 0;
    out += fmt::format("  {} ({}): providers [{}], {} claim rule(s), {} required scope(s), {}, "
                       "applies to {} route(s)\n",
                       p->id, p->origin, fmt::join(p->provider_names, ", "),
                       p->claims.claimRuleCount(), p->claims.requiredScopeCount(),
                       validationName(p->validation_policy), routes);
    for (const auto& n : p->notes) out += fmt::format("    note: {}\n", n);
  }
  return out;
}

std::string Snapshot::configDumpJson() const {
  std::string out = "{\"listeners\":[";
  bool first = true;
  for (const auto& l : listeners_) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{{\"gateway\":");
    appendJsonString(out, l.gateway);
    out += fmt::format(",\"port\":{},\"tls\":{},\"https_redirect\":{}}}", l.port, l.tls,
                       l.https_redirect);
  }
  out += "],\"routes\":[";
  first = true;
  for (const auto& l : routes_.listeners) {
    for (const auto& host : l.table.hosts()) {
      for (const auto& r : host.routes) {
        const RouteRuntime* rt = runtimeFor(&r);
        if (!first) out += ',';
        first = false;
        out += fmt::format("{{\"port\":{},\"host\":", l.port);
        appendJsonString(out, host.pattern);
        out += ",\"route\":";
        appendJsonString(out, rt ? rt->id : r.id.route_name);
        out += ",\"action\":";
        appendJsonString(out, actionText(r, rt));
        out += ",\"policy\":";
        if (rt && rt->policy) {
          appendJsonString(out, rt->policy->id);
        } else {
          out += "null";
        }
        out += ",\"conflicts\":[";
        if (rt) {
          for (std::size_t i = 0; i < rt->conflicts.size(); ++i) {
            if (i) out += ',';
            appendJsonString(out, rt->conflicts[i]->id);
          }
        }
        out += "]}";
      }
    }
  }
  out += "],\"policies\":[";
  first = true;
  for (const auto& p : policies_) {
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    appendJsonString(out, p->id);
    out += ",\"origin\":";
    appendJsonString(out, p->origin);
    out += ",\"validationPolicy\":";
    appendJsonString(out, validationName(p->validation_policy));
    out += ",\"providers\":[";
    const auto& provs = p->source->config.providers;
    for (std::size_t i = 0; i < provs.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      appendJsonString(out, provs[i].name);
      out += ",\"issuer\":";
      appendJsonString(out, provs[i].issuer);
      out += ",\"keys\":";
      appendJsonString(out, provs[i].remote ? "remote " + provs[i].remote->url
                      : provs[i].local && provs[i].local->secret_ref ? std::string("secretRef")
                                                                      : std::string("inline"));
      out += "}";
    }
    out += fmt::format("],\"claimRules\":{},\"requiredScopes\":{}}}", p->claims.claimRuleCount(),
                       p->claims.requiredScopeCount());
  }
  out += "],\"secrets\":[";
  first = true;
  for (const auto& s : config_.secrets) {
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    appendJsonString(out, s.id());
    out += ",\"type\":";
    appendJsonString(out, s.type);
    out += ",\"data\":{";
    bool f2 = true;
    for (const auto& [k, v] : s.data) {
      if (!f2) out += ',';
      f2 = false;
      appendJsonString(out, k);
      out += ":\"[redacted]\"";
    }
    out += "}}";
  }
  out += "]}";
  return out;
}

}  // namespace claimgate::snapshot
