#include "plugin/diff_profile.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

bool IsBase(const Profile& p, const Sample& s) {
  for (const Label& l : s.labels) {
    if (p.str(l.key) == "pprof::base" && p.str(l.str) == "true") return true;
  }
  return false;
}

// Base: 2 samples of 10 ms; new: 3 samples of 10, 10 and 20 ms.
std::pair<Profile, Profile> Sides() {
  HandBuiltProfile base, now;
  base.Add({base.Loc({"main.a"})}, 10'000'000);
  base.Add({base.Loc({"main.b"})}, 10'000'000);
  now.Add({now.Loc({"main.a"})}, 10'000'000);
  now.Add({now.Loc({"main.a"})}, 10'000'000);
  now.Add({now.Loc({"main.c"})}, 20'000'000);
  return {std::move(base.profile()), std::move(now.profile())};
}

TEST(DiffProfileTest, BaseNegatedAndLabelledNewKept) {
  auto [base, now] = Sides();
  auto d = BuildDiffProfile(std::move(base), std::move(now), /*normalize=*/false, nullptr);
  ASSERT_OK(d);
  int64_t base_sum = 0, new_sum = 0;
  for (const Sample& s : d->samples) {
    (IsBase(*d, s) ? base_sum : new_sum) += s.values[1];
    if (IsBase(*d, s)) {
      EXPECT_LT(s.values[0], 0);
    }
  }
  EXPECT_EQ(base_sum, -20'000'000);
  EXPECT_EQ(new_sum, 40'000'000);
  EXPECT_EQ(d->samples.size(), 5u);
}

// -normalize scales the new side to the base's total per sample type (pprof's
// profile.Normalize), each value rounded: cpu 40 ms -> 20 ms.
TEST(DiffProfileTest, NormalizeScalesTheNewSideToTheBaseTotal) {
  auto [base, now] = Sides();
  auto d = BuildDiffProfile(std::move(base), std::move(now), /*normalize=*/true, nullptr);
  ASSERT_OK(d);
  int64_t new_count = 0, new_cpu = 0;
  for (const Sample& s : d->samples) {
    if (IsBase(*d, s)) continue;
    new_count += s.values[0];
    new_cpu += s.values[1];
  }
  EXPECT_EQ(new_count, 3);  // each 1 * 2/3 rounds back to 1, as in pprof
  EXPECT_EQ(new_cpu, 20'000'000);
}

}  // namespace
}  // namespace gcspike
