// compileRoutes, in named steps: bind RouteTables to listeners (virtualGateways +
// allowedRouteTables) → flatten each table's routes, expanding delegation recursively → place the
// leaf routes under each allowed host → build the host lookup.
#include "router/route_table_set.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

#include "common/ascii.h"

namespace claimgate::router {

namespace {

using config::RouteTable;

// Older first: creationTimestamp, then load order (resources without a timestamp sort after).
bool olderThan(const config::ResourceBase& a, const config::ResourceBase& b) {
  auto ta = a.metadata.creation_seconds.value_or(std::numeric_limits<std::int64_t>::max());
  auto tb = b.metadata.creation_seconds.value_or(std::numeric_limits<std::int64_t>::max());
  if (ta != tb) return ta < tb;
  return a.origin.load_order < b.origin.load_order;
}

bool labelsMatch(const config::Labels& selector, const config::Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

bool selectorMatches(const config::ObjectSelector& s, const config::ResourceBase& r) {
  return (s.name.empty() || s.name == r.metadata.name) &&
         (s.namespace_.empty() || s.namespace_ == r.metadata.namespace_) &&
         labelsMatch(s.labels, r.metadata.labels);
}

// Does the allowedRouteTables host pattern `filter` cover the RouteTable host `host`?
bool hostCovered(std::string_view filter, std::string_view host) {
  if (filter == "*" || filter == host) return true;
  if (filter.starts_with("*")) {
    auto suffix = filter.substr(1);
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return false;
}

// ROUTE_SPECIFICITY key of a route's own matchers (lower sorts first): exact > regex > prefix,
// longer first; the most specific matcher of the route counts. No uri = Envoy's prefix "/".
std::pair<int, std::ptrdiff_t> specificity(const Route& r) {
  std::pair<int, std::ptrdiff_t> best{2, -1};
  const auto& own = *r.chain.back();
  bool first = true;
  for (const auto& m : own.any_of) {
    std::pair<int, std::ptrdiff_t> k{2, -1};
    if (m.uri) {
      auto len = static_cast<std::ptrdiff_t>(m.uri->value().size());
      switch (m.uri->kind()) {
        case StringMatcher::Kind::kExact: k = {0, -len}; break;
        case StringMatcher::Kind::kRegex:
        case StringMatcher::Kind::kSuffix: k = {1, 0}; break;
        default: k = {2, -len}; break;
      }
    }
    if (first || k < best) best = k;
    first = false;
  }
  return best;
}

class Compiler {
 public:
  Compiler(const config::ConfigSet& cfg, config::Diagnostics& diags) : cfg_(cfg), diags_(diags) {}

  RouteTableSet run() {
    RouteTableSet out;
    std::set<std::uint32_t> ports;
    for (const auto& vg : cfg_.virtual_gateways) {
      for (std::size_t li = 0; li < vg.listeners.size(); ++li) {
        const auto& l = vg.listeners[li];
        if (!l.port.number || !l.http) continue;  // refused by the loader already
        auto field = fmt::format("spec.listeners[{}].port.number", li);
        if (!ports.insert(*l.port.number).second) {
          report(config::Severity::kError, vg, field,
                 fmt::format("port {} is already used by another listener", *l.port.number));
          continue;
        }
        out.listeners.push_back(compileListener(vg, li));
      }
    }
    noteUnbound();
    return out;
  }

 private:
  void report(config::Severity sev, const config::ResourceBase& r, std::string field,
              std::string message, int line = 0) {
    config::Diagnostic d{sev, r.origin.file, r.origin.document, line ? line : r.origin.line, r.id(),
                         std::move(field), std::move(message)};
    // A table bound to several listeners or hosts is compiled several times: say things once.
    if (seen_.insert(d.format() + std::string(config::severityName(sev))).second)
      diags_.add(std::move(d));
  }

  bool references(const RouteTable& t, const config::VirtualGateway& vg) const {
    return std::any_of(t.virtual_gateways.begin(), t.virtual_gateways.end(), [&](const auto& ref) {
      return ref.name == vg.metadata.name && ref.namespace_ == vg.metadata.namespace_;
    });
  }

  ListenerRoutes compileListener(const config::VirtualGateway& vg, std::size_t li) {
    const auto& l = vg.listeners[li];
    ListenerRoutes out;
    out.gateway_namespace = vg.metadata.namespace_;
    out.gateway_name = vg.metadata.name;
    out.listener_index = li;
    out.port = *l.port.number;
    out.tls = l.tls.has_value();
    out.https_redirect = l.https_redirect;

    std::vector<const RouteTable*> bound;
    for (const auto& t : cfg_.route_tables)
      if (!t.hosts.empty() && references(t, vg)) bound.push_back(&t);
    std::stable_sort(bound.begin(), bound.end(),
                     [](const RouteTable* a, const RouteTable* b) { return olderThan(*a, *b); });

    for (const auto* t : bound) {
      std::vector<std::string> hosts;
      for (const auto& h : t->hosts) {
        auto host = asciiLowerCopy(h);
        if (allowed(l, *t, host))
          hosts.push_back(std::move(host));
        else
          report(config::Severity::kWarning, *t, "spec.hosts",
                 fmt::format("host {} is not allowed on listener {} of VirtualGateway {}/{} "
                             "(allowedRouteTables): not bound there",
                             h, *l.port.number, vg.metadata.namespace_, vg.metadata.name));
      }
      if (hosts.empty()) continue;
      std::vector<const RouteTable*> stack{t};
      auto routes = flatten(*t, out.port, stack, {}, {});
      for (const auto& h : hosts) {
        auto& vh = out.table.hostFor(h);
        for (const auto& r : routes) vh.routes.push_back(r);
      }
    }
    out.table.finalize();
    return out;
  }

  static bool allowed(const config::Listener& l, const RouteTable& t, const std::string& host) {
    if (l.allowed_route_tables.empty()) return true;  // no filters: any table binds
    return std::any_of(l.allowed_route_tables.begin(), l.allowed_route_tables.end(),
                       [&](const config::RouteTableFilter& f) {
                         return (f.host_namespace == "*" || f.host_namespace == t.metadata.namespace_) &&
                                hostCovered(f.dns_name, host) &&
                                (!f.selector || selectorMatches(*f.selector, t));
                       });
  }

  // Gloo's route names: `insecure-` trimmed; a repeated name becomes `duplicate-<name>-<n>`.
  static std::vector<std::string> routeNames(const RouteTable& t) {
    std::vector<std::string> names;
    std::map<std::string, int> count;
    for (const auto& r : t.http) {
      std::string n = r.name;
      if (n.starts_with("insecure-")) n = n.substr(9);
      if (!n.empty() && count[n]++ > 0) n = fmt::format("duplicate-{}-{}", n, count[n] - 1);
      names.push_back(std::move(n));
    }
    return names;
  }

  std::vector<Route> flatten(const RouteTable& t, std::uint32_t port,
                             std::vector<const RouteTable*>& stack,
                             const std::vector<RouteRef>& ancestors,
                             const std::vector<std::shared_ptr<const MatcherSet>>& chain) {
    std::vector<Route> out;
    auto names = routeNames(t);
    for (std::size_t i = 0; i < t.http.size(); ++i) {
      const auto& r = t.http[i];
      auto field = fmt::format("spec.http[{}]", i);
      RouteRef ref{t.metadata.namespace_, t.metadata.name, names[i], i, t.metadata.labels, r.labels,
                   t.metadata.labels};
      for (const auto& [k, v] : r.labels) ref.labels[k] = v;

      std::vector<MatcherError> errors;
      auto set = std::make_shared<const MatcherSet>(compileMatchers(r.matchers, port, errors));
      for (auto& e : errors)
        report(config::Severity::kError, t, field + "." + e.field, e.message, r.line);
      if (!errors.empty()) continue;
      auto own_chain = chain;
      own_chain.push_back(set);

      if (const auto* d = std::get_if<config::DelegateAction>(&r.action)) {
        auto parents = ancestors;
        parents.push_back(ref);
        auto children = delegate(t, i, *d, port, stack, parents, own_chain);
        for (auto& c : children) out.push_back(std::move(c));
        continue;
      }
      Route route;
      route.id = std::move(ref);
      route.ancestors = ancestors;
      route.chain = std::move(own_chain);
      if (!buildAction(t, r, field, route)) continue;
      out.push_back(std::move(route));
    }
    return out;
  }

  std::vector<Route> delegate(const RouteTable& t, std::size_t index, const config::DelegateAction& d,
                              std::uint32_t port, std::vector<const RouteTable*>& stack,
                              const std::vector<RouteRef>& parents,
                              const std::vector<std::shared_ptr<const MatcherSet>>& chain) {
    auto field = fmt::format("spec.http[{}].delegate.routeTables", index);
    // Selected tables: in selector order; within one selector, oldest first (Gloo: creation time).
    std::vector<const RouteTable*> children;
    for (const auto& sel : d.route_tables) {
      std::vector<const RouteTable*> matched;
      for (const auto& c : cfg_.route_tables) {
        if (&c == &t || !selectorMatches(sel, c)) continue;
        if (!c.hosts.empty()) {
          report(config::Severity::kWarning, t, field,
                 fmt::format("{} has hosts, so it is not a delegated table: not selected", c.id()));
          continue;
        }
        matched.push_back(&c);
      }
      std::stable_sort(matched.begin(), matched.end(),
                       [](const RouteTable* a, const RouteTable* b) { return olderThan(*a, *b); });
      for (const auto* c : matched)
        if (std::find(children.begin(), children.end(), c) == children.end()) children.push_back(c);
    }
    if (children.empty()) {
      report(config::Severity::kWarning, t, field,
             "selects no RouteTable: this delegating route matches nothing");
      return {};
    }
    // TABLE_WEIGHT ordering applies to both sort methods (it breaks ROUTE_SPECIFICITY ties).
    std::stable_sort(children.begin(), children.end(),
                     [](const RouteTable* a, const RouteTable* b) { return a->weight > b->weight; });
    std::vector<Route> out;
    for (const auto* c : children) {
      if (std::find(stack.begin(), stack.end(), c) != stack.end()) {
        std::string path;
        for (const auto* s : stack) path += s->id() + " -> ";
        report(config::Severity::kError, t, field, fmt::format("delegation cycle: {}{}", path, c->id()));
        continue;
      }
      stack.push_back(c);
      auto routes = flatten(*c, port, stack, parents, chain);
      stack.pop_back();
      for (auto& r : routes) out.push_back(std::move(r));
    }
    if (d.sort_method == config::SortMethod::kRouteSpecificity) {
      std::stable_sort(out.begin(), out.end(), [](const Route& a, const Route& b) {
        return specificity(a) < specificity(b);
      });
    }
    return out;
  }

  void replace(Route& route, const RouteTable& t, const std::string& field, std::string why, int line) {
    report(config::Severity::kWarning, t, field, fmt::format("{}: the route answers 500", why), line);
    route.action = DirectResponse{500, std::nullopt, true, std::move(why)};
  }

  // False when the route is dropped (an error was reported).
  bool buildAction(const RouteTable& t, const config::HttpRoute& r, const std::string& field,
                   Route& route) {
    if (std::holds_alternative<std::monostate>(r.action)) return false;  // loader error
    if (const auto* dr = std::get_if<config::DirectResponseAction>(&r.action)) {
      route.action = DirectResponse{dr->status, dr->body, false, {}};
      return true;
    }
    if (const auto* rd = std::get_if<config::RedirectAction>(&r.action)) {
      route.action = *rd;
      return true;
    }
    if (const auto* u = std::get_if<config::UnsupportedAction>(&r.action)) {
      route.action = DirectResponse{500, std::nullopt, true, u->what + " is not supported"};
      return true;
    }
    const auto& f = std::get<config::ForwardToAction>(r.action);
    ForwardTo out;
    std::vector<config::DestinationReference> dests = f.destinations;
    std::string dest_field = field + ".forwardTo.destinations";
    if (dests.empty()) {
      if (!t.default_destination) return false;  // loader error
      dests.push_back(*t.default_destination);
      dest_field = "spec.defaultDestination";
    }
    std::uint32_t weighted = 0;
    std::size_t unweighted = 0;
    for (const auto& d : dests) {
      if (d.weight)
        weighted += *d.weight;
      else
        ++unweighted;
    }
    for (std::size_t j = 0; j < dests.size(); ++j) {
      std::string why;
      auto rd = resolveDestination(cfg_, dests[j], &why);
      if (!rd) {
        replace(route, t, f.destinations.empty() ? dest_field : fmt::format("{}[{}]", dest_field, j),
                why, r.line);
        return true;
      }
      // No weights at all: equal shares. Some weights: the rest of 100 is split over the
      // destinations without one, at least 1 each (ForwardToAction proto comment).
      if (dests[j].weight)
        rd->weight = *dests[j].weight;
      else if (weighted == 0)
        rd->weight = 1;
      else
        rd->weight = std::max<std::uint32_t>(1, (100 - std::min<std::uint32_t>(weighted, 100)) /
                                                    static_cast<std::uint32_t>(unweighted));
      out.total_weight += rd->weight;
      out.destinations.push_back(std::move(*rd));
    }
    if (out.total_weight == 0) {
      replace(route, t, dest_field, "every destination has weight 0", r.line);
      return true;
    }
    if (f.path_rewrite) {
      bool regex = std::any_of(r.matchers.begin(), r.matchers.end(), [](const auto& m) {
        return m.uri && m.uri->kind == config::StringMatch::Kind::kRegex;
      });
      if (regex) {
        report(config::Severity::kError, t, field + ".forwardTo.pathRewrite",
               "pathRewrite cannot be combined with a regex uri matcher (use regexRewrite)", r.line);
        return false;
      }
      out.path_rewrite = f.path_rewrite;
    }
    if (f.regex_rewrite) {
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<const RE2>(f.regex_rewrite->regex, opts);
      if (!re->ok()) {
        report(config::Severity::kError, t, field + ".forwardTo.regexRewrite.pattern.regex",
               fmt::format("invalid RE2 regex \"{}\": {}", f.regex_rewrite->regex, re->error()),
               r.line);
        return false;
      }
      out.regex_rewrite = std::move(re);
      out.regex_substitution = f.regex_rewrite->substitution;
    }
    out.host_rewrite = f.host_rewrite;
    out.auto_host_rewrite = f.auto_host_rewrite;
    route.action = std::move(out);
    return true;
  }

  // Debug notes for tables that bind nowhere (Gloo tolerates dangling references).
  void noteUnbound() {
    for (const auto& t : cfg_.route_tables) {
      if (t.hosts.empty()) continue;
      if (t.virtual_gateways.empty()) {
        report(config::Severity::kDebug, t, "spec.virtualGateways",
               "no virtualGateways: a mesh-only RouteTable, not served by claimgate");
        continue;
      }
      for (std::size_t i = 0; i < t.virtual_gateways.size(); ++i) {
        const auto& ref = t.virtual_gateways[i];
        bool found = std::any_of(cfg_.virtual_gateways.begin(), cfg_.virtual_gateways.end(),
                                 [&](const config::VirtualGateway& vg) {
                                   return vg.metadata.name == ref.name &&
                                          vg.metadata.namespace_ == ref.namespace_;
                                 });
        if (!found)
          report(config::Severity::kDebug, t, fmt::format("spec.virtualGateways[{}]", i),
                 fmt::format("VirtualGateway {}/{} is not in the config: not bound", ref.namespace_,
                             ref.name));
      }
    }
  }

  const config::ConfigSet& cfg_;
  config::Diagnostics& diags_;
  std::set<std::string> seen_;
};

// Host header → lower-case host without `:port`, in `buf`; empty when too long.
std::string_view normalizeHost(std::string_view host, char (&buf)[256]) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    auto port = host.substr(colon + 1);
    if (std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      host = host.substr(0, colon);
  }
  if (host.size() >= sizeof(buf)) return {};
  for (std::size_t i = 0; i < host.size(); ++i) buf[i] = asciiLower(host[i]);
  return {buf, host.size()};
}

}  // namespace

std::string rewritePath(const RouteMatch& m, std::string_view path, std::string_view query) {
  std::string out;
  const auto* f = m.route ? std::get_if<ForwardTo>(&m.route->action) : nullptr;
  if (f && f->path_rewrite) {
    if (m.uri && m.uri->kind() == StringMatcher::Kind::kExact) {
      out = *f->path_rewrite;
    } else {
      // Envoy prefix_rewrite: replace the matched prefix (no uri matcher = prefix "/").
      std::size_t cut = m.uri && m.uri->kind() == StringMatcher::Kind::kPrefix ? m.uri->value().size() : 1;
      cut = std::min(cut, path.size());
      out = *f->path_rewrite;
      out.append(path.substr(cut));
    }
  } else if (f && f->regex_rewrite) {
    out.assign(path);
    RE2::GlobalReplace(&out, *f->regex_rewrite, f->regex_substitution);
  } else {
    out.assign(path);
  }
  if (!query.empty()) {
    out += '?';
    out.append(query);
  }
  return out;
}

RouteMatch VirtualHostTable::VirtualHost::match(const RequestHead& req) const {
  const bool filtered = filters.size() == routes.size();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (filtered && !filters[i].mayMatch(req.path)) continue;
    const Route& r = routes[i];
    RouteMatch m{&r, nullptr};
    bool ok = true;
    for (const auto& level : r.chain) {
      auto hit = level->match(req);
      if (!hit) {
        ok = false;
        break;
      }
      if (*hit && (*hit)->uri) m.uri = &*(*hit)->uri;
    }
    if (ok) return m;
  }
  return {};
}

const VirtualHostTable::VirtualHost* VirtualHostTable::findHost(std::string_view host) const {
  char buf[256];
  auto h = normalizeHost(host, buf);
  if (!h.empty()) {
    if (auto it = exact_.find(h); it != exact_.end()) return &hosts_[it->second];
    for (const auto& [suffix, idx] : wildcards_)
      if (h.size() > suffix.size() && h.ends_with(suffix)) return &hosts_[idx];
  }
  return catch_all_ ? &hosts_[*catch_all_] : nullptr;
}

RouteMatch VirtualHostTable::match(const RequestHead& req) const {
  const auto* vh = findHost(req.host);
  return vh ? vh->match(req) : RouteMatch{};
}

VirtualHostTable::VirtualHost& VirtualHostTable::hostFor(const std::string& pattern) {
  for (auto& h : hosts_)
    if (h.pattern == pattern) return h;
  hosts_.push_back(VirtualHost{pattern, {}});
  return hosts_.back();
}

void VirtualHostTable::finalize() {
  exact_.clear();
  wildcards_.clear();
  catch_all_.reset();
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    auto& vh = hosts_[i];
    vh.filters.clear();
    for (const auto& r : vh.routes) vh.filters.push_back(PathFilter::forChain(r.chain));
    const auto& p = hosts_[i].pattern;
    if (p == "*")
      catch_all_ = i;
    else if (p.starts_with("*"))
      wildcards_.emplace_back(p.substr(1), i);
    else
      exact_.emplace(p, i);
  }
  std::stable_sort(wildcards_.begin(), wildcards_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const ListenerRoutes* RouteTableSet::findListener(std::uint32_t port) const {
  for (const auto& l : listeners)
    if (l.port == port) return &l;
  return nullptr;
}

RouteTableSet compileRoutes(const config::ConfigSet& config, config::Diagnostics& diags) {
  return Compiler(config, diags).run();
}

}  // namespace claimgate::router
