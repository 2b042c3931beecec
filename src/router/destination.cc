#include "router/destination.h"

#include <algorithm>

#include <fmt/format.h>

namespace claimgate::router {

namespace {

bool labelsMatch(const config::Labels& selector, const config::Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

std::optional<ResolvedDestination> resolveExternalService(const config::ConfigSet& config,
                                                          ResolvedDestination d,
                                                          std::string* why) {
  const auto& ref = d.ref;
  auto es = std::find_if(config.external_services.begin(), config.external_services.end(),
                         [&](const config::ExternalService& s) {
                           return s.metadata.name == ref.ref.name &&
                                  s.metadata.namespace_ == ref.ref.namespace_;
                         });
  if (es == config.external_services.end()) {
    *why = fmt::format("ExternalService {}/{} not found", ref.ref.namespace_, ref.ref.name);
    return std::nullopt;
  }
  const config::ExternalServicePort* port = nullptr;
  if (ref.port.number) {
    for (const auto& p : es->ports)
      if (p.number == *ref.port.number) port = &p;
  } else if (!ref.port.name.empty()) {
    for (const auto& p : es->ports)
      if (p.name == ref.port.name) port = &p;
  } else if (es->ports.size() == 1) {
    port = &es->ports.front();
  } else {
    *why = fmt::format("ExternalService {}/{} has {} ports: the destination must name one",
                       ref.ref.namespace_, ref.ref.name, es->ports.size());
    return std::nullopt;
  }
  if (!port) {
    *why = fmt::format("ExternalService {}/{} has no port {}", ref.ref.namespace_, ref.ref.name,
                       ref.port.number ? std::to_string(*ref.port.number) : ref.port.name);
    return std::nullopt;
  }
  std::uint32_t target = port->number;
  std::string target_name = port->name;
  if (port->target_port) {
    if (port->target_port->number) target = *port->target_port->number;
    if (!port->target_port->name.empty()) target_name = port->target_port->name;
  }
  if (!es->selector.empty()) {
    for (const auto& ee : config.external_endpoints) {
      if (ee.metadata.namespace_ != es->metadata.namespace_ ||
          !labelsMatch(es->selector, ee.metadata.labels))
        continue;
      // Istio WorkloadEntry rule: the endpoint port named like the service port, else the target.
      std::uint32_t p = target;
      for (const auto& ep : ee.ports)
        if (!target_name.empty() && ep.name == target_name) p = ep.number;
      d.endpoints.push_back({ee.address, static_cast<std::uint16_t>(p)});
    }
    if (d.endpoints.empty()) {
      *why = fmt::format("the selector of ExternalService {}/{} matches no ExternalEndpoint",
                         ref.ref.namespace_, ref.ref.name);
      return std::nullopt;
    }
  } else if (!es->addresses.empty()) {
    for (const auto& a : es->addresses)
      d.endpoints.push_back({a, static_cast<std::uint16_t>(target)});
  } else if (es->hosts.empty()) {
    *why = fmt::format("ExternalService {}/{} has no hosts", ref.ref.namespace_, ref.ref.name);
    return std::nullopt;
  } else {
    const auto& host = es->hosts.front();
    if (host.starts_with("*")) {
      *why = fmt::format("ExternalService {}/{}: the wildcard host {} cannot be resolved",
                         ref.ref.namespace_, ref.ref.name, host);
      return std::nullopt;
    }
    d.endpoints.push_back({host, static_cast<std::uint16_t>(target)});
  }
  d.service_host = es->hosts.empty() ? d.endpoints.front().host : es->hosts.front();
  d.clientside_tls = port->clientside_tls;
  bool tls_mode_off =
      port->clientside_tls && port->clientside_tls->mode == config::ClientTlsMode::kDisable;
  d.tls = !tls_mode_off && (port->protocol == "HTTPS" || port->protocol == "TLS" ||
                            port->clientside_tls.has_value());
  if (d.tls)
    d.sni = port->clientside_tls && !port->clientside_tls->sni.empty() ? port->clientside_tls->sni
                                                                        : d.service_host;
  return d;
}

}  // namespace

std::optional<ResolvedDestination> resolveDestination(const config::ConfigSet& config,
                                                      const config::DestinationReference& ref,
                                                      std::string* why) {
  std::string ignored;
  if (!why) why = &ignored;
  ResolvedDestination d;
  d.ref = ref;
  if (ref.aws_lambda) {
    *why = "awsLambda destinations are not supported";
    return std::nullopt;
  }
  switch (ref.kind) {
    case config::DestinationKind::kVirtualDestination:
      *why = fmt::format("VIRTUAL_DESTINATION {}/{} is not supported (use an ExternalService)",
                         ref.ref.namespace_, ref.ref.name);
      return std::nullopt;
    case config::DestinationKind::kService: {
      if (!ref.port.number) {
        *why = fmt::format("Service {}/{} needs port.number (a named or omitted port needs the "
                           "Kubernetes Service)",
                           ref.ref.namespace_, ref.ref.name);
        return std::nullopt;
      }
      d.service_host = fmt::format("{}.{}.svc.cluster.local", ref.ref.name, ref.ref.namespace_);
      d.endpoints.push_back({d.service_host, static_cast<std::uint16_t>(*ref.port.number)});
      return d;
    }
    case config::DestinationKind::kExternalService:
      return resolveExternalService(config, std::move(d), why);
  }
  return std::nullopt;
}

}  // namespace claimgate::router
