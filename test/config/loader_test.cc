// loadConfig / loadConfigFromString: what is decoded, and one negative case per failure mode,
// each checked for the field path its error names.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <fmt/format.h>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/duration.h"
#include "config/loader.h"
#include "config/yaml_reader.h"

namespace claimgate::config {
namespace {

using ::testing::HasSubstr;

std::string indent(std::string_view text, int n) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    out += std::string(static_cast<std::size_t>(n), ' ');
    out += line;
    out += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// A minimal valid JWTPolicy; `extra_config` goes under spec.config, `provider_extra` under the
// provider, `key` is the provider's key source (all written without indentation).
std::string policy(std::string_view extra_config = "", std::string_view provider_extra = "",
                   std::string_view key = "local:\n  inline: \"-----BEGIN PUBLIC KEY-----\"\n") {
  return R"(apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata:
  name: jwt-policy
  namespace: httpbin
spec:
  applyToRoutes:
  - route:
      labels:
        route: httpbin
  config:
    providers:
      provider1:
        issuer: https://localhost
)" + indent(key, 8) +
         indent(provider_extra, 8) + indent(extra_config, 4);
}

bool hasError(const Diagnostics& d, std::string_view field, std::string_view text = "") {
  return std::any_of(d.all().begin(), d.all().end(), [&](const Diagnostic& x) {
    return x.severity == Severity::kError && x.field == field &&
           x.message.find(text) != std::string::npos;
  });
}

bool hasWarning(const Diagnostics& d, std::string_view field) {
  return std::any_of(d.all().begin(), d.all().end(), [&](const Diagnostic& x) {
    return x.severity == Severity::kWarning && x.field == field;
  });
}

TEST(Loader, DecodesAFullJwtPolicy) {
  Diagnostics d;
  auto set = loadConfigFromString(R"(apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata:
  name: p
  namespace: ns1
  labels: {team: a}
  creationTimestamp: "2024-01-02T03:04:05Z"
spec:
  applyToRoutes:
  - route: {labels: {route: x}, namespace: apps}
  - {}
  config:
    phase: {preAuthz: {}}
    validationPolicy: ALLOW_MISSING
    clearRouteCache: "TRUE"
    claims:
    - key: org
      values: [internal, partner]
      notValues: [contractor]
    - key: realm_access.roles
      nestedClaimDelimiter: "."
      values: [admin]
    requiredScopes: ["is:developer"]
    providers:
      zeta:
        local: {secretRef: {objectRef: {name: keys}, key: jwks.pem}}
      alpha:
        issuer: https://issuer
        audiences: [a, b]
        tokenSource:
          headers: [{name: X-Auth, prefix: 'Bearer '}]
          queryParams: [auth_token]
          cookies: [session]
        remote:
          url: https://idp.example.com/jwks
          destinationRef: {ref: {name: idp}, kind: EXTERNAL_SERVICE, port: {number: 443}}
          cacheDuration: 1h30m
          timeout: 1.5s
          enableAsyncFetch: true
          failedRefetchDuration: 10s
          retryPolicy: {numRetries: 3, backoff: {baseInterval: 1s, maxInterval: 10s}}
        claimsToHeaders: [{claim: org, header: x-org, append: true}]
        keepToken: true
        clockSkewSeconds: 30
        outputPayloadToHeader: x-jwt-payload
)",
                                  "p.yaml", d);
  ASSERT_FALSE(d.hasErrors()) << d.formatAll();
  ASSERT_EQ(set.jwt_policies.size(), 1u);
  const auto& p = set.jwt_policies[0];
  EXPECT_EQ(p.id(), "JWTPolicy/ns1/p");
  EXPECT_EQ(p.metadata.labels.at("team"), "a");
  EXPECT_EQ(p.metadata.creation_seconds, 1704164645);
  EXPECT_EQ(p.origin.document, 1);
  ASSERT_EQ(p.apply_to_routes.size(), 2u);
  EXPECT_EQ(p.apply_to_routes[0].route->labels.at("route"), "x");
  EXPECT_EQ(p.apply_to_routes[0].route->namespace_, "apps");
  ASSERT_TRUE(p.apply_to_routes[1].route.has_value());  // `{}` selects every route
  EXPECT_TRUE(p.apply_to_routes[1].route->labels.empty());
  const auto& c = p.config;
  EXPECT_FALSE(c.post_authz);
  EXPECT_EQ(c.validation_policy, ValidationPolicy::kAllowMissing);
  EXPECT_EQ(c.clear_route_cache, ClearRouteCache::kTrue);
  ASSERT_EQ(c.claims.size(), 2u);
  EXPECT_EQ(c.claims[0].values, (std::vector<std::string>{"internal", "partner"}));
  EXPECT_EQ(c.claims[0].not_values, (std::vector<std::string>{"contractor"}));
  EXPECT_EQ(c.claims[1].nested_claim_delimiter, ".");
  EXPECT_EQ(c.required_scopes, (std::vector<std::string>{"is:developer"}));
  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].name, "alpha");  // sorted by name
  EXPECT_EQ(c.providers[1].name, "zeta");
  const auto& a = c.providers[0];
  EXPECT_EQ(a.audiences, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(a.token_source);
  EXPECT_EQ(a.token_source->headers[0].name, "X-Auth");
  EXPECT_EQ(a.token_source->headers[0].prefix, "Bearer ");
  EXPECT_EQ(a.token_source->query_params[0], "auth_token");
  EXPECT_EQ(a.token_source->cookies[0], "session");
  ASSERT_TRUE(a.remote);
  EXPECT_EQ(a.remote->cache_duration, std::chrono::minutes(90));
  EXPECT_EQ(a.remote->timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(a.remote->enable_async_fetch);
  EXPECT_EQ(a.remote->failed_refetch_duration, std::chrono::seconds(10));
  EXPECT_EQ(a.remote->retry_policy->num_retries, 3u);
  EXPECT_EQ(a.remote->destination_ref->ref.namespace_, "ns1");  // defaults to the policy's
  EXPECT_EQ(a.remote->destination_ref->kind, DestinationKind::kExternalService);
  EXPECT_EQ(a.remote->destination_ref->port.number, 443u);
  EXPECT_TRUE(a.claims_to_headers[0].append);
  EXPECT_TRUE(a.keep_token);
  EXPECT_EQ(a.clock_skew_seconds, 30u);
  EXPECT_EQ(a.output_payload_to_header, "x-jwt-payload");
  const auto& z = c.providers[1];
  EXPECT_EQ(z.clock_skew_seconds, 60u);  // default
  ASSERT_TRUE(z.local && z.local->secret_ref);
  EXPECT_EQ(z.local->secret_ref->object_ref.namespace_, "ns1");
  EXPECT_EQ(z.local->secret_ref->key, "jwks.pem");
}

TEST(Loader, RemoteDefaults) {
  Diagnostics d;
  auto set = loadConfigFromString(
      policy("", "", "remote:\n  url: https://x/jwks\n  destinationRef: {ref: {name: es}}\n"),
      "p.yaml", d);
  ASSERT_FALSE(d.hasErrors()) << d.formatAll();
  const auto& r = *set.jwt_policies.at(0).config.providers.at(0).remote;
  EXPECT_EQ(r.cache_duration, std::chrono::minutes(5));
  EXPECT_EQ(r.timeout, std::chrono::seconds(5));
  EXPECT_FALSE(r.enable_async_fetch);
  EXPECT_EQ(set.jwt_policies[0].config.validation_policy, ValidationPolicy::kRequireValid);
  EXPECT_EQ(set.jwt_policies[0].config.clear_route_cache, ClearRouteCache::kAuto);
}

TEST(Loader, DeprecatedAllowMissingOrFailedMapsToValidationPolicy) {
  Diagnostics d;
  auto set = loadConfigFromString(policy("allowMissingOrFailed: true\n"), "p.yaml", d);
  ASSERT_FALSE(d.hasErrors()) << d.formatAll();
  EXPECT_EQ(set.jwt_policies[0].config.validation_policy, ValidationPolicy::kAllowMissingOrFailed);
  EXPECT_TRUE(hasWarning(d, "spec.config.allowMissingOrFailed"));
}

struct BadCase {
  const char* name;
  std::string yaml;
  const char* field;
  const char* text;
};

class LoaderErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(LoaderErrors, NamesTheField) {
  const auto& c = GetParam();
  Diagnostics d;
  loadConfigFromString(c.yaml, "bad.yaml", d);
  EXPECT_TRUE(hasError(d, c.field, c.text)) << "want error at " << c.field << ":\n" << d.formatAll();
  for (const auto& x : d.all()) {
    if (x.severity != Severity::kError) continue;
    EXPECT_EQ(x.file, "bad.yaml");
    EXPECT_GT(x.document, 0);
  }
}

const std::string kVg = R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw-ns}
spec:
  listeners:
)";

const std::string kRt = R"(apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: rt, namespace: apps}
spec:
  hosts: [example.com]
  virtualGateways: [{name: gw}]
  http:
)";

INSTANTIATE_TEST_SUITE_P(
    All, LoaderErrors,
    ::testing::Values(
        BadCase{"typo_required_scope", policy("requiredScope: [a]\n"), "spec.config.requiredScope",
                "did you mean \"requiredScopes\""},
        BadCase{"claims_values_not_list", policy("claims:\n- key: org\n  values: internal\n"),
                "spec.config.claims[0].values", "expected a list of strings"},
        BadCase{"claim_without_values", policy("claims:\n- key: org\n"), "spec.config.claims[0]",
                "needs \"values\" or \"notValues\""},
        BadCase{"duplicate_claim", policy("claims:\n- {key: org, values: [a]}\n- {key: org, values: [b]}\n"),
                "spec.config.claims[1].key", "more than once"},
        BadCase{"post_authz_with_claims",
                policy("phase: {postAuthz: {}}\nclaims: [{key: org, values: [a]}]\n"),
                "spec.config.phase", "postAuthz"},
        BadCase{"post_authz_with_scopes", policy("phase: {postAuthz: {}}\nrequiredScopes: [a]\n"),
                "spec.config.phase", "postAuthz"},
        BadCase{"unquoted_false_enum", policy("clearRouteCache: FALSE\n"), "spec.config.clearRouteCache",
                "YAML boolean"},
        BadCase{"unknown_enum", policy("validationPolicy: ALLOW_ALL\n"), "spec.config.validationPolicy",
                "unknown value"},
        BadCase{"local_and_remote", policy("", "remote: {url: https://x, destinationRef: {ref: {name: a}}}\n"),
                "spec.config.providers.provider1", "only one of \"local\" and \"remote\""},
        BadCase{"neither_local_nor_remote", policy("", "", ""), "spec.config.providers.provider1",
                "needs \"local\" or \"remote\""},
        BadCase{"remote_without_destination_ref", policy("", "", "remote: {url: https://x/jwks}\n"),
                "spec.config.providers.provider1.remote", "destinationRef"},
        BadCase{"remote_bad_url", policy("", "", "remote: {url: <url>/keys, destinationRef: {ref: {name: a}}}\n"),
                "spec.config.providers.provider1.remote.url", "not an http"},
        BadCase{"bad_duration",
                policy("", "", "remote: {url: https://x, destinationRef: {ref: {name: a}}, cacheDuration: 5 minutes}\n"),
                "spec.config.providers.provider1.remote.cacheDuration", "not a duration"},
        BadCase{"number_for_duration",
                policy("", "", "remote: {url: https://x, destinationRef: {ref: {name: a}}, timeout: 5}\n"),
                "spec.config.providers.provider1.remote.timeout", "duration"},
        BadCase{"placeholder_port",
                policy("", "", "remote:\n  url: https://x\n  destinationRef:\n    ref: {name: a}\n    port:\n      number: ${PORT}\n"),
                "spec.config.providers.provider1.remote.destinationRef.port.number", "${PORT}"},
        BadCase{"skew_negative", policy("", "clockSkewSeconds: -1\n"),
                "spec.config.providers.provider1.clockSkewSeconds", "out of range"},
        BadCase{"bool_as_string", policy("", "keepToken: \"true\"\n"),
                "spec.config.providers.provider1.keepToken", "expected true or false"},
        BadCase{"no_providers", R"(apiVersion: security.policy.gloo.solo.io/v2
kind: JWTPolicy
metadata: {name: p}
spec:
  config:
    claims: [{key: a, values: [b]}]
)",
                "spec.config", "at least one provider"},
        BadCase{"no_config", "apiVersion: security.policy.gloo.solo.io/v2\nkind: JWTPolicy\nmetadata: {name: p}\nspec: {}\n",
                "spec", "\"config\" is required"},
        BadCase{"unknown_top_level", policy() + "extra: 1\n", "extra", "unknown field"},
        BadCase{"metadata_typo", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, lables: {a: b}}\n",
                "metadata.lables", "did you mean \"labels\""},
        BadCase{"no_name", "apiVersion: v1\nkind: Secret\nmetadata: {namespace: x}\n", "metadata",
                "metadata.name"},
        BadCase{"bad_base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {tls.key: '***'}\n",
                "data.tls.key", "base64"},
        BadCase{"duplicate_key", policy("requiredScopes: [a]\nrequiredScopes: [b]\n"),
                "spec.config.requiredScopes", "duplicate key"},
        BadCase{"listener_without_number", kVg + "  - http: {}\n    port: {name: https}\n",
                "spec.listeners[0].port", "port.number"},
        BadCase{"listener_placeholder_port", kVg + "  - http: {}\n    port:\n      number: ${PORT}\n",
                "spec.listeners[0].port.number", "expected an unsigned integer"},
        BadCase{"tls_without_mode", kVg + "  - http: {}\n    port: {number: 443}\n    tls: {secretName: s}\n",
                "spec.listeners[0].tls", "PASSTHROUGH"},
        BadCase{"tls_mutual", kVg + "  - http: {}\n    port: {number: 443}\n    tls: {mode: MUTUAL, secretName: s}\n",
                "spec.listeners[0].tls.mode", "only SIMPLE"},
        BadCase{"tls_simple_without_cert", kVg + "  - http: {}\n    port: {number: 443}\n    tls: {mode: SIMPLE}\n",
                "spec.listeners[0].tls", "secretName"},
        BadCase{"tcp_listener", kVg + "  - tcp: {}\n    port: {number: 9000}\n", "spec.listeners[0].tcp",
                "TCP"},
        BadCase{"no_listeners", kVg, "spec", "at least one listener"},
        BadCase{"route_without_action", kRt + "  - name: r\n", "spec.http[0]", "needs one action"},
        BadCase{"route_two_actions",
                kRt + "  - directResponse: {status: 200}\n    redirect: {hostRedirect: x}\n", "spec.http[0]",
                "only one action"},
        BadCase{"direct_response_status", kRt + "  - directResponse: {status: 42}\n",
                "spec.http[0].directResponse.status", "out of range"},
        BadCase{"uri_two_kinds", kRt + "  - matchers: [{uri: {exact: /a, prefix: /b}}]\n    directResponse: {status: 200}\n",
                "spec.http[0].matchers[0].uri", "only one"},
        BadCase{"weights_over_100",
                kRt + "  - forwardTo:\n      destinations:\n      - {ref: {name: a}, port: {number: 80}, weight: 60}\n      - {ref: {name: b}, port: {number: 80}, weight: 50}\n",
                "spec.http[0].forwardTo.destinations", "more than 100"},
        BadCase{"forward_without_destinations", kRt + "  - forwardTo: {}\n", "spec.http[0]",
                "defaultDestination"},
        BadCase{"child_with_virtual_gateways",
                "apiVersion: networking.gloo.solo.io/v2\nkind: RouteTable\nmetadata: {name: c}\nspec:\n  virtualGateways: [{name: gw}]\n  http: [{directResponse: {status: 200}}]\n",
                "spec.virtualGateways", "delegated child"},
        BadCase{"bad_host", "apiVersion: networking.gloo.solo.io/v2\nkind: RouteTable\nmetadata: {name: c}\nspec:\n  hosts: [\"a.*.com\"]\n  http: [{directResponse: {status: 200}}]\n",
                "spec.hosts[0]", "not a host name"},
        BadCase{"delegate_allowed_routes", kRt + "  - delegate: {routeTables: [{name: x}], allowedRoutes: [{}]}\n",
                "spec.http[0].delegate.allowedRoutes", "not supported"},
        BadCase{"es_without_hosts",
                "apiVersion: networking.gloo.solo.io/v2\nkind: ExternalService\nmetadata: {name: es}\nspec:\n  ports: [{number: 443, name: https}]\n",
                "spec", "\"hosts\" or \"addresses\""},
        BadCase{"ee_port_placeholder",
                "apiVersion: networking.gloo.solo.io/v2\nkind: ExternalEndpoint\nmetadata: {name: ee}\nspec:\n  address: 1.2.3.4\n  ports:\n  - name: https\n    number: ${PORT}\n",
                "spec.ports[0].number", "${PORT}"},
        BadCase{"bad_creation_timestamp",
                "apiVersion: v1\nkind: Secret\nmetadata: {name: s, creationTimestamp: yesterday}\n",
                "metadata.creationTimestamp", "RFC 3339"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Loader, CollectsAllErrorsNotJustTheFirst) {
  Diagnostics d;
  loadConfigFromString(policy("requiredScope: [a]\nclearRouteCache: FALSE\n",
                              "clockSkewSeconds: lots\n"),
                       "p.yaml", d);
  EXPECT_EQ(d.errorCount(), 3u) << d.formatAll();
}

TEST(Loader, DiagnosticFormat) {
  Diagnostics d;
  loadConfigFromString("---\n" + policy("claims:\n- key: org\n  values: [a]\n- key: x\n  values: 3\n"),
                       "quickstart.yaml", d);
  ASSERT_EQ(d.errorCount(), 1u) << d.formatAll();
  EXPECT_THAT(d.all()[0].format(),
              HasSubstr("quickstart.yaml:1 JWTPolicy/httpbin/jwt-policy: spec.config.claims[1].values: "
                        "expected a list of strings"));
  EXPECT_THAT(d.all()[0].format(), HasSubstr("(line 22)"));
}

TEST(Loader, SkipsUnknownKindsAndEmptyDocuments) {
  Diagnostics d;
  auto set = loadConfigFromString(R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin}
spec: {whatever: true}
---
---
apiVersion: security.policy.gloo.solo.io/v2
kind: ExtAuthPolicy
metadata: {name: x}
)" + std::string("---\n") + policy(),
                                  "mixed.yaml", d);
  EXPECT_FALSE(d.hasErrors()) << d.formatAll();
  EXPECT_EQ(set.jwt_policies.size(), 1u);
  EXPECT_EQ(set.skipped_documents, 3u);
  EXPECT_EQ(d.count(Severity::kDebug), 2u);
  EXPECT_EQ(set.jwt_policies[0].origin.document, 4);
}

TEST(Loader, KnownKindOfAnotherApiIsSkippedWithAWarning) {
  Diagnostics d;
  auto set = loadConfigFromString(
      "apiVersion: gateway.solo.io/v1\nkind: RouteTable\nmetadata: {name: edge}\nspec: {routes: []}\n",
      "edge.yaml", d);
  EXPECT_FALSE(d.hasErrors());
  EXPECT_EQ(d.warningCount(), 1u);
  EXPECT_TRUE(set.route_tables.empty());
}

TEST(Loader, InvalidYamlIsAnErrorWithALine) {
  Diagnostics d;
  loadConfigFromString("a: [1, 2\nb: c\n", "broken.yaml", d);
  ASSERT_EQ(d.errorCount(), 1u);
  EXPECT_THAT(d.all()[0].message, HasSubstr("invalid YAML"));
  EXPECT_GT(d.all()[0].line, 0);
}

// yaml-cpp 0.7 never returns from LoadAll on these (found by the fuzzer): we must refuse them.
TEST(Loader, InputsThatHangYamlCppAreRefused) {
  for (const char* text : {",", ",x", "---\n,", "# c\n,", "- a\n,", "a: b\n---\n,", "&x ,"}) {
    Diagnostics d;
    loadConfigFromString(text, "hang.yaml", d);
    EXPECT_TRUE(d.hasErrors()) << text;
  }
}

TEST(Loader, DeepNestingIsRefusedNotACrash) {
  Diagnostics d;
  loadConfigFromString(std::string(100000, '['), "deep.yaml", d);
  EXPECT_TRUE(d.hasErrors());
}

TEST(Loader, NamespaceDefaultsAndSecretData) {
  Diagnostics d;
  auto set = loadConfigFromString(R"(apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data:
  tls.crt: aGVsbG8=
  tls.key: d29ybGQ=
stringData:
  tls.key: override
)",
                                  "s.yaml", d);
  ASSERT_FALSE(d.hasErrors()) << d.formatAll();
  const auto& s = set.secrets.at(0);
  EXPECT_EQ(s.metadata.namespace_, "default");
  EXPECT_EQ(s.type, "kubernetes.io/tls");
  EXPECT_EQ(s.data.at("tls.crt"), "hello");
  EXPECT_EQ(s.data.at("tls.key"), "override");
}

TEST(Loader, DecodesGatewayRouteTableAndExternalService) {
  Diagnostics d;
  auto set = loadConfigFromString(R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {name: gw, namespace: gw-ns}
spec:
  workloads: [{selector: {labels: {istio: ingressgateway}}}]
  listeners:
  - http: {}
    port: {number: 443}
    tls:
      mode: SIMPLE
      secretName: tls-secret
      parameters: {minimumProtocolVersion: TLSv1_3}
    allowedRouteTables:
    - host: '*.example.com'
    - host: './api.example.org'
      selector: {labels: {team: a}}
  - http: {}
    port: {number: 80}
    httpsRedirect: true
---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: rt, namespace: apps}
spec:
  hosts: [www.example.com]
  virtualGateways: [{name: gw, namespace: gw-ns, cluster: c1}]
  workloadSelectors: []
  weight: 5
  defaultDestination: {ref: {name: es}, kind: EXTERNAL_SERVICE, port: {number: 443}}
  http:
  - name: r1
    labels: {route: one}
    matchers:
    - uri: {prefix: /api, ignoreCase: true}
      headers: [{name: x-a, value: "1"}, {name: x-b, regex: true, value: "a.*", invertMatch: true}]
      queryParameters: [{name: q}]
      method: GET
    forwardTo:
      destinations: [{ref: {name: svc}, port: {number: 8080}, weight: 75}, {ref: {name: svc2}, port: {number: 80}}]
      pathRewrite: /v2
      hostRewrite: upstream.local
  - forwardTo: {}
  - directResponse: {status: 418, body: teapot}
  - redirect: {hostRedirect: other.example.com, responseCode: PERMANENT_REDIRECT}
  - delegate: {routeTables: [{labels: {table: child}, workspace: ws}], sortMethod: ROUTE_SPECIFICITY}
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata: {name: es, namespace: apps}
spec:
  hosts: [idp.example.com]
  ports:
  - {name: https, number: 443, protocol: HTTPS, clientsideTls: {sni: idp.example.com}, targetPort: {number: 8443}}
  selector: {app: idp}
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalEndpoint
metadata: {name: ee, namespace: apps, labels: {app: idp}}
spec:
  address: 10.0.0.1
  ports: [{name: https, number: 9443}]
)",
                                  "all.yaml", d);
  ASSERT_FALSE(d.hasErrors()) << d.formatAll();
  EXPECT_TRUE(hasWarning(d, "spec.workloads"));
  EXPECT_TRUE(hasWarning(d, "spec.virtualGateways[0].cluster"));
  EXPECT_TRUE(hasWarning(d, "spec.http[4].delegate.routeTables[0].workspace"));
  const auto& vg = set.virtual_gateways.at(0);
  ASSERT_EQ(vg.listeners.size(), 2u);
  EXPECT_EQ(vg.listeners[0].port.number, 443u);
  EXPECT_EQ(vg.listeners[0].tls->secret_name, "tls-secret");
  EXPECT_EQ(vg.listeners[0].tls->parameters.minimum_protocol_version, TlsProtocolVersion::kTls1_3);
  EXPECT_EQ(vg.listeners[0].allowed_route_tables[0].dns_name, "*.example.com");
  EXPECT_EQ(vg.listeners[0].allowed_route_tables[0].host_namespace, "*");
  EXPECT_EQ(vg.listeners[0].allowed_route_tables[1].host_namespace, "gw-ns");
  EXPECT_EQ(vg.listeners[0].allowed_route_tables[1].selector->labels.at("team"), "a");
  EXPECT_TRUE(vg.listeners[1].https_redirect);
  const auto& rt = set.route_tables.at(0);
  EXPECT_EQ(rt.weight, 5);
  EXPECT_EQ(rt.virtual_gateways[0].namespace_, "gw-ns");
  ASSERT_EQ(rt.http.size(), 5u);
  const auto& m = rt.http[0].matchers.at(0);
  EXPECT_EQ(m.uri->kind, StringMatch::Kind::kPrefix);
  EXPECT_TRUE(m.uri->ignore_case);
  EXPECT_EQ(m.headers[1].regex, true);
  EXPECT_EQ(m.headers[1].invert_match, true);
  EXPECT_EQ(m.query_parameters[0].name, "q");
  EXPECT_EQ(m.method, "GET");
  const auto& f = std::get<ForwardToAction>(rt.http[0].action);
  EXPECT_EQ(f.destinations[0].ref.namespace_, "apps");
  EXPECT_EQ(f.destinations[0].weight, 75u);
  EXPECT_EQ(*f.path_rewrite, "/v2");
  EXPECT_EQ(std::get<DirectResponseAction>(rt.http[2].action).status, 418u);
  EXPECT_EQ(std::get<RedirectAction>(rt.http[3].action).response_code, 308u);
  EXPECT_EQ(std::get<DelegateAction>(rt.http[4].action).sort_method, SortMethod::kRouteSpecificity);
  const auto& es = set.external_services.at(0);
  EXPECT_EQ(es.ports[0].protocol, "HTTPS");
  EXPECT_EQ(es.ports[0].clientside_tls->sni, "idp.example.com");
  EXPECT_EQ(es.ports[0].target_port->number, 8443u);
  EXPECT_EQ(set.external_endpoints.at(0).ports[0].number, 9443u);
  // Load order runs over all kinds.
  EXPECT_LT(vg.origin.load_order, rt.origin.load_order);
  EXPECT_LT(rt.origin.load_order, es.origin.load_order);
}

TEST(Loader, GraphqlRouteIsKeptAsUnsupportedWithAWarning) {
  Diagnostics d;
  auto set = loadConfigFromString(kRt + "  - graphql: {schema: {name: s}}\n", "g.yaml", d);
  EXPECT_FALSE(d.hasErrors()) << d.formatAll();
  EXPECT_TRUE(hasWarning(d, "spec.http[0].graphql"));
  EXPECT_TRUE(std::holds_alternative<UnsupportedAction>(set.route_tables.at(0).http.at(0).action));
}

TEST(Loader, PrefixWithoutSlashIsKeptWithAWarning) {
  Diagnostics d;
  auto set = loadConfigFromString(
      kRt + "  - matchers: [{uri: {prefix: api/v1}}]\n    directResponse: {status: 200}\n", "p.yaml", d);
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "spec.http[0].matchers[0].uri.prefix"));
  EXPECT_EQ(set.route_tables[0].http[0].matchers[0].uri->value, "api/v1");
}

TEST(Loader, LoadsFoldersInNameOrderAndSkipsOtherFiles) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / fmt::format("claimgate-loader-{}", ::getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "b.yml") << policy();
  std::ofstream(dir / "a.yaml") << "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
  std::ofstream(dir / "notes.txt") << "not yaml: [";
  Diagnostics d;
  auto set = loadConfig({dir.string()}, d);
  EXPECT_FALSE(d.hasErrors()) << d.formatAll();
  ASSERT_EQ(set.secrets.size(), 1u);
  ASSERT_EQ(set.jwt_policies.size(), 1u);
  EXPECT_LT(set.secrets[0].origin.load_order, set.jwt_policies[0].origin.load_order);
  EXPECT_EQ(set.secrets[0].origin.file, (dir / "a.yaml").string());
  Diagnostics missing;
  loadConfig({(dir / "nope").string()}, missing);
  EXPECT_TRUE(missing.hasErrors());
  fs::remove_all(dir);
}

struct DurationCase {
  const char* text;
  std::optional<long long> ms;
};

TEST(Duration, ProtoAndGoSpellings) {
  const DurationCase cases[] = {
      {"300s", 300000}, {"1.5s", 1500},  {"10m", 600000},   {"1h30m", 5400000}, {"250ms", 250},
      {"0", 0},         {"2h", 7200000}, {"1m0.5s", 60500}, {"1000000us", 1000}, {"+5s", 5000},
      {"", {}},         {"5", {}},       {"-5s", {}},       {"5 s", {}},         {"5d", {}},
      {"s", {}},        {".s", {}},      {"1e3s", {}}};
  for (const auto& c : cases) {
    auto d = parseDuration(c.text);
    if (c.ms) {
      ASSERT_TRUE(d) << c.text;
      EXPECT_EQ(d->count(), *c.ms) << c.text;
    } else {
      EXPECT_FALSE(d) << c.text;
    }
  }
}

TEST(YamlScalars, ResolvesPlainScalarsLikeYaml11) {
  using detail::PlainKind;
  using detail::resolvePlain;
  EXPECT_EQ(resolvePlain("FALSE"), PlainKind::kBool);
  EXPECT_EQ(resolvePlain("yes"), PlainKind::kBool);
  EXPECT_EQ(resolvePlain("On"), PlainKind::kBool);
  EXPECT_EQ(resolvePlain("443"), PlainKind::kInt);
  EXPECT_EQ(resolvePlain("0x1F"), PlainKind::kInt);
  EXPECT_EQ(resolvePlain("1.5"), PlainKind::kFloat);
  EXPECT_EQ(resolvePlain("1e5"), PlainKind::kFloat);
  EXPECT_EQ(resolvePlain("~"), PlainKind::kNull);
  EXPECT_EQ(resolvePlain("${PORT}"), PlainKind::kString);
  EXPECT_EQ(resolvePlain("10.0.0.1"), PlainKind::kString);
  EXPECT_EQ(resolvePlain("SIMPLE"), PlainKind::kString);
  EXPECT_EQ(resolvePlain("1h"), PlainKind::kString);
}

}  // namespace
}  // namespace claimgate::config
