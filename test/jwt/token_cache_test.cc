// TokenCache: hits and misses, the size bound, LRU order and counters, provider/keyset keying,
// the negative cache, clear, forced hash collisions, no allocation on lookups, and a random
// stress run against a simple reference model (std::list + std::map).
#include "jwt/token_cache.h"

#include <atomic>
#include <cstdlib>
#include <list>
#include <map>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "test_keys.h"

// Counts global allocations so that a test can assert that a lookup allocates nothing. Replacing
// the global operator new affects the whole jwt_tests binary; it only counts and forwards. Not
// under AddressSanitizer, which has its own operator new and checks new/delete pairing (the
// allocation tests are skipped there).
#if defined(__SANITIZE_ADDRESS__)
#define CG_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CG_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef CG_COUNT_ALLOCATIONS
#define CG_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

#if CG_COUNT_ALLOCATIONS
// GCC 12 flags free() on inlined operator new results (-Wmismatched-new-delete), but a replaced
// operator new/delete pair built on malloc/free is exactly what the standard allows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#endif

namespace claimgate::jwt {
namespace {

using testing::seg;

// A parseable token (the signature is not checked here) whose payload carries `sub`.
// Header {"alg":"RS256","typ":"JWT"}, payload {"iss":"https://issuer","sub":<sub>}.
std::string token(const std::string& sub) {
  return seg(R"({"alg":"RS256","typ":"JWT"})") + "." +
         seg(R"({"iss":"https://issuer","sub":")" + sub + R"("})") + "." + seg("signature-bytes");
}

// The Jwt of `t` (parsed: it owns a copy of the token bytes, which the cache may key on).
std::shared_ptr<const Jwt> parsed(const std::string& t) {
  auto jwt = std::make_shared<Jwt>();
  EXPECT_EQ(jwt->parse(t), JwtStatus::kOk) << t;
  return jwt;
}
// A Jwt that does not hold the token bytes (the cache then keeps its own copy).
std::shared_ptr<const Jwt> opaque() { return std::make_shared<Jwt>(); }

const std::shared_ptr<const Jwt>* find(TokenCache& c, uint64_t p, uint64_t k, std::string_view t) {
  return c.findValid(p, k, t);
}

TEST(TokenCache, LookupKeying) {
  // Insert (provider 1, keyset 10, A), then look up.
  const std::string a = token("a"), b = token("b");
  struct Case {
    const char* name;
    uint64_t provider, keyset;
    std::string lookup;
    bool hit;
    size_t size_after;   // the stale entry is dropped on a keyset mismatch
    uint64_t stale_drops;
  };
  const Case cases[] = {
      {"same", 1, 10, a, true, 1, 0},
      {"other_token", 1, 10, b, false, 1, 0},
      {"prefix_of_token", 1, 10, a.substr(0, a.size() - 1), false, 1, 0},
      {"token_plus_byte", 1, 10, a + "A", false, 1, 0},
      {"empty_token", 1, 10, "", false, 1, 0},
      {"other_provider_kept", 2, 10, a, false, 1, 0},
      {"other_keyset_dropped", 1, 11, a, false, 0, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TokenCache cache;
    auto jwt = parsed(a);
    cache.insertValid(1, 10, a, jwt);
    const auto* hit = find(cache, c.provider, c.keyset, c.lookup);
    ASSERT_EQ(hit != nullptr, c.hit);
    if (hit) {
      EXPECT_EQ(hit->get(), jwt.get());
    }
    EXPECT_EQ(cache.size(), c.size_after);
    EXPECT_EQ(cache.counters().hits, c.hit ? 1u : 0u);
    EXPECT_EQ(cache.counters().misses, c.hit ? 0u : 1u);
    EXPECT_EQ(cache.counters().stale_drops, c.stale_drops);
    // After a stale drop, even the old keyset no longer finds it.
    if (c.stale_drops) {
      EXPECT_EQ(find(cache, 1, 10, a), nullptr);
    }
  }
}

TEST(TokenCache, TokenSizeBound) {
  struct Case {
    size_t max_token_bytes;
    size_t token_bytes;
    bool cached;
  };
  const Case cases[] = {
      {64, 63, true},
      {64, 64, true},
      {64, 65, false},
      {kMaxCachedTokenBytes, kMaxCachedTokenBytes, true},
      {kMaxCachedTokenBytes, kMaxCachedTokenBytes + 1, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.max_token_bytes) + "/" + std::to_string(c.token_bytes));
    TokenCache cache(TokenCacheOptions{.max_token_bytes = c.max_token_bytes});
    const std::string t(c.token_bytes, 'x');
    cache.insertValid(1, 1, t, opaque());
    cache.insertInvalid(1, 1, t, JwtStatus::kJwtVerificationFail);
    JwtStatus s = JwtStatus::kOk;
    EXPECT_EQ(find(cache, 1, 1, t) != nullptr, c.cached);
    EXPECT_EQ(cache.findInvalid(1, 1, t, &s), c.cached);
    EXPECT_EQ(cache.size(), c.cached ? 1u : 0u);
    EXPECT_EQ(cache.negativeSize(), c.cached ? 1u : 0u);
    EXPECT_EQ(cache.counters().inserts, c.cached ? 1u : 0u);
    EXPECT_EQ(cache.counters().misses, c.cached ? 0u : 1u);
  }
}

TEST(TokenCache, LruOrderAndEvictions) {
  // Capacity 3. Ops: "iN" inserts token N, "fN" looks it up. Then exactly `present` must hit
  // (probed after the sequence, so the probes cannot disturb what is checked).
  struct Case {
    const char* ops;
    const char* present;
    uint64_t evictions;
    uint64_t inserts;
  };
  const Case cases[] = {
      {"i1 i2 i3", "123", 0, 3},
      {"i1 i2 i3 i4", "234", 1, 4},                // the least recent goes
      {"i1 i2 i3 f1 i4", "134", 1, 4},             // a hit makes 1 recent: 2 goes
      {"i1 i2 i3 i1 i4", "134", 1, 5},             // so does a re-insert (no growth)
      {"i1 i2 i3 f9 i4", "234", 1, 4},             // a miss changes nothing
      {"i1 i2 i3 f1 f2 i4 i5", "245", 2, 5},       // 3 then 1
      {"i1 i2 i3 i4 f2 i5 i4 i6", "456", 3, 7},
      {"i1 i1 i1", "1", 0, 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ops);
    TokenCache cache(TokenCacheOptions{.capacity = 3});
    const std::string_view ops = c.ops;
    for (size_t i = 0; i + 1 < ops.size(); i += 3) {
      const std::string t = token(std::string(1, ops[i + 1]));
      if (ops[i] == 'i') {
        cache.insertValid(7, 1, t, opaque());
      } else {
        find(cache, 7, 1, t);
      }
    }
    EXPECT_EQ(cache.counters().evictions, c.evictions);
    EXPECT_EQ(cache.counters().inserts, c.inserts);
    EXPECT_EQ(cache.size(), std::string_view(c.present).size());
    for (char t = '0'; t <= '9'; ++t) {
      EXPECT_EQ(find(cache, 7, 1, token(std::string(1, t))) != nullptr,
                std::string_view(c.present).find(t) != std::string_view::npos)
          << t;
    }
  }
}

TEST(TokenCache, ReinsertReplacesKeysetAndValue) {
  TokenCache cache;
  const std::string t = token("x");
  auto first = parsed(t), second = parsed(t);
  cache.insertValid(1, 10, t, first);
  cache.insertValid(1, 11, t, second);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(first.use_count(), 1);  // the cache let go of the first Jwt
  const auto* hit = find(cache, 1, 11, t);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->get(), second.get());
  EXPECT_EQ(find(cache, 1, 10, t), nullptr);  // the old keyset is stale now
}

TEST(TokenCache, NullJwtIsNotStored) {
  TokenCache cache;
  cache.insertValid(1, 1, token("x"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.counters().inserts, 0u);
}

TEST(TokenCache, EvictedJwtNobodyHoldsIsRecycled) {
  TokenCache cache(TokenCacheOptions{.capacity = 1});
  EXPECT_EQ(cache.takeSpareJwt(), nullptr);
  const std::string t1 = token("one"), t2 = token("two"), t3 = token("three");
  auto first = parsed(t1);
  const Jwt* first_raw = first.get();
  cache.insertValid(1, 1, t1, std::move(first));
  cache.insertValid(1, 1, t2, parsed(t2));  // evicts t1, held by nobody
  std::shared_ptr<Jwt> spare = cache.takeSpareJwt();
  ASSERT_NE(spare, nullptr);
  EXPECT_EQ(spare.get(), first_raw);
  EXPECT_EQ(cache.takeSpareJwt(), nullptr) << "handed out once";
  // Parsed into again, it is the new token through and through.
  ASSERT_EQ(spare->parse(token("four")), JwtStatus::kOk);
  EXPECT_EQ(spare->sub(), "four");
  EXPECT_EQ(spare->token(), token("four"));
  // A Jwt a request still holds is not recycled when evicted.
  std::shared_ptr<const Jwt> held = *cache.findValid(1, 1, t2);
  cache.insertValid(1, 1, t3, parsed(t3));
  EXPECT_EQ(cache.takeSpareJwt(), nullptr);
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_EQ(held->sub(), "two");
}

TEST(TokenCache, Erase) {
  TokenCache cache;
  const std::string a = token("a"), b = token("b");
  cache.insertValid(1, 10, a, opaque());
  cache.insertValid(1, 10, b, opaque());
  EXPECT_FALSE(cache.erase(2, 10, a));  // other provider: not its entry
  EXPECT_TRUE(cache.erase(1, 99, a));   // any keyset of (provider, token)
  EXPECT_FALSE(cache.erase(1, 10, a));  // already gone
  EXPECT_EQ(find(cache, 1, 10, a), nullptr);
  EXPECT_NE(find(cache, 1, 10, b), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.erase(1, 10, std::string(kMaxCachedTokenBytes + 1, 'x')));
}

TEST(TokenCache, SameTokenUnderTwoProviders) {
  TokenCache cache;
  const std::string t = token("shared");
  auto for1 = parsed(t), for2 = parsed(t);
  cache.insertValid(1, 10, t, for1);
  cache.insertValid(2, 20, t, for2);
  EXPECT_EQ(cache.size(), 2u);
  const auto* h1 = find(cache, 1, 10, t);
  ASSERT_NE(h1, nullptr);
  EXPECT_EQ(h1->get(), for1.get());
  const auto* h2 = find(cache, 2, 20, t);
  ASSERT_NE(h2, nullptr);
  EXPECT_EQ(h2->get(), for2.get());
  // A keyset change of provider 2 drops only provider 2's entry.
  EXPECT_EQ(find(cache, 2, 21, t), nullptr);
  EXPECT_NE(find(cache, 1, 10, t), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TokenCache, NegativeCacheIsBoundedAndSeparate) {
  TokenCache cache(TokenCacheOptions{.capacity = 4, .negative_capacity = 2});
  const std::string a = token("a"), b = token("b"), c = token("c");
  JwtStatus s = JwtStatus::kOk;

  // Separate: a failed token is not a verified one and vice versa.
  cache.insertInvalid(1, 10, a, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(find(cache, 1, 10, a), nullptr);
  cache.insertValid(1, 10, b, opaque());
  EXPECT_FALSE(cache.findInvalid(1, 10, b, &s));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.negativeSize(), 1u);

  // The stored status comes back.
  ASSERT_TRUE(cache.findInvalid(1, 10, a, &s));
  EXPECT_EQ(s, JwtStatus::kJwtVerificationFail);
  cache.insertInvalid(1, 10, c, JwtStatus::kJwksKidAlgMismatch);
  ASSERT_TRUE(cache.findInvalid(1, 10, c, &s));
  EXPECT_EQ(s, JwtStatus::kJwksKidAlgMismatch);

  // Bounded: a third token evicts the least recent (a was found before c: a is older).
  cache.insertInvalid(1, 10, b, JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(cache.negativeSize(), 2u);
  EXPECT_EQ(cache.counters().negative_evictions, 1u);
  EXPECT_FALSE(cache.findInvalid(1, 10, a, &s));
  EXPECT_TRUE(cache.findInvalid(1, 10, c, &s));
  EXPECT_EQ(cache.size(), 1u);  // the positive cache did not lose anything
  EXPECT_EQ(cache.counters().evictions, 0u);

  // New keys: the failed token is stale (dropped); another provider never saw it.
  EXPECT_FALSE(cache.findInvalid(2, 10, c, &s));
  EXPECT_EQ(cache.negativeSize(), 2u);
  EXPECT_FALSE(cache.findInvalid(1, 11, c, &s));
  EXPECT_EQ(cache.negativeSize(), 1u);
  EXPECT_EQ(cache.counters().stale_drops, 1u);
  EXPECT_EQ(cache.counters().negative_hits, 3u);
}

TEST(TokenCache, ClearEmptiesBothAndKeepsWorking) {
  TokenCache cache(TokenCacheOptions{.capacity = 8});
  for (int i = 0; i < 20; ++i) {
    cache.insertValid(1, 1, token(std::to_string(i)), opaque());
    cache.insertInvalid(1, 1, token("bad" + std::to_string(i)), JwtStatus::kJwtVerificationFail);
  }
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.negativeSize(), 0u);
  JwtStatus s;
  EXPECT_EQ(find(cache, 1, 1, token("19")), nullptr);
  EXPECT_FALSE(cache.findInvalid(1, 1, token("bad19"), &s));
  EXPECT_EQ(cache.counters().inserts, 20u);  // counters survive clear()
  for (int i = 0; i < 8; ++i) cache.insertValid(1, 1, token(std::to_string(i)), opaque());
  for (int i = 0; i < 8; ++i) EXPECT_NE(find(cache, 1, 1, token(std::to_string(i))), nullptr) << i;
  EXPECT_EQ(cache.counters().evictions, 12u);  // 12 before clear, none after
}

TEST(TokenCache, ZeroCapacityDisables) {
  TokenCache cache(TokenCacheOptions{.capacity = 0, .negative_capacity = 0});
  JwtStatus s;
  cache.insertValid(1, 1, "t", opaque());
  cache.insertInvalid(1, 1, "t", JwtStatus::kJwtVerificationFail);
  EXPECT_EQ(find(cache, 1, 1, "t"), nullptr);
  EXPECT_FALSE(cache.findInvalid(1, 1, "t", &s));
  EXPECT_FALSE(cache.erase(1, 1, "t"));
  cache.clear();
}

TEST(TokenCache, CapacityAboveLimitThrows) {
  EXPECT_THROW(TokenCache(TokenCacheOptions{.capacity = TokenCache::kMaxCapacity + 1}),
               std::invalid_argument);
  EXPECT_THROW(TokenCache(TokenCacheOptions{.negative_capacity = TokenCache::kMaxCapacity + 1}),
               std::invalid_argument);
}

// Forced collisions: every token gets the same hash, so each lookup walks one probe chain and
// only the byte comparison tells tokens apart; erasing from the middle exercises backward-shift
// deletion. Two constants: one whose home slot is 0, one whose chain wraps around the end.
uint64_t hashZero(std::string_view, uint64_t) { return 0; }
uint64_t hashAllOnes(std::string_view, uint64_t) { return ~uint64_t{0}; }
// Only the length counts: same-length tokens collide, others spread.
uint64_t hashLength(std::string_view t, uint64_t) { return t.size() * 0x9e3779b97f4a7c15ull; }

class Collisions : public ::testing::TestWithParam<uint64_t (*)(std::string_view, uint64_t)> {};

TEST_P(Collisions, FullBytesDecide) {
  TokenCache cache(TokenCacheOptions{.capacity = 64, .hash = GetParam()});
  std::vector<std::string> toks;
  std::vector<std::shared_ptr<const Jwt>> jwts;
  for (int i = 0; i < 40; ++i) {
    // Same length, differing in one character only: token("00") ... token("39").
    toks.push_back(token((i < 10 ? "0" : "") + std::to_string(i)));
    jwts.push_back(parsed(toks.back()));
    cache.insertValid(1, 1, toks.back(), jwts.back());
  }
  for (size_t i = 0; i < toks.size(); ++i) {
    const auto* hit = find(cache, 1, 1, toks[i]);
    ASSERT_NE(hit, nullptr) << i;
    EXPECT_EQ(hit->get(), jwts[i].get()) << i;
  }
  EXPECT_EQ(find(cache, 1, 1, token("99")), nullptr);
  // Erase every third, in a scrambled order, then check every token again.
  std::vector<size_t> order;
  for (size_t i = 0; i < toks.size(); i += 3) order.push_back(i);
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  for (size_t i : order) EXPECT_TRUE(cache.erase(1, 1, toks[i])) << i;
  for (size_t i = 0; i < toks.size(); ++i) {
    const auto* hit = find(cache, 1, 1, toks[i]);
    if (i % 3 == 0) {
      EXPECT_EQ(hit, nullptr) << i;
    } else {
      ASSERT_NE(hit, nullptr) << i;
      EXPECT_EQ(hit->get(), jwts[i].get()) << i;
    }
  }
  EXPECT_EQ(cache.size(), toks.size() - order.size());
}

INSTANTIATE_TEST_SUITE_P(TokenCache, Collisions,
                         ::testing::Values(&hashZero, &hashAllOnes, &hashLength, nullptr));

TEST(TokenCache, LookupsDoNotAllocate) {
  if (!CG_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocations are not counted under ASan";
  TokenCache cache(TokenCacheOptions{.capacity = 4});
  const std::string hit_tok = token("hit"), miss_tok = token("miss"), bad = token("bad");
  cache.insertValid(1, 1, hit_tok, parsed(hit_tok));
  cache.insertInvalid(1, 1, bad, JwtStatus::kJwtVerificationFail);
  const std::string too_long(kMaxCachedTokenBytes + 1, 'x');
  JwtStatus s;
  const size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    EXPECT_NE(find(cache, 1, 1, hit_tok), nullptr);
    EXPECT_EQ(find(cache, 1, 1, miss_tok), nullptr);
    EXPECT_EQ(find(cache, 1, 1, too_long), nullptr);
    EXPECT_TRUE(cache.findInvalid(1, 1, bad, &s));
    EXPECT_FALSE(cache.findInvalid(1, 1, miss_tok, &s));
  }
  EXPECT_EQ(g_allocations.load(), before);
}

TEST(TokenCache, InsertKeyedOnTheJwtCopiesNothing) {
  // When jwt->token() is the token, the entry keys on the Jwt's bytes: no allocation.
  if (!CG_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocations are not counted under ASan";
  TokenCache cache(TokenCacheOptions{.capacity = 2});
  const std::string t = token("own");
  auto jwt = parsed(t);
  const size_t before = g_allocations.load();
  cache.insertValid(1, 1, t, jwt);
  EXPECT_EQ(g_allocations.load(), before);
  ASSERT_NE(find(cache, 1, 1, t), nullptr);
}

TEST(TokenCache, InsertWithTokenViewingAnEvictedJwt) {
  // The token view points into the only Jwt the cache holds, which this insert evicts: the
  // cache must copy the bytes before letting the Jwt go (ASan builds catch a use-after-free).
  TokenCache cache(TokenCacheOptions{.capacity = 1});
  const std::string t = token("evicted");
  cache.insertValid(1, 1, t, parsed(t));
  const auto* hit = find(cache, 1, 1, t);
  ASSERT_NE(hit, nullptr);
  std::string_view view = (*hit)->token();
  cache.insertValid(2, 1, view, opaque());  // evicts provider 1's entry (capacity 1)
  EXPECT_EQ(find(cache, 1, 1, t), nullptr);
  EXPECT_NE(find(cache, 2, 1, t), nullptr);
}

// ---- Random operations against a reference model ----

class Model {
 public:
  Model(size_t capacity, size_t negative_capacity, size_t max_bytes)
      : valid_(capacity), invalid_(negative_capacity), max_bytes_(max_bytes) {}

  const Jwt* findValid(uint64_t p, uint64_t k, const std::string& t) {
    const Entry* e = valid_.find(p, k, t, &c_.stale_drops);
    ++(e ? c_.hits : c_.misses);
    return e ? e->jwt.get() : nullptr;
  }
  void insertValid(uint64_t p, uint64_t k, const std::string& t, std::shared_ptr<const Jwt> j) {
    if (!j || t.size() > max_bytes_ || valid_.cap == 0) return;
    if (valid_.insert(p, k, t, Entry{k, std::move(j), JwtStatus::kOk})) ++c_.evictions;
    ++c_.inserts;
  }
  bool erase(uint64_t p, const std::string& t) { return valid_.erase(p, t); }
  bool findInvalid(uint64_t p, uint64_t k, const std::string& t, JwtStatus* s) {
    const Entry* e = invalid_.find(p, k, t, &c_.stale_drops);
    ++(e ? c_.negative_hits : c_.negative_misses);
    if (e) *s = e->status;
    return e != nullptr;
  }
  void insertInvalid(uint64_t p, uint64_t k, const std::string& t, JwtStatus s) {
    if (t.size() > max_bytes_ || invalid_.cap == 0) return;
    if (invalid_.insert(p, k, t, Entry{k, nullptr, s})) ++c_.negative_evictions;
    ++c_.negative_inserts;
  }
  void clear() {
    valid_.clear();
    invalid_.clear();
  }
  size_t size() const { return valid_.map.size(); }
  size_t negativeSize() const { return invalid_.map.size(); }
  const TokenCache::Counters& counters() const { return c_; }

 private:
  struct Entry {
    uint64_t keyset;
    std::shared_ptr<const Jwt> jwt;
    JwtStatus status;
  };
  using Key = std::pair<uint64_t, std::string>;
  struct Lru {
    explicit Lru(size_t c) : cap(c) {}
    size_t cap;
    std::list<Key> order;  // front = most recent
    std::map<Key, std::pair<std::list<Key>::iterator, Entry>> map;

    const Entry* find(uint64_t p, uint64_t k, const std::string& t, uint64_t* stale) {
      auto it = map.find(Key{p, t});
      if (it == map.end()) return nullptr;
      if (it->second.second.keyset != k) {
        order.erase(it->second.first);
        map.erase(it);
        ++*stale;
        return nullptr;
      }
      order.splice(order.begin(), order, it->second.first);
      return &it->second.second;
    }
    bool insert(uint64_t p, uint64_t, const std::string& t, Entry e) {  // true: evicted one
      auto it = map.find(Key{p, t});
      if (it != map.end()) {
        order.splice(order.begin(), order, it->second.first);
        it->second.second = std::move(e);
        return false;
      }
      bool evicted = false;
      if (map.size() == cap) {
        map.erase(order.back());
        order.pop_back();
        evicted = true;
      }
      order.push_front(Key{p, t});
      map.emplace(Key{p, t}, std::make_pair(order.begin(), std::move(e)));
      return evicted;
    }
    bool erase(uint64_t p, const std::string& t) {
      auto it = map.find(Key{p, t});
      if (it == map.end()) return false;
      order.erase(it->second.first);
      map.erase(it);
      return true;
    }
    void clear() {
      order.clear();
      map.clear();
    }
  };
  Lru valid_, invalid_;
  size_t max_bytes_;
  TokenCache::Counters c_;
};

void expectSameCounters(const TokenCache::Counters& a, const TokenCache::Counters& b) {
  EXPECT_EQ(a.hits, b.hits);
  EXPECT_EQ(a.misses, b.misses);
  EXPECT_EQ(a.inserts, b.inserts);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.negative_hits, b.negative_hits);
  EXPECT_EQ(a.negative_misses, b.negative_misses);
  EXPECT_EQ(a.negative_inserts, b.negative_inserts);
  EXPECT_EQ(a.negative_evictions, b.negative_evictions);
  EXPECT_EQ(a.stale_drops, b.stale_drops);
}

class Stress : public ::testing::TestWithParam<std::tuple<uint64_t (*)(std::string_view, uint64_t),
                                                          size_t /*capacity*/>> {};

TEST_P(Stress, SameAnswersAsReferenceModel) {
  const auto [hash_fn, capacity] = GetParam();
  const size_t negative_capacity = capacity / 4;
  const size_t max_bytes = 120;
  TokenCache cache(TokenCacheOptions{.capacity = capacity,
                                     .negative_capacity = negative_capacity,
                                     .max_token_bytes = max_bytes,
                                     .hash = hash_fn});
  Model model(capacity, negative_capacity, max_bytes);

  // A pool of tokens: parseable ones (whose Jwt holds the bytes) and raw strings of many lengths,
  // some over the limit, some sharing prefixes.
  std::mt19937_64 rng(20261128);
  std::vector<std::string> pool;
  for (int i = 0; i < 150; ++i) pool.push_back(token("u" + std::to_string(i)));
  for (int i = 0; i < 150; ++i) {
    pool.push_back(std::string(rng() % 140, static_cast<char>('a' + i % 26)) + std::to_string(i));
  }
  const JwtStatus statuses[] = {JwtStatus::kJwtVerificationFail, JwtStatus::kJwksKidAlgMismatch};

  for (int step = 0; step < 100000; ++step) {
    const std::string& t = pool[rng() % pool.size()];
    const uint64_t p = 1 + rng() % 3, k = 10 + rng() % 2;
    const unsigned op = rng() % 100;
    SCOPED_TRACE("step " + std::to_string(step));
    if (op < 40) {
      const auto* got = cache.findValid(p, k, t);
      const Jwt* want = model.findValid(p, k, t);
      ASSERT_EQ(got ? got->get() : nullptr, want);
    } else if (op < 65) {
      // Half the time a Jwt that holds the token bytes (when the token parses).
      std::shared_ptr<const Jwt> j;
      if (rng() % 2 == 0) {
        auto pj = std::make_shared<Jwt>();
        if (pj->parse(t) == JwtStatus::kOk) j = pj;
      }
      if (!j) j = opaque();
      cache.insertValid(p, k, t, j);
      model.insertValid(p, k, t, j);
    } else if (op < 72) {
      ASSERT_EQ(cache.erase(p, k, t), model.erase(p, t));
    } else if (op < 87) {
      JwtStatus got = JwtStatus::kOk, want = JwtStatus::kOk;
      ASSERT_EQ(cache.findInvalid(p, k, t, &got), model.findInvalid(p, k, t, &want));
      ASSERT_EQ(got, want);
    } else if (op < 99) {
      const JwtStatus s = statuses[rng() % 2];
      cache.insertInvalid(p, k, t, s);
      model.insertInvalid(p, k, t, s);
    } else if (rng() % 20 == 0) {
      cache.clear();
      model.clear();
    }
    ASSERT_EQ(cache.size(), model.size());
    ASSERT_EQ(cache.negativeSize(), model.negativeSize());
  }
  expectSameCounters(cache.counters(), model.counters());
  EXPECT_GT(cache.counters().hits, 100u);  // the run exercised hits, evictions and drops
  EXPECT_GT(cache.counters().evictions, 100u);
  EXPECT_GT(cache.counters().stale_drops, 100u);
}

INSTANTIATE_TEST_SUITE_P(TokenCache, Stress,
                         ::testing::Combine(::testing::Values(nullptr, &hashLength, &hashZero),
                                            ::testing::Values(size_t{16}, size_t{200})));

TEST(TokenHash, SeedAndBytesMatter) {
  // Every length class of the hash (0, 1-3, 4-16, 17-48, > 48) reacts to one changed byte at
  // each position and to the seed.
  for (size_t len : {size_t{1}, size_t{3}, size_t{4}, size_t{8}, size_t{16}, size_t{17},
                     size_t{48}, size_t{49}, size_t{97}, size_t{800}}) {
    std::string s(len, 'q');
    const uint64_t h = tokenHash(s, 1);
    EXPECT_NE(h, tokenHash(s, 2)) << len;
    for (size_t i = 0; i < len; ++i) {
      std::string m = s;
      m[i] = 'r';
      EXPECT_NE(h, tokenHash(m, 1)) << len << " at " << i;
    }
  }
  EXPECT_NE(tokenHash("", 1), tokenHash("", 2));
}

}  // namespace
}  // namespace claimgate::jwt
