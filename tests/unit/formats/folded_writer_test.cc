#include "formats/folded_writer.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

// The grammar folded_writer.h promises, as one regexp per line.
const std::regex kFoldedLine("^[^;\\n\\r]+(;[^;\\n\\r]+)* [1-9][0-9]*$");

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(FoldedWriterTest, RootFirstInlinedExpandedSummedSorted) {
  HandBuiltProfile h;
  const uint64_t m = h.Loc({"main.main"});
  const uint64_t g = h.Loc({"main.grow"});
  // One Location: growslice inlined into mapassign (innermost first).
  const uint64_t a = h.Loc({"runtime.growslice", "runtime.mapassign"});
  h.Add({a, g, m}, 10);
  h.Add({g, m}, 5);
  h.Add({a, g, m}, 7);  // same stack: summed
  h.Add({m}, 0);        // zero: left out
  auto text = EncodeFolded(h.profile(), {});
  ASSERT_OK(text);
  EXPECT_EQ(*text,
            "main.main;main.grow 5\n"
            "main.main;main.grow;runtime.mapassign;runtime.growslice 17\n");
  for (const std::string& l : Lines(*text)) EXPECT_TRUE(std::regex_match(l, kFoldedLine)) << l;
}

TEST(FoldedWriterTest, HostileNamesStayInTheGrammar) {
  HandBuiltProfile h;
  const uint64_t weird = h.Loc({"a;b\nc\rd"});
  const uint64_t spaced = h.Loc({"main.F[go.shape.struct { x int }]"});
  const uint64_t empty = h.Loc({""});
  const uint64_t raw = h.UnsymbolizedLoc(0x4012ab);
  h.Add({raw, empty, spaced, weird}, 3);
  h.Add({}, 4);  // no stack at all
  auto text = EncodeFolded(h.profile(), {});
  ASSERT_OK(text);
  const auto lines = Lines(*text);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "[no stack] 4");
  EXPECT_EQ(lines[1], "a:b?c?d;main.F[go.shape.struct { x int }];[unknown];0x4012ab 3");
  for (const std::string& l : lines) EXPECT_TRUE(std::regex_match(l, kFoldedLine)) << l;
}

TEST(FoldedWriterTest, UsesTheDefaultSampleType) {
  HandBuiltProfile h;
  const uint64_t m = h.Loc({"main.main"});
  h.Add({m}, 10);
  h.Add({m}, 20);
  Profile& p = h.profile();
  EXPECT_EQ(*EncodeFolded(p, {}), "main.main 30\n");  // unset: the last type, cpu
  p.default_sample_type = p.Intern("samples");
  EXPECT_EQ(*EncodeFolded(p, {}), "main.main 2\n");
}

TEST(FoldedWriterTest, NegativeCountsAreRefused) {
  HandBuiltProfile h;
  h.Add({h.Loc({"main.main"})}, -1);
  EXPECT_FALSE(EncodeFolded(h.profile(), {}).ok());
}

}  // namespace
}  // namespace gcspike
