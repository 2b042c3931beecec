// Snapshot: the ONLY place where config becomes runtime objects (DESIGN §5). One immutable
// Snapshot per loaded config: the compiled route tables, every JWTPolicy compiled into an
// Authenticator (keys resolved to EVP_PKEYs) and a ClaimsPolicy, the policy that applies to each
// route (oldest wins; the others are conflicts), and the upstream targets of each route. The
// request path only reads it; a reload builds a new one and swaps one pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/diagnostics.h"
#include "config/resources.h"
#include "http/handler.h"
#include "jwt/authenticator.h"
#include "policy/claims_policy.h"
#include "router/route_table_set.h"

namespace claimgate::snapshot {

struct CompiledPolicy {
  const config::JwtPolicy* source = nullptr;  // into Snapshot::config()
  std::string id;      // "namespace/name"
  std::string origin;  // "file:document"
  bool has_timestamp = false;
  std::int64_t creation_seconds = 0;
  std::size_t load_order = 0;
  std::vector<std::string> provider_names;
  std::unique_ptr<jwt::Authenticator> authenticator;
  policy::ClaimsPolicy claims;
  config::ClearRouteCache clear_route_cache = config::ClearRouteCache::kAuto;
  config::ValidationPolicy validation_policy = config::ValidationPolicy::kRequireValid;
  // Warnings that matter when reading `validate` output (e.g. a provider with no usable keys).
  std::vector<std::string> notes;

  // Gloo's precedence: the oldest policy wins. Policies without creationTimestamp are newer than
  // any with one (they would be created now), and among equals load order decides.
  bool olderThan(const CompiledPolicy& other) const;
};

struct WeightedUpstream {
  std::uint32_t weight = 1;
  std::string label;  // "host:port" of the first endpoint, for logs
  std::vector<std::unique_ptr<http::UpstreamTarget>> endpoints;  // round-robin
};

struct RouteRuntime {
  const router::Route* route = nullptr;
  std::string id;  // "namespace/table/route" (the leaf route)
  const CompiledPolicy* policy = nullptr;
  std::vector<const CompiledPolicy*> conflicts;  // also select this route, but are newer
  std::vector<WeightedUpstream> upstreams;       // forwardTo only
  std::uint32_t total_weight = 0;
  std::string host_rewrite;                      // hostRewrite / autoHostRewrite; empty = keep
};

struct ListenerSpec {
  std::uint16_t port = 0;
  bool https_redirect = false;
  bool tls = false;
  std::string cert_chain_pem, private_key_pem;
  std::string cert_chain_file, private_key_file;
  bool tls13_min = false;  // minimumProtocolVersion TLSv1_3
  bool tls12_max = false;  // maximumProtocolVersion TLSv1_2
  std::vector<std::string> cipher_suites;
  std::string gateway;  // "namespace/name#listener"
  // Non-empty: the listener cannot be served as configured (e.g. its TLS Secret is not in the
  // config) and is not opened; `validate` warns with this text.
  std::string disabled_reason;
};

class Snapshot {
 public:
  // Compiles a loaded ConfigSet. Every problem goes to `diags`; returns nullptr when there is an
  // error (the caller refuses the whole config, so no route can fail open).
  static std::shared_ptr<const Snapshot> compile(config::ConfigSet config,
                                                 config::Diagnostics& diags);

  const router::RouteTableSet& routes() const { return routes_; }
  const std::vector<ListenerSpec>& listeners() const { return listeners_; }
  const router::ListenerRoutes* listenerRoutes(std::uint16_t port) const;
  const RouteRuntime* runtimeFor(const router::Route* route) const;
  const std::vector<std::unique_ptr<CompiledPolicy>>& policies() const { return policies_; }
  const config::ConfigSet& config() const { return config_; }
  // Lower-case names of every header any provider sets (claimsToHeaders, outputPayloadToHeader).
  // A client can never send them: they are removed from every request before routing, so a
  // spoofed copy can neither reach an upstream nor steer claim-based routing.
  const std::vector<std::string>& protectedHeaders() const { return protected_headers_; }

  // Human-readable report for `claimgate validate`: every listener, host and route with the
  // policy that applies to it and the policies that lost a conflict.
  std::string describe() const;
  // JSON for the admin /config_dump: resources, routes and policies, secrets redacted.
  std::string configDumpJson() const;

 private:
  Snapshot() = default;
  config::ConfigSet config_;
  router::RouteTableSet routes_;
  std::vector<ListenerSpec> listeners_;
  std::vector<std::unique_ptr<CompiledPolicy>> policies_;
  std::vector<std::string> protected_headers_;
  std::unordered_map<const router::Route*, std::unique_ptr<RouteRuntime>> runtime_;
  std::unordered_map<std::uint16_t, const router::ListenerRoutes*> by_port_;

  friend class Compiler;
};

}  // namespace claimgate::snapshot
