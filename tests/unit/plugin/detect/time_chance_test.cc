// Pre-pause and clusters against chance: window cover, the binomial tail, the verdict rules,
// the windows' share of the span, random placements of the grow samples.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "plugin/detect/time_rules.h"
#include "tests/unit/plugin/detect/timed_profile.h"

// In the namespace of the helpers (timed_profile.h).
namespace gcspike::testing {
namespace {

TEST(TimeRulesTest, WindowCoverMergesAndClips) {
  // [50,100] and [70,120] merge into 70 ns; [250,300] adds 50.
  EXPECT_EQ(WindowCover({100, 120, 300}, 50, 0, 1000), 120u);
  // [-40,10] is clipped to [0,10]; [970,1020] to [970,1000]; [1950,2000] lies outside.
  EXPECT_EQ(WindowCover({10, 1020, 2000}, 50, 0, 1000), 40u);
  EXPECT_EQ(WindowCover({}, 50, 0, 1000), 0u);
  EXPECT_EQ(WindowCover({500}, 0, 0, 1000), 0u);
  EXPECT_EQ(WindowCover({500, 600}, 5000, 0, 1000), 600u);  // everything up to the last start
  // Extreme times do not overflow.
  constexpr int64_t kLow = std::numeric_limits<int64_t>::min() + 1;
  constexpr int64_t kHigh = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(WindowCover({kLow + 10}, 100, kLow, kHigh), 10u);
  EXPECT_EQ(WindowCover({kHigh}, kHigh, kLow, kHigh), static_cast<uint64_t>(kHigh));
  EXPECT_EQ(WindowCover({0, kHigh}, kHigh, kLow, kHigh),
            static_cast<uint64_t>(kHigh) - static_cast<uint64_t>(kLow));

  // Against brute force on a grid: a unit cell [x, x+1) of the span is covered when some
  // window [s - w, s] contains it.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int64_t span_start = static_cast<int64_t>(rng() % 50);
    const int64_t span_end = span_start + static_cast<int64_t>(rng() % 300);
    const int64_t w = static_cast<int64_t>(rng() % 40);
    std::vector<int64_t> starts(rng() % 12);
    for (int64_t& x : starts) x = static_cast<int64_t>(rng() % 400) - 20;
    std::sort(starts.begin(), starts.end());
    uint64_t want = 0;
    for (int64_t x = span_start; x < span_end; ++x) {
      bool covered = false;
      for (int64_t s : starts) covered |= s - w <= x && x + 1 <= s;
      want += covered;
    }
    EXPECT_EQ(WindowCover(starts, w, span_start, span_end), want) << round;
  }
}

// P(X >= k) by summing every term, with binomial coefficients from Pascal's triangle.
long double BruteForceUpperTail(int n, int k, long double p) {
  std::vector<long double> row = {1};
  for (int i = 1; i <= n; ++i) {
    std::vector<long double> next(static_cast<size_t>(i + 1), 1);
    for (int j = 1; j < i; ++j) next[j] = row[j - 1] + row[j];
    row = std::move(next);
  }
  long double sum = 0;
  for (int i = std::max(k, 0); i <= n; ++i) {
    sum += row[i] * std::pow(p, static_cast<long double>(i)) *
           std::pow(1 - p, static_cast<long double>(n - i));
  }
  return sum;
}

TEST(TimeRulesTest, BinomialUpperTailMatchesExactSums) {
  for (int n : {1, 2, 5, 10, 23, 60, 150}) {
    for (double p : {0.001, 0.05, 0.3, 0.5, 0.81, 0.999}) {
      for (int k = -1; k <= n + 1; ++k) {
        const long double want = BruteForceUpperTail(n, k, p);
        const double got = BinomialUpperTail(n, k, p);
        if (want < 1e-290L) {
          EXPECT_LT(got, 1e-280) << n << " " << k << " " << p;
          continue;
        }
        EXPECT_NEAR(got / static_cast<double>(want), 1.0, 1e-11)
            << "n " << n << " k " << k << " p " << p << " got " << got << " want "
            << static_cast<double>(want);
      }
    }
  }
  EXPECT_EQ(BinomialUpperTail(10, 0, 0.0), 1);
  EXPECT_EQ(BinomialUpperTail(10, 1, 0.0), 0);
  EXPECT_EQ(BinomialUpperTail(10, 10, 1.0), 1);
  EXPECT_EQ(BinomialUpperTail(10, 11, 1.0), 0);
}

double NormalUpper(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

TEST(TimeRulesTest, BinomialUpperTailAtAMillion) {
  constexpr int64_t n = 1'000'000;
  constexpr double p = 0.3;
  const double mean = n * p, sd = std::sqrt(n * p * (1 - p));
  // Berry-Esseen: the normal approximation is within 0.4748 (p^2 + q^2) / sqrt(n p q).
  const double bound = 0.4748 * (p * p + (1 - p) * (1 - p)) / sd;
  for (double z : {-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0}) {
    const auto k = static_cast<int64_t>(std::ceil(mean + z * sd));
    const double normal = NormalUpper((static_cast<double>(k) - mean) / sd);
    EXPECT_NEAR(BinomialUpperTail(n, k, p), normal, bound) << z;
    // Both summation directions agree: P(X >= k; p) + P(X' >= n - k + 1; 1 - p) = 1.
    EXPECT_NEAR(BinomialUpperTail(n, k, p) + BinomialUpperTail(n, n - k + 1, 1 - p), 1.0, 1e-9)
        << z;
  }
  // Against every term summed in long double (its lgammal is exact enough at this size).
  for (double z : {-1.0, 2.0, 6.0}) {
    const auto k = static_cast<int64_t>(std::ceil(mean + z * sd));
    long double want = 0;
    const long double lp = std::log(static_cast<long double>(p));
    const long double lq = std::log1p(-static_cast<long double>(p));
    for (int64_t i = k; i <= n; ++i) {
      want += std::exp(std::lgamma(static_cast<long double>(n) + 1) -
                       std::lgamma(static_cast<long double>(i) + 1) -
                       std::lgamma(static_cast<long double>(n - i) + 1) + i * lp + (n - i) * lq);
    }
    EXPECT_NEAR(BinomialUpperTail(n, k, p) / static_cast<double>(want), 1.0, 1e-7) << z;
  }
  // Deep in the tail, Chernoff's bound and its converse:
  // exp(-n D) / sqrt(8 k (1 - k/n)) <= P(X >= k) <= exp(-n D), D = KL(k/n || p).
  const auto k = static_cast<int64_t>(mean + 9 * sd);
  const double a = static_cast<double>(k) / n;
  const double d = a * std::log(a / p) + (1 - a) * std::log((1 - a) / (1 - p));
  const double tail = BinomialUpperTail(n, k, p);
  EXPECT_LE(tail, std::exp(-n * d));
  EXPECT_GE(tail, std::exp(-n * d) / std::sqrt(8 * k * (1 - a)));
  EXPECT_GT(tail, 0);
}

TEST(TimeRulesTest, PrePauseVerdictRules) {
  EnrichmentTest t = JudgePrePause(9, 9, 0.1, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "too-few-samples");
  EXPECT_NE(t.reason.find("only 9 grow-spike samples"), std::string::npos) << t.reason;

  t = JudgePrePause(0, 0, 0.1, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_TRUE(std::isnan(t.fraction));
  EXPECT_TRUE(std::isnan(t.ratio));

  t = JudgePrePause(100, 0, 0, 1.5);  // no pause
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "no-window");
  EXPECT_NE(t.reason.find("cover none"), std::string::npos) << t.reason;

  // Windows over 2/3 of the timeline leave no room for a ratio of 1.5, even with every sample
  // in them and p tiny; over 95 % no ratio counts.
  t = JudgePrePause(1000, 1000, 0.7, 1.5);
  EXPECT_LT(t.p_value, 1e-100);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "windows-cover-timeline");
  EXPECT_NE(t.reason.find("70.0 %"), std::string::npos) << t.reason;
  EXPECT_EQ(JudgePrePause(1000, 1000, 0.96, 1.0).verdict, Verdict::kInconclusive);
  EXPECT_EQ(JudgePrePause(1000, 1000, 0.6, 1.5).verdict, Verdict::kSpike);

  // Ten samples at 0.6: all ten in the windows would give p = 0.6^10 = 0.006 < 0.01, but at
  // 0.65, 0.65^10 = 0.0135: nothing could be significant.
  EXPECT_EQ(JudgePrePause(10, 10, 0.6, 1.5).verdict, Verdict::kSpike);
  t = JudgePrePause(10, 10, 0.65, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "too-few-samples");
  EXPECT_NE(t.reason.find("would not be significant"), std::string::npos) << t.reason;

  // Significant and large: spike. Significant but small (ratio 1.2): normal unless
  // --pre-pause-ratio allows it. Not significant: normal only when the share's 95 % interval
  // stays below the spike's ratio, else borderline.
  t = JudgePrePause(100, 40, 0.1, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kSpike);
  EXPECT_DOUBLE_EQ(t.fraction, 0.4);
  EXPECT_DOUBLE_EQ(t.ratio, 4);
  EXPECT_DOUBLE_EQ(t.p_value, BinomialUpperTail(100, 40, 0.1));
  t = JudgePrePause(100, 14, 0.1, 1.5);  // 14 % [8.5-22.1 %]: 1.5 x 10 % is inside
  EXPECT_GT(t.p_value, 0.01);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "borderline");
  EXPECT_NE(t.reason.find("[8.5-22.1%]"), std::string::npos) << t.reason;
  t = JudgePrePause(1000, 140, 0.1, 1.5);  // 14 % [12.0-16.3 %]: still inside
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  // Above the spike's ratio yet not significant (6 of 74, ratio 1.65, p = 0.16, as a GOMEMLIMIT
  // run's mark-overlap measured): no evidence either way, never "normal".
  t = JudgePrePause(74, 6, 0.049, 1.5);
  EXPECT_GT(t.ratio, 1.5);
  EXPECT_GT(t.p_value, 0.1);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  t = JudgePrePause(1000, 120, 0.1, 1.5);  // 12 % [10.1-14.2 %]: below 15 %
  EXPECT_GT(t.p_value, 0.01);
  EXPECT_EQ(t.verdict, Verdict::kNormal);
  t = JudgePrePause(10000, 1200, 0.1, 1.5);
  EXPECT_LT(t.p_value, 1e-6);
  EXPECT_EQ(t.verdict, Verdict::kNormal);
  EXPECT_EQ(JudgePrePause(10000, 1200, 0.1, 1.1).verdict, Verdict::kSpike);
  // Fewer samples in the windows than chance predicts: normal.
  EXPECT_EQ(JudgePrePause(100, 2, 0.3, 1.5).verdict, Verdict::kNormal);
}

TEST(TimeRulesTest, PrePauseIsWeighedAgainstTheWindowsShareOfTheSpan) {
  TimedProfile t;
  // Grow samples at 0, 10, ..., 990 ms; pauses at 500 and 520 ms (windows [450,500] and
  // [470,520] merge into 70 ms); another sample at 1100 ms stretches the span to 1100 ms, the
  // timeline's events before and after it do not.
  for (int64_t ms = 0; ms < 1000; ms += 10) t.Add(kGrow, ms, 1);
  t.Add(kAssign, 1100, 1);
  Timeline& tl = t.sp.profile.timeline;
  tl.pauses.push_back(StwPause{0, 500 * kMs, 501 * kMs});
  tl.pauses.push_back(StwPause{0, 520 * kMs, 521 * kMs});
  tl.assists.push_back(AssistInterval{9, 1090 * kMs, 1200 * kMs, {}});
  tl.gc_cycles.push_back(GcCycle{1, kNoTime, 1300 * kMs});
  tl.pauses.push_back(StwPause{0, -100 * kMs, -99 * kMs});  // its window is outside the span
  const TimeAnalysis a = AnalyzeTimed(t.sp.profile);
  EXPECT_EQ(a.span_start_ns, 0);
  EXPECT_EQ(a.span_end_ns, 1100 * kMs);
  EXPECT_EQ(a.window_cover_ns, static_cast<uint64_t>(70 * kMs));
  EXPECT_EQ(a.pause_starts, (std::vector<int64_t>{-100 * kMs, 500 * kMs, 520 * kMs}));
  ASSERT_EQ(a.grow_times.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.grow_times.begin(), a.grow_times.end()));
  const EnrichmentTest& pp = a.pre_pause_test;
  EXPECT_EQ(pp.samples, 100);
  EXPECT_EQ(pp.hits, 8);  // 450, 460, ..., 520
  EXPECT_EQ(pp.hits, a.pre_pause_samples);
  EXPECT_DOUBLE_EQ(pp.expected, 70.0 / 1100);
  EXPECT_DOUBLE_EQ(pp.p_value, BinomialUpperTail(100, 8, 70.0 / 1100));
  // Evenly spread, 8.0 % [4.1-15.0 %] against windows of 6.4 %: no sign of a spike, but 100
  // samples cannot rule out 1.5 x 6.4 % either.
  EXPECT_EQ(pp.verdict, Verdict::kInconclusive);
  EXPECT_EQ(pp.cause, "borderline");
  const std::string report = RenderTimeReport(t.sp.profile, a);
  EXPECT_NE(report.find("pre-pause: 8 of 100 grow-spike samples (8.0 %) within 50.000 ms"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("the windows cover 6.4 % of the timeline"), std::string::npos) << report;
  EXPECT_NE(report.find(": inconclusive (borderline: the 95% interval [4.1-15.0%]"),
            std::string::npos)
      << report;

  // The same samples crowded just before the pauses: a spike.
  TimedProfile crowded;
  for (int64_t k = 0; k < 30; ++k) crowded.Add(kGrow, 455 + k, 1);
  for (int64_t ms = 0; ms < 1000; ms += 100) crowded.Add(kGrow, ms, 1);
  crowded.Add(kAssign, 1100, 1);
  crowded.sp.profile.timeline.pauses = tl.pauses;
  const EnrichmentTest spike = AnalyzeTimed(crowded.sp.profile).pre_pause_test;
  EXPECT_EQ(spike.hits, 31);  // the 30 and the sample at 500
  EXPECT_EQ(spike.verdict, Verdict::kSpike);
  TimeRuleOptions strict;
  strict.pre_pause_min_ratio = 13;  // observed 31/40 over 70/1100: about 12.2, [62-88 %]
  EXPECT_EQ(AnalyzeTimed(crowded.sp.profile, strict).pre_pause_test.verdict,
            Verdict::kInconclusive);  // 13 x 6.4 % = 82.7 % is inside the interval
  strict.pre_pause_min_ratio = 14.5;  // 92.3 %: above it
  EXPECT_EQ(AnalyzeTimed(crowded.sp.profile, strict).pre_pause_test.verdict, Verdict::kNormal);
}

TEST(TimeRulesTest, ExpectedClustersOfRandomPlacements) {
  // With min_samples 1 every point is a core point, and clusters are 1 + the gaps wider than
  // eps; each of the n - 1 gaps of n uniform points on [0, L] is wider than eps with
  // probability (1 - eps/L)^n.
  constexpr int64_t kSpan = 1'000'000'000;
  for (int64_t n : {10, 50, 200}) {
    const double want = 1 + static_cast<double>(n - 1) * std::pow(1 - 0.02, static_cast<double>(n));
    const double got = ExpectedClusters(n, kSpan, kSpan / 50, 1, kClusterPlacements);
    EXPECT_NEAR(got, want, 0.08 * want + 0.2) << n;
  }
  // Deterministic.
  EXPECT_EQ(ExpectedClusters(80, kSpan, 20'000'000, 3, 50),
            ExpectedClusters(80, kSpan, 20'000'000, 3, 50));
  EXPECT_EQ(ExpectedClusters(2, kSpan, 20'000'000, 3, 50), 0);
  EXPECT_EQ(ExpectedClusters(5, 0, 20'000'000, 3, 50), 1);  // all at one instant
  // Denser points make more of them core points: more clusters at first, then one.
  EXPECT_GT(ExpectedClusters(100, kSpan, 20'000'000, 3, 50),
            ExpectedClusters(10, kSpan, 20'000'000, 3, 50));
  EXPECT_EQ(ExpectedClusters(100'000, kSpan, 20'000'000, 3, 20), 1);
}

}  // namespace
}  // namespace gcspike::testing
