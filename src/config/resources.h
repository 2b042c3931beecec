// Plain structs for the Gloo Platform resources claimgate reads (DESIGN §2, gloo-api.md §2, §5–§7).
// Field names follow Gloo's camelCase JSON names in snake_case. These are data only: the snapshot
// compiler turns them into runtime objects. Defaults are applied while decoding (documented per
// field), and every object reference already carries its resolved namespace.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace claimgate::config {

using Labels = std::map<std::string, std::string>;
using Duration = std::chrono::milliseconds;

// Where a resource came from: for diagnostics and for ordering (load order breaks ties between
// resources without creationTimestamp).
struct Origin {
  std::string file;
  int document = 0;           // 1-based document index in `file`
  int line = 0;               // 1-based line of the document's first node
  std::size_t load_order = 0; // position over all resources of all kinds, in load order
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "default" when the manifest has none (what `kubectl apply` would do
                           // with the default kube context)
  Labels labels;
  Labels annotations;
  std::string creation_timestamp;                // as written (RFC 3339), empty when absent
  std::optional<std::int64_t> creation_seconds;  // parsed, seconds since the Unix epoch
};

// Common header of every decoded resource.
struct ResourceBase {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  Origin origin;

  // `Kind/namespace/name`, the way diagnostics name a resource.
  std::string id() const { return kind + "/" + metadata.namespace_ + "/" + metadata.name; }
};

// ---- common.gloo.solo.io shared types -------------------------------------------------------

// ObjectReference: an omitted namespace is resolved to the referring object's namespace while
// decoding; `cluster` is kept but claimgate has only one cluster (a warning says so).
struct ObjectReference {
  std::string name;
  std::string namespace_;
  std::string cluster;
};

// ObjectSelector: every set field must match; an empty field matches anything. `cluster` and
// `workspace` always match (claimgate has neither; a warning says so).
struct ObjectSelector {
  Labels labels;
  std::string name;
  std::string namespace_;
  std::string cluster;
  std::string workspace;
};

// PortSelector: oneof number | name. Both unset = no port given.
struct PortSelector {
  std::optional<std::uint32_t> number;
  std::string name;
  bool empty() const { return !number && name.empty(); }
};

enum class DestinationKind { kService, kVirtualDestination, kExternalService };

struct DestinationReference {
  ObjectReference ref;
  DestinationKind kind = DestinationKind::kService;
  PortSelector port;
  Labels subset;
  std::optional<std::uint32_t> weight;
  bool aws_lambda = false;  // `awsLambda` destination (not supported: the route answers 500)
};

// ---- VirtualGateway ---------------------------------------------------------------------------

enum class TlsMode { kPassthrough, kSimple, kMutual, kAutoPassthrough, kIstioMutual };
enum class TlsProtocolVersion { kAuto, kTls1_0, kTls1_1, kTls1_2, kTls1_3 };

struct TlsParameters {
  TlsProtocolVersion minimum_protocol_version = TlsProtocolVersion::kAuto;  // AUTO = TLSv1_2
  TlsProtocolVersion maximum_protocol_version = TlsProtocolVersion::kAuto;  // AUTO = TLSv1_3
  std::vector<std::string> cipher_suites;
};

struct TlsFiles {
  std::string server_cert;
  std::string private_key;
  std::string ca_certs;
};

struct TlsConfig {
  TlsMode mode = TlsMode::kSimple;  // a `tls` block without `mode` is refused while decoding
  std::string secret_name;
  std::optional<TlsFiles> files;
  std::vector<std::string> verify_subject_alt_name;
  TlsParameters parameters;
};

// allowedRouteTables[] entry. `host` is `[namespace/]dnsName`.
struct RouteTableFilter {
  std::string host;            // as written
  std::string host_namespace;  // "*" (any, the default), or a namespace ("." resolved to the VG's)
  std::string dns_name;        // lower-cased; may start with `*`
  std::optional<ObjectSelector> selector;  // omitted = no extra condition (see docs/config.md)
};

struct Listener {
  PortSelector port;  // `number` required by claimgate
  bool http = false;  // `http: {}`
  bool tcp = false;   // `tcp: {}` (not supported: refused)
  std::optional<TlsConfig> tls;
  bool https_redirect = false;
  std::vector<RouteTableFilter> allowed_route_tables;
  std::string app_protocol;
};

struct VirtualGateway : ResourceBase {
  std::vector<Listener> listeners;
};

// ---- RouteTable -------------------------------------------------------------------------------

struct StringMatch {
  enum class Kind { kExact, kPrefix, kRegex, kSuffix };
  Kind kind = Kind::kPrefix;
  std::string value;
  bool ignore_case = false;
};

struct HeaderMatcher {
  std::string name;
  std::string value;   // empty = presence test
  bool regex = false;
  bool invert_match = false;
};

struct QueryParameterMatcher {
  std::string name;
  std::string value;   // empty = presence test
  bool regex = false;
};

struct HttpRequestMatcher {
  std::string name;                    // informational
  std::optional<StringMatch> uri;
  std::vector<HeaderMatcher> headers;
  std::vector<QueryParameterMatcher> query_parameters;
  std::string method;                  // empty = any
  std::optional<std::uint32_t> port;   // listener port; empty = any
  int line = 0;
};

struct RegexRewrite {
  std::string regex;
  std::string substitution;
};

struct ForwardToAction {
  std::vector<DestinationReference> destinations;  // empty = the table's defaultDestination
  std::optional<std::string> path_rewrite;
  std::optional<RegexRewrite> regex_rewrite;
  std::optional<std::string> host_rewrite;
  bool auto_host_rewrite = false;
};

struct DirectResponseAction {
  std::uint32_t status = 0;
  std::optional<std::string> body;  // omitted = no body
};

struct RedirectAction {
  std::string host_redirect;               // empty = keep the request's host
  std::optional<std::string> path_redirect;
  std::uint32_t response_code = 301;       // MOVED_PERMANENTLY (default) / 302 / 303 / 307 / 308
};

enum class SortMethod { kTableWeight, kRouteSpecificity };

struct DelegateAction {
  std::vector<ObjectSelector> route_tables;
  SortMethod sort_method = SortMethod::kTableWeight;
};

// A Gloo action claimgate cannot serve (`graphql`). The route stays in place and answers 500, as
// Gloo's ROUTE_REPLACEMENT does for a route it cannot program.
struct UnsupportedAction {
  std::string what;
};

using RouteAction = std::variant<std::monostate, ForwardToAction, DelegateAction, RedirectAction,
                                 DirectResponseAction, UnsupportedAction>;

struct HttpRoute {
  std::string name;
  Labels labels;
  std::vector<HttpRequestMatcher> matchers;  // ORed; empty = match everything
  RouteAction action;
  std::size_t index = 0;  // position in `spec.http`
  int line = 0;
};

enum class FailureMode { kRouteReplacement, kFreezeConfig };

struct RouteTable : ResourceBase {
  std::vector<std::string> hosts;                 // as written
  std::vector<ObjectReference> virtual_gateways;
  bool has_workload_selectors = false;            // mesh routing (ignored)
  std::optional<DestinationReference> default_destination;
  std::vector<HttpRoute> http;
  std::int32_t weight = 0;
  FailureMode failure_mode = FailureMode::kRouteReplacement;
};

// ---- ExternalService / ExternalEndpoint -------------------------------------------------------

enum class ClientTlsMode { kUnset, kDisable, kSimple, kMutual, kIstioMutual };

struct ClientsideTls {
  ClientTlsMode mode = ClientTlsMode::kUnset;  // unset = SIMPLE
  std::string sni;
  std::string client_certificate;
  std::string private_key;
  std::string ca_certificates;  // PEM file path
  std::string credential_name;
  bool insecure_skip_verify = false;
  std::vector<std::string> subject_alt_names;
};

struct ExternalServicePort {
  std::uint32_t number = 0;
  std::string name;
  std::string protocol;  // upper-cased: HTTP, HTTPS, HTTP2, GRPC, TCP, TLS, MONGO
  std::optional<PortSelector> target_port;
  std::optional<ClientsideTls> clientside_tls;
};

struct ExternalService : ResourceBase {
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ExternalServicePort> ports;
  Labels selector;  // ExternalEndpoint labels; empty selects nothing
  std::vector<std::string> subject_alt_names;
};

struct ExternalEndpointPort {
  std::string name;
  std::uint32_t number = 0;
};

struct ExternalEndpoint : ResourceBase {
  std::string address;
  std::vector<ExternalEndpointPort> ports;
};

// ---- Secret (core v1) -------------------------------------------------------------------------

struct Secret : ResourceBase {
  std::string type;  // "kubernetes.io/tls", "Opaque" (default), ...
  std::map<std::string, std::string> data;  // decoded bytes; `stringData` entries override `data`
};

// ---- JWTPolicy --------------------------------------------------------------------------------

// applyToRoutes[] entry: oneof `route` | `withDestinations`.
struct DestinationSelector {
  ObjectSelector selector;
  std::optional<DestinationKind> kind;
  PortSelector port;
};

struct RouteSelector {
  // route: {labels, namespace, cluster, workspace}; set when `route` was given (maybe empty).
  std::optional<ObjectSelector> route;
  std::optional<DestinationSelector> with_destinations;
};

enum class ValidationPolicy { kRequireValid, kAllowMissing, kAllowMissingOrFailed };
enum class ClearRouteCache { kAuto, kTrue, kFalse };

struct ClaimMatcher {
  std::string key;
  std::vector<std::string> values;
  std::vector<std::string> not_values;
  std::string nested_claim_delimiter;  // empty = the key is a top-level claim name
};

struct TokenHeader {
  std::string name;
  std::string prefix;
};

struct TokenSource {
  std::vector<TokenHeader> headers;
  std::vector<std::string> query_params;
  std::vector<std::string> cookies;  // claimgate extension (Envoy from_cookies)
};

struct SecretKeyRef {
  ObjectReference object_ref;
  std::string key;
};

struct LocalJwks {
  std::string inline_;                    // PEM public key or JWKS JSON; empty when secret_ref
  std::optional<SecretKeyRef> secret_ref;
};

struct RetryPolicy {
  std::uint32_t num_retries = 0;
  std::optional<Duration> base_interval;
  std::optional<Duration> max_interval;
};

struct RemoteJwks {
  std::string url;
  std::optional<DestinationReference> destination_ref;  // required by the decoder
  Duration cache_duration = std::chrono::minutes(5);
  Duration timeout = std::chrono::seconds(5);
  bool enable_async_fetch = false;
  std::optional<Duration> failed_refetch_duration;
  std::optional<RetryPolicy> retry_policy;
};

struct ClaimToHeader {
  std::string claim;
  std::string header;
  bool append = false;
};

struct JwtProvider {
  std::string name;  // the key in `providers`
  std::string issuer;
  std::vector<std::string> audiences;
  std::optional<TokenSource> token_source;  // omitted = Authorization Bearer + ?access_token
  std::optional<LocalJwks> local;           // exactly one of local / remote
  std::optional<RemoteJwks> remote;
  std::vector<ClaimToHeader> claims_to_headers;
  bool keep_token = false;
  std::uint32_t clock_skew_seconds = 60;
  std::string output_payload_to_header;
  std::string custom_delimiter;  // 2.14: joiner for claimsToHeaders append; empty = ","
};

struct JwtPolicyConfig {
  bool post_authz = false;     // phase: preAuthz (default) | postAuthz
  std::int32_t phase_priority = 0;
  std::vector<JwtProvider> providers;  // sorted by name, as Gloo sorts them
  std::vector<ClaimMatcher> claims;
  std::vector<std::string> required_scopes;
  ValidationPolicy validation_policy = ValidationPolicy::kRequireValid;  // after allowMissingOrFailed
  ClearRouteCache clear_route_cache = ClearRouteCache::kAuto;
};

struct JwtPolicy : ResourceBase {
  // Empty = every route (when apply_to_destinations is empty too; see gloo-api.md §4).
  std::vector<RouteSelector> apply_to_routes;
  std::size_t apply_to_destinations = 0;  // count only: mesh feature, ignored with a warning
  JwtPolicyConfig config;
};

// ---- the whole set ----------------------------------------------------------------------------

struct ConfigSet {
  std::vector<VirtualGateway> virtual_gateways;
  std::vector<RouteTable> route_tables;
  std::vector<ExternalService> external_services;
  std::vector<ExternalEndpoint> external_endpoints;
  std::vector<Secret> secrets;
  std::vector<JwtPolicy> jwt_policies;
  std::size_t skipped_documents = 0;  // unknown kinds and empty documents

  std::size_t resourceCount() const {
    return virtual_gateways.size() + route_tables.size() + external_services.size() +
           external_endpoints.size() + secrets.size() + jwt_policies.size();
  }
};

}  // namespace claimgate::config
