#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "config/duration.h"

namespace claimgate::config::detail {

namespace {

constexpr std::string_view kBoolWords[] = {"y",    "Y",    "yes",  "Yes",   "YES",  "n",   "N",
                                           "no",   "No",   "NO",   "true",  "True", "TRUE",
                                           "false", "False", "FALSE", "on", "On",  "ON",
                                           "off",  "Off",  "OFF"};

bool isPlain(const YAML::Node& n) { return n.Tag() == "?"; }

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "null";
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (!isPlain(n)) return fmt::format("the string \"{}\"", n.Scalar());
  switch (resolvePlain(n.Scalar())) {
    case PlainKind::kBool:
      return fmt::format("the YAML boolean {}", n.Scalar());
    case PlainKind::kInt:
    case PlainKind::kFloat:
      return fmt::format("the number {}", n.Scalar());
    case PlainKind::kNull:
      return "null";
    case PlainKind::kString:
      break;
  }
  return fmt::format("the string \"{}\"", n.Scalar());
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      auto ca = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      auto cb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Decimal integer with an optional sign (also what proto3 JSON accepts in a quoted string).
template <typename T>
std::optional<T> parseDecimal(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

PlainKind resolvePlain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return PlainKind::kNull;
  for (auto w : kBoolWords)
    if (s == w) return PlainKind::kBool;
  std::string t;
  t.reserve(s.size());
  for (char c : s)
    if (c != '_') t += c;
  std::string_view v = t;
  if (!v.empty() && (v.front() == '+' || v.front() == '-')) v.remove_prefix(1);
  auto all = [](std::string_view x, auto pred) {
    return !x.empty() && std::all_of(x.begin(), x.end(), pred);
  };
  auto dec = [](char c) { return c >= '0' && c <= '9'; };
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (all(v, dec)) return PlainKind::kInt;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && all(v.substr(2), hex))
    return PlainKind::kInt;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'b') &&
      all(v.substr(2), [](char c) { return c == '0' || c == '1'; }))
    return PlainKind::kInt;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'o') &&
      all(v.substr(2), [](char c) { return c >= '0' && c <= '7'; }))
    return PlainKind::kInt;
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  and .inf / .nan
  if (v == ".inf" || v == ".Inf" || v == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN")
    return PlainKind::kFloat;
  std::size_t i = 0;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < v.size() && dec(v[i])) ++i, ++int_digits;
  bool dot = false;
  if (i < v.size() && v[i] == '.') {
    dot = true;
    ++i;
    while (i < v.size() && dec(v[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return PlainKind::kString;
  if (!dot && i == v.size()) return PlainKind::kInt;
  if (int_digits == 0 && !dot) return PlainKind::kString;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < v.size() && dec(v[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return PlainKind::kString;
  }
  return i == v.size() ? PlainKind::kFloat : PlainKind::kString;
}

int Node::line() const {
  if (!node_.IsDefined()) return 0;
  auto m = node_.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

Node Node::child(std::string_view key, YAML::Node n) const {
  std::string p = path_;
  if (!p.empty()) p += '.';
  p += key;
  return Node(*ctx_, std::move(n), std::move(p));
}

Node Node::element(std::size_t i) const {
  return Node(*ctx_, node_[i], fmt::format("{}[{}]", path_, i));
}

void Node::error(std::string message) const {
  ctx_->diags.error(ctx_->file, ctx_->document, ctx_->resource, path_, std::move(message), line());
}

void Node::warning(std::string message) const {
  ctx_->diags.warning(ctx_->file, ctx_->document, ctx_->resource, path_, std::move(message),
                      line());
}

MapReader::MapReader(const Node& node) : node_(node) {
  if (node.isNull()) return;
  if (!node.isMap()) {
    node.error(fmt::format("expected a map, got {}", describe(node.yaml())));
    valid_ = false;
    return;
  }
  for (auto it = node.yaml().begin(); it != node.yaml().end(); ++it) {
    if (!it->first.IsScalar()) {
      node.error("a map key must be a string");
      continue;
    }
    std::string key = it->first.Scalar();
    bool dup = std::any_of(entries_.begin(), entries_.end(),
                           [&](const auto& e) { return e.first == key; });
    if (dup) {
      // Kubernetes refuses duplicate keys; silently taking one would hide the other.
      node.child(key, it->second).error("duplicate key");
      continue;
    }
    entries_.emplace_back(std::move(key), it->second);
  }
  used_.assign(entries_.size(), false);
}

bool MapReader::has(std::string_view key) {
  known_.emplace_back(key);
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& e) { return e.first == key; });
}

std::optional<Node> MapReader::take(std::string_view key) {
  known_.emplace_back(key);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == key) {
      used_[i] = true;
      return node_.child(key, entries_[i].second);
    }
  }
  return std::nullopt;
}

void MapReader::unsupported(std::string_view key, Severity severity, std::string_view why) {
  auto n = take(key);
  if (!n) return;
  std::string msg = fmt::format("not supported by claimgate: {}", why);
  if (severity == Severity::kError)
    n->error(std::move(msg));
  else
    n->warning(fmt::format("ignored ({})", why));
}

void MapReader::ignore(std::string_view key) { take(key); }

void MapReader::finish() {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (used_[i]) continue;
    const auto& key = entries_[i].first;
    std::string hint;
    std::size_t best = 3;
    for (const auto& k : known_) {
      auto d = editDistance(key, k);
      if (d < best || (d <= best && k.size() > 1 && key.find(k) == 0 && key.size() - k.size() <= 2)) {
        best = d;
        hint = k;
      }
    }
    std::string msg = fmt::format("unknown field \"{}\" (not a field of this Gloo object)", key);
    if (!hint.empty()) msg += fmt::format("; did you mean \"{}\"?", hint);
    node_.child(key, entries_[i].second).error(std::move(msg));
  }
}

namespace {

std::optional<std::string> checkedString(const Node& n, std::string s) {
  // Heredoc manifests are shell templates; an unexpanded `${VAR}` is valid for Gloo (it is a
  // string) but almost certainly not what the user meant.
  if (auto p = s.find("${"); p != std::string::npos && s.find('}', p) != std::string::npos)
    n.warning(fmt::format("\"{}\" contains an unexpanded shell placeholder (run envsubst?)", s));
  return s;
}

}  // namespace

std::optional<std::string> readString(const Node& n) {
  if (n.isNull()) return std::nullopt;
  const auto& y = n.yaml();
  if (y.IsScalar()) {
    if (!isPlain(y)) return checkedString(n, y.Scalar());
    auto k = resolvePlain(y.Scalar());
    if (k == PlainKind::kString) return checkedString(n, y.Scalar());
  }
  n.error(fmt::format("expected a string, got {}{}", describe(y),
                      y.IsScalar() ? " (quote it)" : ""));
  return std::nullopt;
}

std::optional<bool> readBool(const Node& n) {
  if (n.isNull()) return std::nullopt;
  const auto& y = n.yaml();
  if (y.IsScalar() && isPlain(y) && resolvePlain(y.Scalar()) == PlainKind::kBool) {
    auto s = y.Scalar();
    return s == "y" || s == "Y" || s == "yes" || s == "Yes" || s == "YES" || s == "true" ||
           s == "True" || s == "TRUE" || s == "on" || s == "On" || s == "ON";
  }
  n.error(fmt::format("expected true or false, got {}", describe(y)));
  return std::nullopt;
}

namespace {

template <typename T>
std::optional<T> readInteger(const Node& n, long long min, long long max, std::string_view type) {
  if (n.isNull()) return std::nullopt;
  const auto& y = n.yaml();
  std::optional<long long> v;
  if (y.IsScalar()) {
    // Plain decimal numbers, or quoted decimal strings (proto3 JSON accepts "443").
    v = parseDecimal<long long>(y.Scalar());
  }
  if (!v) {
    n.error(fmt::format("expected {} (a number), got {}", type, describe(y)));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    n.error(fmt::format("{} is out of range [{}, {}]", *v, min, max));
    return std::nullopt;
  }
  return static_cast<T>(*v);
}

}  // namespace

std::optional<std::uint32_t> readUint32(const Node& n, std::uint32_t min, std::uint32_t max) {
  return readInteger<std::uint32_t>(n, min, max, "an unsigned integer");
}

std::optional<std::int32_t> readInt32(const Node& n) {
  return readInteger<std::int32_t>(n, std::numeric_limits<std::int32_t>::min(),
                                   std::numeric_limits<std::int32_t>::max(), "an integer");
}

std::optional<Duration> readDuration(const Node& n) {
  if (n.isNull()) return std::nullopt;
  const auto& y = n.yaml();
  if (y.IsScalar() && (!isPlain(y) || resolvePlain(y.Scalar()) == PlainKind::kString)) {
    if (auto d = parseDuration(y.Scalar())) return d;
    n.error(fmt::format("\"{}\" is not a duration (write e.g. 300s, 1.5s, 10m or 1h30m)",
                        y.Scalar()));
    return std::nullopt;
  }
  n.error(fmt::format("expected a duration string such as \"300s\" or \"10m\", got {}",
                      describe(y)));
  return std::nullopt;
}

std::vector<std::string> readStringList(const Node& n) {
  std::vector<std::string> out;
  if (n.isNull()) return out;
  if (!n.isSequence()) {
    n.error(fmt::format("expected a list of strings, got {}", describe(n.yaml())));
    return out;
  }
  for (std::size_t i = 0; i < n.yaml().size(); ++i) {
    auto e = n.element(i);
    if (e.isNull()) {
      e.error("expected a string, got null");
      continue;
    }
    if (auto s = readString(e)) out.push_back(std::move(*s));
  }
  return out;
}

Labels readStringMap(const Node& n) {
  Labels out;
  MapReader m(n);
  if (!m.valid() || n.isNull()) return out;
  for (auto it = n.yaml().begin(); it != n.yaml().end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by MapReader
    auto key = it->first.Scalar();
    auto v = m.take(key);
    if (!v) continue;
    if (v->isNull()) {
      out.emplace(key, "");
      continue;
    }
    if (auto s = readString(*v)) out.emplace(key, std::move(*s));
  }
  return out;
}

std::optional<std::size_t> readEnum(const Node& n, std::span<const std::string_view> names) {
  if (n.isNull()) return std::nullopt;
  const auto& y = n.yaml();
  auto allowed = [&] {
    std::string s;
    for (auto nm : names) {
      if (!s.empty()) s += ", ";
      s += nm;
    }
    return s;
  };
  if (y.IsScalar()) {
    auto kind = isPlain(y) ? resolvePlain(y.Scalar()) : PlainKind::kString;
    if (kind == PlainKind::kString) {
      for (std::size_t i = 0; i < names.size(); ++i)
        if (y.Scalar() == names[i]) return i;
      n.error(fmt::format("unknown value \"{}\" (expected one of {})", y.Scalar(), allowed()));
      return std::nullopt;
    }
    if (kind == PlainKind::kInt) {
      auto v = parseDecimal<std::size_t>(y.Scalar());
      if (v && *v < names.size()) return *v;
    }
    if (kind == PlainKind::kBool) {
      n.error(fmt::format("{} is a YAML boolean, not one of {}; quote it (\"{}\")", y.Scalar(),
                          allowed(), y.Scalar()));
      return std::nullopt;
    }
  }
  n.error(fmt::format("expected one of {}, got {}", allowed(), describe(y)));
  return std::nullopt;
}

bool readEmptyMessage(const Node& n) {
  MapReader m(n);
  m.finish();
  return m.valid();
}

}  // namespace claimgate::config::detail
