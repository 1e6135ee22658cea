#include "core/byte_cursor.h"

#include <gtest/gtest.h>

#include <vector>

namespace gcspike {
namespace {

TEST(ByteCursorTest, ReadsFixedWidthBothEndiannesses) {
  const std::vector<uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  ByteCursor c(b);
  EXPECT_EQ(*c.u16le(), 0x0201);
  EXPECT_EQ(*c.u16be(), 0x0304);
  EXPECT_EQ(*c.u32le(), 0x08070605u);
  EXPECT_TRUE(c.empty());
  ByteCursor d(b);
  EXPECT_EQ(*d.u64be(), 0x0102030405060708u);
}

TEST(ByteCursorTest, ShortReadNamesAbsoluteOffset) {
  const std::vector<uint8_t> b = {1, 2, 3};
  ByteCursor c(b, /*base_offset=*/100);
  ASSERT_TRUE(c.u16le().ok());
  auto r = c.u32le();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 102u);
  EXPECT_NE(r.error().message.find("need 4 bytes, 1 left"), std::string::npos);
}

TEST(ByteCursorTest, Varints) {
  const std::vector<uint8_t> b = {0x96, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0x01};
  ByteCursor c(b);
  EXPECT_EQ(*c.uvarint(), 150u);
  EXPECT_EQ(*c.uvarint(), UINT64_MAX);
}

TEST(ByteCursorTest, VarintOverflowAndTruncation) {
  const std::vector<uint8_t> overflow = {0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x02};
  ByteCursor c(overflow, 7);
  auto r = c.uvarint();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 7u);
  const std::vector<uint8_t> too_long(11, 0x80);
  ByteCursor d(too_long);
  EXPECT_FALSE(d.uvarint().ok());
  const std::vector<uint8_t> truncated = {0x80, 0x80};
  ByteCursor e(truncated);
  auto t = e.uvarint();
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("truncated"), std::string::npos);
}

TEST(ByteCursorTest, SubCursorKeepsOffsetsAndBounds) {
  const std::vector<uint8_t> b = {9, 9, 1, 2, 3, 4};
  ByteCursor c(b, 1000);
  ASSERT_TRUE(c.skip(2).ok());
  auto sub = c.sub(3);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->offset(), 1002u);
  EXPECT_EQ(*sub->u8(), 1);
  EXPECT_FALSE(sub->bytes(3).ok());
  EXPECT_EQ(c.remaining(), 1u);
  EXPECT_FALSE(c.sub(UINT64_MAX).ok());
  EXPECT_FALSE(c.seek(7).ok());
}

TEST(ByteCursorTest, CheckedArithmetic) {
  uint64_t out = 0;
  EXPECT_TRUE(CheckedAdd(1, 2, &out));
  EXPECT_EQ(out, 3u);
  EXPECT_FALSE(CheckedAdd(UINT64_MAX, 1, &out));
  EXPECT_FALSE(CheckedMul(UINT64_MAX / 2, 3, &out));
}

}  // namespace
}  // namespace gcspike
