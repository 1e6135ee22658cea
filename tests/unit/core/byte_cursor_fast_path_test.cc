// ByteCursor's try_u8/try_uvarint agree with u8()/uvarint() on every input and never move the
// position when they decline.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/byte_cursor.h"

namespace gcspike {
namespace {

TEST(ByteCursorFastPathTest, AgreesWithCheckedReads) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes(rng() % 13);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 256 : 0x80 | rng());
    ByteCursor fast(bytes, 100), checked(bytes, 100);
    uint64_t v = 0;
    const bool ok = fast.try_uvarint(v);
    auto want = checked.uvarint();
    ASSERT_EQ(ok, want.ok());
    if (ok) {
      EXPECT_EQ(v, *want);
      EXPECT_EQ(fast.pos(), checked.pos());
    } else {
      EXPECT_EQ(fast.pos(), 0u);
    }
  }
  std::vector<uint8_t> max = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  ByteCursor c(max);
  uint64_t v = 0;
  ASSERT_TRUE(c.try_uvarint(v));
  EXPECT_EQ(v, UINT64_MAX);
  uint8_t b = 0;
  EXPECT_FALSE(c.try_u8(b));
  EXPECT_EQ(c.pos(), 10u);
}

}  // namespace
}  // namespace gcspike
