// Bounded LRU over preallocated nodes. The hot path (a hit) is: hash the token (~40 ns for an
// 800-byte RS256 token), probe a few 8-byte slots, compare the full token bytes, relink two list
// neighbours. No allocation on a hit or a miss; an insert allocates only when a reused node's
// string is too small for the token and the Jwt does not hold the bytes itself.
#include "jwt/token_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <stdexcept>

namespace claimgate::jwt {
namespace {

// 64x64 -> 128-bit multiply, folded. __int128 is a GCC/Clang extension (both build us).
__extension__ typedef unsigned __int128 U128;

inline uint64_t mum(uint64_t a, uint64_t b) {
  U128 r = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t read8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t read4(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// wyhash's constants (odd, balanced bits).
constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
constexpr uint64_t kP3 = 0x589965cc75374cc3ull;

// Folds the provider id into the seed so that the same token under two providers lands in
// unrelated probe chains.
constexpr uint64_t kProviderMix = 0x9e3779b97f4a7c15ull;

}  // namespace

// Three independent multiply lanes over 48-byte blocks, then 16-byte steps, then the last 16
// bytes (overlapping reads, as wyhash does, so no byte-by-byte tail). libstdc++'s
// std::hash<string_view> (murmur2, one lane) takes ~3x longer on RS256-sized tokens.
uint64_t tokenHash(std::string_view token, uint64_t seed) {
  const char* p = token.data();
  const size_t n = token.size();
  seed ^= mum(seed ^ kP0, n ^ kP1);
  uint64_t a = 0, b = 0;
  if (n <= 16) {
    if (n >= 4) {
      const size_t mid = (n >> 3) << 2;
      a = (read4(p) << 32) | read4(p + mid);
      b = (read4(p + n - 4) << 32) | read4(p + n - 4 - mid);
    } else if (n > 0) {
      a = (uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (uint64_t{static_cast<unsigned char>(p[n >> 1])} << 8) |
          uint64_t{static_cast<unsigned char>(p[n - 1])};
    }
  } else {
    size_t i = n;
    if (i > 48) {
      uint64_t s1 = seed, s2 = seed;
      do {
        seed = mum(read8(p) ^ kP1, read8(p + 8) ^ seed);
        s1 = mum(read8(p + 16) ^ kP2, read8(p + 24) ^ s1);
        s2 = mum(read8(p + 32) ^ kP3, read8(p + 40) ^ s2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= s1 ^ s2;
    }
    while (i > 16) {
      seed = mum(read8(p) ^ kP1, read8(p + 8) ^ seed);
      i -= 16;
      p += 16;
    }
    // The last 16 bytes of the token (may overlap bytes already mixed; n > 16 keeps it in range).
    a = read8(p + i - 16);
    b = read8(p + i - 8);
  }
  a ^= kP1;
  b ^= seed;
  U128 r = static_cast<U128>(a) * b;
  return mum(static_cast<uint64_t>(r) ^ kP0 ^ n, static_cast<uint64_t>(r >> 64) ^ kP1);
}

// ---- Table ----

TokenCache::Table::Table(size_t capacity) : nodes_(capacity) {
  if (capacity == 0) return;
  // Load factor <= 1/2 keeps linear-probing chains short (expected < 2 probes on a hit).
  slots_.resize(std::bit_ceil(std::max<size_t>(capacity * 2, 8)));
  mask_ = slots_.size() - 1;
  clear();
}

void TokenCache::Table::clear() {
  for (Node& n : nodes_) {
    n.jwt.reset();
    n.key = {};
    n.slot = kNil;
  }
  for (Slot& s : slots_) s = Slot{};
  // Free list in index order; `own` strings keep their capacity for reuse.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].prev = kNil;
    nodes_[i].next = i + 1 < nodes_.size() ? static_cast<uint32_t>(i + 1) : kNil;
  }
  free_ = nodes_.empty() ? kNil : 0;
  head_ = tail_ = kNil;
  size_ = 0;
}

TokenCache::Table::Node* TokenCache::Table::find(uint64_t h, uint64_t provider_id,
                                                 std::string_view token) {
  if (size_ == 0) return nullptr;
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.node == kNil) return nullptr;
    if (s.tag != tag) continue;
    Node& n = nodes_[s.node];
    // Never trust the hash alone: the full bytes decide.
    if (n.hash == h && n.provider_id == provider_id && n.key == token) return &n;
  }
}

TokenCache::Table::Node& TokenCache::Table::add(uint64_t h, uint64_t provider_id, bool* evicted,
                                                std::shared_ptr<const Jwt>* evicted_jwt) {
  *evicted = false;
  if (free_ == kNil) {
    // The caller's token may view the evicted Jwt's bytes: hand the Jwt over instead of freeing.
    *evicted_jwt = std::move(nodes_[tail_].jwt);
    remove(nodes_[tail_]);
    *evicted = true;
  }
  Node& n = nodes_[free_];
  free_ = n.next;
  n.hash = h;
  n.provider_id = provider_id;
  size_t i = h & mask_;
  while (slots_[i].node != kNil) i = (i + 1) & mask_;
  slots_[i] = Slot{index(n), static_cast<uint32_t>(h >> 32)};
  n.slot = static_cast<uint32_t>(i);
  pushFront(n);
  ++size_;
  return n;
}

void TokenCache::Table::touch(Node& n) {
  if (head_ == index(n)) return;
  unlink(n);
  pushFront(n);
}

void TokenCache::Table::remove(Node& n) {
  // Backward-shift deletion (Knuth 6.4 algorithm R): pull later members of the probe chain
  // into the hole unless their home slot lies cyclically in (hole, member].
  size_t hole = n.slot;
  slots_[hole] = Slot{};
  for (size_t j = (hole + 1) & mask_; slots_[j].node != kNil; j = (j + 1) & mask_) {
    Node& m = nodes_[slots_[j].node];
    const size_t home = m.hash & mask_;
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    m.slot = static_cast<uint32_t>(hole);
    slots_[j] = Slot{};
    hole = j;
  }
  unlink(n);
  release(n);
  --size_;
}

void TokenCache::Table::unlink(Node& n) {
  if (n.prev != kNil) {
    nodes_[n.prev].next = n.next;
  } else {
    head_ = n.next;
  }
  if (n.next != kNil) {
    nodes_[n.next].prev = n.prev;
  } else {
    tail_ = n.prev;
  }
  n.prev = n.next = kNil;
}

void TokenCache::Table::pushFront(Node& n) {
  n.prev = kNil;
  n.next = head_;
  if (head_ != kNil) nodes_[head_].prev = index(n);
  head_ = index(n);
  if (tail_ == kNil) tail_ = head_;
}

void TokenCache::Table::release(Node& n) {
  n.jwt.reset();  // the last reference frees the Jwt here, on this worker thread
  n.key = {};
  n.slot = kNil;
  n.next = free_;
  free_ = index(n);
}

// ---- TokenCache ----

TokenCache::TokenCache(TokenCacheOptions options)
    : options_(options),
      seed_(0),
      valid_(options.capacity <= kMaxCapacity ? options.capacity : 0),
      invalid_(options.negative_capacity <= kMaxCapacity ? options.negative_capacity : 0) {
  if (options.capacity > kMaxCapacity || options.negative_capacity > kMaxCapacity) {
    throw std::invalid_argument("token cache capacity above " + std::to_string(kMaxCapacity));
  }
  // A per-instance seed: probe chains cannot be predicted by a client choosing bad tokens for
  // the negative cache (hash flooding).
  std::random_device rd;
  seed_ = (uint64_t{rd()} << 32) ^ rd();
}

TokenCache::~TokenCache() = default;

uint64_t TokenCache::hash(uint64_t provider_id, std::string_view token) const {
  const uint64_t seed = seed_ ^ (provider_id * kProviderMix);
  return options_.hash ? options_.hash(token, seed) : tokenHash(token, seed);
}

const std::shared_ptr<const Jwt>* TokenCache::findValid(uint64_t provider_id, uint64_t keyset_id,
                                                        std::string_view token) {
  if (valid_.size() == 0 || !cacheable(token)) {
    ++counters_.misses;
    return nullptr;
  }
  Table::Node* n = valid_.find(hash(provider_id, token), provider_id, token);
  if (n == nullptr) {
    ++counters_.misses;
    return nullptr;
  }
  if (n->keyset_id != keyset_id) {
    // Verified with keys the provider no longer uses (rotation, refetch): never valid again.
    valid_.remove(*n);
    ++counters_.stale_drops;
    ++counters_.misses;
    return nullptr;
  }
  valid_.touch(*n);
  ++counters_.hits;
  return &n->jwt;
}

void TokenCache::insertValid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                             std::shared_ptr<const Jwt> jwt) {
  if (valid_.capacity() == 0 || !jwt || !cacheable(token)) return;
  const uint64_t h = hash(provider_id, token);
  // Released at the end of this function: `token` may view the bytes of a Jwt being replaced.
  std::shared_ptr<const Jwt> previous;
  Table::Node* n = valid_.find(h, provider_id, token);
  if (n != nullptr) {
    valid_.touch(*n);
    previous = std::move(n->jwt);
  } else {
    bool evicted = false;
    n = &valid_.add(h, provider_id, &evicted, &previous);
    if (evicted) ++counters_.evictions;
  }
  n->keyset_id = keyset_id;
  n->jwt = std::move(jwt);
  if (n->jwt->token() == token) {
    n->key = n->jwt->token();
  } else {
    n->own.assign(token.data(), token.size());
    n->key = n->own;
  }
  ++counters_.inserts;
  recycle(std::move(previous));
}

void TokenCache::recycle(std::shared_ptr<const Jwt> jwt) {
  // use_count() == 1: no request holds it (a request keeps its own shared_ptr while it uses
  // the token), so nothing can observe it being parsed into again.
  if (jwt && jwt.use_count() == 1 && spare_jwts_.size() < kMaxSpareJwts) {
    spare_jwts_.push_back(std::const_pointer_cast<Jwt>(std::move(jwt)));
  }
}

std::shared_ptr<Jwt> TokenCache::takeSpareJwt() {
  if (spare_jwts_.empty()) return nullptr;
  std::shared_ptr<Jwt> j = std::move(spare_jwts_.back());
  spare_jwts_.pop_back();
  return j;
}

bool TokenCache::erase(uint64_t provider_id, uint64_t /*keyset_id*/, std::string_view token) {
  if (valid_.size() == 0 || !cacheable(token)) return false;
  Table::Node* n = valid_.find(hash(provider_id, token), provider_id, token);
  if (n == nullptr) return false;
  valid_.remove(*n);
  return true;
}

bool TokenCache::findInvalid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                             JwtStatus* status) {
  if (invalid_.size() == 0 || !cacheable(token)) {
    ++counters_.negative_misses;
    return false;
  }
  Table::Node* n = invalid_.find(hash(provider_id, token), provider_id, token);
  if (n == nullptr) {
    ++counters_.negative_misses;
    return false;
  }
  if (n->keyset_id != keyset_id) {
    // New keys: the token deserves one more verification.
    invalid_.remove(*n);
    ++counters_.stale_drops;
    ++counters_.negative_misses;
    return false;
  }
  invalid_.touch(*n);
  ++counters_.negative_hits;
  *status = n->status;
  return true;
}

void TokenCache::insertInvalid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                               JwtStatus status) {
  if (invalid_.capacity() == 0 || !cacheable(token)) return;
  const uint64_t h = hash(provider_id, token);
  Table::Node* n = invalid_.find(h, provider_id, token);
  if (n != nullptr) {
    invalid_.touch(*n);
  } else {
    bool evicted = false;
    std::shared_ptr<const Jwt> unused;  // negative entries hold no Jwt
    n = &invalid_.add(h, provider_id, &evicted, &unused);
    if (evicted) ++counters_.negative_evictions;
    n->own.assign(token.data(), token.size());
    n->key = n->own;
  }
  n->keyset_id = keyset_id;
  n->status = status;
  ++counters_.negative_inserts;
}

void TokenCache::clear() {
  valid_.clear();
  invalid_.clear();
}

size_t TokenCache::size() const { return valid_.size(); }
size_t TokenCache::negativeSize() const { return invalid_.size(); }

}  // namespace claimgate::jwt
