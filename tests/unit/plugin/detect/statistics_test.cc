#include "plugin/detect/statistics.h"

#include <gtest/gtest.h>

namespace gcspike {
namespace {

// Reference values: the Wilson score intervals (without continuity correction) tabulated by
// R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison of
// seven methods", Statistics in Medicine 17 (1998), Table II, to four decimals.
TEST(WilsonIntervalTest, MatchesPublishedValues) {
  struct Case {
    double x, n, lo, hi;
  };
  for (const Case& c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605},
                        Case{0, 20, 0.0, 0.1611}, Case{1, 29, 0.0061, 0.1718}}) {
    SCOPED_TRACE(std::to_string(c.x) + "/" + std::to_string(c.n));
    const Interval i = WilsonInterval(c.x, c.n);
    EXPECT_NEAR(i.lo, c.lo, 5e-5);
    EXPECT_NEAR(i.hi, c.hi, 5e-5);
  }
}

TEST(WilsonIntervalTest, EdgesAndSymmetry) {
  EXPECT_EQ(WilsonInterval(0, 0).lo, 0);  // nothing known
  EXPECT_EQ(WilsonInterval(0, 0).hi, 1);
  EXPECT_EQ(WilsonInterval(0, 50).lo, 0);
  EXPECT_EQ(WilsonInterval(50, 50).hi, 1);
  // x of n and n - x of n mirror each other.
  const Interval a = WilsonInterval(7, 40), b = WilsonInterval(33, 40);
  EXPECT_NEAR(a.lo, 1 - b.hi, 1e-12);
  EXPECT_NEAR(a.hi, 1 - b.lo, 1e-12);
  // More samples, narrower interval, same centre share.
  EXPECT_LT(WilsonInterval(400, 4000).hi - WilsonInterval(400, 4000).lo,
            WilsonInterval(40, 400).hi - WilsonInterval(40, 400).lo);
}

TEST(CompareIntervalTest, InclusiveAndStrictThresholds) {
  const Interval i{0.10, 0.20};
  EXPECT_EQ(CompareInterval(i, 0.05, false), Side::kAbove);
  EXPECT_EQ(CompareInterval(i, 0.25, false), Side::kBelow);
  EXPECT_EQ(CompareInterval(i, 0.15, false), Side::kStraddles);
  // On the bound: ">= 0.10" holds for the whole interval, "> 0.10" does not.
  EXPECT_EQ(CompareInterval(i, 0.10, true), Side::kAbove);
  EXPECT_EQ(CompareInterval(i, 0.10, false), Side::kStraddles);
  EXPECT_EQ(CompareInterval(i, 0.20, false), Side::kBelow);
  EXPECT_EQ(CompareInterval(i, 0.20, true), Side::kStraddles);
}

}  // namespace
}  // namespace gcspike
