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

class Arena {
 public:
  explicit Arena(std::size_t first_block = 4096) : first_size_(first_block) {}
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
  static constexpr std::size_t kMaxKept = 256 * 1024;

  // Bytes handed out since the last reset (tests, stats).
  std::size_t used() const { return used_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size;
  };
  std::size_t first_size_;
  std::vector<Block> blocks_;
  std::size_t current_ = 0;  // index into blocks_
  std::size_t offset_ = 0;   // next free byte in blocks_[current_]
  std::size_t used_ = 0;
};

}  // namespace claimgate::http
