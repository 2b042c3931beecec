// Route matching on one host with 100 routes (issue 5): RouteTableSet built the way
// `claimgate serve` builds it (YAML -> config::ConfigSet -> compileRoutes), then
// VirtualHostTable::match on a request head of string_views, as the session passes it.
// Routes cycle through four matcher shapes (i = 0..99):
//   i % 4 == 0  uri prefix  /svc<i>/
//   i % 4 == 1  uri exact   /svc<i>/items
//   i % 4 == 2  uri regex   /svc<i>/items/[0-9]+       (RE2 full match)
//   i % 4 == 3  uri prefix  /svc<i>  AND header x-tenant: t<i>  AND method GET
// Cases: the request matching route 99 (last), route 50 (middle), route 2 (early regex), and a
// path no route matches (all 100 tried); the last two again on the table without regexes.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/loader.h"
#include "router/route_table_set.h"

namespace {

using namespace claimgate;

constexpr int kRoutes = 100;

std::string routeYaml(bool with_regex) {
  std::string y = R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw-ns}
spec:
  listeners:
  - http: {}
    port: {number: 8080}
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: api, namespace: gw-ns}
spec:
  hosts: ['api.example.com']
  virtualGateways: [{name: gw}]
  http:
)";
  for (int i = 0; i < kRoutes; ++i) {
    const std::string svc = "/svc" + std::to_string(i);
    std::string m;
    switch (i % 4) {
      case 0:
        m = "{uri: {prefix: " + svc + "/}}";
        break;
      case 1:
        m = "{uri: {exact: " + svc + "/items}}";
        break;
      case 2:
        m = with_regex ? "{uri: {regex: '" + svc + "/items/[0-9]+'}}"
                       : "{uri: {prefix: " + svc + "/items/}}";
        break;
      default:
        m = "{uri: {prefix: " + svc + "}, method: GET, headers: [{name: x-tenant, value: t" +
            std::to_string(i) + "}]}";
        break;
    }
    y += "  - name: r" + std::to_string(i) + "\n    matchers: [" + m +
         "]\n    directResponse: {status: 200}\n";
  }
  return y;
}

struct Table {
  config::ConfigSet config;
  config::Diagnostics diags;
  router::RouteTableSet routes;
  const router::ListenerRoutes* listener = nullptr;

  explicit Table(bool with_regex) {
    config = config::loadConfigFromString(routeYaml(with_regex), "bench.yaml", diags);
    routes = router::compileRoutes(config, diags);
    listener = routes.findListener(8080);
  }
};

const Table& table(bool with_regex) {
  static const Table with(true), without(false);
  return with_regex ? with : without;
}

// A request with a few ordinary headers besides the one route 99 looks at.
void match(benchmark::State& state, std::string_view path, const char* want_route,
           bool with_regex = true) {
  const Table& t = table(with_regex);
  if (t.diags.hasErrors() || t.listener == nullptr) {
    state.SkipWithError(("config: " + t.diags.formatAll()).c_str());
    return;
  }
  const router::HeaderView headers[] = {
      {"Host", "api.example.com"},
      {"User-Agent", "wrk"},
      {"Accept", "*/*"},
      {"Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"},
      {"X-Tenant", "t99"},
  };
  const router::RequestHead req{"GET", path, "", "api.example.com", headers};
  const router::RouteMatch first = t.listener->table.match(req);
  const std::string got = first ? first.route->id.route_name : "";
  if (got != want_route) {
    state.SkipWithError(("matched \"" + got + "\", want \"" + want_route + "\"").c_str());
    return;
  }
  for (auto _ : state) {
    router::RouteMatch m = t.listener->table.match(req);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RouteMatchLast(benchmark::State& state) { match(state, "/svc99/anything", "r99"); }
void BM_RouteMatchMiddle(benchmark::State& state) { match(state, "/svc50/items/42", "r50"); }
void BM_RouteMatchEarlyRegex(benchmark::State& state) { match(state, "/svc2/items/42", "r2"); }
void BM_RouteMatchNone(benchmark::State& state) { match(state, "/nothing/here", ""); }
BENCHMARK(BM_RouteMatchLast);
BENCHMARK(BM_RouteMatchMiddle);
BENCHMARK(BM_RouteMatchEarlyRegex);
BENCHMARK(BM_RouteMatchNone);

// The same table with the 25 regex routes turned into prefixes (/svc<i>/items/): how much of
// the scan is RE2.
void BM_RouteMatchLastNoRegex(benchmark::State& state) {
  match(state, "/svc99/anything", "r99", false);
}
void BM_RouteMatchNoneNoRegex(benchmark::State& state) {
  match(state, "/nothing/here", "", false);
}
BENCHMARK(BM_RouteMatchLastNoRegex);
BENCHMARK(BM_RouteMatchNoneNoRegex);

}  // namespace

BENCHMARK_MAIN();
