// Which JWTPolicy applies to which route: selectors, oldest wins, conflicts, delegation.
#include <gtest/gtest.h>

#include "snapshot_test_util.h"

namespace claimgate::snapshot {
namespace {
using namespace testing;

std::string routesYaml() {
  return R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: rt, namespace: gw, labels: {team: a}}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw}]
  http:
  - name: one
    labels: {route: one}
    matchers: [{uri: {prefix: /one}}]
    forwardTo: {destinations: [{ref: {name: backend}, kind: EXTERNAL_SERVICE, port: {number: 9000}}]}
  - name: two
    labels: {route: two, team: b}
    forwardTo: {destinations: [{ref: {name: backend}, kind: EXTERNAL_SERVICE, port: {number: 9000}}]}
)";
}

std::string policyYaml(const std::string& name, const std::string& apply, const std::string& ts = "") {
  return fmt::format(R"(apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata:
  name: {}
  namespace: gw
{}spec:
{}  config:
    providers:
{}
)", name, ts.empty() ? "" : "  creationTimestamp: \"" + ts + "\"\n", apply, providerYaml("p"));
}

const RouteRuntime* runtimeNamed(const Snapshot& s, const std::string& route) {
  for (const auto& l : s.routes().listeners) {
    for (const auto& h : l.table.hosts()) {
      for (const auto& r : h.routes) {
        if (r.id.route_name == route) return s.runtimeFor(&r);
      }
    }
  }
  return nullptr;
}

struct Case {
  const char* name;
  std::string apply;
  bool one, two;
};

TEST(AttachmentTest, SelectorTable) {
  const Case cases[] = {
      {"no applyToRoutes: every route", "", true, true},
      {"route: {} every route", "  applyToRoutes:\n  - route: {}\n", true, true},
      {"route label", "  applyToRoutes:\n  - route:\n      labels: {route: one}\n", true, false},
      {"table label overridden by route label", "  applyToRoutes:\n  - route:\n      labels: {team: a}\n", true, false},
      {"route label b", "  applyToRoutes:\n  - route:\n      labels: {team: b}\n", false, true},
      {"all labels must match", "  applyToRoutes:\n  - route:\n      labels: {route: one, team: b}\n", false, false},
      {"namespace matches", "  applyToRoutes:\n  - route:\n      namespace: gw\n", true, true},
      {"namespace differs", "  applyToRoutes:\n  - route:\n      namespace: other\n", false, false},
      {"two selectors ORed", "  applyToRoutes:\n  - route:\n      labels: {route: one}\n  - route:\n      labels: {route: two}\n", true, true},
      {"withDestinations by name", "  applyToRoutes:\n  - withDestinations:\n      selector: {name: backend}\n      kind: EXTERNAL_SERVICE\n", true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto snap = compileYaml(gatewayYaml() + "---\n" + routesYaml() + "---\n" + policyYaml("p", c.apply));
    ASSERT_TRUE(snap);
    EXPECT_EQ(runtimeNamed(*snap, "one")->policy != nullptr, c.one);
    EXPECT_EQ(runtimeNamed(*snap, "two")->policy != nullptr, c.two);
  }
}

TEST(AttachmentTest, OldestWinsAndConflictsAreReported) {
  const std::string apply = "  applyToRoutes:\n  - route:\n      labels: {route: one}\n";
  config::Diagnostics diags;
  auto snap = compileYaml(gatewayYaml() + "---\n" + routesYaml() + "---\n" +
                              policyYaml("newer", apply, "2024-05-01T00:00:00Z") + "---\n" +
                              policyYaml("older", apply, "2023-05-01T00:00:00Z") + "---\n" +
                              policyYaml("untimed", apply),
                          &diags);
  ASSERT_TRUE(snap);
  const RouteRuntime* one = runtimeNamed(*snap, "one");
  ASSERT_TRUE(one->policy);
  EXPECT_EQ(one->policy->id, "gw/older");
  ASSERT_EQ(one->conflicts.size(), 2u);
  EXPECT_EQ(one->conflicts[0]->id, "gw/newer");
  EXPECT_EQ(one->conflicts[1]->id, "gw/untimed");
  EXPECT_NE(diags.formatAll().find("conflicts with the older JWTPolicy gw/older"), std::string::npos);
  EXPECT_NE(snap->describe().find("conflict: gw/newer"), std::string::npos);
}

TEST(AttachmentTest, LoadOrderBreaksTiesWithoutTimestamps) {
  auto snap = compileYaml(gatewayYaml() + "---\n" + routesYaml() + "---\n" + policyYaml("first", "") +
                          "---\n" + policyYaml("second", ""));
  ASSERT_TRUE(snap);
  EXPECT_EQ(runtimeNamed(*snap, "two")->policy->id, "gw/first");
}

TEST(AttachmentTest, PolicyOnDelegatingRouteCoversChildren) {
  const std::string yaml = gatewayYaml() + R"(---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: parent, namespace: gw}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw}]
  http:
  - name: api
    labels: {secure: "true"}
    matchers: [{uri: {prefix: /api}}]
    delegate:
      routeTables: [{labels: {child: "yes"}}]
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: child, namespace: gw, labels: {child: "yes"}}
spec:
  http:
  - name: leaf
    matchers: [{uri: {prefix: /api/v1}}]
    forwardTo: {destinations: [{ref: {name: backend}, kind: EXTERNAL_SERVICE, port: {number: 9000}}]}
---
)" + policyYaml("p", "  applyToRoutes:\n  - route:\n      labels: {secure: \"true\"}\n");
  auto snap = compileYaml(yaml);
  ASSERT_TRUE(snap);
  const RouteRuntime* leaf = runtimeNamed(*snap, "leaf");
  ASSERT_TRUE(leaf);
  ASSERT_TRUE(leaf->policy);
  EXPECT_EQ(leaf->policy->id, "gw/p");
}

TEST(AttachmentTest, UnusableInlineKeyIsAConfigError) {
  std::string yaml = gatewayYaml() + "---\n" + routesYaml() + R"(---
apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata: {name: bad, namespace: gw}
spec:
  config:
    providers:
      p:
        local: {inline: "not a key"}
)";
  config::Diagnostics diags;
  config::ConfigSet set = config::loadConfigFromString(yaml, "test.yaml", diags);
  auto snap = Snapshot::compile(std::move(set), diags);
  EXPECT_FALSE(snap);
  const std::string text = diags.formatAll();
  EXPECT_NE(text.find("test.yaml:4 JWTPolicy/gw/bad: spec.config.providers.p.local.inline"), std::string::npos)
      << text;
}

TEST(AttachmentTest, MissingTlsSecretDisablesTheListenerWithAWarning) {
  std::string yaml = R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw}
spec:
  listeners:
  - http: {}
    port: {number: 8443}
    tls: {mode: SIMPLE, secretName: nope}
)";
  config::Diagnostics diags;
  config::ConfigSet set = config::loadConfigFromString(yaml, "tls.yaml", diags);
  auto snap = Snapshot::compile(std::move(set), diags);
  ASSERT_TRUE(snap);
  EXPECT_EQ(diags.warningCount(), 1u);
  EXPECT_NE(diags.formatAll().find("spec.listeners[0].tls.secretName"), std::string::npos);
  ASSERT_EQ(snap->listeners().size(), 1u);
  EXPECT_FALSE(snap->listeners()[0].disabled_reason.empty());
}

TEST(AttachmentTest, ConfigDumpRedactsSecrets) {
  std::string yaml = gatewayYaml() + R"(---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: gw}
type: Opaque
stringData: {tls.key: SUPER-SECRET-VALUE}
)";
  auto snap = compileYaml(yaml);
  ASSERT_TRUE(snap);
  const std::string dump = snap->configDumpJson();
  EXPECT_EQ(dump.find("SUPER-SECRET-VALUE"), std::string::npos);
  EXPECT_NE(dump.find("[redacted]"), std::string::npos);
}

}  // namespace
}  // namespace claimgate::snapshot
