// Decoders for the shared Gloo types of common.gloo.solo.io (references, selectors, ports).
#include <array>

#include <fmt/format.h>

#include "config/decoders.h"

namespace claimgate::config::detail {

namespace {
constexpr std::string_view kClusterWhy = "claimgate runs as one gateway without clusters";
constexpr std::string_view kWorkspaceWhy = "claimgate has no workspaces; every object is visible";
}  // namespace

ObjectReference decodeObjectReference(const Node& n, std::string_view default_ns) {
  ObjectReference r;
  MapReader m(n);
  if (auto v = m.take("name")) r.name = readString(*v).value_or("");
  if (auto v = m.take("namespace")) r.namespace_ = readString(*v).value_or("");
  if (auto v = m.take("cluster")) {
    r.cluster = readString(*v).value_or("");
    if (!r.cluster.empty()) v->warning(fmt::format("ignored ({})", kClusterWhy));
  }
  m.finish();
  if (m.valid() && r.name.empty()) n.error("a reference needs \"name\"");
  if (r.namespace_.empty()) r.namespace_ = std::string(default_ns);
  return r;
}

ObjectSelector decodeObjectSelector(const Node& n) {
  ObjectSelector s;
  MapReader m(n);
  if (auto v = m.take("labels")) s.labels = readStringMap(*v);
  if (auto v = m.take("name")) s.name = readString(*v).value_or("");
  if (auto v = m.take("namespace")) s.namespace_ = readString(*v).value_or("");
  if (auto v = m.take("cluster")) {
    s.cluster = readString(*v).value_or("");
    if (!s.cluster.empty()) v->warning(fmt::format("ignored ({})", kClusterWhy));
  }
  if (auto v = m.take("workspace")) {
    s.workspace = readString(*v).value_or("");
    if (!s.workspace.empty()) v->warning(fmt::format("ignored ({})", kWorkspaceWhy));
  }
  m.finish();
  return s;
}

PortSelector decodePortSelector(const Node& n) {
  PortSelector p;
  MapReader m(n);
  if (auto v = m.take("number")) p.number = readUint32(*v, 1, 65535);
  if (auto v = m.take("name")) p.name = readString(*v).value_or("");
  m.finish();
  if (p.number && !p.name.empty()) n.error("set only one of \"number\" and \"name\"");
  return p;
}

std::optional<DestinationKind> decodeDestinationKind(const Node& n) {
  static constexpr std::array<std::string_view, 3> kNames = {"SERVICE", "VIRTUAL_DESTINATION",
                                                             "EXTERNAL_SERVICE"};
  auto i = readEnum(n, kNames);
  if (!i) return std::nullopt;
  return static_cast<DestinationKind>(*i);
}

DestinationReference decodeDestinationReference(const Node& n, std::string_view default_ns) {
  DestinationReference d;
  MapReader m(n);
  auto ref = m.take("ref");
  if (ref) d.ref = decodeObjectReference(*ref, default_ns);
  if (auto v = m.take("awsLambda")) {
    d.aws_lambda = true;
    v->warning("awsLambda destinations are not supported: the route answers 500");
  }
  if (auto v = m.take("kind")) d.kind = decodeDestinationKind(*v).value_or(DestinationKind::kService);
  if (auto v = m.take("port")) d.port = decodePortSelector(*v);
  if (auto v = m.take("subset")) {
    d.subset = readStringMap(*v);
    if (!d.subset.empty())
      v->warning("ignored (subsets select Kubernetes pods; claimgate resolves the Service by DNS)");
  }
  if (auto v = m.take("weight")) d.weight = readUint32(*v);
  m.finish();
  if (m.valid() && !ref && !d.aws_lambda) n.error("a destination needs \"ref\"");
  if (ref && d.aws_lambda) n.error("set only one of \"ref\" and \"awsLambda\"");
  return d;
}

}  // namespace claimgate::config::detail
