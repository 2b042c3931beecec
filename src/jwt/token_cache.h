// TokenCache: a per-worker-thread cache of verified tokens (and of tokens that just failed
// signature verification), so that a repeated token costs a hash, a compare and the time check
// instead of a parse and a signature. Behaviour, keying and bounds: docs/token-cache.md.
//
// Not thread-safe by design: one instance per worker thread, no lock, no atomic. Time is not the
// cache's business: a hit says "this token verified with these keys for this provider"; the caller
// still re-checks exp/nbf (with the skew) on every hit — checkClaims(*jwt, checks, now) — and
// may erase() an entry that has expired.
//
//   TokenCache cache;                                 // per worker thread
//   if (auto* hit = cache.findValid(pid, kid, token)) {
//     s = checkClaims(**hit, checks, now);            // issuer, exp/nbf with skew, audience
//   } else { parse; checkClaims; keys;
//     if (cache.findInvalid(pid, kid, token, &s)) -> s (no signature work)
//     else { s = verifyJwtSignature(...);
//            s == kOk ? cache.insertValid(pid, kid, token, jwt)
//                     : s == kJwtVerificationFail ? cache.insertInvalid(pid, kid, token, s) : void(); } }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "jwt/jwt.h"

namespace claimgate::jwt {

// Tokens longer than this are never cached (issue 5: bounded memory per entry).
inline constexpr size_t kMaxCachedTokenBytes = 4096;

struct TokenCacheOptions {
  size_t capacity = 1024;          // verified tokens kept; 0 disables the positive cache
  size_t negative_capacity = 256;  // failed tokens kept; 0 disables the negative cache
  size_t max_token_bytes = kMaxCachedTokenBytes;
  // Test seam: replaces the token hash (e.g. a constant, to force every token into one probe
  // chain). nullptr: the built-in 64-bit hash, seeded per cache instance.
  uint64_t (*hash)(std::string_view token, uint64_t seed) = nullptr;
};

class TokenCache {
 public:
  struct Counters {
    uint64_t hits = 0;        // findValid found the token
    uint64_t misses = 0;      // findValid did not (including too-long tokens and stale drops)
    uint64_t inserts = 0;     // insertValid stored a new entry or replaced one
    uint64_t evictions = 0;   // positive entries pushed out by LRU
    uint64_t negative_hits = 0;
    uint64_t negative_misses = 0;
    uint64_t negative_inserts = 0;
    uint64_t negative_evictions = 0;
    uint64_t stale_drops = 0;  // entries (either cache) found under another keyset_id and removed
  };

  // Throws std::invalid_argument when a capacity exceeds kMaxCapacity (config time).
  explicit TokenCache(TokenCacheOptions options = {});
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;
  ~TokenCache();

  static constexpr size_t kMaxCapacity = size_t{1} << 24;

  // Positive cache. Entries are keyed by (provider_id, token bytes) and valid only for the
  // keyset_id they were verified with. provider_id: unique per compiled provider instance (new
  // on every config snapshot, so entries of an old snapshot are never found again and age out);
  // keyset_id: unique per Jwks object (new for every fetched key set). Both are opaque here.
  //
  // Returns the verified token, or nullptr on a miss. An entry for the same provider and token
  // under another keyset_id is stale: it is removed and the lookup is a miss. The same token
  // under another provider_id is another entry (two providers may accept one token). A hit moves
  // the entry to most-recently-used and does not allocate; the pointer is valid until the next
  // non-const call on this cache (copy the shared_ptr to keep the token).
  const std::shared_ptr<const Jwt>* findValid(uint64_t provider_id, uint64_t keyset_id,
                                              std::string_view token);
  // Stores (or replaces) the entry as most-recently-used, evicting the least-recently-used one
  // when full. No-op for a token over max_token_bytes, a null jwt, or capacity 0. When
  // jwt->token() == token the entry keys on the Jwt's own copy (no second copy of the bytes).
  void insertValid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                   std::shared_ptr<const Jwt> jwt);
  // Removes the positive entry of (provider_id, token), whatever keyset it was stored under
  // (the caller's keyset_id is accepted for symmetry; another keyset's entry is stale anyway).
  // Returns whether one was removed.
  bool erase(uint64_t provider_id, uint64_t keyset_id, std::string_view token);

  // Negative cache: tokens that failed *signature* verification with (provider_id, keyset_id),
  // and the status they failed with. Same keying and staleness rule; separate, smaller, LRU.
  // Consult it just before the signature step so that the status returned for a replayed token
  // is exactly the one a full verification would give (claims are checked before signatures).
  bool findInvalid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                   JwtStatus* status);
  void insertInvalid(uint64_t provider_id, uint64_t keyset_id, std::string_view token,
                     JwtStatus status);

  // An evicted or replaced Jwt that nobody else holds any more, kept (a few) so that the next
  // miss parses into it and reuses its buffers instead of allocating a dozen new ones; null
  // when there is none. Jwts given to insertValid() must have been created non-const
  // (std::make_shared<Jwt>()), since a recycled one is parsed into again.
  std::shared_ptr<Jwt> takeSpareJwt();

  // Drops every entry of both caches (e.g. when the worker sees a new config snapshot).
  // Counters are kept.
  void clear();

  size_t size() const;          // positive entries
  size_t negativeSize() const;  // negative entries
  const Counters& counters() const { return counters_; }
  const TokenCacheOptions& options() const { return options_; }

 private:
  // A bounded LRU map (provider_id, token) -> (keyset_id, value) over preallocated nodes: an
  // open-addressing index (linear probing, backward-shift deletion, load <= 1/2) and an
  // intrusive doubly-linked recency list by node index.
  class Table {
   public:
    struct Node {
      uint64_t hash = 0;
      uint64_t provider_id = 0;
      uint64_t keyset_id = 0;
      std::string_view key;             // into `own` or into jwt->token()
      std::string own;                  // token copy when the Jwt does not hold it
      std::shared_ptr<const Jwt> jwt;   // positive entries
      JwtStatus status = JwtStatus::kOk;  // negative entries
      uint32_t prev = kNil, next = kNil;  // recency list (head = most recent)
      uint32_t slot = kNil;               // position in slots_
    };
    static constexpr uint32_t kNil = UINT32_MAX;

    explicit Table(size_t capacity);
    size_t size() const { return size_; }
    size_t capacity() const { return nodes_.size(); }
    // The node of (provider_id, token) with hash `h`, or nullptr.
    Node* find(uint64_t h, uint64_t provider_id, std::string_view token);
    // A node for a new key, linked as most recent and indexed; evicts the LRU node when full
    // (*evicted set, its Jwt moved to *evicted_jwt). The caller fills keyset/value/key.
    Node& add(uint64_t h, uint64_t provider_id, bool* evicted,
              std::shared_ptr<const Jwt>* evicted_jwt);
    void touch(Node& n);  // most-recently-used
    void remove(Node& n);
    void clear();

   private:
    struct Slot {
      uint32_t node = kNil;
      uint32_t tag = 0;  // high half of the hash: most probes end without touching a node
    };
    uint32_t index(const Node& n) const { return static_cast<uint32_t>(&n - nodes_.data()); }
    void unlink(Node& n);
    void pushFront(Node& n);
    void release(Node& n);

    std::vector<Node> nodes_;  // fixed size: pointers into it stay valid
    std::vector<Slot> slots_;  // power of two
    size_t mask_ = 0;
    size_t size_ = 0;
    uint32_t head_ = kNil, tail_ = kNil, free_ = kNil;  // free list chained through `next`
  };

  uint64_t hash(uint64_t provider_id, std::string_view token) const;
  bool cacheable(std::string_view token) const { return token.size() <= options_.max_token_bytes; }

  TokenCacheOptions options_;
  uint64_t seed_;
  void recycle(std::shared_ptr<const Jwt> jwt);

  Table valid_, invalid_;
  Counters counters_;
  std::vector<std::shared_ptr<Jwt>> spare_jwts_;  // at most kMaxSpareJwts
  static constexpr size_t kMaxSpareJwts = 4;
};

// The built-in token hash (64-bit multiply-mix in the manner of wyhash, ~20 bytes/ns here).
// Exposed for tests and benchmarks.
uint64_t tokenHash(std::string_view token, uint64_t seed);

}  // namespace claimgate::jwt
