// Helpers for snapshot tests: YAML for the Gloo resources, a key pair, and a handler driver that
// builds RequestHeads the way the network layer does.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "http/handler.h"
#include "jwt/signer.h"
#include "snapshot/gateway_handler.h"
#include "snapshot/snapshot.h"

namespace claimgate::snapshot::testing {

inline constexpr std::uint64_t kNow = 1'800'000'000;

inline const jwt::PrivateKey& testKey() {
  static const jwt::PrivateKey key = jwt::generatePrivateKey(jwt::Alg::kRS256);
  return key;
}

inline std::string indentPem(const std::string& pem, int spaces) {
  std::string out, pad(static_cast<std::size_t>(spaces), ' ');
  std::size_t start = 0;
  while (start < pem.size()) {
    std::size_t end = pem.find('\n', start);
    if (end == std::string::npos) end = pem.size();
    if (end > start) out += pad + pem.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

inline std::string gatewayYaml(int port = 8080) {
  return fmt::format(R"(apiVersion: networking.gloo.solo.io/v2
kind: VirtualGateway
metadata: {{name: gw, namespace: gw}}
spec:
  listeners:
  - http: {{}}
    port: {{number: {}}}
---
apiVersion: networking.gloo.solo.io/v2
kind: ExternalService
metadata: {{name: backend, namespace: gw}}
spec:
  addresses: [127.0.0.1]
  ports:
  - {{name: http, number: 9000, protocol: HTTP}}
)", port);
}

// `forwardTo` the gateway's ExternalService `backend` (a route's action in the tests' YAML).
inline constexpr const char* kToBackend =
    "forwardTo: {destinations: [{ref: {name: backend}, kind: EXTERNAL_SERVICE, port: {number: 9000}}]}";

// A document separator and the RouteTable `rt` (namespace gw) on every host of gatewayYaml()'s
// gateway, with `routes`: the items of its `http` list, indented by two spaces.
inline std::string routeTableYaml(const std::string& routes) {
  return R"(---
apiVersion: networking.gloo.solo.io/v2
kind: RouteTable
metadata: {name: rt, namespace: gw}
spec:
  hosts: ['*']
  virtualGateways: [{name: gw, namespace: gw}]
  http:
)" + routes;
}

// A provider block (under `providers:`) trusting testKey().
inline std::string providerYaml(const std::string& name, const std::string& extra = "") {
  return fmt::format("      {}:\n        issuer: https://issuer\n        local:\n          inline: |\n{}{}",
                     name, indentPem(jwt::publicKeyPem(testKey()), 12), extra);
}

inline std::string token(const std::string& claims_json) {
  return jwt::signToken(jwt::Alg::kRS256, testKey(), std::nullopt, claims_json);
}

inline std::shared_ptr<const Snapshot> compileYaml(const std::string& yaml,
                                                   config::Diagnostics* out = nullptr) {
  config::Diagnostics diags;
  config::ConfigSet set = config::loadConfigFromString(yaml, "test.yaml", diags);
  EXPECT_FALSE(diags.hasErrors()) << diags.formatAll();
  auto snap = Snapshot::compile(std::move(set), diags);
  if (out) *out = diags;
  return snap;
}

// Drives a GatewayHandler like the server does.
class Driver {
 public:
  explicit Driver(std::shared_ptr<const Snapshot> snap)
      : stats_(1), worker_(0, stats_.shard(0)),
        handler_(std::move(snap), HandlerOptions{std::chrono::milliseconds(15000), [] { return kNow; }}) {}

  http::Decision get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {},
                     std::uint16_t port = 8080, bool tls = false, bool may_wait = true) {
    arena_.reset();
    target_ = std::move(target);
    owned_ = std::move(headers);
    views_.clear();
    views_.push_back({"host", "example.com"});
    for (const auto& [n, v] : owned_) views_.push_back({n, v});
    http::RequestHead head;
    head.method = "GET";
    head.target = target_;
    head.host = "example.com";
    head.tls = tls;
    head.remote_addr = "127.0.0.1";
    head.listener_port = port;
    head.headers = views_;
    head.may_wait = may_wait;
    return handler_.handle(head, worker_, arena_);
  }

  http::Stats& stats() { return stats_; }

 private:
  http::Stats stats_;
  http::WorkerContext worker_;
  GatewayHandler handler_;
  http::Arena arena_;
  std::string target_;
  std::vector<std::pair<std::string, std::string>> owned_;
  std::vector<http::HeaderView> views_;
};

inline const http::LocalReply* reply(const http::Decision& d) {
  return std::get_if<http::LocalReply>(&d.action);
}
inline const http::ForwardPlan* forward(const http::Decision& d) {
  return std::get_if<http::ForwardPlan>(&d.action);
}
inline std::string headerOf(const http::LocalReply& r, std::string_view name) {
  for (std::size_t i = 0; i < r.header_count; ++i) {
    if (r.headers[i].name == name) return std::string(r.headers[i].value);
  }
  return "<absent>";
}

}  // namespace claimgate::snapshot::testing
