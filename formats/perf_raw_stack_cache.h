// RawStackCache: a bounded map from a sample's raw stack description (a short head of words and
// its callchain's bytes, exactly as recorded) to the index of the stack they were turned into.
// The perf.data reader's hot loop: most samples of a CPU-bound program repeat a callchain seen
// before, and a hit replaces the per-frame lookups and the stack interning with one hash of the
// bytes and one comparison.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gcspike {

class RawStackCache {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;
  static constexpr size_t kHeadWords = 2;

  // At most `max_key_bytes` of keys are kept; past that the cache starts again empty.
  explicit RawStackCache(size_t max_key_bytes = size_t{4} << 20);

  static uint64_t Hash(std::span<const uint64_t, kHeadWords> head, std::span<const uint8_t> chain);
  // The value stored under (head, chain), or kMissing.
  uint32_t Find(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
                std::span<const uint8_t> chain) const;
  void Insert(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
              std::span<const uint8_t> chain, uint32_t value);
  void Clear();
  size_t size() const { return used_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t key_at = 0;  // offset of the key in keys_
    uint32_t key_len = 0;
    uint32_t value = kMissing;  // kMissing: an empty slot
  };
  bool KeyEquals(const Slot& slot, std::span<const uint64_t, kHeadWords> head,
                 std::span<const uint8_t> chain) const;

  std::vector<Slot> slots_;
  std::vector<uint8_t> keys_;  // the head's bytes then the chain's, per key
  size_t used_ = 0;
  size_t max_key_bytes_;
};

}  // namespace gcspike
