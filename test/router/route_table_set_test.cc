// compileRoutes: binding, host selection, delegation (selection, ordering, nested matching,
// cycles), actions and destination resolution, and the real manifests of shared/compat.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "router/route_table_set.h"

namespace claimgate::router {
namespace {

const std::string kGateway = R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw-ns}
spec:
  listeners:
  - http: {}
    port: {number: 8080}
---
)";

struct Compiled {
  config::ConfigSet config;
  config::Diagnostics diags;
  RouteTableSet routes;
};

std::unique_ptr<Compiled> compile(const std::string& yaml, bool expect_ok = true) {
  auto c = std::make_unique<Compiled>();
  c->config = config::loadConfigFromString(yaml, "t.yaml", c->diags);
  c->routes = compileRoutes(c->config, c->diags);
  if (expect_ok) {
    EXPECT_FALSE(c->diags.hasErrors()) << c->diags.formatAll();
  }
  return c;
}

RouteMatch route(const Compiled& c, std::string_view host, std::string_view path,
                 std::string_view query = "", std::uint32_t port = 8080,
                 std::vector<HeaderView> headers = {}, std::string_view method = "GET") {
  const auto* l = c.routes.findListener(port);
  if (!l) return {};
  RequestHead req{method, path, query, host, headers};
  return l->table.match(req);
}

// "table/route" of the matched route, "" when none.
std::string who(const RouteMatch& m) {
  return m ? m.route->id.table_name + "/" + m.route->id.route_name : "";
}

TEST(Routes, HostSelectionExactThenLongestWildcardThenCatchAll) {
  std::string yaml = kGateway;
  for (auto [name, host] : std::vector<std::pair<std::string, std::string>>{
           {"exact", "api.example.com"},
           {"wild", "*.example.com"},
           {"deeper", "*.eu.example.com"},
           {"partial", "*bar.org"},
           {"all", "*"}}) {
    yaml += "apiVersion: networking.gloo.solo.io/v2\nkind: RouteTable\nmetadata: {name: " + name +
            ", namespace: gw-ns}\nspec:\n  hosts: ['" + host +
            "']\n  virtualGateways: [{name: gw}]\n  http:\n  - name: r\n    directResponse: {status: 200}\n---\n";
  }
  auto c = compile(yaml);
  EXPECT_EQ(who(route(*c, "api.example.com", "/")), "exact/r");
  EXPECT_EQ(who(route(*c, "API.Example.COM:8080", "/")), "exact/r");  // case, port ignored
  EXPECT_EQ(who(route(*c, "www.example.com", "/")), "wild/r");
  EXPECT_EQ(who(route(*c, "a.b.example.com", "/")), "wild/r");  // spans labels
  EXPECT_EQ(who(route(*c, "x.eu.example.com", "/")), "deeper/r");
  EXPECT_EQ(who(route(*c, "foobar.org", "/")), "partial/r");
  EXPECT_EQ(who(route(*c, "bar.org", "/")), "all/r");  // `*bar.org` needs one more character
  EXPECT_EQ(who(route(*c, "example.com", "/")), "all/r");
  EXPECT_EQ(who(route(*c, "[::1]:8080", "/")), "all/r");
  EXPECT_FALSE(route(*c, "api.example.com", "/", "", 9999));  // no such listener
}

TEST(Routes, NoCatchAllMeansNoHostNoRoute) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: gw-ns}
spec:
  hosts: [a.com]
  virtualGateways: [{name: gw}]
  http:
  - name: get
    matchers: [{uri: {exact: /get}}]
    directResponse: {status: 200}
)");
  EXPECT_EQ(who(route(*c, "a.com", "/get")), "t/get");
  EXPECT_FALSE(route(*c, "a.com", "/other"));
  EXPECT_FALSE(route(*c, "b.com", "/get"));
}

TEST(Routes, BindingNeedsTheGatewayAndItsFilters) {
  auto c = compile(R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw-ns}
spec:
  listeners:
  - http: {}
    port: {number: 8080}
    allowedRouteTables:
    - host: '*.example.com'
    - host: 'team-b/b.org'
    - host: 'c.org'
      selector: {labels: {ok: "yes"}}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: a, namespace: team-a}
spec:
  hosts: [www.example.com, other.net, b.org]
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http: [{name: r, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: b, namespace: team-b}
spec:
  hosts: [b.org]
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http: [{name: r, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: c, namespace: team-c, labels: {ok: "no"}}
spec:
  hosts: [c.org]
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http: [{name: r, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: wrong-ns-ref, namespace: team-a}
spec:
  hosts: [x.example.com]
  virtualGateways: [{name: gw}]
  http: [{name: r, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: mesh, namespace: team-a}
spec:
  hosts: [y.example.com]
  http: [{name: r, directResponse: {status: 200}}]
)");
  EXPECT_EQ(who(route(*c, "www.example.com", "/")), "a/r");
  EXPECT_FALSE(route(*c, "other.net", "/"));     // not allowed by any filter
  EXPECT_EQ(who(route(*c, "b.org", "/")), "b/r");  // a's b.org is in the wrong namespace
  EXPECT_FALSE(route(*c, "c.org", "/"));          // selector does not match
  EXPECT_FALSE(route(*c, "x.example.com", "/"));  // virtualGateways namespace defaults to team-a
  EXPECT_FALSE(route(*c, "y.example.com", "/"));  // mesh-only table
  EXPECT_GE(c->diags.warningCount(), 2u);
}

TEST(Routes, SameHostInSeveralTablesOldestFirst) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: newer, namespace: gw-ns, creationTimestamp: "2024-05-01T00:00:00Z"}
spec:
  hosts: [a.com]
  virtualGateways: [{name: gw}]
  http: [{name: r, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: older, namespace: gw-ns, creationTimestamp: "2023-05-01T00:00:00Z"}
spec:
  hosts: [a.com]
  virtualGateways: [{name: gw}]
  http: [{name: r, directResponse: {status: 200}}]
)");
  EXPECT_EQ(who(route(*c, "a.com", "/")), "older/r");
}

const std::string kParent = kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: root, namespace: gw-ns, labels: {table: root}}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw}]
  http:
  - name: to-children
    labels: {parent: "true"}
    matchers: [{uri: {prefix: /myapp}}]
    delegate:
      routeTables: [{labels: {table: myapp}}]
      sortMethod: SORT
  - name: fallback
    directResponse: {status: 404}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: prefix, namespace: apps, labels: {table: myapp}}
spec:
  weight: 90
  http:
  - name: p
    labels: {route: p}
    matchers: [{uri: {prefix: /myapp}}]
    directResponse: {status: 200}
  - name: z
    matchers: [{uri: {exact: /myapp/zzzz}}]
    directResponse: {status: 200}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: exact, namespace: apps, labels: {table: myapp}}
spec:
  weight: 100
  http:
  - name: e
    matchers: [{uri: {exact: /myapp/foo}}]
    directResponse: {status: 201}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: outside, namespace: apps, labels: {table: myapp}}
spec:
  weight: 95
  http:
  - name: o
    matchers: [{uri: {prefix: /other}}]
    directResponse: {status: 202}
)";

std::string withSort(std::string_view sort) {
  std::string s = kParent;
  s.replace(s.find("SORT"), 4, sort);
  return s;
}

TEST(Delegation, TableWeightOrdersChildTables) {
  auto c = compile(withSort("TABLE_WEIGHT"));
  const auto& vh = c->routes.listeners.at(0).table.hosts().at(0);
  std::vector<std::string> order;
  for (const auto& r : vh.routes) order.push_back(r.id.route_name);
  EXPECT_EQ(order, (std::vector<std::string>{"e", "o", "p", "z", "fallback"}));
  EXPECT_EQ(who(route(*c, "h", "/myapp/foo")), "exact/e");
  EXPECT_EQ(who(route(*c, "h", "/myapp/zzzz")), "prefix/p");  // shadowed by the prefix
  EXPECT_EQ(who(route(*c, "h", "/myapp/bar")), "prefix/p");
}

TEST(Delegation, RouteSpecificitySortsLeafRoutes) {
  auto c = compile(withSort("ROUTE_SPECIFICITY"));
  const auto& vh = c->routes.listeners.at(0).table.hosts().at(0);
  std::vector<std::string> order;
  for (const auto& r : vh.routes) order.push_back(r.id.route_name);
  // Exact first, longest first; then prefixes longest first (/other and /myapp have the same
  // length: table weight decides). The parent's own routes stay after the delegating route.
  EXPECT_EQ(order, (std::vector<std::string>{"z", "e", "o", "p", "fallback"}));
  EXPECT_EQ(who(route(*c, "h", "/myapp/zzzz")), "prefix/z");
}

TEST(Delegation, ChildMatchesOnlyWhenParentMatchesToo) {
  auto c = compile(withSort("TABLE_WEIGHT"));
  // `/other` satisfies the child's own matcher but not the parent's prefix /myapp.
  EXPECT_EQ(who(route(*c, "h", "/other")), "root/fallback");
}

TEST(Delegation, IdentityAndLabels) {
  auto c = compile(withSort("TABLE_WEIGHT"));
  auto m = route(*c, "h", "/myapp/x");
  ASSERT_TRUE(m);
  const auto& r = *m.route;
  EXPECT_EQ(r.id.table_namespace, "apps");
  EXPECT_EQ(r.id.table_name, "prefix");
  EXPECT_EQ(r.id.labels.at("route"), "p");
  EXPECT_EQ(r.id.labels.at("table"), "myapp");  // the child table's labels merged in
  EXPECT_FALSE(r.id.labels.contains("parent"));
  ASSERT_EQ(r.ancestors.size(), 1u);
  EXPECT_EQ(r.ancestors[0].route_name, "to-children");
  EXPECT_EQ(r.ancestors[0].labels.at("parent"), "true");
  EXPECT_EQ(r.chain.size(), 2u);
}

TEST(Delegation, SelectionByNameListOrderWithinEqualWeight) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: root, namespace: gw-ns}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw}]
  http:
  - delegate:
      routeTables: [{name: second}, {name: first, namespace: apps}, {name: first, namespace: nope}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: first, namespace: apps}
spec:
  http: [{name: a, directResponse: {status: 200}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: second, namespace: apps}
spec:
  http: [{name: b, directResponse: {status: 200}}]
)");
  EXPECT_EQ(who(route(*c, "h", "/")), "second/b");
  EXPECT_EQ(c->routes.listeners.at(0).table.hosts().at(0).routes.size(), 2u);
}

TEST(Delegation, NestedDelegationAndDefaultDestination) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: root, namespace: gw-ns}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw}]
  http:
  - matchers: [{uri: {prefix: /a}}]
    delegate: {routeTables: [{name: mid}]}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: mid, namespace: apps}
spec:
  http:
  - matchers: [{headers: [{name: x-mid}]}]
    delegate: {routeTables: [{name: leaf}]}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: leaf, namespace: apps}
spec:
  defaultDestination: {ref: {name: backend}, port: {number: 9000}}
  http:
  - name: l
    matchers: [{uri: {prefix: /a/b}}]
    forwardTo: {}
)");
  std::vector<HeaderView> h = {{"X-Mid", "1"}};
  auto m = route(*c, "h", "/a/b/c", "", 8080, h);
  ASSERT_EQ(who(m), "leaf/l");
  EXPECT_EQ(m.route->ancestors.size(), 2u);
  const auto& f = std::get<ForwardTo>(m.route->action);
  ASSERT_EQ(f.destinations.size(), 1u);
  EXPECT_EQ(f.destinations[0].endpoints[0].host, "backend.apps.svc.cluster.local");
  EXPECT_EQ(f.destinations[0].endpoints[0].port, 9000);
  EXPECT_FALSE(route(*c, "h", "/a/b/c"));  // the middle level needs x-mid
}

TEST(Delegation, CycleIsAnError) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: root, namespace: gw-ns}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw}]
  http: [{delegate: {routeTables: [{name: x}]}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: x, namespace: apps}
spec:
  http: [{delegate: {routeTables: [{name: y}]}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: y, namespace: apps}
spec:
  http: [{delegate: {routeTables: [{name: x}]}}]
)",
                   false);
  ASSERT_TRUE(c->diags.hasErrors());
  bool found = std::any_of(c->diags.all().begin(), c->diags.all().end(), [](const auto& d) {
    return d.severity == config::Severity::kError &&
           d.message.find("delegation cycle") != std::string::npos;
  });
  EXPECT_TRUE(found) << c->diags.formatAll();
}

TEST(Delegation, SelectingNothingIsAWarningAndMatchesNothing) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: root, namespace: gw-ns}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw}]
  http:
  - delegate: {routeTables: [{labels: {none: none}}]}
  - name: after
    directResponse: {status: 200}
)");
  EXPECT_EQ(who(route(*c, "h", "/")), "root/after");
  EXPECT_GE(c->diags.warningCount(), 1u);
}

const std::string kExternal = R"(apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata: {name: idp, namespace: apps}
spec:
  hosts: [idp.example.com]
  ports:
  - {name: https, number: 443, protocol: HTTPS, clientsideTls: {}}
  - {name: http, number: 80, protocol: HTTP}
  selector: {app: idp}
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalEndpoint
metadata: {name: idp-1, namespace: apps, labels: {app: idp}}
spec:
  address: 10.0.0.1
  ports: [{name: https, number: 8443}]
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata: {name: dns, namespace: apps}
spec:
  hosts: [httpbin.org]
  ports: [{name: http, number: 80, protocol: HTTP}]
---
)";

TEST(Actions, ForwardToResolvesDestinationsAndWeights) {
  auto c = compile(kGateway + kExternal + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: apps}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http:
  - name: split
    matchers: [{uri: {prefix: /split}}]
    forwardTo:
      destinations:
      - {ref: {name: idp}, kind: EXTERNAL_SERVICE, port: {number: 443}, weight: 70}
      - {ref: {name: dns}, kind: EXTERNAL_SERVICE}
      - {ref: {name: svc}, port: {number: 8000}}
  - name: equal
    forwardTo:
      destinations:
      - {ref: {name: dns}, kind: EXTERNAL_SERVICE}
      - {ref: {name: dns}, kind: EXTERNAL_SERVICE}
)");
  auto m = route(*c, "h", "/split");
  ASSERT_EQ(who(m), "t/split");
  const auto& f = std::get<ForwardTo>(m.route->action);
  ASSERT_EQ(f.destinations.size(), 3u);
  const auto& idp = f.destinations[0];
  EXPECT_EQ(idp.weight, 70u);
  ASSERT_EQ(idp.endpoints.size(), 1u);
  EXPECT_EQ(idp.endpoints[0].host, "10.0.0.1");
  EXPECT_EQ(idp.endpoints[0].port, 8443);  // the endpoint port named like the service port
  EXPECT_TRUE(idp.tls);
  EXPECT_EQ(idp.sni, "idp.example.com");
  const auto& dns = f.destinations[1];
  EXPECT_EQ(dns.weight, 15u);  // (100 - 70) / 2 unweighted destinations
  EXPECT_EQ(dns.endpoints[0].host, "httpbin.org");
  EXPECT_EQ(dns.endpoints[0].port, 80);
  EXPECT_FALSE(dns.tls);
  EXPECT_EQ(f.destinations[2].endpoints[0].host, "svc.apps.svc.cluster.local");
  EXPECT_EQ(f.total_weight, 100u);
  auto e = route(*c, "h", "/x");
  const auto& eq = std::get<ForwardTo>(e.route->action);
  EXPECT_EQ(eq.destinations[0].weight, 1u);
  EXPECT_EQ(eq.total_weight, 2u);
}

TEST(Actions, UnservableRoutesAnswer500WithAWarning) {
  auto c = compile(kGateway + kExternal + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: apps}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http:
  - name: missing-es
    matchers: [{uri: {prefix: /a}}]
    forwardTo: {destinations: [{ref: {name: nope}, kind: EXTERNAL_SERVICE, port: {number: 443}}]}
  - name: two-ports-no-choice
    matchers: [{uri: {prefix: /b}}]
    forwardTo: {destinations: [{ref: {name: idp}, kind: EXTERNAL_SERVICE}]}
  - name: service-without-port
    matchers: [{uri: {prefix: /c}}]
    forwardTo: {destinations: [{ref: {name: svc}}]}
  - name: graphql
    matchers: [{uri: {prefix: /d}}]
    graphql: {schema: {name: s}}
)");
  for (auto path : {"/a", "/b", "/c", "/d"}) {
    auto m = route(*c, "h", path);
    ASSERT_TRUE(m) << path;
    const auto* dr = std::get_if<DirectResponse>(&m.route->action);
    ASSERT_NE(dr, nullptr) << path;
    EXPECT_EQ(dr->status, 500u);
    EXPECT_TRUE(dr->replaced);
  }
  EXPECT_GE(c->diags.warningCount(), 4u);
}

TEST(Actions, PathRewrites) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: apps}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http:
  - matchers: [{uri: {prefix: /httpbin/anything}}]
    forwardTo: {destinations: [{ref: {name: s}, port: {number: 80}}], pathRewrite: /anything}
  - matchers: [{uri: {exact: /old}}]
    forwardTo: {destinations: [{ref: {name: s}, port: {number: 80}}], pathRewrite: /new}
  - matchers: [{uri: {prefix: /re/}}]
    forwardTo:
      destinations: [{ref: {name: s}, port: {number: 80}}]
      regexRewrite: {pattern: {regex: '^/re/([a-z]+)/(.*)$'}, substitution: '/\2/\1'}
  - forwardTo: {destinations: [{ref: {name: s}, port: {number: 80}}]}
)");
  auto m = route(*c, "h", "/httpbin/anything/x");
  EXPECT_EQ(rewritePath(m, "/httpbin/anything/x", "a=1"), "/anything/x?a=1");
  m = route(*c, "h", "/old");
  EXPECT_EQ(rewritePath(m, "/old", ""), "/new");
  m = route(*c, "h", "/re/abc/def");
  EXPECT_EQ(rewritePath(m, "/re/abc/def", ""), "/def/abc");
  m = route(*c, "h", "/keep");
  EXPECT_EQ(rewritePath(m, "/keep", "q"), "/keep?q");
}

TEST(Actions, DirectResponseAndRedirect) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: apps}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http:
  - matchers: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: "short and stout"}
  - redirect: {hostRedirect: new.example.com, pathRedirect: /moved, responseCode: FOUND}
)");
  auto m = route(*c, "h", "/teapot");
  const auto& dr = std::get<DirectResponse>(m.route->action);
  EXPECT_EQ(dr.status, 418u);
  EXPECT_EQ(*dr.body, "short and stout");
  EXPECT_FALSE(dr.replaced);
  m = route(*c, "h", "/x");
  const auto& rd = std::get<Redirect>(m.route->action);
  EXPECT_EQ(rd.response_code, 302u);
  EXPECT_EQ(rd.host_redirect, "new.example.com");
}

TEST(Routes, RouteNamesFollowGlooRules) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: t, namespace: apps}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw-ns}]
  http:
  - {name: insecure-a, matchers: [{uri: {exact: /1}}], directResponse: {status: 200}}
  - {name: b, matchers: [{uri: {exact: /2}}], directResponse: {status: 200}}
  - {name: b, matchers: [{uri: {exact: /3}}], directResponse: {status: 200}}
)");
  EXPECT_EQ(who(route(*c, "h", "/1")), "t/a");
  EXPECT_EQ(who(route(*c, "h", "/2")), "t/b");
  EXPECT_EQ(who(route(*c, "h", "/3")), "t/duplicate-b-1");
}

TEST(Routes, DuplicateListenerPortIsAnError) {
  auto c = compile(kGateway + R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw2, namespace: gw-ns}
spec:
  listeners: [{http: {}, port: {number: 8080}}]
)",
                   false);
  EXPECT_TRUE(c->diags.hasErrors());
}

TEST(Routes, ResolveDestinationForJwks) {
  config::Diagnostics d;
  auto set = config::loadConfigFromString(kExternal, "es.yaml", d);
  config::DestinationReference ref;
  ref.ref = {"dns", "apps", ""};
  ref.kind = config::DestinationKind::kExternalService;
  std::string why;
  auto r = resolveDestination(set, ref, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->endpoints[0].host, "httpbin.org");
  ref.ref.name = "missing";
  EXPECT_FALSE(resolveDestination(set, ref, &why));
  EXPECT_NE(why.find("not found"), std::string::npos);
  ref.kind = config::DestinationKind::kVirtualDestination;
  EXPECT_FALSE(resolveDestination(set, ref, &why));
}

// Every real manifest of shared/compat/gloo compiles without crashing; those the loader accepts
// compile without errors, and their delegation trees produce routes.
TEST(Routes, CompatManifestsCompile) {
  namespace fs = std::filesystem;
  std::size_t files = 0, with_routes = 0;
  for (const auto& e : fs::directory_iterator(fs::path(CLAIMGATE_SHARED_DIR) / "compat" / "gloo")) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(e.path().filename().string());
    config::Diagnostics d;
    auto set = config::loadConfig({e.path().string()}, d);
    bool loaded_ok = !d.hasErrors();
    auto routes = compileRoutes(set, d);
    if (loaded_ok) {
      EXPECT_FALSE(d.hasErrors()) << d.formatAll();
    }
    std::size_t n = 0;
    for (const auto& l : routes.listeners)
      for (const auto& h : l.table.hosts()) n += h.routes.size();
    if (n > 0) ++with_routes;
  }
  EXPECT_EQ(files, 27u);
  EXPECT_GE(with_routes, 15u);
}

TEST(Routes, Compat021DelegationByWeight) {
  config::Diagnostics d;
  auto set = config::loadConfig(
      {std::string(CLAIMGATE_SHARED_DIR) + "/compat/gloo/021-aoacatalog-gg25-ui-smoke-test-all-kinds.yaml"}, d);
  auto routes = compileRoutes(set, d);
  const auto* l = routes.findListener(80);
  ASSERT_NE(l, nullptr);
  // exact-match (weight 100) before prefix-match (90) before query-parameters-match (80).
  RequestHead req{"GET", "/myapp/foo", "", "any.host", {}};
  auto m = l->table.match(req);
  ASSERT_TRUE(m);
  EXPECT_EQ(m.route->id.table_name, "exact-match");
  RequestHead www{"GET", "/x", "", "www.example.com", {}};
  m = l->table.match(www);
  ASSERT_TRUE(m);
  EXPECT_EQ(m.route->id.route_name, "external-service-northsouth");  // defaultDestination
  const auto& f = std::get<ForwardTo>(m.route->action);
  EXPECT_EQ(f.destinations.at(0).endpoints.at(0).host, "httpbin.org");
}

}  // namespace
}  // namespace claimgate::router
