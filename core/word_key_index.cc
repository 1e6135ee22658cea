#include "core/word_key_index.h"

#include <algorithm>

namespace gcspike {

uint64_t WordKeyIndex::Hash(std::span<const uint64_t> key) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ key.size();
  for (uint64_t w : key) {
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

std::span<const uint64_t> WordKeyIndex::Key(size_t entry) const {
  const size_t begin = entry == 0 ? 0 : ends_[entry - 1];
  return std::span<const uint64_t>(words_).subspan(begin, ends_[entry] - begin);
}

size_t WordKeyIndex::Slot(std::span<const uint64_t> key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t s = hash & mask;; s = (s + 1) & mask) {
    const uint32_t entry = slots_[s];
    if (entry == 0) return s;
    const std::span<const uint64_t> stored = Key(entry - 1);
    if (std::equal(stored.begin(), stored.end(), key.begin(), key.end())) return s;
  }
}

void WordKeyIndex::Grow() {
  slots_.assign(std::max<size_t>(64, slots_.size() * 2), 0);
  const size_t mask = slots_.size() - 1;
  for (size_t e = 0; e < ids_.size(); ++e) {
    size_t s = Hash(Key(e)) & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = static_cast<uint32_t>(e + 1);
  }
}

std::pair<uint64_t, bool> WordKeyIndex::Insert(std::span<const uint64_t> key, uint64_t id) {
  // At most half full, so probes stay short and always end at an empty slot.
  if ((ids_.size() + 1) * 2 > slots_.size()) Grow();
  const uint64_t hash = Hash(key);
  const size_t s = Slot(key, hash);
  if (slots_[s] != 0) return {ids_[slots_[s] - 1], false};
  words_.insert(words_.end(), key.begin(), key.end());
  ends_.push_back(words_.size());
  ids_.push_back(id);
  slots_[s] = static_cast<uint32_t>(ids_.size());
  return {id, true};
}

}  // namespace gcspike
