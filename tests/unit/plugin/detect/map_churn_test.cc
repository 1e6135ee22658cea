// map-churn (map_churn.h): runs of map-insert samples of one goroutine with no blocking
// between them, against a brute-force search in the test; labels, verdicts and the JSON.
#include "plugin/detect/map_churn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/unit/plugin/detect/timed_profile.h"

namespace gcspike {
namespace {

using testing::kMs;
using testing::TimedProfile;
constexpr const char* kAssign = "main.fill > runtime.mapassign_faststr";
constexpr const char* kWork = "main.fill > main.work";

TimeAnalysis Analyze(Profile& p, TimeRuleOptions options = {}) {
  return testing::AnalyzeTimed(p, options);
}

TEST(MapChurnTest, RunsEndAtBlockingAndAtOtherWork) {
  TimedProfile t;
  // Goroutine 1: four inserts, a block at 35 ms, three inserts, other work, two inserts.
  std::vector<size_t> g1;
  for (int64_t ms : {10, 20, 30, 33}) g1.push_back(t.Add(kAssign, ms, 1));
  t.Block(1, 35);
  for (int64_t ms : {40, 50, 60}) g1.push_back(t.Add(kAssign, ms, 1));
  const size_t work = t.Add(kWork, 70, 1);
  const size_t short1 = t.Add(kAssign, 80, 1);
  const size_t short2 = t.Add(kAssign, 90, 1);
  // Goroutine 2 interleaved in time: its own run of three, unaffected by goroutine 1's block.
  std::vector<size_t> g2;
  for (int64_t ms : {31, 36, 39}) g2.push_back(t.Add(kAssign, ms, 2));
  // A block exactly at a sample's time separates it from the one before (t1 < b <= t2).
  const size_t a = t.Add(kAssign, 100, 3), b = t.Add(kAssign, 110, 3), c = t.Add(kAssign, 120, 3);
  t.Block(3, 110);
  Profile& p = t.sp.profile;
  const TimeAnalysis r = Analyze(p);
  ASSERT_TRUE(r.churn.applicable);
  for (size_t i : {g1[0], g1[1], g1[2], g1[3]}) EXPECT_EQ(r.churn.run[i], 4);
  for (size_t i : {g1[4], g1[5], g1[6]}) EXPECT_EQ(r.churn.run[i], 3);
  for (size_t i : g2) EXPECT_EQ(r.churn.run[i], 3);
  for (size_t i : {work, short1, short2, a, b, c}) EXPECT_EQ(r.churn.run[i], 0) << i;
  EXPECT_EQ(r.churn.churn_samples, 10);
  EXPECT_EQ(r.churn.runs, 3);
  EXPECT_EQ(r.churn.samples, static_cast<int64_t>(p.samples.size()));
  ASSERT_FALSE(r.churn.longest.empty());
  EXPECT_EQ(r.churn.longest[0].id, 1);
  EXPECT_EQ(r.churn.longest[0].longest_run, 4);
  EXPECT_EQ(r.churn.longest[0].runs, 2);
  EXPECT_EQ(r.churn.longest[0].start_ns, 10 * kMs);
  EXPECT_EQ(r.churn.longest[0].site, "main.fill");
  // Labels: map-churn alone (no stack feature) and gcspike_run with the run's length.
  EXPECT_EQ(p.StrLabel(p.samples[g1[0]], "gcspike"), "map-churn");
  EXPECT_EQ(p.NumLabel(p.samples[g1[0]], "gcspike_run"), 4);
  EXPECT_EQ(p.NumLabel(p.samples[g2[0]], "gcspike_run"), 3);
  EXPECT_FALSE(p.StrLabel(p.samples[short1], "gcspike").has_value());
  EXPECT_FALSE(p.NumLabel(p.samples[short1], "gcspike_run").has_value());

  // A longer minimum run leaves only goroutine 1's first run.
  TimeRuleOptions four;
  four.churn.run_length = 4;
  EXPECT_EQ(Analyze(p, four).churn.churn_samples, 4);
}

// FindChurnRuns against the definition applied by brute force to random samples.
TEST(MapChurnTest, FindChurnRunsMatchesBruteForce) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<ChurnPoint> points;
    std::vector<BlockingEvent> blocking;
    for (int i = 0; i < 200; ++i) {
      points.push_back({static_cast<int64_t>(rng() % 4) + 1, static_cast<int64_t>(rng() % 5000),
                        rng() % 5 != 0});
    }
    for (int i = 0; i < 30; ++i) {
      blocking.push_back({static_cast<int64_t>(rng() % 4) + 1, static_cast<int64_t>(rng() % 5000)});
    }
    std::sort(blocking.begin(), blocking.end(), [](const auto& x, const auto& y) {
      return x.goroutine != y.goroutine ? x.goroutine < y.goroutine : x.ts_ns < y.ts_ns;
    });
    const std::vector<int64_t> run = FindChurnRuns(points, blocking, 3);
    // Brute force: per goroutine in (time, index) order, extend while the next point inserts
    // and no block lies in (t_prev, t_next].
    std::vector<size_t> order(points.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return points[x].runner != points[y].runner ? points[x].runner < points[y].runner
                                                  : points[x].ts_ns < points[y].ts_ns;
    });
    std::vector<int64_t> want(points.size(), 0);
    for (size_t k = 0; k < order.size();) {
      if (!points[order[k]].map_insert) {
        ++k;
        continue;
      }
      size_t e = k + 1;
      while (e < order.size() && points[order[e]].runner == points[order[k]].runner &&
             points[order[e]].map_insert) {
        bool blocked = false;
        for (const BlockingEvent& b : blocking) {
          blocked = blocked ||
                    (b.goroutine == points[order[e]].runner &&
                     b.ts_ns > points[order[e - 1]].ts_ns && b.ts_ns <= points[order[e]].ts_ns);
        }
        if (blocked) break;
        ++e;
      }
      if (e - k >= 3) {
        for (size_t j = k; j < e; ++j) want[order[j]] = static_cast<int64_t>(e - k);
      }
      k = e;
    }
    ASSERT_EQ(run, want) << "round " << round;
  }
}

TEST(MapChurnTest, VerdictsFollowTheIntervalAndTheJsonSaysSo) {
  // 100 samples, all one run: spike. 100 samples, none in a run: normal.
  TimedProfile spike, normal;
  for (int i = 0; i < 100; ++i) {
    spike.Add(kAssign, i, 1);
    normal.Add(kAssign, i, 1);
    normal.Block(1, i);  // a block before every sample but the first
  }
  // A timeline with no blocking at all still is one (a heap point makes it non-empty).
  spike.sp.profile.timeline.heap_alloc.push_back({0, 1});
  const TimeAnalysis s = Analyze(spike.sp.profile);
  EXPECT_EQ(s.churn.verdict, Verdict::kSpike);
  const TimeAnalysis n = Analyze(normal.sp.profile);
  EXPECT_EQ(n.churn.verdict, Verdict::kNormal);
  EXPECT_EQ(n.churn.churn_samples, 0);
  // Too few samples: inconclusive whatever they show.
  TimedProfile few;
  for (int i = 0; i < 5; ++i) few.Add(kAssign, i, 1);
  few.sp.profile.timeline.heap_alloc.push_back({0, 1});
  const TimeAnalysis f = Analyze(few.sp.profile);
  EXPECT_EQ(f.churn.verdict, Verdict::kInconclusive);
  EXPECT_EQ(f.churn.cause, "too-few-samples");
  std::string json;
  AppendPrePauseFeatureJson(json, s);
  EXPECT_NE(json.find("\"map-churn\":{\"fraction\":1,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"map_churn_samples\":100,\"runs\":1,\"run_length\":3"), std::string::npos)
      << json;
  // No timeline: the no-timeline form, in the features' order.
  std::string none;
  AppendPrePauseFeatureJson(none, TimeAnalysis{});
  EXPECT_EQ(none.find(",\"map-churn\":{\"fraction\":null,\"samples\":0,\"verdict\":"
                      "\"inconclusive\",\"cause\":\"no-timeline\""),
            0u)
      << none;
}

}  // namespace
}  // namespace gcspike
