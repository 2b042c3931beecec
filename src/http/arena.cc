#include "http/arena.h"

#include <algorithm>
#include <cstdint>

namespace claimgate::http {

void* Arena::allocate(std::size_t size, std::size_t align) {
  used_ += size;
  while (current_ < blocks_.size()) {
    Block& b = blocks_[current_];
    auto base = reinterpret_cast<std::uintptr_t>(b.data.get());
    std::size_t aligned = ((base + offset_ + align - 1) & ~(align - 1)) - base;
    if (aligned + size <= b.size) {
      offset_ = aligned + size;
      return b.data.get() + aligned;
    }
    ++current_;
    offset_ = 0;
  }
  // Grow geometrically so a pathological request costs O(log n) blocks.
  std::size_t want = std::max(size + align, blocks_.empty() ? first_size_ : blocks_.back().size * 2);
  if (pool_ && want == pool_->blockSize()) {
    blocks_.push_back(Block{pool_->get(), want});
  } else {
    blocks_.push_back(Block{std::make_unique_for_overwrite<char[]>(want), want});
  }
  current_ = blocks_.size() - 1;
  offset_ = 0;
  used_ -= size;  // counted again by the retry
  return allocate(size, align);
}

std::string_view Arena::concat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  if (n == 0) return {};
  char* out = static_cast<char*>(allocate(n, 1));
  char* w = out;
  for (auto p : parts) {
    std::memcpy(w, p.data(), p.size());
    w += p.size();
  }
  return {out, n};
}

void Arena::reset() {
  // After a request that needed several blocks, keep one block as large as all of them (up to
  // kMaxKept), so the next such request allocates nothing; beyond that, a connection that once
  // saw a huge request does not pin its memory.
  if (blocks_.size() > 1) {
    std::size_t total = 0;
    for (const Block& b : blocks_) total += b.size;
    total = std::min(total, kMaxKept);
    release();
    blocks_.push_back(Block{std::make_unique_for_overwrite<char[]>(total), total});
  }
  current_ = 0;
  offset_ = 0;
  used_ = 0;
}

void Arena::release() {
  if (pool_) {
    for (Block& b : blocks_) {
      if (b.size == pool_->blockSize()) pool_->put(std::move(b.data));
    }
  }
  blocks_.clear();  // keeps the list's few bytes: the next request's first block costs no malloc
  current_ = 0;
  offset_ = 0;
  used_ = 0;
}

}  // namespace claimgate::http
