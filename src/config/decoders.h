// Internal to config/: one decoder per Gloo object (spec → struct). Each reports every problem to
// the DocContext of its Node and fills what it could decode; the loader keeps the resource only
// for counting, the caller refuses the set when any error was reported.
#pragma once

#include <string_view>

#include "config/resources.h"
#include "config/yaml_reader.h"

namespace claimgate::config::detail {

// Calls f(element, index) for each element of a YAML list; a null node is an empty list, anything
// else that is not a sequence is an error on that node.
template <typename F>
void forEach(const Node& list, F&& f) {
  if (list.isNull()) return;
  if (!list.isSequence()) {
    list.error("expected a list");
    return;
  }
  for (std::size_t i = 0; i < list.yaml().size(); ++i) f(list.element(i), i);
}

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
