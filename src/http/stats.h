// Stats: a Prometheus counter registry with one shard per worker thread. A worker increments
// its own shard without locks on the hot path (a series seen before costs one hash lookup and a
// relaxed atomic add); a scrape sums all shards. Rendering follows the Prometheus text format
// 0.0.4 (`# TYPE name counter`, then `name{label="value"} N`).
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace claimgate::http {

struct Label {
  std::string_view name, value;
};

class StatsShard {
 public:
  StatsShard() = default;
  StatsShard(const StatsShard&) = delete;
  StatsShard& operator=(const StatsShard&) = delete;

  // Adds `by` to the counter `name{labels...}`. Call only from the thread owning this shard.
  // Label values are escaped as Prometheus requires (\\, \", \n); label order is kept.
  void inc(std::string_view name, std::initializer_list<Label> labels = {}, std::uint64_t by = 1);

 private:
  friend class Stats;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Only the owner inserts; it takes mu_ for an insertion, and a scrape takes mu_ to read, so
  // the owner's unlocked lookups never race with a structural change.
  std::mutex mu_;
  std::unordered_map<std::string, std::atomic<std::uint64_t>, Hash, std::equal_to<>> series_;
  std::string key_;  // scratch for composing the series key; reused
};

class Stats {
 public:
  // `shards` worker shards plus one extra shard for the caller's own thread (index == shards).
  explicit Stats(unsigned shards);
  StatsShard& shard(unsigned index) { return *shards_.at(index); }
  unsigned shardCount() const { return static_cast<unsigned>(shards_.size()); }

  // Sum over all shards, in Prometheus text format, series sorted by name.
  std::string renderPrometheus();
  // Sum of one series over all shards (tests): `series` is the full key, e.g.
  // `claimgate_decisions_total{route="r",outcome="allowed"}`.
  std::uint64_t value(std::string_view series);

 private:
  std::vector<std::unique_ptr<StatsShard>> shards_;
};

}  // namespace claimgate::http
