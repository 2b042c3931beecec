// loadConfig: files and folders → YAML documents → envelope (apiVersion, kind, metadata) → the
// decoder of the kind. Unknown kinds are skipped with a debug note so a folder of mixed manifests
// works (DESIGN §2).
#include "config/loader.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/decoders.h"
#include "config/yaml_reader.h"

namespace claimgate::config {

namespace {

using detail::DocContext;
using detail::MapReader;
using detail::Node;

constexpr std::string_view kNetworking = "networking.gloo.solo.io/v2";
constexpr std::string_view kSecurity = "security.policy.gloo.solo.io/v2";
constexpr std::string_view kDefaultNamespace = "default";

// yaml-cpp parses recursively without a depth limit; refuse absurd flow nesting before it can
// exhaust the stack (a fuzzer finds `[[[[...` at once). Block nesting costs two bytes a level and
// is bounded by the indentation check.
constexpr int kMaxFlowDepth = 64;
constexpr std::size_t kMaxIndent = 512;

std::optional<std::string> tooDeep(std::string_view text) {
  int depth = 0;
  std::size_t indent = 0;
  bool at_line_start = true;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > kMaxFlowDepth) return fmt::format("flow nesting deeper than {}", kMaxFlowDepth);
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
    if (c == '\n') {
      at_line_start = true;
      indent = 0;
    } else if (at_line_start && (c == ' ' || c == '-')) {
      if (++indent > kMaxIndent) return fmt::format("indentation deeper than {}", kMaxIndent);
    } else {
      at_line_start = false;
    }
  }
  return std::nullopt;
}

// yaml-cpp 0.7 loops forever (allocating an empty document per turn) when a document starts with
// a token no node can start with, e.g. a `,` in block context (`LoadAll(",")`). Run the event
// parser first and stop when a document starts where the previous one did: no progress.
class ProgressGuard : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark start;
};

std::optional<YAML::Mark> stuckAt(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  ProgressGuard guard;
  int previous = -1;
  std::size_t documents = 0;
  while (parser.HandleNextDocument(guard)) {
    if (guard.start.pos == previous || ++documents > text.size() + 1) return guard.start;
    previous = guard.start.pos;
  }
  return std::nullopt;
}

// Standard base64 (RFC 4648 §4) as Kubernetes uses for Secret `data`; whitespace is not allowed.
std::optional<std::string> decodeBase64(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad) return std::nullopt;
      v[j] = val(c);
      if (v[j] < 0) return std::nullopt;
    }
    std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// RFC 3339 (`2024-01-02T03:04:05Z`, fraction and offset allowed) → seconds since the epoch.
std::optional<std::int64_t> parseRfc3339(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !se || s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  int offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || i + 3 >= s.size() || s[i + 3] != ':') return std::nullopt;
    offset = (s[i] == '-' ? -1 : 1) * (*oh * 3600 + *om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // days_from_civil (H. Hinnant).
  int yy = *y - (*mo <= 2 ? 1 : 0);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  unsigned yoe = static_cast<unsigned>(yy - era * 400);
  unsigned mp = static_cast<unsigned>((*mo + 9) % 12);
  unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(*d) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

void decodeMetadata(const Node& n, ObjectMeta& meta) {
  MapReader m(n);
  if (auto v = m.take("name")) meta.name = detail::readString(*v).value_or("");
  if (auto v = m.take("namespace")) meta.namespace_ = detail::readString(*v).value_or("");
  if (auto v = m.take("labels")) meta.labels = detail::readStringMap(*v);
  if (auto v = m.take("annotations")) meta.annotations = detail::readStringMap(*v);
  if (auto v = m.take("creationTimestamp")) {
    if (!v->isNull()) {
      meta.creation_timestamp = detail::readString(*v).value_or("");
      meta.creation_seconds = parseRfc3339(meta.creation_timestamp);
      if (!meta.creation_seconds && !meta.creation_timestamp.empty())
        v->error(fmt::format("\"{}\" is not an RFC 3339 time (2024-01-02T03:04:05Z)",
                             meta.creation_timestamp));
    }
  }
  // The rest of Kubernetes ObjectMeta: set by the API server, meaningless here.
  for (auto key : {"generateName", "selfLink", "uid", "resourceVersion", "generation",
                   "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
                   "finalizers", "managedFields", "clusterName"})
    m.ignore(key);
  m.finish();
  if (meta.namespace_.empty()) meta.namespace_ = std::string(kDefaultNamespace);
}

void decodeSecret(const Node& root, MapReader& top, Secret& out) {
  if (auto v = top.take("type")) out.type = detail::readString(*v).value_or("");
  if (out.type.empty()) out.type = "Opaque";
  if (auto v = top.take("data")) {
    for (const auto& [key, value] : detail::readStringMap(*v)) {
      auto decoded = decodeBase64(value);
      if (!decoded) {
        v->child(key, v->yaml()[key]).error("not valid base64");
        continue;
      }
      out.data[key] = std::move(*decoded);
    }
  }
  if (auto v = top.take("stringData")) {
    // Kubernetes merges stringData into data; stringData wins on a shared key.
    for (auto& [key, value] : detail::readStringMap(*v)) out.data[key] = std::move(value);
  }
  top.ignore("immutable");
  (void)root;
}

struct KindInfo {
  std::string_view api_version;
  std::string_view kind;
};

constexpr std::array<KindInfo, 6> kKnown = {{{kNetworking, "VirtualGateway"},
                                             {kNetworking, "RouteTable"},
                                             {kNetworking, "ExternalService"},
                                             {kNetworking, "ExternalEndpoint"},
                                             {kSecurity, "JWTPolicy"},
                                             {"v1", "Secret"}}};

class DocumentLoader {
 public:
  DocumentLoader(ConfigSet& set, Diagnostics& diags, std::string file)
      : set_(set), diags_(diags), file_(std::move(file)) {}

  void load(const YAML::Node& doc, int index) {
    if (!doc.IsDefined() || doc.IsNull()) {
      ++set_.skipped_documents;
      return;
    }
    int line = doc.Mark().is_null() ? 0 : doc.Mark().line + 1;
    if (!doc.IsMap()) {
      diags_.error(file_, index, "", "", "a Kubernetes object must be a map", line);
      return;
    }
    std::string api_version = scalarOr(doc["apiVersion"]);
    std::string kind = scalarOr(doc["kind"]);
    if (kind == "List" && api_version == "v1") {  // `kubectl get -o yaml` output
      DocContext ctx{diags_, file_, index, "List"};
      Node items(ctx, doc["items"], "items");
      if (items.isSequence())
        for (std::size_t i = 0; i < items.yaml().size(); ++i) load(items.yaml()[i], index);
      return;
    }
    const KindInfo* known = nullptr;
    bool kind_name_known = false;
    for (const auto& k : kKnown) {
      if (k.kind == kind) {
        kind_name_known = true;
        if (k.api_version == api_version) known = &k;
      }
    }
    if (!known) {
      ++set_.skipped_documents;
      std::string what = kind.empty() ? std::string("a document without kind")
                                      : fmt::format("{} ({})", kind, api_version);
      Diagnostic d{kind_name_known ? Severity::kWarning : Severity::kDebug, file_, index, line, "",
                   "", fmt::format("skipped {}: not a kind claimgate reads", what)};
      if (kind_name_known)
        d.message = fmt::format("skipped {} {}: claimgate reads {} only from the Gloo Platform "
                                "API",
                                kind, api_version, kind);
      diags_.add(std::move(d));
      return;
    }
    if (kind == "VirtualGateway") {
      decodeInto(doc, index, line, api_version, kind, set_.virtual_gateways,
                 [](const Node& spec, VirtualGateway& r) { detail::decodeVirtualGateway(spec, r); });
    } else if (kind == "RouteTable") {
      decodeInto(doc, index, line, api_version, kind, set_.route_tables,
                 [](const Node& spec, RouteTable& r) { detail::decodeRouteTable(spec, r); });
    } else if (kind == "ExternalService") {
      decodeInto(doc, index, line, api_version, kind, set_.external_services,
                 [](const Node& spec, ExternalService& r) { detail::decodeExternalService(spec, r); });
    } else if (kind == "ExternalEndpoint") {
      decodeInto(doc, index, line, api_version, kind, set_.external_endpoints,
                 [](const Node& spec, ExternalEndpoint& r) { detail::decodeExternalEndpoint(spec, r); });
    } else if (kind == "JWTPolicy") {
      decodeInto(doc, index, line, api_version, kind, set_.jwt_policies,
                 [](const Node& spec, JwtPolicy& r) { detail::decodeJwtPolicy(spec, r); });
    } else if (kind == "Secret") {
      decodeInto(doc, index, line, api_version, kind, set_.secrets, nullptr);
    }
  }

 private:
  static std::string scalarOr(const YAML::Node& n) {
    return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string();
  }

  template <typename R, typename F>
  void decodeInto(const YAML::Node& doc, int index, int line, const std::string& api_version,
                  const std::string& kind, std::vector<R>& out, F&& decode_spec) {
    R r;
    r.api_version = api_version;
    r.kind = kind;
    r.origin = Origin{file_, index, line, set_.resourceCount()};
    // The resource id needs metadata first; decode it with a provisional context.
    {
      DocContext meta_ctx{diags_, file_, index, kind};
      Node meta(meta_ctx, doc["metadata"], "metadata");
      decodeMetadata(meta, r.metadata);
      if (r.metadata.name.empty()) meta.error("\"metadata.name\" is required");
    }
    DocContext ctx{diags_, file_, index, r.id()};
    Node root(ctx, doc, "");
    MapReader top(root);
    top.take("apiVersion");
    top.take("kind");
    top.take("metadata");
    top.ignore("status");
    if constexpr (std::is_same_v<R, Secret>) {
      decodeSecret(root, top, r);
    } else {
      auto spec = top.take("spec");
      if (!spec || spec->isNull())
        root.error("\"spec\" is required");
      else
        decode_spec(*spec, r);
    }
    top.finish();
    out.push_back(std::move(r));
  }

  ConfigSet& set_;
  Diagnostics& diags_;
  std::string file_;
};

}  // namespace

void loadConfigFromString(std::string_view text, std::string_view display_name, ConfigSet& into,
                          Diagnostics& diags) {
  std::string file(display_name);
  if (auto why = tooDeep(text)) {
    diags.error(file, 0, "", "", fmt::format("refused: {}", *why));
    return;
  }
  std::vector<YAML::Node> docs;
  try {
    std::string owned(text);
    if (auto mark = stuckAt(owned)) {
      diags.error(file, 0, "", "", "invalid YAML: unexpected character where a value should start",
                  mark->line + 1);
      return;
    }
    docs = YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    diags.error(file, 0, "", "", fmt::format("invalid YAML: {}", e.msg),
                e.mark.is_null() ? 0 : e.mark.line + 1);
    return;
  }
  DocumentLoader loader(into, diags, file);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    try {
      loader.load(docs[i], static_cast<int>(i + 1));
    } catch (const YAML::Exception& e) {
      // yaml-cpp throws on some malformed nodes (e.g. bad conversions); report, never crash.
      diags.error(file, static_cast<int>(i + 1), "", "", fmt::format("invalid YAML: {}", e.msg),
                  e.mark.is_null() ? 0 : e.mark.line + 1);
    }
  }
}

ConfigSet loadConfigFromString(std::string_view text, std::string_view display_name,
                               Diagnostics& diags) {
  ConfigSet set;
  loadConfigFromString(text, display_name, set, diags);
  return set;
}

ConfigSet loadConfig(const std::vector<std::string>& paths, Diagnostics& diags) {
  namespace fs = std::filesystem;
  ConfigSet set;
  auto loadFile = [&](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      diags.error(p.string(), 0, "", "", "cannot read the file");
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    loadConfigFromString(ss.str(), p.string(), set, diags);
  };
  for (const auto& path : paths) {
    std::error_code ec;
    fs::path p(path);
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        auto ext = e.path().extension().string();
        if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file(ec)) files.push_back(e.path());
      }
      if (ec) diags.error(path, 0, "", "", fmt::format("cannot list the folder: {}", ec.message()));
      std::sort(files.begin(), files.end(),
                [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
      for (const auto& f : files) loadFile(f);
    } else if (fs::exists(p, ec)) {
      loadFile(p);
    } else {
      diags.error(path, 0, "", "", "no such file or folder");
    }
  }
  return set;
}

}  // namespace claimgate::config
