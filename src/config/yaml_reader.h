// Internal to config/: a cursor over a yaml-cpp node that knows its field path, and typed readers
// that report mistakes the way Gloo's decoder (golang/protobuf jsonpb after sigs.k8s.io/yaml, i.e.
// YAML 1.1 scalar resolution) would refuse them: a plain `FALSE` is a boolean, not an enum name; a
// `${PORT}` is a string, not a uint32; an unknown key is an error (our rule 3, DESIGN §2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/diagnostics.h"
#include "config/resources.h"

namespace claimgate::config::detail {

// The document being decoded: where diagnostics go and how they name the resource.
struct DocContext {
  Diagnostics& diags;
  std::string file;
  int document = 0;
  std::string resource;  // `Kind/ns/name`
};

class Node {
 public:
  Node(DocContext& ctx, YAML::Node node, std::string path)
      : ctx_(&ctx), node_(std::move(node)), path_(std::move(path)) {}

  const YAML::Node& yaml() const { return node_; }
  const std::string& path() const { return path_; }
  DocContext& ctx() const { return *ctx_; }
  int line() const;

  bool isNull() const { return !node_.IsDefined() || node_.IsNull(); }
  bool isMap() const { return node_.IsMap(); }
  bool isSequence() const { return node_.IsSequence(); }
  bool isScalar() const { return node_.IsScalar(); }

  Node child(std::string_view key, YAML::Node n) const;
  Node element(std::size_t i) const;  // i-th element of a sequence

  void error(std::string message) const;
  void warning(std::string message) const;

 private:
  DocContext* ctx_;
  YAML::Node node_;
  std::string path_;
};

// Walks a YAML map: take() the fields you know; finish() reports every other key as unknown.
class MapReader {
 public:
  explicit MapReader(const Node& node);

  bool valid() const { return valid_; }  // false when the node is neither a map nor null
  bool has(std::string_view key);        // also declares `key` as known
  std::optional<Node> take(std::string_view key);  // present (even if null) → the value

  // A Gloo field claimgate does not implement: a warning (cannot weaken security) or an error.
  void unsupported(std::string_view key, Severity severity, std::string_view why);
  void ignore(std::string_view key);  // known and silently ignored (e.g. `status`)
  void finish();                      // unknown keys → errors (with a "did you mean" hint)

  const Node& node() const { return node_; }

 private:
  Node node_;
  bool valid_ = true;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
  std::vector<bool> used_;
  std::vector<std::string> known_;
};

// Scalars. Every reader returns nullopt for a null/absent node without a diagnostic, and nullopt
// after reporting an error for a value of the wrong type.
std::optional<std::string> readString(const Node& n);
std::optional<bool> readBool(const Node& n);
std::optional<std::uint32_t> readUint32(const Node& n, std::uint32_t min = 0,
                                        std::uint32_t max = UINT32_MAX);
std::optional<std::int32_t> readInt32(const Node& n);
std::optional<Duration> readDuration(const Node& n);
std::vector<std::string> readStringList(const Node& n);
Labels readStringMap(const Node& n);

// Enum by (quoted or plain) value name or number, as jsonpb. `names[i]` has number i.
std::optional<std::size_t> readEnum(const Node& n, std::span<const std::string_view> names);

// An empty message such as `http: {}`: null or a map; its keys are unknown fields.
bool readEmptyMessage(const Node& n);

// YAML 1.1 plain-scalar resolution as yaml.v2 does it (exposed for tests).
enum class PlainKind { kString, kNull, kBool, kInt, kFloat };
PlainKind resolvePlain(std::string_view s);

}  // namespace claimgate::config::detail
