// The assertion helpers say why they fail: the error's text for ASSERT_OK, the offset and
// message that were expected and found for EXPECT_ERROR_AT.
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>

#include "core/byte_cursor.h"

namespace gcspike {
namespace {

TEST(TestSupportTest, IsOkPrintsTheError) {
  const std::vector<uint8_t> bytes = {1, 2, 3};
  ByteCursor c(bytes, 100);
  EXPECT_OK(c.skip(2));
  const auto r = c.u32le();  // one byte left at absolute offset 102
  const auto verdict = testing::IsOk(r);
  EXPECT_FALSE(verdict);
  EXPECT_NE(std::string(verdict.message()).find("byte 102"), std::string::npos)
      << verdict.message();
}

TEST(TestSupportTest, ErrorAtChecksOffsetAndMessage) {
  const std::vector<uint8_t> bytes = {0xff, 0xff};  // a varint that never ends
  ByteCursor c(bytes, 40);
  const auto r = c.uvarint();
  EXPECT_ERROR_AT(r, 40, "truncated varint");
  const auto wrong_offset = testing::IsErrorAt(r, 41, "truncated varint");
  EXPECT_FALSE(wrong_offset);
  EXPECT_NE(std::string(wrong_offset.message()).find("want byte 41, got byte 40"),
            std::string::npos)
      << wrong_offset.message();
  const auto wrong_text = testing::IsErrorAt(r, 40, "overflows");
  EXPECT_FALSE(wrong_text);
  EXPECT_NE(std::string(wrong_text.message()).find("containing \"overflows\""), std::string::npos)
      << wrong_text.message();
  const Status fine;
  EXPECT_FALSE(testing::IsErrorAt(fine, 0, ""));
}

}  // namespace
}  // namespace gcspike
