// compileRoutes: VirtualGateways + RouteTables → per listener, per host, a flat ordered list of
// leaf routes (delegation already expanded), matched with const methods on the request path.
// First matching route wins; no host or no route → the caller answers 404 (DESIGN §2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "config/diagnostics.h"
#include "config/resources.h"
#include "router/destination.h"
#include "router/matchers.h"
#include "router/request.h"

namespace re2 {
class RE2;
}

namespace claimgate::router {

// Identity of a route for policy selection and logs.
struct RouteRef {
  std::string table_namespace;
  std::string table_name;
  std::string route_name;     // Gloo rules: `insecure-` trimmed, duplicates `duplicate-<n>-<i>`
  std::size_t route_index = 0;  // position in the table's `spec.http`
  config::Labels labels;        // the RouteTable's metadata.labels, overridden by the route's
  config::Labels route_labels;  // the route's own `labels` only
  config::Labels table_labels;  // the RouteTable's metadata.labels only
};

struct ForwardTo {
  std::vector<ResolvedDestination> destinations;  // never empty
  std::uint32_t total_weight = 0;                 // sum of destinations[].weight (> 0)
  std::optional<std::string> path_rewrite;
  std::shared_ptr<const re2::RE2> regex_rewrite;  // with regex_substitution
  std::string regex_substitution;
  std::optional<std::string> host_rewrite;
  bool auto_host_rewrite = false;
};

struct DirectResponse {
  std::uint32_t status = 0;
  std::optional<std::string> body;
  // Set when claimgate cannot serve the route as configured (Gloo's ROUTE_REPLACEMENT): status is
  // 500 and `reason` says why (for logs; the client gets an empty body).
  bool replaced = false;
  std::string reason;
};

using Redirect = config::RedirectAction;

using Action = std::variant<ForwardTo, DirectResponse, Redirect>;

struct Route {
  RouteRef id;                       // the leaf route (in a delegated child table, the child's)
  std::vector<RouteRef> ancestors;   // delegating routes, outermost first
  // Matcher sets from the outermost delegating route to the leaf: all must match.
  std::vector<std::shared_ptr<const MatcherSet>> chain;
  Action action;
};

struct RouteMatch {
  const Route* route = nullptr;
  // The uri matcher that decided the match at the deepest level that has one (for pathRewrite);
  // nullptr when no level matched on the uri (Envoy's implicit prefix "/").
  const StringMatcher* uri = nullptr;
  explicit operator bool() const { return route != nullptr; }
};

// The path (with `?query` when not empty) the upstream receives after pathRewrite/regexRewrite.
std::string rewritePath(const RouteMatch& m, std::string_view path, std::string_view query);

class VirtualHostTable {
 public:
  struct VirtualHost {
    std::string pattern;  // lower-case: `example.com`, `*.example.com`, `*`
    std::vector<Route> routes;
    std::vector<PathFilter> filters;  // parallel to routes once finalize() ran
    RouteMatch match(const RequestHead& req) const;
  };

  // Envoy's virtual host choice: exact host, then the longest `*suffix` wildcard, then `*`.
  // Case-insensitive; a `:port` suffix of the Host header is ignored.
  const VirtualHost* findHost(std::string_view host) const;
  RouteMatch match(const RequestHead& req) const;

  const std::vector<VirtualHost>& hosts() const { return hosts_; }

  // Building (compileRoutes): routes are appended in order.
  VirtualHost& hostFor(const std::string& pattern);
  void finalize();

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::vector<VirtualHost> hosts_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, std::size_t>> wildcards_;  // suffix after `*`, longest first
  std::optional<std::size_t> catch_all_;
};

struct ListenerRoutes {
  std::string gateway_namespace;
  std::string gateway_name;
  std::size_t listener_index = 0;
  std::uint32_t port = 0;
  bool tls = false;
  bool https_redirect = false;
  VirtualHostTable table;
};

struct RouteTableSet {
  std::vector<ListenerRoutes> listeners;
  const ListenerRoutes* findListener(std::uint32_t port) const;
};

// Problems go to `diags` (errors refuse the config; a route that cannot be served is a warning
// and answers 500). Dangling VirtualGateway references are tolerated (as Gloo does) with a note.
RouteTableSet compileRoutes(const config::ConfigSet& config, config::Diagnostics& diags);

}  // namespace claimgate::router
