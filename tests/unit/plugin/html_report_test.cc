// The data the HTML report's page gets: the flame graph's aggregation (totals, feature counts,
// folding of small frames into "(other)", each sample's node), the binning of the heap series
// and the merging of assist intervals, and the page's self-containment.
#include "plugin/html_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "tests/unit/plugin/hand_built_profile.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

// The node with this name under `parent`, or -1.
int32_t Child(const FlameModel& m, int32_t parent, const std::string& name) {
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (m.nodes[i].parent == parent && m.names[m.nodes[i].name] == name) {
      return static_cast<int32_t>(i);
    }
  }
  return -1;
}

TEST(FlameModelTest, TotalsAndFeatureCountsFollowTheLabels) {
  HandBuiltProfile h;
  const uint64_t main_loc = h.Loc({"main.main"});
  const uint64_t assign = h.Loc({"runtime.mapassign_faststr"});
  const uint64_t grow = h.Loc({"runtime.hashGrow"});
  const uint64_t evac = h.Loc({"runtime.evacuate"});
  Profile& p = h.profile();
  for (int i = 0; i < 3; ++i) {
    p.SetStrLabel(h.Add({grow, assign, main_loc}, 10), "gcspike", "grow-spike");
  }
  p.SetStrLabel(h.Add({evac, assign, main_loc}, 10), "gcspike", "grow-spike+key-copy");
  h.Add({main_loc}, 10);
  Sample& twice = h.Add({main_loc}, 20);
  twice.values[0] = 2;  // one row standing for two samples

  const FlameModel m = BuildFlameModel(p, 0);
  EXPECT_EQ(m.nodes[0].total, 7);
  EXPECT_EQ(m.nodes[0].features[0], 4);                  // grow-spike
  EXPECT_EQ(m.nodes[0].features[1], 1);                  // key-copy
  EXPECT_EQ(m.nodes[0].features[kFlameClasses - 1], 3);  // none
  const int32_t mn = Child(m, 0, "main.main");
  const int32_t as = Child(m, mn, "runtime.mapassign_faststr");
  ASSERT_GE(as, 0);
  EXPECT_EQ(m.nodes[mn].total, 7);
  EXPECT_EQ(m.nodes[as].total, 4);
  EXPECT_EQ(m.nodes[Child(m, as, "runtime.hashGrow")].total, 3);
  EXPECT_EQ(m.nodes[Child(m, as, "runtime.evacuate")].features[1], 1);
  EXPECT_EQ(m.files[m.nodes[as].file], "main.go");
  EXPECT_EQ(m.merged_frames, 0);
  // Every sample's node is its leaf frame.
  EXPECT_EQ(m.sample_node[0], Child(m, as, "runtime.hashGrow"));
  EXPECT_EQ(m.sample_node[4], mn);
}

TEST(FlameModelTest, SmallFramesFoldIntoOtherWithTheirSubtrees) {
  HandBuiltProfile h;
  const uint64_t root = h.Loc({"main.main"});
  const uint64_t big = h.Loc({"main.big"});
  const uint64_t small_a = h.Loc({"main.smallA"});
  const uint64_t small_b = h.Loc({"main.smallB"});
  const uint64_t below = h.Loc({"main.below"});
  for (int i = 0; i < 996; ++i) h.Add({big, root}, 1);
  h.Add({small_a, root}, 1);
  h.Add({below, small_a, root}, 1);
  h.Add({small_b, root}, 1);
  h.Add({below, small_b, root}, 1);
  // Cut at 0.3 %: each small frame has 2 of 1000 samples.
  const FlameModel m = BuildFlameModel(h.profile(), 0.003);
  const int32_t mn = Child(m, 0, "main.main");
  EXPECT_EQ(Child(m, mn, "main.smallA"), -1);
  const int32_t other = Child(m, mn, "(other)");
  ASSERT_GE(other, 0);
  EXPECT_EQ(m.nodes[other].total, 4);
  EXPECT_EQ(m.merged_frames, 2);  // smallA and smallB (their callees go with them)
  EXPECT_EQ(m.nodes[0].total, 1000);
  // The samples in folded frames point at "(other)", so a brush still counts them.
  for (size_t i = 996; i < 1000; ++i) EXPECT_EQ(m.sample_node[i], other);
  // Totals stay consistent: a node's total is at least the sum of its children's.
  std::vector<double> sum(m.nodes.size(), 0);
  for (size_t i = 1; i < m.nodes.size(); ++i) sum[m.nodes[i].parent] += m.nodes[i].total;
  for (size_t i = 0; i < m.nodes.size(); ++i) EXPECT_LE(sum[i], m.nodes[i].total);
}

TEST(HtmlBinningTest, BinMaxKeepsTheLargestValuePerColumn) {
  const std::vector<HeapPoint> points = {{0, 5}, {4, 9}, {5, 1}, {10, 7}, {19, 3}, {20, 100}};
  const auto bins = BinMax(points, 0, 20, 4);  // columns of 5 ns; 20 is outside [0, 20)
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_EQ(bins[0], (std::pair<int64_t, uint64_t>{0, 9}));
  EXPECT_EQ(bins[1], (std::pair<int64_t, uint64_t>{5, 1}));
  EXPECT_EQ(bins[2], (std::pair<int64_t, uint64_t>{10, 7}));
  EXPECT_EQ(bins[3], (std::pair<int64_t, uint64_t>{15, 3}));
  EXPECT_EQ(BinMax({{0, 1}, {9, 2}}, 0, 20, 4).size(), 2u);  // empty columns left out
  EXPECT_TRUE(BinMax(points, 0, 0, 4).empty());
}

TEST(HtmlBinningTest, MergeIntervalsClosesSmallGaps) {
  const auto merged = MergeIntervals({{50, 60}, {0, 10}, {12, 20}, {19, 30}, {100, 101}}, 3);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0], (std::pair<int64_t, int64_t>{0, 30}));
  EXPECT_EQ(merged[1], (std::pair<int64_t, int64_t>{50, 60}));
  EXPECT_EQ(merged[2], (std::pair<int64_t, int64_t>{100, 101}));
}

TEST(HtmlTimelineTest, RowsAreCappedAndTimesRelative) {
  HandBuiltProfile h;
  Profile& p = h.profile();
  // Goroutine g assists for g * 10 ns, twice: 1..5 are the busiest in reverse order.
  for (int64_t g = 1; g <= 5; ++g) {
    for (int k = 0; k < 2; ++k) {
      AssistInterval iv;
      iv.goroutine = g;
      iv.start_ns = 1000 + 300 * k;
      iv.end_ns = iv.start_ns + g * 5;
      p.timeline.assists.push_back(iv);
    }
  }
  for (int64_t t = 1000; t < 2000; t += 10) p.timeline.heap_alloc.push_back({t, uint64_t(t)});
  TimeAnalysis a;
  a.applicable = true;
  a.origin_ns = 1000;
  a.span_start_ns = 1000;
  a.span_end_ns = 2000;
  a.grow_times = {1000, 1500, 1999};
  a.pause_starts = {1500};
  a.options.pre_pause_ns = 100;
  GcCycleReport c;
  c.seq = 4;
  c.start_ns = kNoTime;  // begun before the trace: drawn from 0
  c.end_ns = 1200;
  c.pauses.push_back({0, 1150, 30});
  a.cycles.push_back(c);
  HtmlReportOptions o;
  o.assist_rows = 2;
  o.timeline_bins = 10;
  o.grow_histogram_bins = 4;
  const std::string j = BuildTimelineJson(p, a, o);
  EXPECT_NE(j.find("\"origin_ns\":\"1000\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"gc\":[[0,200,4]]"), std::string::npos) << j;
  EXPECT_NE(j.find("\"stw\":[[150,30,\"pause\"]]"), std::string::npos) << j;
  // Two rows for the busiest (g5, g4) and one for the other three, whose intervals at the same
  // times merge; intervals a column (100 ns) or more apart stay apart.
  EXPECT_NE(j.find("{\"label\":\"g5\",\"assists\":2,\"iv\":[[0,25],[300,325]]}"), std::string::npos)
      << j;
  EXPECT_NE(j.find("{\"label\":\"g4\",\"assists\":2,"), std::string::npos);
  EXPECT_NE(j.find("{\"label\":\"3 more goroutines\",\"assists\":6,\"iv\":[[0,15],[300,315]]}"),
            std::string::npos);
  EXPECT_NE(j.find("\"assist_goroutines\":5"), std::string::npos);
  // Heap: 100 points binned into 10 columns.
  const size_t heap = j.find("\"heap\":[");
  const size_t goal = j.find("\"goal\":");
  ASSERT_NE(heap, std::string::npos);
  EXPECT_EQ(std::count(j.begin() + heap, j.begin() + goal, '[') - 1, 10);
  // Relative times 0, 500, 999 of 1001 ns in 4 bins.
  EXPECT_NE(j.find("\"grow_hist\":[1,1,0,1]"), std::string::npos) << j;
  EXPECT_NE(j.find("\"pre_pause\":[[400,500]]"), std::string::npos) << j;
  EXPECT_EQ(BuildTimelineJson(p, TimeAnalysis{}, o), "null");
}

TEST(HtmlReportTest, PageIsSelfContainedAndEscapesTheData) {
  HandBuiltProfile h;
  const uint64_t evil = h.Loc({"main.</script><script>alert(1)</script>"});
  h.Add({evil}, 1);
  DetectionSummary s;
  s.input = "a<b>.pprof";
  const std::string page = RenderReportHtml(h.profile(), s, TimeAnalysis{}, "{\"samples\":1}\n");
  EXPECT_EQ(page.find("alert(1)</script>"), std::string::npos);
  EXPECT_NE(page.find("\\u003c/script>"), std::string::npos);
  EXPECT_NE(page.find("<title>gcspike: a&lt;b&gt;.pprof</title>"), std::string::npos);
  EXPECT_EQ(page.find("GCSPIKE_"), std::string::npos);  // every placeholder filled
  // Nothing to fetch: no external script, style, image or font.
  for (const char* ref : {"src=\"http", "href=\"http", "url(http", "@import", "src=\"//"}) {
    EXPECT_EQ(page.find(ref), std::string::npos) << ref;
  }
  EXPECT_NE(page.find("\"timeline\":null"), std::string::npos);
  EXPECT_NE(page.find("\"samples\":null"), std::string::npos);
}

}  // namespace
}  // namespace gcspike
