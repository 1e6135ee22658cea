#include "formats/perf_raw_stack_cache.h"

#include <algorithm>
#include <cstring>

#include "core/byte_cursor.h"

namespace gcspike {
namespace {

constexpr size_t kInitialSlots = size_t{1} << 12;
static_assert(RawStackCache::kHeadWords == 2, "Hash mixes the head's two words");
constexpr size_t kHeadBytes = RawStackCache::kHeadWords * 8;

uint64_t Mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

}  // namespace

RawStackCache::RawStackCache(uint32_t max_key_bytes)
    : slots_(kInitialSlots), max_key_bytes_(max_key_bytes) {}

uint64_t RawStackCache::Hash(std::span<const uint64_t, kHeadWords> head,
                             std::span<const uint8_t> chain) {
  // Two independent lanes over alternate words: half the chain of dependent multiplies.
  uint64_t a = Mix(chain.size(), head[0]);
  uint64_t b = Mix(0x51ed2701, head[1]);
  size_t i = 0;
  uint64_t w0 = 0, w1 = 0;
  for (; i + 16 <= chain.size(); i += 16) {
    (void)LoadU64le(chain, i, &w0);  // inside: the loop's bound
    (void)LoadU64le(chain, i + 8, &w1);
    a = Mix(a, w0);
    b = Mix(b, w1);
  }
  for (; i + 8 <= chain.size(); i += 8) {
    (void)LoadU64le(chain, i, &w0);
    a = Mix(a, w0);
  }
  for (; i < chain.size(); ++i) b = Mix(b, chain[i]);
  return Mix(a, b);
}

bool RawStackCache::KeyEquals(const Slot& slot, std::span<const uint64_t, kHeadWords> head,
                              std::span<const uint8_t> chain) const {
  if (slot.key_len != kHeadBytes + chain.size()) return false;
  const uint8_t* key = keys_.data() + slot.key_at;
  return std::memcmp(key, head.data(), kHeadBytes) == 0 &&
         (chain.empty() || std::memcmp(key + kHeadBytes, chain.data(), chain.size()) == 0);
}

uint32_t RawStackCache::Find(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
                             std::span<const uint8_t> chain) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.value == kMissing) return kMissing;
    if (s.hash_low == static_cast<uint32_t>(hash) && KeyEquals(s, head, chain)) {
      return s.value;
    }
  }
}

void RawStackCache::Insert(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
                           std::span<const uint8_t> chain, uint32_t value) {
  const size_t key_len = kHeadBytes + chain.size();
  if (value == kMissing || key_len > max_key_bytes_) return;
  if (keys_.size() + key_len > max_key_bytes_) Clear();
  if (keys_.capacity() == 0) keys_.reserve(max_key_bytes_);
  if ((used_ + 1) * 2 > slots_.size()) {
    // Grow, keeping the entries: they are placed again by their hashes' stored low halves.
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.value == kMissing) continue;
      size_t i = s.hash_low & mask;
      while (slots_[i].value != kMissing) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(hash) & mask;
  while (slots_[i].value != kMissing) i = (i + 1) & mask;
  Slot& s = slots_[i];
  s.hash_low = static_cast<uint32_t>(hash);
  s.key_at = static_cast<uint32_t>(keys_.size());
  s.key_len = static_cast<uint32_t>(key_len);
  s.value = value;
  const auto* head_bytes = reinterpret_cast<const uint8_t*>(head.data());
  keys_.insert(keys_.end(), head_bytes, head_bytes + kHeadBytes);
  keys_.insert(keys_.end(), chain.begin(), chain.end());
  ++used_;
}

void RawStackCache::Clear() {
  if (used_ == 0) return;
  slots_.assign(kInitialSlots, Slot());
  keys_.clear();
  used_ = 0;
}

}  // namespace gcspike
