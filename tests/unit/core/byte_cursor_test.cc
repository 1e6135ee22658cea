#include "core/byte_cursor.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/test_support.h"

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
  ASSERT_OK(c.u16le());
  EXPECT_ERROR_AT(c.u32le(), 100 + 2, "need 4 bytes, 1 left");
}

TEST(ByteCursorTest, Varints) {
  const std::vector<uint8_t> b = {0x96, 0x01, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  ByteCursor c(b);
  EXPECT_EQ(*c.uvarint(), 150u);
  EXPECT_EQ(*c.uvarint(), UINT64_MAX);
}

TEST(ByteCursorTest, VarintOverflowAndTruncation) {
  const std::vector<uint8_t> overflow = {0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x02};
  ByteCursor c(overflow, 7);
  EXPECT_ERROR_AT(c.uvarint(), 7, "overflows");  // errors name where the varint starts
  const std::vector<uint8_t> too_long(11, 0x80);
  ByteCursor d(too_long, 3);
  EXPECT_ERROR_AT(d.uvarint(), 3, "varint");
  const std::vector<uint8_t> truncated = {0x80, 0x80};
  ByteCursor e(truncated);
  EXPECT_ERROR_AT(e.uvarint(), 0, "truncated");
}

TEST(ByteCursorTest, SubCursorKeepsOffsetsAndBounds) {
  const std::vector<uint8_t> b = {9, 9, 1, 2, 3, 4};
  ByteCursor c(b, 1000);
  ASSERT_OK(c.skip(2));
  auto sub = c.sub(3);
  ASSERT_OK(sub);
  EXPECT_EQ(sub->offset(), 1002u);
  EXPECT_EQ(*sub->u8(), 1);
  EXPECT_ERROR_AT(sub->bytes(3), 1000 + 3, "need 3 bytes, 2 left");  // the sub-cursor's own end
  EXPECT_EQ(c.remaining(), 1u);
  EXPECT_ERROR_AT(c.sub(UINT64_MAX), 1000 + 5, "");
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
