// The per-request JWT work of the seed policy (DESIGN §1: RS256, issuer https://localhost,
// email present, org internal|partner, scope is:developer) with the per-thread TokenCache:
//   CacheHitPolicy      findValid + copy of the shared_ptr + checkClaims (exp/nbf with the skew,
//                       issuer) + ClaimsPolicy::evaluate. Goal (issue 5): < 1 µs.
//   CacheHitPolicy10kSameToken  the same with 10,000 cached tokens (one hot token requested);
//                       reports the heap bytes per cached entry.
//   CacheHitPolicy10kRotating   10,000 cached tokens requested in a scrambled order (entries,
//                       Jwts and payloads out of the CPU caches); Touch10kTokens is the part of
//                       it that only reads the (cold) lookup keys.
//   MissFullVerify      what a miss costs: parse + checkClaims + RSA verify + insert + policy.
//   NegativeHit         a replayed bad-signature token: parse + checkClaims + findInvalid
//                       (no RSA), against NegativeMiss which verifies every time.
//   CacheHitOnly        findValid alone, for the breakdown.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/base64url.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/signer.h"
#include "jwt/token_cache.h"
#include "jwt/verify.h"
#include "policy/claims_policy.h"

namespace {

using namespace claimgate;
using namespace claimgate::jwt;
using claimgate::policy::ClaimRuleSpec;
using claimgate::policy::ClaimsPolicy;
using claimgate::policy::PolicySpec;

constexpr uint64_t kNow = 1'800'000'000;
constexpr uint64_t kProvider = 1, kKeyset = 1;

// The seed token's claims, as the walkthrough's IdP issues them (~300 bytes of JSON).
std::string claims(const std::string& sub) {
  return R"({"iss":"https://localhost","sub":")" + sub +
         R"(","aud":"httpbin","iat":1700000000,"exp":4102444800,"email":")" + sub +
         R"(@example.com","org":"partner","name":"Dev Eloper","scope":"openid email is:developer"})";
}

ClaimsPolicy seedPolicy() {
  PolicySpec spec;
  spec.claims.push_back(ClaimRuleSpec{"email", {"*"}, {}, ""});
  spec.claims.push_back(ClaimRuleSpec{"org", {"internal", "partner"}, {}, ""});
  spec.required_scopes = {"is:developer"};
  return ClaimsPolicy::compile(spec);
}

struct Seed {
  PrivateKey key = generatePrivateKey(Alg::kRS256);
  std::string token = signToken(Alg::kRS256, key, "key-1", claims("dev"));
  std::shared_ptr<const Jwks> jwks;
  ProviderChecks checks{"https://localhost", {}, 60};
  ClaimsPolicy policy = seedPolicy();

  Seed() {
    JwtStatus st;
    jwks = Jwks::fromJwksJson(
        "{\"keys\":[" + publicJwkJson(key, std::string_view("key-1"), Alg::kRS256) + "]}", &st);
  }
  // The seed token, parsed and verified once.
  std::shared_ptr<const Jwt> verified(const std::string& t) const {
    auto jwt = std::make_shared<Jwt>();
    JwtStatus s = jwt->parse(t);
    if (s == JwtStatus::kOk) s = verifyJwt(*jwt, checks, *jwks, kNow);
    return s == JwtStatus::kOk ? jwt : nullptr;
  }
};

const Seed& seed() {
  static const Seed s;
  return s;
}

// Bytes in use on the heap (small chunks + mmapped large ones).
size_t heapBytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// One cached request: hit, keep a reference (as the request does), time/issuer, policy.
inline bool hitAndEvaluate(TokenCache& cache, const Seed& s, std::string_view token) {
  const std::shared_ptr<const Jwt>* hit = cache.findValid(kProvider, kKeyset, token);
  if (hit == nullptr) return false;
  std::shared_ptr<const Jwt> jwt = *hit;
  if (checkClaims(*jwt, s.checks, kNow) != JwtStatus::kOk) return false;
  policy::Decision d = s.policy.evaluate(jwt->payload());
  return d.allowed;
}

void BM_CacheHitPolicy(benchmark::State& state) {
  const Seed& s = seed();
  TokenCache cache;
  cache.insertValid(kProvider, kKeyset, s.token, s.verified(s.token));
  for (auto _ : state) {
    if (!hitAndEvaluate(cache, s, s.token)) {
      state.SkipWithError("not allowed from the cache");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(s.token.size());
}
BENCHMARK(BM_CacheHitPolicy);

void BM_CacheHitOnly(benchmark::State& state) {
  const Seed& s = seed();
  TokenCache cache;
  cache.insertValid(kProvider, kKeyset, s.token, s.verified(s.token));
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.findValid(kProvider, kKeyset, s.token));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHitOnly);

// 10,000 distinct seed-shaped tokens in one cache. Signing 10k RS256 tokens would take seconds,
// and the cache never looks at signatures: the fillers carry the seed header and a random
// 256-byte signature, and are parsed (not verified) into the cache. Built once.
struct Big {
  static constexpr size_t kTokens = 10'000;
  std::vector<std::string> tokens;
  std::vector<uint32_t> order;  // a scrambled visiting order
  std::unique_ptr<TokenCache> cache;
  double index_bytes_per_entry = 0, heap_bytes_per_entry = 0;

  Big() {
    const Seed& s = seed();
    const std::string header = s.token.substr(0, s.token.find('.'));
    std::mt19937_64 rng(7);
    for (size_t i = 0; i < kTokens; ++i) {
      std::string sig(256, '\0');
      for (char& c : sig) c = static_cast<char>(rng());
      tokens.push_back(header + "." + base64UrlEncode(claims("user" + std::to_string(i))) + "." +
                       base64UrlEncode(sig));
    }
    // Heap growth: the cache's own preallocated nodes and index, then per entry the Jwt (token
    // copy, decoded parts, simdjson payload document) that the cache keeps alive.
    const size_t before = heapBytes();
    cache = std::make_unique<TokenCache>(TokenCacheOptions{.capacity = kTokens});
    const size_t empty_cache = heapBytes();
    for (const std::string& t : tokens) {
      auto jwt = std::make_shared<Jwt>();
      if (jwt->parse(t) == JwtStatus::kOk) {
        cache->insertValid(kProvider, kKeyset, t, std::move(jwt));
      }
    }
    const size_t full_cache = heapBytes();
    index_bytes_per_entry = static_cast<double>(empty_cache - before) / kTokens;
    heap_bytes_per_entry = static_cast<double>(full_cache - before) / kTokens;
    order.resize(kTokens);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
  }
};

Big& big() {
  static Big b;
  return b;
}

// 10k entries, one (hot) token requested again and again: the table size does not matter.
void BM_CacheHitPolicy10kSameToken(benchmark::State& state) {
  const Seed& s = seed();
  Big& b = big();
  if (b.cache->size() != Big::kTokens) state.SkipWithError("fillers did not parse");
  const std::string& t = b.tokens[Big::kTokens / 2];
  for (auto _ : state) {
    if (!hitAndEvaluate(*b.cache, s, t)) {
      state.SkipWithError("not allowed from the cache");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["index_B_per_entry"] = b.index_bytes_per_entry;
  state.counters["heap_B_per_entry"] = b.heap_bytes_per_entry;
}
BENCHMARK(BM_CacheHitPolicy10kSameToken);

// 10k entries visited in a scrambled order: every hit touches cold memory (the entry, the
// Jwt, its payload document) and the lookup key itself is cold too, which a real request's
// token (just received into the connection buffer) is not; BM_Touch10kTokens measures that part
// alone.
void BM_CacheHitPolicy10kRotating(benchmark::State& state) {
  const Seed& s = seed();
  Big& b = big();
  if (b.cache->size() != Big::kTokens) state.SkipWithError("fillers did not parse");
  size_t i = 0;
  for (auto _ : state) {
    if (!hitAndEvaluate(*b.cache, s, b.tokens[b.order[i]])) {
      state.SkipWithError("not allowed from the cache");
      break;
    }
    if (++i == Big::kTokens) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHitPolicy10kRotating);

// Reading the 10k lookup keys in the same order, without the cache (hashing them is the
// cheapest way to read every byte): the baseline to subtract from the rotating case.
void BM_Touch10kTokens(benchmark::State& state) {
  Big& b = big();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokenHash(b.tokens[b.order[i]], 1));
    if (++i == Big::kTokens) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Touch10kTokens);

// A miss: the full verification, then the insert; the entry is erased so the next one misses.
void BM_MissFullVerify(benchmark::State& state) {
  const Seed& s = seed();
  TokenCache cache;
  for (auto _ : state) {
    if (cache.findValid(kProvider, kKeyset, s.token) != nullptr) {
      state.SkipWithError("unexpected hit");
      break;
    }
    auto jwt = std::make_shared<Jwt>();
    JwtStatus st = jwt->parse(s.token);
    if (st == JwtStatus::kOk) st = checkClaims(*jwt, s.checks, kNow);
    if (st == JwtStatus::kOk) st = verifyJwtSignature(*jwt, *s.jwks);
    if (st != JwtStatus::kOk || !s.policy.evaluate(jwt->payload()).allowed) {
      state.SkipWithError("not allowed");
      break;
    }
    cache.insertValid(kProvider, kKeyset, s.token, std::move(jwt));
    cache.erase(kProvider, kKeyset, s.token);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MissFullVerify);

// A replayed token with a broken signature (one signature character changed).
std::string badSignature(std::string t) {
  char& c = t[t.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  return t;
}

void badToken(benchmark::State& state, bool use_negative_cache) {
  const Seed& s = seed();
  const std::string bad = badSignature(s.token);
  TokenCache cache;
  Jwt jwt;
  for (auto _ : state) {
    JwtStatus st = jwt.parse(bad);
    if (st == JwtStatus::kOk) st = checkClaims(jwt, s.checks, kNow);
    if (st == JwtStatus::kOk &&
        !(use_negative_cache && cache.findInvalid(kProvider, kKeyset, bad, &st))) {
      st = verifyJwtSignature(jwt, *s.jwks);
      if (st == JwtStatus::kJwtVerificationFail && use_negative_cache) {
        cache.insertInvalid(kProvider, kKeyset, bad, st);
      }
    }
    if (st != JwtStatus::kJwtVerificationFail) {
      state.SkipWithError("expected a verification failure");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_NegativeHit(benchmark::State& state) { badToken(state, true); }
void BM_NegativeMiss(benchmark::State& state) { badToken(state, false); }
BENCHMARK(BM_NegativeHit);
BENCHMARK(BM_NegativeMiss);

}  // namespace

BENCHMARK_MAIN();
