#include "http/stats.h"

#include <map>

namespace claimgate::http {
namespace {

void appendEscaped(std::string& out, std::string_view v) {
  // Label values almost never need escaping: append them whole (this runs for every label of
  // the two counters each request updates).
  if (v.find_first_of("\\\"\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

}  // namespace

void StatsShard::inc(std::string_view name, std::initializer_list<Label> labels, std::uint64_t by) {
  key_.clear();
  key_.append(name);
  if (labels.size() != 0) {
    key_ += '{';
    bool first = true;
    for (const Label& l : labels) {
      if (!first) key_ += ',';
      first = false;
      key_.append(l.name);
      key_ += "=\"";
      appendEscaped(key_, l.value);
      key_ += '"';
    }
    key_ += '}';
  }
  auto it = series_.find(std::string_view(key_));
  if (it == series_.end()) {
    std::lock_guard lock(mu_);
    it = series_.try_emplace(key_, 0).first;
  }
  it->second.fetch_add(by, std::memory_order_relaxed);
}

Stats::Stats(unsigned shards) {
  shards_.reserve(shards + 1);
  for (unsigned i = 0; i <= shards; ++i) shards_.push_back(std::make_unique<StatsShard>());
}

std::string Stats::renderPrometheus() {
  std::map<std::string, std::uint64_t, std::less<>> sum;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu_);
    for (auto& [k, v] : s->series_) sum[k] += v.load(std::memory_order_relaxed);
  }
  std::string out;
  std::string_view last_name;
  for (auto& [k, v] : sum) {
    std::string_view key = k;
    std::string_view name = key.substr(0, key.find('{'));
    if (name != last_name) {
      out += "# TYPE ";
      out.append(name);
      out += " counter\n";
      last_name = name;
    }
    out.append(key);
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  }
  return out;
}

std::uint64_t Stats::value(std::string_view series) {
  std::uint64_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu_);
    auto it = s->series_.find(series);
    if (it != s->series_.end()) total += it->second.load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace claimgate::http
