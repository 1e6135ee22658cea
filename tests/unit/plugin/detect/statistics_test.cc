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

// Reference values: R. G. Newcombe, "Interval estimation for the difference between
// independent proportions: comparison of eleven methods", Statistics in Medicine 17 (1998)
// 873-890, Table II, method 10 (the hybrid score interval), to four decimals; also recomputed
// by tests/e2e/diff_check.py.
TEST(NewcombeDifferenceTest, MatchesPublishedValues) {
  struct Case {
    double x1, n1, x2, n2, lo, hi;
  };
  for (const Case& c : {Case{56, 70, 48, 80, 0.0524, 0.3339}, Case{9, 10, 3, 10, 0.1705, 0.8090},
                        Case{6, 7, 2, 7, 0.0582, 0.8062}, Case{5, 56, 0, 29, -0.0381, 0.1926},
                        Case{0, 10, 0, 20, -0.1611, 0.2775}, Case{10, 10, 0, 20, 0.6791, 1.0}}) {
    SCOPED_TRACE(std::to_string(c.x1) + "/" + std::to_string(c.n1) + " - " + std::to_string(c.x2) +
                 "/" + std::to_string(c.n2));
    const Interval i = NewcombeDifference(c.x1, c.n1, c.x2, c.n2);
    EXPECT_NEAR(i.lo, c.lo, 5e-5);
    EXPECT_NEAR(i.hi, c.hi, 5e-5);
  }
}

// The first argument is the new side: swapping the sides mirrors the interval around 0.
TEST(NewcombeDifferenceTest, OrientationIsNewMinusBase) {
  const Interval up = NewcombeDifference(56, 70, 48, 80);    // new 80 %, base 60 %
  const Interval down = NewcombeDifference(48, 80, 56, 70);  // new 60 %, base 80 %
  EXPECT_GT(up.lo, 0);
  EXPECT_LT(down.hi, 0);
  EXPECT_NEAR(up.lo, -down.hi, 1e-12);
  EXPECT_NEAR(up.hi, -down.lo, 1e-12);
  // From the shares and their Wilson intervals, as the diff computes it.
  const Interval from_intervals =
      NewcombeDifference(56.0 / 70, WilsonInterval(56, 70), 48.0 / 80, WilsonInterval(48, 80));
  EXPECT_DOUBLE_EQ(from_intervals.lo, up.lo);
  EXPECT_DOUBLE_EQ(from_intervals.hi, up.hi);
  // Equal shares: an interval around 0, symmetric.
  const Interval same = NewcombeDifference(40, 100, 40, 100);
  EXPECT_NEAR(same.lo, -same.hi, 1e-12);
  EXPECT_GT(same.hi, 0);
}

// p_new - k * p_base (MOVER, Zou and Donner 2008): the base's distances scale by k; k = 1 is
// Newcombe's. Reference values from the same formula in a few lines of Python.
TEST(NewcombeDifferenceTest, ScaledBase) {
  const Interval w1 = WilsonInterval(56, 70), w2 = WilsonInterval(48, 80);
  const Interval k12 = NewcombeDifference(0.8, w1, 0.6, w2, 1.2);
  EXPECT_NEAR(k12.lo, -0.0819, 5e-5);
  EXPECT_NEAR(k12.hi, 0.2323, 5e-5);
  const Interval k1 = NewcombeDifference(0.8, w1, 0.6, w2, 1.0);
  EXPECT_NEAR(k1.lo, 0.0524, 5e-5);
  EXPECT_NEAR(k1.hi, 0.3339, 5e-5);
}

}  // namespace
}  // namespace gcspike
