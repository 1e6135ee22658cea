// The time-domain features after pre-pause (time_rules.h): mark-overlap and the shared
// enrichment judge, each against a brute-force computation in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <random>

#include "tests/unit/plugin/detect/timed_profile.h"

namespace gcspike {
namespace {

using testing::kAssign;
using testing::kGrow;
using testing::kMs;
using testing::TimedProfile;

TimeAnalysis Analyze(Profile& p, TimeRuleOptions options = {}) {
  return testing::AnalyzeTimed(p, options);
}

TEST(TimeFeaturesTest, JudgeEnrichmentIsThePrePauseJudge) {
  for (int64_t n : {0, 9, 10, 50, 400}) {
    for (int64_t k : {0, 3, 10, 40}) {
      if (k > n) continue;
      for (double e : {0.0, 0.05, 0.3, 0.7, 0.97}) {
        const EnrichmentTest p = JudgePrePause(n, k, e, 1.5);
        const EnrichmentTest q = JudgeEnrichment(n, k, e, 1.5, {});
        EXPECT_EQ(p.verdict, q.verdict);
        EXPECT_EQ(p.cause, q.cause);
        EXPECT_EQ(p.reason, q.reason);
        EXPECT_EQ(p.p_value, q.p_value);
      }
    }
  }
  const EnrichmentTest t = JudgeEnrichment(
      100, 100, 0.8, 1.5,
      EnrichmentWording{.region = "the mark phases", .cover_cause = "mark-phases-cover-timeline"});
  EXPECT_EQ(t.cause, "mark-phases-cover-timeline");
  EXPECT_NE(t.reason.find("the mark phases cover 80.0 %"), std::string::npos) << t.reason;
}

TEST(TimeFeaturesTest, IntervalCoverIsTheMeasureOfTheUnion) {
  std::mt19937 rng(17);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<int64_t, int64_t>> iv;
    const int count = static_cast<int>(rng() % 8);
    for (int k = 0; k < count; ++k) {
      const int64_t lo = static_cast<int64_t>(rng() % 120) - 10;
      iv.emplace_back(lo, lo + static_cast<int64_t>(rng() % 30));
    }
    if (round % 5 == 0) iv.emplace_back(kNoTime, 3);
    if (round % 7 == 0) iv.emplace_back(90, kNoTime);
    // Unit cells [x, x + 1) of [0, 100] inside some interval.
    int64_t cells = 0;
    for (int64_t x = 0; x < 100; ++x) {
      for (const auto& [lo, hi] : iv) {
        const int64_t l = lo == kNoTime ? 0 : lo, h = hi == kNoTime ? 100 : hi;
        if (l <= x && x + 1 <= h) {
          ++cells;
          break;
        }
      }
    }
    EXPECT_EQ(IntervalCover(iv, 0, 100), static_cast<uint64_t>(cells)) << round;
  }
  EXPECT_EQ(IntervalCover({{5, 3}}, 0, 10), 0u);
  EXPECT_EQ(IntervalCover({{0, 10}}, 10, 5), 0u);
}

TEST(TimeFeaturesTest, MarkOverlapOnSyntheticCycles) {
  std::mt19937 rng(3);
  TimedProfile t;
  std::vector<int64_t> grow_ms;
  for (int k = 0; k < 300; ++k) {
    const int64_t ms = static_cast<int64_t>(rng() % 1000);
    grow_ms.push_back(ms);
    t.Add(kGrow, ms);
  }
  const size_t assign = t.Add(kAssign, 150);  // inside a phase but not grow-spike
  t.Add(kAssign, 0);
  t.Add(kAssign, 1000);
  // Mark phases: one begun before the trace, a few inside, one unfinished.
  std::vector<GcCycle> cycles = {{1, kNoTime, 20 * kMs},
                                 {2, 140 * kMs, 180 * kMs},
                                 {3, 170 * kMs, 200 * kMs},
                                 {4, 500 * kMs, 510 * kMs},
                                 {5, 990 * kMs, kNoTime}};
  t.sp.profile.timeline.gc_cycles = cycles;
  Profile& p = t.sp.profile;
  TimeRuleOptions no_churn;  // every sample is on goroutine 1: map churn otherwise
  no_churn.churn.run_length = 1 << 30;
  const TimeAnalysis a = Analyze(p, no_churn);
  ASSERT_TRUE(a.applicable);
  int64_t inside = 0;
  for (int64_t ms : grow_ms) {
    bool in = false;
    for (const GcCycle& c : cycles) {
      const int64_t lo = c.start_ns == kNoTime ? 0 : c.start_ns / kMs;
      const int64_t hi = c.end_ns == kNoTime ? 1000 : c.end_ns / kMs;
      in = in || (lo <= ms && ms <= hi);
    }
    inside += in;
  }
  const EnrichmentTest& m = a.mark_overlap_test;
  EXPECT_EQ(m.samples, 300);
  EXPECT_EQ(m.hits, inside);
  EXPECT_EQ(a.mark_cover_ns, static_cast<uint64_t>((20 + 60 + 10 + 10) * kMs));
  EXPECT_DOUBLE_EQ(m.expected, 0.1);
  EXPECT_DOUBLE_EQ(m.p_value, BinomialUpperTail(300, inside, 0.1));
  EXPECT_EQ(m.verdict, Verdict::kNormal);  // uniform: no enrichment
  // Labels: exactly the grow samples inside a phase, after the stack rules' names.
  int64_t labelled = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const auto v = p.StrLabel(p.samples[i], "gcspike");
    if (v && v->ends_with("+mark-overlap")) ++labelled;
  }
  EXPECT_EQ(labelled, inside);
  EXPECT_FALSE(p.StrLabel(p.samples[assign], "gcspike").has_value());
  const std::string report = RenderTimeReport(p, a);
  EXPECT_NE(report.find("mark-overlap: " + std::to_string(inside) + " of 300 grow-spike samples"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("the mark phases cover 10.0 % of the timeline"), std::string::npos)
      << report;

  // Grow samples crowded into the phases: a spike.
  TimedProfile c;
  for (int k = 0; k < 40; ++k) c.Add(kGrow, 141 + k);
  for (int k = 0; k < 10; ++k) c.Add(kGrow, 300 + 50 * k);
  c.Add(kAssign, 0);
  c.Add(kAssign, 1000);
  c.sp.profile.timeline.gc_cycles = cycles;
  const TimeAnalysis ca = Analyze(c.sp.profile);
  EXPECT_EQ(ca.mark_overlap_test.hits, 40 + 1);  // and the sample at 500
  EXPECT_EQ(ca.mark_overlap_test.verdict, Verdict::kSpike);
  TimeRuleOptions strict;
  strict.mark_overlap_min_ratio = 9;  // 41/50 over 0.1 is 8.2, [69.2-90.2 %]: 90 % inside
  EXPECT_EQ(Analyze(c.sp.profile, strict).mark_overlap_test.verdict, Verdict::kInconclusive);
  strict.mark_overlap_min_ratio = 9.1;  // 91 %: above the interval
  EXPECT_EQ(Analyze(c.sp.profile, strict).mark_overlap_test.verdict, Verdict::kNormal);
}

TEST(TimeFeaturesTest, PrePauseThenMarkOverlapInTheLabel) {
  TimedProfile t;
  const size_t both = t.Add(kGrow, 160);
  const size_t only_mark = t.Add(kGrow, 100);
  t.sp.profile.timeline.pauses.push_back(StwPause{0, 200 * kMs, 201 * kMs});
  t.sp.profile.timeline.gc_cycles.push_back(GcCycle{1, 90 * kMs, 205 * kMs});
  Profile& p = t.sp.profile;
  Analyze(p);
  EXPECT_EQ(p.StrLabel(p.samples[both], "gcspike"), "grow-spike+key-copy+pre-pause+mark-overlap");
  EXPECT_EQ(p.StrLabel(p.samples[only_mark], "gcspike"), "grow-spike+key-copy+mark-overlap");
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(TimeFeaturesTest, AssignRateCountsMapInsertsInTenMsWindows) {
  std::mt19937 rng(10);
  TimedProfile t;
  const std::vector<const char*> stacks = {kGrow, kAssign, "main.work",
                                           "main.fill > runtime.mallocgc"};
  std::vector<std::pair<int64_t, bool>> samples;  // time in ns, has a map-assign frame
  for (int k = 0; k < 400; ++k) {
    const int64_t ms = 5 + static_cast<int64_t>(rng() % 200);
    const int which = static_cast<int>(rng() % stacks.size());
    t.Add(stacks[static_cast<size_t>(which)], ms);
    samples.emplace_back(ms * kMs, which < 2);
  }
  t.sp.profile.timeline.pauses.push_back(StwPause{0, 100 * kMs, 101 * kMs});
  const TimeAnalysis a = Analyze(t.sp.profile);
  int64_t first = samples[0].first, last = samples[0].first;
  for (const auto& [ns, assign] : samples) {
    first = std::min(first, ns);
    last = std::max(last, ns);
  }
  EXPECT_EQ(a.span_start_ns, first);
  std::vector<int64_t> want(static_cast<size_t>((last - first) / (10 * kMs)) + 1, 0);
  int64_t total = 0;
  for (const auto& [ns, assign] : samples) {
    if (!assign) continue;
    ++total;
    // Window by repeated subtraction: no division shared with the code under test.
    size_t w = 0;
    for (int64_t x = ns - first; x >= 10 * kMs; x -= 10 * kMs) ++w;
    ++want[w];
  }
  EXPECT_EQ(a.assign_counts, want);
  int64_t sum = 0;
  for (int64_t c : a.assign_counts) sum += c;
  EXPECT_EQ(sum, total);
  std::string json = "{\"x\":0";
  AppendTimeJson(json, t.sp.profile, a);
  EXPECT_NE(json.find("\"assign_rate\":{\"window_ns\":10000000,\"start_ns\":" +
                      std::to_string(first) + ",\"counts\":["),
            std::string::npos)
      << json;
}

TEST(TimeFeaturesTest, ClusterTableWithDurationAndBeforePause) {
  TimedProfile t;
  // (Times in the table count from the first sample, at 100 ms.) Cluster 1 at 100..110 ends 40 ms
  // before the pause at 150: before it. Cluster 2 at 300..304 ends 96 ms before the pause at 400:
  // not. Cluster 3 at 500..502: no pause after.
  for (int64_t ms : {100, 105, 110, 300, 302, 304, 500, 501, 502}) t.Add(kGrow, ms);
  t.sp.profile.timeline.pauses.push_back(StwPause{0, 150 * kMs, 151 * kMs});
  t.sp.profile.timeline.pauses.push_back(StwPause{0, 400 * kMs, 401 * kMs});
  const TimeAnalysis a = Analyze(t.sp.profile);
  ASSERT_EQ(a.clusters.size(), 3u);
  EXPECT_TRUE(a.clusters[0].before_pause);
  EXPECT_FALSE(a.clusters[1].before_pause);
  EXPECT_FALSE(a.clusters[2].before_pause);
  std::string json = "{\"x\":0";
  AppendTimeJson(json, t.sp.profile, a);
  EXPECT_NE(json.find("{\"id\":1,\"start_ns\":100000000,\"end_ns\":110000000,\"samples\":3,"
                      "\"duration_ns\":10000000,\"grow_samples\":3,\"before_pause\":true}"),
            std::string::npos)
      << json;
  const std::string report = RenderTimeReport(t.sp.profile, a);
  EXPECT_NE(report.find("    cluster  start ms  duration ms  grow samples  before pause\n"
                        "          1       0.0       10.000             3  yes\n"
                        "          2     200.0        4.000             3  no\n"),
            std::string::npos)
      << report;
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(TimeFeaturesTest, HeapStepsOnSyntheticSeries) {
  // 100 MB, slow growth of 1 % per 5 ms (no step), then +6 MB in 2 ms at 50 ms (a step), a GC
  // drop at 80 ms (no step), +22 % over 150 ms (1.5 % per 10 ms) from 100 ms, and a step at
  // 405 ms.
  constexpr uint64_t kMB = 1'000'000;
  std::vector<HeapPoint> h;
  uint64_t b = 100 * kMB;
  for (int64_t ms = 0; ms <= 45; ms += 5) {
    h.push_back({ms * kMs, b});
    b += kMB;
  }
  h.push_back({48 * kMs, b});
  h.push_back({50 * kMs, b + 7 * kMB});  // +7 MB over 48 ms's 110 MB: 6.4 %
  h.push_back({80 * kMs, 50 * kMB});
  for (int64_t k = 0; k <= 15; ++k) h.push_back({(100 + 10 * k) * kMs, 50 * kMB + k * 750'000});
  h.push_back({400 * kMs, 60 * kMB});
  h.push_back({405 * kMs, 64 * kMB});
  const std::vector<HeapStep> steps = FindHeapSteps(h, 0.05, 10 * kMs);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].start_ns, 40 * kMs);  // the first point with a rise: 108 MB to 117 MB
  EXPECT_EQ(steps[0].from_bytes, 108 * kMB);
  EXPECT_EQ(steps[0].end_ns, 50 * kMs);
  EXPECT_EQ(steps[0].to_bytes, b + 7 * kMB);
  EXPECT_EQ(steps[1].start_ns, 400 * kMs);
  EXPECT_EQ(steps[1].end_ns, 405 * kMs);

  // Random series against a direct search: every step's end is above its start by more than
  // the share, within the time, and no point before the step's end (from the last step's end
  // on) starts an earlier qualifying rise.
  std::mt19937 rng(5);
  for (int round = 0; round < 30; ++round) {
    std::vector<HeapPoint> r;
    int64_t ts = 0;
    uint64_t bytes = 1000;
    for (int k = 0; k < 60; ++k) {
      ts += 1 + static_cast<int64_t>(rng() % 4) * kMs;
      bytes = std::max<uint64_t>(100, bytes + (rng() % 120) - 50);
      r.push_back({ts, bytes});
    }
    const std::vector<HeapStep> got = FindHeapSteps(r, 0.05, 10 * kMs);
    size_t from = 0;
    std::vector<std::pair<int64_t, int64_t>> want;
    while (from < r.size()) {
      // The earliest end over all starts is not the rule: the first start that has a rise
      // wins, and its first qualifying end.
      std::optional<size_t> end;
      for (size_t j = from + 1; j < r.size(); ++j) {
        if (r[j].ts_ns - r[from].ts_ns > 10 * kMs) break;
        if (r[j].bytes * 100 > r[from].bytes * 105) {
          end = j;
          break;
        }
      }
      if (end) {
        want.emplace_back(r[from].ts_ns, r[*end].ts_ns);
        from = *end;
      } else {
        ++from;
      }
    }
    ASSERT_EQ(got.size(), want.size()) << round;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].start_ns, want[k].first);
      EXPECT_EQ(got[k].end_ns, want[k].second);
    }
  }
}

// The rule of FindHeapSteps written as the plain double loop (quadratic when many points share
// a window): the reference the fast version must match step for step.
std::vector<HeapStep> BruteForceHeapSteps(const std::vector<HeapPoint>& p, double share,
                                          int64_t within_ns) {
  std::vector<HeapStep> steps;
  for (size_t i = 0; i < p.size();) {
    const double bar = static_cast<double>(p[i].bytes) * (1 + share);
    size_t next = i + 1;
    for (size_t j = i + 1; j < p.size() && p[j].ts_ns - p[i].ts_ns <= within_ns; ++j) {
      if (static_cast<double>(p[j].bytes) > bar) {
        steps.push_back({.start_ns = p[i].ts_ns,
                         .end_ns = p[j].ts_ns,
                         .from_bytes = p[i].bytes,
                         .to_bytes = p[j].bytes});
        next = j;
        break;
      }
    }
    i = next;
  }
  return steps;
}

TEST(TimeFeaturesTest, HeapStepsMatchBruteForceOnDenseRandomSeries) {
  // Dense series (many points per window, equal times, plateaus, drops) with several shares
  // and windows, including points exactly at the window's edge and rises exactly at the bar.
  std::mt19937_64 rng(17);
  size_t total = 0;
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + rng() % 2000;
    const int64_t within = static_cast<int64_t>(1 + rng() % 20) * kMs / 4;
    const double share = std::array{0.0001, 0.01, 0.05, 0.25}[rng() % 4];
    std::vector<HeapPoint> r;
    int64_t ts = static_cast<int64_t>(rng() % 1000);
    uint64_t bytes = 1'000'000;
    for (size_t k = 0; k < n; ++k) {
      ts += static_cast<int64_t>(rng() % 3 == 0 ? 0 : rng() % (kMs / 2));
      if (rng() % 10 == 0) ts += within;  // a point at the edge of the previous one's window
      const uint64_t kind = rng() % 8;
      if (kind == 0) {
        bytes = bytes / 2 + 1;  // a GC drop
      } else if (kind == 1) {
        bytes += bytes / 20;  // exactly +5 %
      } else if (kind < 5) {
        bytes += rng() % (bytes / 50 + 1);  // slow growth
      }
      r.push_back({ts, bytes});
    }
    const std::vector<HeapStep> want = BruteForceHeapSteps(r, share, within);
    const std::vector<HeapStep> got = FindHeapSteps(r, share, within);
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    total += got.size();
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].start_ns, want[k].start_ns) << round << " step " << k;
      ASSERT_EQ(got[k].end_ns, want[k].end_ns) << round << " step " << k;
      ASSERT_EQ(got[k].from_bytes, want[k].from_bytes) << round << " step " << k;
      ASSERT_EQ(got[k].to_bytes, want[k].to_bytes) << round << " step " << k;
    }
  }
  EXPECT_GT(total, 5000u);  // the series do have steps, of every share
  EXPECT_TRUE(FindHeapSteps({}, 0.05, 10 * kMs).empty());
}

TEST(TimeFeaturesTest, HeapStepsNearClustersAgainstChance) {
  TimedProfile t;
  // Clusters at 100..104 and 600..604 ms; samples span 0..1000 ms.
  for (int64_t ms : {100, 102, 104, 600, 602, 604}) t.Add(kGrow, ms);
  t.Add(kAssign, 0);
  t.Add(kAssign, 1000);
  // Heap steps: at 103 (inside cluster 1), 108 (4 ms after it), 300 (far), 595 (5 ms before
  // cluster 2).
  std::vector<HeapPoint>& h = t.sp.profile.timeline.heap_alloc;
  for (int64_t ms : {101, 106, 298, 594}) {
    h.push_back({ms * kMs, 1000});
    h.push_back({(ms + 2) * kMs, 1100});
    h.push_back({(ms + 3) * kMs, 1000});
  }
  const TimeAnalysis a = Analyze(t.sp.profile);
  ASSERT_EQ(a.clusters.size(), 2u);
  ASSERT_EQ(a.heap_steps.size(), 4u);
  EXPECT_EQ(a.heap_steps[0].cluster, 1);
  EXPECT_EQ(a.heap_steps[0].offset_ns, 0);
  EXPECT_EQ(a.heap_steps[1].offset_ns, 4 * kMs);
  EXPECT_TRUE(a.heap_steps[1].near_cluster);
  EXPECT_EQ(a.heap_steps[2].cluster, 1);
  EXPECT_EQ(a.heap_steps[2].offset_ns, 196 * kMs);
  EXPECT_FALSE(a.heap_steps[2].near_cluster);
  EXPECT_EQ(a.heap_steps[3].cluster, 2);
  EXPECT_EQ(a.heap_steps[3].offset_ns, -4 * kMs);
  EXPECT_EQ(a.heap_step_test.samples, 4);
  EXPECT_EQ(a.heap_step_test.hits, 3);
  // Within 5 ms of a cluster: 95..109 and 595..609, 28 ms of 1000.
  EXPECT_EQ(a.cluster_cover_ns, static_cast<uint64_t>(28 * kMs));
  EXPECT_DOUBLE_EQ(a.heap_step_test.expected, 0.028);
  EXPECT_EQ(a.heap_step_test.verdict, Verdict::kInconclusive);  // 4 steps are too few
  EXPECT_EQ(a.heap_step_test.cause, "too-few-samples");
  std::string json = "{\"x\":0";
  AppendTimeJson(json, t.sp.profile, a);
  EXPECT_NE(json.find("\"heap_steps\":[{\"start_ns\":101000000,\"end_ns\":103000000,"
                      "\"from_bytes\":1000,\"to_bytes\":1100,\"cluster\":1,\"offset_ns\":0,"
                      "\"near_cluster\":true}"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(TimeFeaturesTest, SpearmanAgainstTheDirectFormula) {
  // Without ties rho = 1 - 6 sum d^2 / (n (n^2 - 1)).
  const std::vector<double> x = {3, 1, 4, 15, 9, 2, 6, 5};
  const std::vector<double> y = {2, 7, 1, 8, 28, 18, 4, 5};
  const std::vector<double> rx = {3, 1, 4, 8, 7, 2, 6, 5};  // ranks by hand
  const std::vector<double> ry = {2, 5, 1, 6, 8, 7, 3, 4};
  double d2 = 0;
  for (size_t i = 0; i < x.size(); ++i) d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
  const double n = 8;
  EXPECT_NEAR(SpearmanRho(x, y), 1 - 6 * d2 / (n * (n * n - 1)), 1e-12);
  EXPECT_NEAR(SpearmanRho(x, x), 1, 1e-12);
  // Ties: average ranks, then Pearson's formula on them (1, 2.5, 2.5, 4 against 1, 2, 3, 4).
  EXPECT_NEAR(SpearmanRho({1, 2, 2, 3}, {10, 20, 30, 40}), 4.5 / std::sqrt(4.5 * 5), 1e-12);
  EXPECT_TRUE(std::isnan(SpearmanRho({1, 1, 1}, {1, 2, 3})));

  // The permutation p-value against the exact one: all 8! orders of y.
  std::vector<double> perm = y;
  std::sort(perm.begin(), perm.end());
  const double rho = SpearmanRho(x, y);
  int64_t at_least = 0, total = 0;
  do {
    at_least += SpearmanRho(x, perm) >= rho - 1e-12;
    ++total;
  } while (std::next_permutation(perm.begin(), perm.end()));
  const double exact = static_cast<double>(at_least) / static_cast<double>(total);
  const double p = SpearmanPermutationP(x, y, 20000);
  EXPECT_NEAR(p, exact, 4 * std::sqrt(exact * (1 - exact) / 20000) + 1e-4) << exact;
  EXPECT_EQ(p, SpearmanPermutationP(x, y, 20000));  // fixed seed
}

TEST(TimeFeaturesTest, MarkTerminationVerdicts) {
  std::vector<MarkTerminationCycle> c;
  for (int64_t k = 0; k < 12; ++k) c.push_back({k + 1, k, 100'000 + 50'000 * k});
  MarkTerminationTest t = JudgeMarkTermination(c, 1.5);
  EXPECT_NEAR(t.rho, 1, 1e-12);
  EXPECT_LT(t.p_value, 0.001);
  // Quartiles of 3: pauses 100, 150, 200 us against 550, 600, 650 us.
  EXPECT_DOUBLE_EQ(t.ratio, 600'000.0 / 150'000.0);
  EXPECT_EQ(t.verdict, Verdict::kSpike);
  c.resize(7);
  t = JudgeMarkTermination(c, 1.5);
  EXPECT_EQ(t.verdict, Verdict::kInconclusive);
  EXPECT_EQ(t.cause, "too-few-cycles");
  for (auto& m : c) m.grow_samples = 0;
  c.push_back({8, 0, 1});
  t = JudgeMarkTermination(c, 1.5);
  EXPECT_EQ(t.cause, "no-variation");
  EXPECT_TRUE(std::isnan(t.ratio));  // no quartiles by grow samples when all are equal
}

TEST(TimeFeaturesTest, MarkTerminationCyclesFromTheTimeline) {
  TimedProfile t;
  Profile& p = t.sp.profile;
  const StrId mark_term = p.Intern("GC mark termination");
  // Ten cycles of 10 ms every 50 ms from 100 ms; cycle k has k grow samples and a pause of
  // (k + 1) * 10 us at its end.
  for (int64_t k = 0; k < 10; ++k) {
    const int64_t start = 100 + 50 * k;
    p.timeline.gc_cycles.push_back(GcCycle{k + 1, start * kMs, (start + 10) * kMs});
    p.timeline.pauses.push_back(StwPause{mark_term, (start + 10) * kMs - 20'000,
                                         (start + 10) * kMs - 20'000 + (k + 1) * 10'000});
    for (int64_t s = 0; s < k; ++s) t.Add(kGrow, start + 1 + s % 9);
  }
  t.Add(kAssign, 0);
  t.Add(kAssign, 1000);
  const TimeAnalysis a = Analyze(p);
  ASSERT_EQ(a.mark_termination_cycles.size(), 10u);
  for (int64_t k = 0; k < 10; ++k) {
    EXPECT_EQ(a.mark_termination_cycles[static_cast<size_t>(k)].grow_samples, k);
    EXPECT_EQ(a.mark_termination_cycles[static_cast<size_t>(k)].pause_ns, (k + 1) * 10'000);
  }
  EXPECT_NEAR(a.mark_termination_test.rho, 1, 1e-12);
  EXPECT_EQ(a.mark_termination_test.verdict, Verdict::kSpike);
  std::string json = "{\"x\":0";
  AppendPrePauseFeatureJson(json, a);
  EXPECT_NE(json.find("\"mark-termination\":{\"rho\":1"), std::string::npos) << json;
}

}  // namespace
}  // namespace gcspike
