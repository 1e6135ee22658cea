// mark-termination's power rule (time_rules.h, JudgeMarkTermination): normal only when the
// bootstrap interval of the quartile ratio lies below the spike's ratio; the interval itself
// against the exact bootstrap distribution of a small case, enumerated here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "plugin/detect/time_rules.h"

namespace gcspike {
namespace {

// n cycles whose pauses do not depend on their grow samples: base_ns plus uniform noise in
// [0, spread_ns), from a fixed seed.
std::vector<MarkTerminationCycle> Unrelated(int n, int64_t base_ns, int64_t spread_ns,
                                            unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<MarkTerminationCycle> c;
  for (int k = 0; k < n; ++k) {
    c.push_back({k + 1, static_cast<int64_t>(rng() % 50),
                 base_ns + static_cast<int64_t>(rng() % static_cast<uint64_t>(spread_ns))});
  }
  return c;
}

TEST(MarkTerminationTest, NormalOnlyWhenTheIntervalIsClearlyBelowTheSpikeRatio) {
  // 400 cycles, pauses 100-110 us whatever the grow samples: the ratio is about 1 and its
  // interval far below 1.5.
  const std::vector<MarkTerminationCycle> many = Unrelated(400, 100'000, 10'000, 1);
  MarkTerminationTest t = JudgeMarkTermination(many, 1.5);
  EXPECT_GT(t.p_value, 0.01);
  EXPECT_LT(t.ratio_interval.lo, t.ratio);
  EXPECT_GT(t.ratio_interval.hi, t.ratio);
  EXPECT_LT(t.ratio_interval.hi, 1.1);
  EXPECT_EQ(t.verdict, Verdict::kNormal);
  EXPECT_TRUE(t.cause.empty());

  // At the boundary: normal when the threshold is just above the interval's top, not at it.
  const double hi = t.ratio_interval.hi;
  EXPECT_EQ(JudgeMarkTermination(many, hi).verdict, Verdict::kInconclusive);
  EXPECT_EQ(JudgeMarkTermination(many, std::nextafter(hi, 2.0)).verdict, Verdict::kNormal);
}

TEST(MarkTerminationTest, InconclusiveWhenTheIntervalStraddlesTheSpikeRatio) {
  // 12 cycles with pauses anywhere in 50-450 us: nothing significant, but 3 cycles a quartile
  // cannot rule out a ratio of 1.5. This was "normal".
  const std::vector<MarkTerminationCycle> few = Unrelated(12, 50'000, 400'000, 2);
  const MarkTerminationTest t = JudgeMarkTermination(few, 1.5);
  EXPECT_GT(t.p_value, 0.01);
  EXPECT_LT(t.ratio_interval.lo, 1.5);
  EXPECT_GE(t.ratio_interval.hi, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "borderline");
  EXPECT_NE(t.reason.find("over the 12 GC cycles reaches 1.5x"), std::string::npos) << t.reason;
  EXPECT_NE(t.reason.find("more GC cycles (a longer trace) decide"), std::string::npos);

  // Significant, with a ratio below 1.5 whose interval reaches it (a report's rho 0.36,
  // p = 0.0009, ratio 1.15 was called normal): pauses rise a little with the grow samples.
  std::mt19937_64 rng(3);
  std::vector<MarkTerminationCycle> weak;
  for (int k = 0; k < 80; ++k) {
    weak.push_back({k + 1, k, 100'000 + 1'000 * k + static_cast<int64_t>(rng() % 200'000)});
  }
  const MarkTerminationTest w = JudgeMarkTermination(weak, 1.5);
  EXPECT_LT(w.p_value, 0.01);
  EXPECT_LT(w.ratio, 1.5);
  EXPECT_GE(w.ratio_interval.hi, 1.5);
  EXPECT_EQ(w.verdict, Verdict::kInconclusive);
  EXPECT_EQ(w.cause, "borderline");
}

TEST(MarkTerminationTest, SpikeRuleUnchanged) {
  // Pauses rising with the grow samples: significant and 4x, a spike whatever the interval.
  std::vector<MarkTerminationCycle> c;
  for (int64_t k = 0; k < 12; ++k) c.push_back({k + 1, k, 100'000 + 50'000 * k});
  const MarkTerminationTest t = JudgeMarkTermination(c, 1.5);
  EXPECT_LT(t.p_value, 0.01);
  EXPECT_DOUBLE_EQ(t.ratio, 4);
  EXPECT_EQ(t.verdict, Verdict::kSpike);
  // Above the observed ratio: no spike, and never normal over 12 cycles, even past the
  // interval's top (kMarkTerminationNormalMinCycles).
  EXPECT_EQ(JudgeMarkTermination(c, 4.5).verdict, Verdict::kInconclusive);
  const MarkTerminationTest past =
      JudgeMarkTermination(c, std::nextafter(t.ratio_interval.hi, 1e9));
  EXPECT_EQ(past.verdict, Verdict::kInconclusive);
  EXPECT_EQ(past.cause, "too-few-cycles");
}

TEST(MarkTerminationTest, NormalNeedsTwentyCycles) {
  // Pauses of 100-110 us whatever the grow samples: the interval lies far below 1.5 already
  // over 19 cycles, but a percentile bootstrap of quartile medians is too narrow below 20
  // cycles to rule a spike out (mark_termination_coverage_test.cc).
  const std::vector<MarkTerminationCycle> twenty = Unrelated(20, 100'000, 10'000, 4);
  const MarkTerminationTest t20 = JudgeMarkTermination(twenty, 1.5);
  EXPECT_LT(t20.ratio_interval.hi, 1.5);
  EXPECT_EQ(t20.verdict, Verdict::kNormal);
  const std::vector<MarkTerminationCycle> nineteen(twenty.begin(), twenty.end() - 1);
  const MarkTerminationTest t19 = JudgeMarkTermination(nineteen, 1.5);
  EXPECT_LT(t19.ratio_interval.hi, 1.5);
  EXPECT_EQ(t19.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t19.cause, "too-few-cycles");
  EXPECT_NE(t19.reason.find("only 19 GC cycles"), std::string::npos) << t19.reason;
  EXPECT_NE(t19.reason.find("fewer than 20 cycles"), std::string::npos) << t19.reason;
}

// The ratio of a resample of 5 cycles with distinct grow samples (q = 1): the pause of the
// drawn cycle with the most grow samples over the one with the fewest; +inf when every draw
// is the same cycle.
double RatioOfDraw(const std::vector<MarkTerminationCycle>& c, const std::vector<int>& draw) {
  int lo = draw[0], hi = draw[0];
  for (int i : draw) {
    if (c[i].grow_samples < c[lo].grow_samples) lo = i;
    if (c[i].grow_samples > c[hi].grow_samples) hi = i;
  }
  if (lo == hi) return std::numeric_limits<double>::infinity();
  return static_cast<double>(c[hi].pause_ns) / static_cast<double>(c[lo].pause_ns);
}

TEST(MarkTerminationTest, BootstrapIntervalMatchesTheExactBootstrapDistribution) {
  const std::vector<MarkTerminationCycle> c = {
      {1, 3, 200}, {2, 9, 500}, {3, 1, 400}, {4, 7, 100}, {5, 5, 300}};
  EXPECT_DOUBLE_EQ(QuartileRatio(c), 500.0 / 400.0);
  // All 5^5 equally likely resamples.
  std::vector<double> all;
  std::vector<int> draw(5);
  for (int code = 0; code < 3125; ++code) {
    for (int i = 0, x = code; i < 5; ++i, x /= 5) draw[static_cast<size_t>(i)] = x % 5;
    all.push_back(RatioOfDraw(c, draw));
  }
  auto below = [&](double v) {
    return static_cast<double>(
               std::count_if(all.begin(), all.end(), [&](double r) { return r < v; })) /
           3125;
  };
  auto at_most = [&](double v) {
    return static_cast<double>(
               std::count_if(all.begin(), all.end(), [&](double r) { return r <= v; })) /
           3125;
  };
  const Interval in = QuartileRatioInterval(c, kMarkTerminationResamples);
  // 4 standard errors of a percentile's coverage over 2000 draws.
  const double tol = 4 * std::sqrt(0.025 * 0.975 / kMarkTerminationResamples);
  EXPECT_LE(below(in.lo), 0.025 + tol) << in.lo;
  EXPECT_GE(at_most(in.lo), 0.025 - tol) << in.lo;
  EXPECT_LE(below(in.hi), 0.975 + tol) << in.hi;
  EXPECT_GE(at_most(in.hi), 0.975 - tol) << in.hi;
  const Interval again = QuartileRatioInterval(c, kMarkTerminationResamples);
  EXPECT_EQ(in.lo, again.lo);  // fixed seed
  EXPECT_EQ(in.hi, again.hi);
}

}  // namespace
}  // namespace gcspike
