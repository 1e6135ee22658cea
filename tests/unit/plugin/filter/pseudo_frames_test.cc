#include "plugin/filter/pseudo_frames.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

std::vector<std::string> StackNames(const Profile& p, const Sample& s) {  // leaf first
  std::vector<std::string> out;
  for (uint64_t id : s.location_ids) {
    for (const Line& l : p.location(id).lines) out.push_back(p.str(p.function(l.function_id).name));
  }
  return out;
}

class PseudoFramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const uint64_t m = h_.Loc({"main.main"});
    const uint64_t a = h_.Loc({"runtime.mapassign"});
    Profile& p = h_.profile();
    Sample& s0 = h_.Add({a, m}, 10);
    p.SetStrLabel(s0, "gcspike", "grow-spike+assist-coupling");
    p.SetNumLabel(s0, "bytes", 4096, "bytes");
    h_.Add({a, m}, 20);  // no labels
    Sample& s2 = h_.Add({m}, 30);
    p.SetStrLabel(s2, "gcspike", "grow-spike+assist-coupling");
  }
  HandBuiltProfile h_;
};

TEST_F(PseudoFramesTest, RootFramesNameKeyAndValue) {
  Profile& p = h_.profile();
  EXPECT_EQ(AddPseudoFrames(p, PseudoFramePlacement::kRoot, {"gcspike", "bytes"}), 2u);
  ASSERT_OK(p.Validate());
  using S = std::vector<std::string>;
  EXPECT_EQ(StackNames(p, p.samples[0]), (S{"runtime.mapassign", "main.main", "[bytes 4096 bytes]",
                                            "[gcspike grow-spike+assist-coupling]"}));
  EXPECT_EQ(StackNames(p, p.samples[1]), (S{"runtime.mapassign", "main.main"}));
  EXPECT_EQ(StackNames(p, p.samples[2]), (S{"main.main", "[gcspike grow-spike+assist-coupling]"}));
  // One Function and Location per distinct frame, in the file "gcspike".
  EXPECT_EQ(p.samples[0].location_ids.back(), p.samples[2].location_ids.back());
  const Function& f = p.function(p.location(p.samples[2].location_ids.back()).lines[0].function_id);
  EXPECT_EQ(p.str(f.filename), "gcspike");
}

TEST_F(PseudoFramesTest, LeafFramesPutTheFirstKeyInnermost) {
  Profile& p = h_.profile();
  EXPECT_EQ(AddPseudoFrames(p, PseudoFramePlacement::kLeaf, {"gcspike", "bytes"}), 2u);
  using S = std::vector<std::string>;
  EXPECT_EQ(StackNames(p, p.samples[0]),
            (S{"[gcspike grow-spike+assist-coupling]", "[bytes 4096 bytes]", "runtime.mapassign",
               "main.main"}));
}

TEST_F(PseudoFramesTest, NoneAndUnknownKeysChangeNothing) {
  Profile& p = h_.profile();
  const Profile before = p;
  EXPECT_EQ(AddPseudoFrames(p, PseudoFramePlacement::kNone, {"gcspike"}), 0u);
  EXPECT_EQ(AddPseudoFrames(p, PseudoFramePlacement::kRoot, {"nosuchkey"}), 0u);
  EXPECT_EQ(p.locations.size(), before.locations.size());
  EXPECT_EQ(p.samples[0].location_ids, before.samples[0].location_ids);
}

TEST_F(PseudoFramesTest, AppliedTwiceAddsNothingTheSecondTime) {
  Profile& p = h_.profile();
  AddPseudoFrames(p, PseudoFramePlacement::kRoot, {"gcspike"});
  const std::vector<uint64_t> once = p.samples[0].location_ids;
  EXPECT_EQ(AddPseudoFrames(p, PseudoFramePlacement::kRoot, {"gcspike"}), 0u);
  EXPECT_EQ(p.samples[0].location_ids, once);
}

TEST(PseudoFramePlacementTest, Parse) {
  EXPECT_EQ(*ParsePseudoFramePlacement("root"), PseudoFramePlacement::kRoot);
  EXPECT_EQ(*ParsePseudoFramePlacement("leaf"), PseudoFramePlacement::kLeaf);
  EXPECT_EQ(*ParsePseudoFramePlacement("none"), PseudoFramePlacement::kNone);
  EXPECT_FALSE(ParsePseudoFramePlacement("top").ok());
}

}  // namespace
}  // namespace gcspike
