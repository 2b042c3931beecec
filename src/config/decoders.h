// Internal to config/: one decoder per Gloo object (spec → struct). Each reports every problem to
// the DocContext of its Node and fills what it could decode; the loader keeps the resource only
// for counting, the caller refuses the set when any error was reported.
#pragma once

#include <string_view>

#include "config/resources.h"
#include "config/yaml_reader.h"

namespace claimgate::config::detail {

// Shared types (common.gloo.solo.io). `default_ns` fills an omitted namespace.
ObjectReference decodeObjectReference(const Node& n, std::string_view default_ns);
ObjectSelector decodeObjectSelector(const Node& n);
PortSelector decodePortSelector(const Node& n);
DestinationReference decodeDestinationReference(const Node& n, std::string_view default_ns);
std::optional<DestinationKind> decodeDestinationKind(const Node& n);

void decodeVirtualGateway(const Node& spec, VirtualGateway& out);
void decodeRouteTable(const Node& spec, RouteTable& out);
void decodeExternalService(const Node& spec, ExternalService& out);
void decodeExternalEndpoint(const Node& spec, ExternalEndpoint& out);
void decodeJwtPolicy(const Node& spec, JwtPolicy& out);

}  // namespace claimgate::config::detail
