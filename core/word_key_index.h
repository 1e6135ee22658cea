// WordKeyIndex: ids by keys that are short sequences of 64-bit words (a function's string ids,
// a location's mapping, address and lines), every key kept in one arena: looking a key up
// allocates nothing, and a new key costs no allocation of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace gcspike {

class WordKeyIndex {
 public:
  // The id stored with `key`, or `id` stored with it when the key is new (then .second is true).
  std::pair<uint64_t, bool> Insert(std::span<const uint64_t> key, uint64_t id);
  size_t size() const { return ids_.size(); }

 private:
  static uint64_t Hash(std::span<const uint64_t> key);
  std::span<const uint64_t> Key(size_t entry) const;
  // The slot holding `key`, or the empty slot where it goes.
  size_t Slot(std::span<const uint64_t> key, uint64_t hash) const;
  void Grow();

  std::vector<uint64_t> words_;  // every key, one after another
  std::vector<size_t> ends_;     // entry i's key is words_[ends_[i - 1], ends_[i])
  std::vector<uint64_t> ids_;
  std::vector<uint32_t> slots_;  // entry + 1 (0: empty), open addressing; a power of two long
};

}  // namespace gcspike
