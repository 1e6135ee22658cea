// KEY=VALUE on the gcspike label means membership in its +-joined feature set (as
// `go tool pprof -tagfocus=gcspike=grow-spike` selects); on every other key it is equality.
#include "plugin/filter/label_condition.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin/detect/annotator.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

static_assert(kSetValuedLabelKey == kFeatureLabelKey,
              "the set-valued key is the detectors' feature label");

// Which of the samples (by index) the condition matches.
std::vector<int> Matching(Profile& p, const std::string& text) {
  auto c = ParseLabelCondition(text);
  EXPECT_OK(c) << text;
  if (!c.ok()) return {};
  LabelConditionMatcher m(p, *c);
  std::vector<int> out;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    if (m.Matches(p.samples[i])) out.push_back(static_cast<int>(i));
  }
  return out;
}

class LabelConditionMembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const uint64_t loc = h_.Loc({"main.main"});
    Profile& p = h_.profile();
    const char* features[] = {"grow-spike", "grow-spike+key-copy", "key-copy",
                              "malloc-burst+grow-spiked", nullptr};
    for (const char* f : features) {
      Sample& s = h_.Add({loc}, 1);
      if (f != nullptr) {
        p.SetStrLabel(s, "gcspike", f);
        p.SetStrLabel(s, "other", f);
      }
    }
  }
  HandBuiltProfile h_;
};

TEST_F(LabelConditionMembershipTest, EqualOnGcspikeKeyIsMembership) {
  Profile& p = h_.profile();
  EXPECT_EQ(Matching(p, "gcspike=grow-spike"), (std::vector<int>{0, 1}));
  EXPECT_EQ(Matching(p, "gcspike=key-copy"), (std::vector<int>{1, 2}));
  // A whole set still matches itself; a member's prefix or a part of a member does not.
  EXPECT_EQ(Matching(p, "gcspike=grow-spike+key-copy"), (std::vector<int>{1}));
  EXPECT_EQ(Matching(p, "gcspike=grow"), (std::vector<int>{}));
  EXPECT_EQ(Matching(p, "gcspike=grow-spiked"), (std::vector<int>{3}));
  EXPECT_EQ(Matching(p, "gcspike=assist-coupling"), (std::vector<int>{}));
}

TEST_F(LabelConditionMembershipTest, EqualOnOtherKeysComparesWholeValues) {
  Profile& p = h_.profile();
  EXPECT_EQ(Matching(p, "other=grow-spike"), (std::vector<int>{0}));
  EXPECT_EQ(Matching(p, "other=grow-spike+key-copy"), (std::vector<int>{1}));
}

}  // namespace
}  // namespace gcspike
