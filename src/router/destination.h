// Where a DestinationReference sends a request (gloo-api.md §7), resolved once from the config:
// a list of host:port endpoints (DNS names are resolved later by the network layer) plus the TLS
// origination settings. Shared by route actions and remote JWKS (`remote.destinationRef`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/resources.h"

namespace claimgate::router {

struct Endpoint {
  std::string host;  // DNS name or IP literal (ExternalEndpoint address, ES host, Service FQDN)
  std::uint16_t port = 0;
};

struct ResolvedDestination {
  config::DestinationReference ref;  // as written, namespace resolved
  std::uint32_t weight = 1;          // effective weight (see forwardTo weights in docs/config.md)
  std::vector<Endpoint> endpoints;   // never empty; load-balanced when several
  bool tls = false;                  // originate TLS (port protocol HTTPS/TLS or clientsideTls)
  std::string sni;                   // clientsideTls.sni, else the service host
  std::optional<config::ClientsideTls> clientside_tls;
  std::string service_host;          // for autoHostRewrite: the ES host or Service FQDN
};

// Resolves `ref` against the ExternalServices/ExternalEndpoints of `config`:
// - kind SERVICE: `<name>.<namespace>.svc.cluster.local` on `port.number` (a named port cannot be
//   resolved without the Kubernetes Service);
// - kind EXTERNAL_SERVICE: the ExternalService's port chosen by number or name (or its only
//   port); the ExternalEndpoints its `selector` picks (same namespace), else its first host / all
//   addresses by DNS, on `targetPort.number` or the port number;
// - VIRTUAL_DESTINATION and awsLambda: not supported.
// On failure returns nullopt and sets `why`.
std::optional<ResolvedDestination> resolveDestination(const config::ConfigSet& config,
                                                      const config::DestinationReference& ref,
                                                      std::string* why);

}  // namespace claimgate::router
