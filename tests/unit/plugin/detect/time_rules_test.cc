// Time rules on a small profile with a hand-made timeline: assist-coupling from assist
// intervals, pre-pause, and one-dimensional DBSCAN clusters of grow-spike samples; pre-pause
// and clusters against chance (window cover, binomial tail, verdicts, random placements); the
// JSON timeline.
#include "plugin/detect/time_rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "plugin/detect/annotator.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr const char* kGrow =
    "main.fill > runtime.mapassign_faststr > internal/runtime/maps.(*table).grow";
constexpr const char* kAssign = "main.fill > runtime.mapassign_faststr";

struct TimedProfile {
  testing::StackProfile sp;
  size_t Add(const char* stack, int64_t ts_ms, int64_t goroutine) {
    const size_t i = sp.Add(stack);
    sp.profile.SetNumLabel(sp.profile.samples[i], "timestamp_ns", ts_ms * kMs, "nanoseconds");
    sp.profile.SetNumLabel(sp.profile.samples[i], "goroutine", goroutine, "goroutine");
    return i;
  }
};

struct Analysis {
  std::vector<StackFeatures> features;
  TimeAnalysis analysis;
};

Analysis Analyze(Profile& p, TimeRuleOptions options = {}) {
  const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  Analysis r;
  r.features = ClassifySamples(p, catalogue);
  r.analysis = ApplyTimeRules(p, catalogue, r.features, options);
  ApplyLabels(p, r.features, "test");
  ApplyTimeLabels(p, r.analysis);
  return r;
}

TEST(TimeRulesTest, AssistCouplingFromTheGoroutinesAssistInterval) {
  TimedProfile t;
  const size_t inside = t.Add(kAssign, 105, 5);
  const size_t other_g = t.Add(kAssign, 105, 6);
  const size_t after = t.Add(kAssign, 120, 5);
  const size_t no_map = t.Add("main.work", 105, 5);
  t.sp.profile.timeline.assists.push_back(AssistInterval{5, 100 * kMs, 110 * kMs, {}});
  Profile& p = t.sp.profile;
  Analysis r = Analyze(p);
  ASSERT_TRUE(r.analysis.applicable);
  EXPECT_EQ(r.analysis.assist_coupling_added, 1);
  EXPECT_EQ(r.analysis.samples_in_assist, 2);  // `inside` and `no_map`
  EXPECT_EQ(p.StrLabel(p.samples[inside], "gcspike"), "assist-coupling");
  EXPECT_EQ(p.StrLabel(p.samples[inside], "gcspike_site"), "main.fill");
  EXPECT_FALSE(p.StrLabel(p.samples[other_g], "gcspike").has_value());
  EXPECT_FALSE(p.StrLabel(p.samples[after], "gcspike").has_value());
  EXPECT_FALSE(p.StrLabel(p.samples[no_map], "gcspike").has_value());

  // An assist that began before the trace (no start) covers everything up to its end.
  TimedProfile t2;
  t2.Add(kAssign, 1, 5);
  t2.sp.profile.timeline.assists.push_back(AssistInterval{5, kNoTime, 2 * kMs, {}});
  EXPECT_EQ(Analyze(t2.sp.profile).analysis.assist_coupling_added, 1);
}

TEST(TimeRulesTest, PrePauseIsAddedLastToGrowSpikeSamplesBeforeAPause) {
  TimedProfile t;
  // One goroutine each: four map-insert samples of one goroutine would be map churn.
  const size_t before = t.Add(kGrow, 160, 1);     // 40 ms before the pause
  const size_t too_early = t.Add(kGrow, 140, 2);  // 60 ms before
  const size_t later = t.Add(kGrow, 205, 3);      // after it
  const size_t not_grow = t.Add(kAssign, 190, 4);
  t.sp.profile.timeline.pauses.push_back(StwPause{0, 200 * kMs, 201 * kMs});
  Profile& p = t.sp.profile;
  Analysis r = Analyze(p);
  EXPECT_EQ(r.analysis.pre_pause_samples, 1);
  EXPECT_EQ(p.StrLabel(p.samples[before], "gcspike"), "grow-spike+key-copy+pre-pause");
  EXPECT_EQ(p.StrLabel(p.samples[too_early], "gcspike"), "grow-spike+key-copy");
  EXPECT_EQ(p.StrLabel(p.samples[later], "gcspike"), "grow-spike+key-copy");
  EXPECT_FALSE(p.StrLabel(p.samples[not_grow], "gcspike").has_value());

  TimedProfile t2;
  t2.Add(kGrow, 140, 1);
  t2.sp.profile.timeline.pauses.push_back(StwPause{0, 200 * kMs, 201 * kMs});
  TimeRuleOptions wide;
  wide.pre_pause_ns = 70 * kMs;
  EXPECT_EQ(Analyze(t2.sp.profile, wide).analysis.pre_pause_samples, 1);
}

TEST(TimeRulesTest, ClustersAreDensityConnectedGrowSamples) {
  TimedProfile t;
  // Core points 1000, 1005, 1010 (three within 20 ms); 1028 is a border point of that cluster
  // (only 1010 and itself within 20 ms); 1100 is noise; 1200..1202 form a second cluster.
  std::vector<size_t> idx;
  for (int64_t ms : {1005, 1000, 1028, 1010, 1100, 1200, 1201, 1202}) {
    idx.push_back(t.Add(kGrow, ms, 1));
  }
  const size_t assign_only = t.Add(kAssign, 1001, 1);  // not grow-spike: never clustered
  t.sp.profile.timeline.gc_cycles.push_back(GcCycle{1, 1500 * kMs, 1510 * kMs});
  Profile& p = t.sp.profile;
  Analysis r = Analyze(p);
  const std::vector<int64_t> want = {1, 1, 1, 1, 0, 2, 2, 2};
  for (size_t k = 0; k < idx.size(); ++k) {
    EXPECT_EQ(p.NumLabel(p.samples[idx[k]], "gcspike_cluster").value_or(0), want[k]) << k;
  }
  EXPECT_FALSE(p.NumLabel(p.samples[assign_only], "gcspike_cluster").has_value());
  const Label* l = p.FindLabel(p.samples[idx[0]], p.strings.Find("gcspike_cluster"));
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(p.str(l->num_unit), "cluster");
  ASSERT_EQ(r.analysis.clusters.size(), 2u);
  EXPECT_EQ(r.analysis.clusters[0].samples, 4);
  EXPECT_EQ(r.analysis.clusters[0].start_ns, 1000 * kMs);
  EXPECT_EQ(r.analysis.clusters[0].end_ns, 1028 * kMs);
  EXPECT_EQ(r.analysis.clusters[1].samples, 3);

  TimeRuleOptions strict;
  strict.cluster_min_samples = 4;
  TimedProfile t2;
  for (int64_t ms : {1000, 1005, 1010}) t2.Add(kGrow, ms, 1);
  t2.sp.profile.timeline.gc_cycles.push_back(GcCycle{1, 1500 * kMs, 1510 * kMs});
  EXPECT_TRUE(Analyze(t2.sp.profile, strict).analysis.clusters.empty());
}

TEST(TimeRulesTest, CyclesCollectGrowSamplesAssistsAndPauses) {
  TimedProfile t;
  t.Add(kGrow, 960, 1);  // 40 ms before GC 1
  t.Add(kGrow, 900, 1);  // 100 ms before: outside the window
  Timeline& tl = t.sp.profile.timeline;
  tl.gc_cycles.push_back(GcCycle{7, 1000 * kMs, 1050 * kMs});
  tl.assists.push_back(AssistInterval{3, 1010 * kMs, 1013 * kMs, {}});
  tl.assists.push_back(AssistInterval{4, 1049 * kMs, 1060 * kMs, {}});  // clipped to 1 ms
  const StrId sweep = t.sp.profile.Intern("GC sweep termination");
  tl.pauses.push_back(StwPause{sweep, 999 * kMs, 1000 * kMs});
  Analysis r = Analyze(t.sp.profile);
  ASSERT_EQ(r.analysis.cycles.size(), 1u);
  const GcCycleReport& c = r.analysis.cycles[0];
  EXPECT_EQ(c.grow_samples_before, 1);
  EXPECT_EQ(c.assists, 2);
  EXPECT_EQ(c.assist_ns, 4 * kMs);
  ASSERT_EQ(c.pauses.size(), 1u);
  EXPECT_EQ(c.pauses[0].duration_ns, 1 * kMs);
  const std::string report = RenderTimeReport(t.sp.profile, r.analysis);
  EXPECT_NE(report.find("GC 1: "), std::string::npos) << report;
  EXPECT_NE(report.find("GC sweep termination 1.000 ms"), std::string::npos) << report;
}

TEST(TimeRulesTest, ProfilesWithoutATimelineAreLeftAlone) {
  testing::StackProfile sp;
  sp.Add(kGrow);
  Analysis r = Analyze(sp.profile);
  EXPECT_FALSE(r.analysis.applicable);
  EXPECT_EQ(sp.profile.StrLabel(sp.profile.samples[0], "gcspike"), "grow-spike+key-copy");
  EXPECT_EQ(RenderTimeReport(sp.profile, r.analysis), "");
}

// --- Pre-pause against chance -------------------------------------------------------------

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
  PrePauseTest t = JudgePrePause(9, 9, 0.1, 1.5);
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

  // Significant and large: spike. Not significant: normal. Significant but small (ratio 1.2):
  // normal unless --pre-pause-ratio allows it.
  t = JudgePrePause(100, 40, 0.1, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kSpike);
  EXPECT_DOUBLE_EQ(t.fraction, 0.4);
  EXPECT_DOUBLE_EQ(t.ratio, 4);
  EXPECT_DOUBLE_EQ(t.p_value, BinomialUpperTail(100, 40, 0.1));
  t = JudgePrePause(100, 14, 0.1, 1.5);
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
  Analysis r = Analyze(t.sp.profile);
  const TimeAnalysis& a = r.analysis;
  EXPECT_EQ(a.span_start_ns, 0);
  EXPECT_EQ(a.span_end_ns, 1100 * kMs);
  EXPECT_EQ(a.window_cover_ns, static_cast<uint64_t>(70 * kMs));
  EXPECT_EQ(a.pause_starts, (std::vector<int64_t>{-100 * kMs, 500 * kMs, 520 * kMs}));
  ASSERT_EQ(a.grow_times.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.grow_times.begin(), a.grow_times.end()));
  const PrePauseTest& pp = a.pre_pause_test;
  EXPECT_EQ(pp.grow_samples, 100);
  EXPECT_EQ(pp.pre_pause, 8);  // 450, 460, ..., 520
  EXPECT_EQ(pp.pre_pause, a.pre_pause_samples);
  EXPECT_DOUBLE_EQ(pp.expected, 70.0 / 1100);
  EXPECT_DOUBLE_EQ(pp.p_value, BinomialUpperTail(100, 8, 70.0 / 1100));
  EXPECT_EQ(pp.verdict, Verdict::kNormal);  // evenly spread: nothing special
  const std::string report = RenderTimeReport(t.sp.profile, a);
  EXPECT_NE(report.find("pre-pause: 8 of 100 grow-spike samples (8.0 %) within 50.000 ms"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("the windows cover 6.4 % of the timeline"), std::string::npos) << report;
  EXPECT_NE(report.find(": normal\n"), std::string::npos) << report;

  // The same samples crowded just before the pauses: a spike.
  TimedProfile crowded;
  for (int64_t k = 0; k < 30; ++k) crowded.Add(kGrow, 455 + k, 1);
  for (int64_t ms = 0; ms < 1000; ms += 100) crowded.Add(kGrow, ms, 1);
  crowded.Add(kAssign, 1100, 1);
  crowded.sp.profile.timeline.pauses = tl.pauses;
  const PrePauseTest spike = Analyze(crowded.sp.profile).analysis.pre_pause_test;
  EXPECT_EQ(spike.pre_pause, 31);  // the 30 and the sample at 500
  EXPECT_EQ(spike.verdict, Verdict::kSpike);
  TimeRuleOptions strict;
  strict.pre_pause_min_ratio = 13;  // observed 31/40 over 70/1100: about 12.2
  EXPECT_EQ(Analyze(crowded.sp.profile, strict).analysis.pre_pause_test.verdict, Verdict::kNormal);
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

// A small JSON parser: enough to check that the output is valid JSON and to read it back.
struct JsonValue {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string str;
  std::vector<JsonValue> items;   // array items, or object member values
  std::vector<std::string> keys;  // object member names (a vector may hold the incomplete type,
                                  // a pair may not)
  const JsonValue* Get(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}
  std::optional<JsonValue> ParseDocument() {
    std::optional<JsonValue> v = Value();
    Space();
    if (!v || i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void Space() {
    while (i_ < s_.size() && std::string_view(" \n\t\r").find(s_[i_]) != std::string_view::npos) {
      ++i_;
    }
  }
  bool Eat(char c) {
    Space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  std::optional<std::string> String() {
    if (!Eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      if (e == 'u') {
        if (i_ + 4 > s_.size()) return std::nullopt;
        i_ += 4;
        out += '?';
      } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
        out += e;
      } else {
        return std::nullopt;
      }
    }
    if (!Eat('"')) return std::nullopt;
    return out;
  }
  std::optional<JsonValue> Value() {
    Space();
    if (i_ >= s_.size()) return std::nullopt;
    JsonValue v;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = JsonValue::kObject;
      if (Eat('}')) return v;
      do {
        std::optional<std::string> key = String();
        if (!key || !Eat(':')) return std::nullopt;
        std::optional<JsonValue> member = Value();
        if (!member) return std::nullopt;
        v.keys.push_back(*key);
        v.items.push_back(std::move(*member));
      } while (Eat(','));
      if (!Eat('}')) return std::nullopt;
    } else if (c == '[') {
      ++i_;
      v.kind = JsonValue::kArray;
      if (Eat(']')) return v;
      do {
        std::optional<JsonValue> item = Value();
        if (!item) return std::nullopt;
        v.items.push_back(std::move(*item));
      } while (Eat(','));
      if (!Eat(']')) return std::nullopt;
    } else if (c == '"') {
      std::optional<std::string> str = String();
      if (!str) return std::nullopt;
      v.kind = JsonValue::kString;
      v.str = *str;
    } else if (Word("null")) {
      v.kind = JsonValue::kNull;
    } else if (Word("true") || Word("false")) {
      v.kind = JsonValue::kBool;
    } else {
      // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
      const size_t start = i_;
      auto digits = [&] {
        const size_t from = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > from;
      };
      if (i_ < s_.size() && s_[i_] == '-') ++i_;
      if (!digits()) return std::nullopt;
      if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) return std::nullopt;
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (!digits()) return std::nullopt;
      }
      v.kind = JsonValue::kNumber;
      v.number = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    }
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

TEST(TimeRulesTest, TimelineJsonParsesBackToTheAnalysis) {
  TimedProfile t;
  for (int64_t ms : {960, 970, 975, 980, 990, 1200, 1201, 1202, 1500}) t.Add(kGrow, ms, 1);
  Timeline& tl = t.sp.profile.timeline;
  tl.gc_cycles.push_back(GcCycle{1, kNoTime, 900 * kMs});  // begun before the trace
  tl.gc_cycles.push_back(GcCycle{2, 1000 * kMs, 1050 * kMs});
  tl.assists.push_back(AssistInterval{1, 1010 * kMs, 1013 * kMs, {}});
  // A kind with a quote and invalid UTF-8 must come out escaped.
  tl.pauses.push_back(StwPause{t.sp.profile.Intern("GC \"sweep\"\xff"), 999 * kMs, 1000 * kMs});
  tl.pauses.push_back(StwPause{0, 1049 * kMs, 1050 * kMs});
  Analysis r = Analyze(t.sp.profile);
  const TimeAnalysis& a = r.analysis;

  std::string json = "{\"a\":1";
  AppendPrePauseFeatureJson(json, a);
  AppendTimeJson(json, t.sp.profile, a);
  json += "}";
  std::optional<JsonValue> doc = JsonParser(json).ParseDocument();
  ASSERT_TRUE(doc.has_value()) << json;

  const JsonValue* pp = doc->Get("pre-pause");
  ASSERT_NE(pp, nullptr) << json;
  // 9 grow samples: too few.
  EXPECT_EQ(pp->Get("verdict")->str, "inconclusive");
  ASSERT_NE(pp->Get("reason"), nullptr);
  EXPECT_EQ(pp->Get("cause")->str, "too-few-samples");
  EXPECT_EQ(pp->Get("pre_pause_samples")->number, static_cast<double>(a.pre_pause_samples));
  EXPECT_EQ(pp->Get("samples")->number, 9);
  const Interval wilson = WilsonInterval(static_cast<double>(a.pre_pause_samples), 9);
  ASSERT_EQ(pp->Get("interval")->items.size(), 2u);
  EXPECT_EQ(pp->Get("interval")->items[0].number, wilson.lo);
  EXPECT_EQ(pp->Get("interval")->items[1].number, wilson.hi);
  EXPECT_EQ(pp->Get("expected")->number, a.pre_pause_test.expected);  // %.17g round-trips
  EXPECT_EQ(pp->Get("p_value")->number, a.pre_pause_test.p_value);
  EXPECT_EQ(pp->Get("ratio")->number, a.pre_pause_test.ratio);
  EXPECT_EQ(pp->Get("ratio_threshold")->number, 1.5);

  const JsonValue* tj = doc->Get("timeline");
  ASSERT_NE(tj, nullptr) << json;
  EXPECT_EQ(tj->Get("origin_ns")->number, static_cast<double>(a.origin_ns));
  ASSERT_EQ(tj->Get("span_ns")->items.size(), 2u);
  EXPECT_EQ(tj->Get("span_ns")->items[0].number, static_cast<double>(a.span_start_ns));
  EXPECT_EQ(tj->Get("span_ns")->items[1].number, 1500.0 * kMs);
  const JsonValue& cycles = *tj->Get("gc_cycles");
  ASSERT_EQ(cycles.items.size(), 2u);
  EXPECT_EQ(cycles.items[0].Get("start_ns")->kind, JsonValue::kNull);
  EXPECT_EQ(cycles.items[0].Get("end_ns")->number, 900.0 * kMs);
  const JsonValue& c2 = cycles.items[1];
  EXPECT_EQ(c2.Get("seq")->number, 2);
  EXPECT_EQ(c2.Get("assists")->number, 1);
  EXPECT_EQ(c2.Get("assist_ns")->number, 3.0 * kMs);
  EXPECT_EQ(c2.Get("grow_samples_before")->number, 5);  // 960 .. 990 (1000 - 50 <= t < 1000)
  ASSERT_EQ(c2.Get("pauses")->items.size(), 2u);
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("kind")->str, "GC \"sweep\"\uFFFD");
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("start_ns")->number, 999.0 * kMs);
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("duration_ns")->number, 1.0 * kMs);
  EXPECT_EQ(c2.Get("pauses")->items[1].Get("kind")->kind, JsonValue::kNull);
  ASSERT_EQ(tj->Get("clusters")->items.size(), a.clusters.size());
  ASSERT_EQ(a.clusters.size(), 2u);
  EXPECT_EQ(tj->Get("clusters")->items[1].Get("samples")->number, 3);
  EXPECT_EQ(tj->Get("expected_clusters")->number, a.expected_clusters);
  EXPECT_EQ(tj->Get("cluster_placements")->number, kClusterPlacements);
  EXPECT_EQ(tj->Get("assist_coupling_by_time")->Get("samples_in_assist")->number, 0);
  const JsonValue& grow = *tj->Get("grow_sample_times_ns");
  ASSERT_EQ(grow.items.size(), 9u);
  EXPECT_EQ(grow.items[0].number, 960.0 * kMs);
  EXPECT_EQ(grow.items[8].number, 1500.0 * kMs);
  const JsonValue& starts = *tj->Get("pause_starts_ns");
  ASSERT_EQ(starts.items.size(), 2u);
  EXPECT_EQ(starts.items[1].number, 1049.0 * kMs);

  // Nothing at all without a timeline; no NaN in JSON (a fraction of no samples is null).
  testing::StackProfile plain;
  plain.Add(kGrow);
  Analysis none = Analyze(plain.profile);
  std::string empty;
  AppendTimeJson(empty, plain.profile, none.analysis);
  EXPECT_EQ(empty, "");
  // The features after pre-pause are there, inconclusive for want of a timeline.
  AppendPrePauseFeatureJson(empty, none.analysis);
  EXPECT_EQ(empty.find("\"pre-pause\""), std::string::npos) << empty;
  EXPECT_NE(empty.find("\"mark-overlap\":{\"fraction\":null,\"samples\":0,\"verdict\":"
                       "\"inconclusive\",\"cause\":\"no-timeline\""),
            std::string::npos)
      << empty;
  EXPECT_TRUE(JsonParser("{\"x\":0" + empty + "}").ParseDocument().has_value()) << empty;
  TimedProfile no_grow;
  no_grow.Add(kAssign, 10, 1);
  no_grow.sp.profile.timeline.pauses.push_back(StwPause{0, 20 * kMs, 21 * kMs});
  Analysis zero = Analyze(no_grow.sp.profile);
  std::string z = "{\"x\":0";
  AppendPrePauseFeatureJson(z, zero.analysis);
  AppendTimeJson(z, no_grow.sp.profile, zero.analysis);
  z += "}";
  EXPECT_TRUE(JsonParser(z).ParseDocument().has_value()) << z;
  EXPECT_NE(z.find("\"fraction\":null"), std::string::npos) << z;
  EXPECT_NE(z.find("\"grow_sample_times_ns\":[]"), std::string::npos) << z;
  EXPECT_NE(z.find("\"expected_clusters\":0,\"cluster_placements\":0"), std::string::npos) << z;
  EXPECT_FALSE(JsonParser("{\"a\":nan}").ParseDocument().has_value());
}

}  // namespace
}  // namespace gcspike
