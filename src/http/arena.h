// Arena: a per-connection bump allocator for strings and small arrays that a RequestHandler
// builds while deciding (a www-authenticate realm, claim header values, header edit lists).
// Everything it hands out stays valid until the connection's current request is finished
// (forwarded or answered); the server then calls reset(), which keeps one block, so a
// warmed-up connection allocates nothing per request. The server also allocates the parsed
// request and response fields from it.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace claimgate::http {

// Spare fixed-size blocks shared by the connections of one thread (no lock): a connection that
// goes idle gives its arena block and relay buffer back, a busy one takes them, so releasing
// memory while idle costs no malloc (nor zeroing) per request. Bounded: beyond max_spare, blocks
// are freed.
class BlockPool {
 public:
  explicit BlockPool(std::size_t block_size, std::size_t max_spare = 256)
      : block_size_(block_size), max_spare_(max_spare) {}
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  std::size_t blockSize() const { return block_size_; }
  // A spare block or a new one (uninitialised), of blockSize() bytes.
  std::unique_ptr<char[]> get() {
    if (spare_.empty()) return std::make_unique_for_overwrite<char[]>(block_size_);
    std::unique_ptr<char[]> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  // Takes back a block of blockSize() bytes.
  void put(std::unique_ptr<char[]> b) {
    if (b && spare_.size() < max_spare_) spare_.push_back(std::move(b));
  }
  std::size_t spareCount() const { return spare_.size(); }

 private:
  std::size_t block_size_, max_spare_;
  std::vector<std::unique_ptr<char[]>> spare_;
};

class Arena {
 public:
  // With a pool, blocks of the pool's size come from it and go back to it on release().
  explicit Arena(std::size_t first_block = 4096, BlockPool* pool = nullptr)
      : first_size_(first_block), pool_(pool) {}
  ~Arena() { release(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Raw storage, aligned to `align` (a power of two).
  void* allocate(std::size_t size, std::size_t align = alignof(std::max_align_t));

  // Uninitialised array of n trivially destructible T (value-initialised).
  template <class T>
  std::span<T> makeArray(std::size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "Arena never runs destructors");
    T* p = static_cast<T*>(allocate(sizeof(T) * (n == 0 ? 1 : n), alignof(T)));
    for (std::size_t i = 0; i < n; ++i) new (p + i) T();
    return {p, n};
  }

  // A copy of s owned by the arena.
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // The concatenation of the parts, owned by the arena.
  std::string_view concat(std::initializer_list<std::string_view> parts);

  // Forgets everything handed out; keeps one block (merged, at most kMaxKept bytes).
  void reset();
  // Forgets everything and frees every block, or gives it back to the pool (an idle connection
  // holds no arena block, only the list's few bytes); the next allocation starts a new first
  // block.
  void release();
  static constexpr std::size_t kMaxKept = 256 * 1024;

  // Bytes handed out since the last reset (tests, stats).
  std::size_t used() const { return used_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size;
  };
  std::size_t first_size_;
  BlockPool* pool_;
  std::vector<Block> blocks_;
  std::size_t current_ = 0;  // index into blocks_
  std::size_t offset_ = 0;   // next free byte in blocks_[current_]
  std::size_t used_ = 0;
};

}  // namespace claimgate::http
