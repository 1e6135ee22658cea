#include "formats/json_text.h"

#include <gtest/gtest.h>

namespace gcspike {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Json(std::string_view("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(Json("\x7f"), "\"\x7f\"");
}

TEST(JsonTextTest, KeepsValidUtf8) {
  EXPECT_EQ(Json("µs ✓ \xF0\x9F\x94\xA5"), "\"µs ✓ \xF0\x9F\x94\xA5\"");
}

TEST(JsonTextTest, ReplacesIllFormedUtf8) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Json("\xff"), "\"" + fffd + "\"");
  EXPECT_EQ(Json("\xC0\xAF"), "\"" + fffd + fffd + "\"");                        // overlong '/'
  EXPECT_EQ(Json("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");             // surrogate U+D800
  EXPECT_EQ(Json("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(Json("a\xE2\x9C"), "\"a" + fffd + fffd + "\"");                      // truncated ✓
}

}  // namespace
}  // namespace gcspike
