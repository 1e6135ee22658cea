// WordKeyIndex against a std::map of the same keys, and ProfileBuilder's interning over it: the
// same key gives the id it got first, every other key the id offered with it, through many
// growths of the table, with keys that differ in one word, in length only, or not at all.
#include "core/word_key_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "core/profile_builder.h"

namespace gcspike {
namespace {

TEST(WordKeyIndex, AgreesWithAMapOfTheSameKeys) {
  std::mt19937_64 rng(13);
  WordKeyIndex index;
  std::map<std::vector<uint64_t>, uint64_t> reference;
  for (uint64_t i = 0; i < 50000; ++i) {
    // Short keys over few values: many repeats, prefixes of one another, the empty key.
    std::vector<uint64_t> key(rng() % 5);
    for (uint64_t& w : key) w = rng() % 7 == 0 ? UINT64_MAX : rng() % 6;
    const uint64_t offered = 1000 + i;
    const auto [id, inserted] = index.Insert(key, offered);
    const auto [it, fresh] = reference.try_emplace(key, offered);
    ASSERT_EQ(inserted, fresh) << i;
    ASSERT_EQ(id, it->second) << i;
  }
  EXPECT_EQ(index.size(), reference.size());
  EXPECT_GT(reference.size(), 1000u);
  EXPECT_TRUE(reference.count({}) == 1);
}

TEST(ProfileBuilder, InternsFunctionsMappingsAndLocationsOnce) {
  Profile p;
  ProfileBuilder b(p);
  const uint64_t f1 = b.InternFunction("main.f", "a.go");
  const uint64_t f2 = b.InternFunction("main.f", "b.go");
  const uint64_t f3 = b.InternFunction("main.f", "a.go", 0, "main.f.sys");
  const uint64_t f4 = b.InternFunction("main.f", "a.go", 7);
  EXPECT_EQ(b.InternFunction("main.f", "a.go"), f1);
  EXPECT_EQ(b.InternFunction("main.f", "a.go", 0, "main.f"), f1);  // system name = name
  EXPECT_EQ(std::vector<uint64_t>({f1, f2, f3, f4}), std::vector<uint64_t>({1, 2, 3, 4}));
  ASSERT_EQ(p.functions.size(), 4u);
  EXPECT_EQ(p.str(p.functions[2].system_name), "main.f.sys");
  EXPECT_EQ(p.functions[3].start_line, 7);
  Mapping m;
  m.memory_start = 0x400000;
  m.memory_limit = 0x500000;
  m.filename = p.Intern("/bin/x");
  const uint64_t m1 = b.InternMapping(m);
  m.has_functions = true;  // not part of the key
  EXPECT_EQ(b.InternMapping(m), m1);
  m.file_offset = 0x1000;
  const uint64_t m2 = b.InternMapping(m);
  EXPECT_NE(m2, m1);
  ASSERT_EQ(p.mappings.size(), 2u);
  EXPECT_EQ(p.mappings[1].id, m2);
  EXPECT_EQ(p.mappings[1].file_offset, 0x1000u);
  const std::vector<Line> inlined = {{f1, 10, 0}, {f2, 20, 0}};
  const uint64_t l1 = b.InternLocation(m1, 0x401000, inlined);
  EXPECT_EQ(b.InternLocation(m1, 0x401000, inlined), l1);
  EXPECT_NE(b.InternLocation(m1, 0x401000, std::span<const Line>(inlined).first(1)), l1);
  EXPECT_NE(b.InternLocation(m1, 0x401000, inlined, true), l1);
  EXPECT_NE(b.InternLocation(m2, 0x401000, inlined), l1);
  EXPECT_NE(b.InternLocation(m1, 0x401000, std::vector<Line>{{f1, 10, 3}, {f2, 20, 0}}), l1);
  ASSERT_EQ(p.locations.size(), 5u);
  for (size_t i = 0; i < p.locations.size(); ++i) EXPECT_EQ(p.locations[i].id, i + 1);
  EXPECT_EQ(p.locations[0].lines.size(), 2u);
  EXPECT_TRUE(p.locations[2].is_folded);
}

}  // namespace
}  // namespace gcspike
