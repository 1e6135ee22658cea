// RawStackCache against a std::map holding the same keys: every key inserted is found with its
// value, keys never inserted (including prefixes and same-hash lookalikes) are not, through
// growth, and the byte cap starts it again empty rather than growing past it.
#include "formats/perf_raw_stack_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace gcspike {
namespace {

using Head = std::array<uint64_t, RawStackCache::kHeadWords>;
using Key = std::pair<Head, std::vector<uint8_t>>;

Key RandomKey(std::mt19937_64& rng) {
  Key k;
  k.first = {rng() % 4, rng() % 3};
  k.second.resize(8 * (rng() % 6));  // a few callchain entries, some empty
  for (uint8_t& b : k.second) b = static_cast<uint8_t>(rng() % 3);
  return k;
}

uint32_t Find(const RawStackCache& c, const Key& k) {
  return c.Find(RawStackCache::Hash(k.first, k.second), k.first, k.second);
}

TEST(RawStackCache, AgreesWithAMap) {
  std::mt19937_64 rng(7);
  RawStackCache cache;
  std::map<Key, uint32_t> reference;
  for (uint32_t i = 0; i < 20000; ++i) {
    const Key k = RandomKey(rng);
    const auto it = reference.find(k);
    ASSERT_EQ(Find(cache, k), it == reference.end() ? RawStackCache::kMissing : it->second);
    if (it == reference.end()) {
      cache.Insert(RawStackCache::Hash(k.first, k.second), k.first, k.second, i);
      reference[k] = i;
    }
  }
  EXPECT_EQ(cache.size(), reference.size());
  EXPECT_GT(reference.size(), 1000u);  // the table grew several times
  for (const auto& [k, v] : reference) EXPECT_EQ(Find(cache, k), v);
}

TEST(RawStackCache, EqualHashesAreToldApartByTheirBytes) {
  RawStackCache cache;
  const Head head = {1, 2};
  const std::vector<uint8_t> a(16, 1), b(16, 2), prefix(8, 1);
  cache.Insert(42, head, a, 7);
  EXPECT_EQ(cache.Find(42, head, a), 7u);
  EXPECT_EQ(cache.Find(42, head, b), RawStackCache::kMissing);
  EXPECT_EQ(cache.Find(42, head, prefix), RawStackCache::kMissing);
  EXPECT_EQ(cache.Find(42, Head{1, 3}, a), RawStackCache::kMissing);
  cache.Insert(42, head, b, 8);
  EXPECT_EQ(cache.Find(42, head, a), 7u);
  EXPECT_EQ(cache.Find(42, head, b), 8u);
}

TEST(RawStackCache, ByteCapStartsAgainEmpty) {
  // Each key: 16 head bytes + 64 chain bytes; the cap holds 10 of them.
  RawStackCache cache(10 * 80);
  std::vector<std::vector<uint8_t>> chains;
  for (uint8_t i = 0; i < 11; ++i) chains.emplace_back(64, i);
  const Head head = {0, 0};
  for (uint32_t i = 0; i < 10; ++i) {
    cache.Insert(RawStackCache::Hash(head, chains[i]), head, chains[i], i);
  }
  EXPECT_EQ(cache.size(), 10u);
  cache.Insert(RawStackCache::Hash(head, chains[10]), head, chains[10], 10);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(RawStackCache::Hash(head, chains[0]), head, chains[0]),
            RawStackCache::kMissing);
  EXPECT_EQ(cache.Find(RawStackCache::Hash(head, chains[10]), head, chains[10]), 10u);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace gcspike
