// core/hex.h against printf's own hexadecimal formatting.
#include "core/hex.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

namespace gcspike {
namespace {

std::string Printf(const char* format, unsigned long long v, int width = 0) {
  char buf[64];
  if (width > 0) {
    std::snprintf(buf, sizeof buf, format, width, v);
  } else {
    std::snprintf(buf, sizeof buf, format, v);
  }
  return buf;
}

TEST(Hex, AgreesWithPrintf) {
  std::mt19937_64 rng(5);
  std::vector<uint64_t> values = {0, 1, 5, 15, 16, 255, 256, UINT64_MAX};
  for (int i = 0; i < 1000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    EXPECT_EQ(Hex(v), Printf("0x%llx", v));
    for (int digits : {1, 2, 8, 16, 20}) EXPECT_EQ(Hex(v, digits), Printf("0x%0*llx", v, digits));
  }
}

TEST(HexBytes, TwoDigitsPerByte) {
  const std::vector<uint8_t> bytes = {0x00, 0x1f, 0x8b, 0xff};
  EXPECT_EQ(HexBytes(bytes), "001f8bff");
  EXPECT_EQ(HexBytes({}), "");
}

}  // namespace
}  // namespace gcspike
