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
  explicit RawStackCache(uint32_t max_key_bytes = uint32_t{4} << 20);

  static uint64_t Hash(std::span<const uint64_t, kHeadWords> head, std::span<const uint8_t> chain);
  // The value stored under (head, chain), or kMissing.
  uint32_t Find(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
                std::span<const uint8_t> chain) const;
  // Asks the CPU to fetch what Find(hash, ...) will read first: the slot, or (once the slot is
  // in the cache) the key it names. A loop over many lookups issues them ahead of each.
  void PrefetchSlot(uint64_t hash) const {
    __builtin_prefetch(&slots_[static_cast<size_t>(hash) & (slots_.size() - 1)]);
  }
  void PrefetchKey(uint64_t hash) const {
    const Slot& s = slots_[static_cast<size_t>(hash) & (slots_.size() - 1)];
    if (s.value == kMissing) return;
    const uint8_t* key = keys_.data() + s.key_at;
    __builtin_prefetch(key);
    if (s.key_len > 64) __builtin_prefetch(key + 64);
  }
  void Insert(uint64_t hash, std::span<const uint64_t, kHeadWords> head,
              std::span<const uint8_t> chain, uint32_t value);
  void Clear();
  size_t size() const { return used_; }

 private:
  // 16 bytes: the table is looked up once per sample, at random.
  struct Slot {
    uint32_t hash_low = 0;      // the hash's low half: it picks the slot, and tells most keys apart
    uint32_t value = kMissing;  // kMissing: an empty slot
    uint32_t key_at = 0;        // offset of the key in keys_ (below max_key_bytes_, at most 4 GiB)
    uint32_t key_len = 0;
  };
  bool KeyEquals(const Slot& slot, std::span<const uint64_t, kHeadWords> head,
                 std::span<const uint8_t> chain) const;

  std::vector<Slot> slots_;
  // The head's bytes then the chain's, per key; its capacity is reserved whole at the first
  // key (the untouched part costs no memory) so that it never holds two copies while growing.
  std::vector<uint8_t> keys_;
  size_t used_ = 0;
  uint32_t max_key_bytes_;
};

}  // namespace gcspike
