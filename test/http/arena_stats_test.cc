// Arena (per-request scratch) and the sharded Prometheus counters.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "http/arena.h"
#include "http/handler.h"
#include "http/stats.h"

namespace claimgate::http {
namespace {

TEST(Arena, CopiesAndConcatsSurviveGrowth) {
  Arena a(64);
  std::string_view first = a.copy("hello");
  std::string big(1000, 'x');
  std::string_view second = a.copy(big);  // forces a new block
  std::string_view third = a.concat({"Bearer realm=\"", "http://h", "/p", "\""});
  EXPECT_EQ(first, "hello");
  EXPECT_EQ(second, big);
  EXPECT_EQ(third, "Bearer realm=\"http://h/p\"");
  EXPECT_EQ(a.used(), 5u + 1000u + third.size());
}

TEST(Arena, ResetReusesFirstBlock) {
  Arena a(128);
  std::string_view x = a.copy("abc");
  const char* p = x.data();
  a.reset();
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(a.copy("xyz").data(), p);
}

TEST(Arena, ReleaseGivesPoolSizedBlocksBackAndReuseTakesThem) {
  BlockPool pool(1024, /*max_spare=*/2);
  {
    Arena a(1024, &pool);
    a.copy("first");
    const char* block = a.copy("x").data();
    a.release();
    EXPECT_EQ(pool.spareCount(), 1u);
    EXPECT_EQ(a.used(), 0u);
    // The next allocation takes the spare block back (the same memory), not a new one.
    EXPECT_EQ(a.copy("y").data(), block - 5);
    EXPECT_EQ(pool.spareCount(), 0u);
    a.allocate(4000);  // a larger block: not the pool's size, freed on release
    a.release();
    EXPECT_EQ(pool.spareCount(), 1u);
  }
  // Destruction releases too; the pool keeps at most max_spare blocks.
  { Arena a(1024, &pool); a.copy("z"); }
  EXPECT_EQ(pool.spareCount(), 1u);
  auto b1 = pool.get(), b2 = pool.get(), b3 = pool.get();
  pool.put(std::move(b1));
  pool.put(std::move(b2));
  pool.put(std::move(b3));
  EXPECT_EQ(pool.spareCount(), 2u);
}

TEST(Arena, ArraysAreAlignedAndValueInitialised) {
  Arena a(64);
  a.copy("x");
  auto arr = a.makeArray<HeaderView>(5);
  ASSERT_EQ(arr.size(), 5u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(arr.data()) % alignof(HeaderView), 0u);
  for (auto& h : arr) EXPECT_TRUE(h.name.empty());
}

TEST(Stats, ShardsAreSummedOnScrape) {
  Stats s(2);
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) s.shard(0).inc("claimgate_requests_total", {{"route", "a"}});
  });
  for (int i = 0; i < 500; ++i) s.shard(1).inc("claimgate_requests_total", {{"route", "a"}});
  s.shard(1).inc("claimgate_requests_total", {{"route", "b\"q"}}, 7);
  t.join();
  EXPECT_EQ(s.value(R"(claimgate_requests_total{route="a"})"), 1500u);
  std::string text = s.renderPrometheus();
  EXPECT_EQ(text,
            "# TYPE claimgate_requests_total counter\n"
            "claimgate_requests_total{route=\"a\"} 1500\n"
            "claimgate_requests_total{route=\"b\\\"q\"} 7\n");
}

TEST(Stats, LabelValuesAreEscapedAsPrometheusRequires) {
  Stats s(1);
  s.shard(0).inc("claimgate_x_total", {{"a", "plain"}, {"b", "back\\slash"}, {"c", "two\nlines \"q\""}});
  EXPECT_EQ(s.value(R"(claimgate_x_total{a="plain",b="back\\slash",c="two\nlines \"q\""})"), 1u);
}

TEST(Stats, NoLabels) {
  Stats s(1);
  s.shard(1).inc("claimgate_x_total");
  EXPECT_EQ(s.value("claimgate_x_total"), 1u);
  EXPECT_EQ(s.shardCount(), 2u);
}

TEST(UpstreamTarget, KeySeparatesWhatChangesTheConnection) {
  UpstreamTarget a{.host = "h", .port = 80};
  UpstreamTarget b{.host = "h", .port = 80, .tls = true};
  UpstreamTarget c{.host = "h", .port = 81};
  a.finalize();
  b.finalize();
  c.finalize();
  EXPECT_NE(a.key, b.key);
  EXPECT_NE(a.key, c.key);
  UpstreamTarget a2{.host = "h", .port = 80};
  a2.finalize();
  EXPECT_EQ(a.key, a2.key);
}

}  // namespace
}  // namespace claimgate::http
