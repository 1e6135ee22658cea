#include "plugin/cli/input_limit_flags.h"

#include <gtest/gtest.h>

namespace gcspike::cli {
namespace {

TEST(ParseByteSize, Units) {
  EXPECT_EQ(*ParseByteSize("123"), 123u);
  EXPECT_EQ(*ParseByteSize("64K"), 64u << 10);
  EXPECT_EQ(*ParseByteSize("512M"), 512u << 20);
  EXPECT_EQ(*ParseByteSize("512MiB"), 512u << 20);
  EXPECT_EQ(*ParseByteSize("8g"), uint64_t{8} << 30);
  EXPECT_EQ(*ParseByteSize("2TB"), uint64_t{2} << 40);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("M").ok());
  EXPECT_FALSE(ParseByteSize("12X").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseByteSize("20000000T").ok());
}

}  // namespace
}  // namespace gcspike::cli
