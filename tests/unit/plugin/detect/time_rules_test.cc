// Time rules on a small profile with a hand-made timeline: assist-coupling from assist
// intervals, pre-pause, one-dimensional DBSCAN clusters of grow-spike samples and the GC cycles'
// tallies. Pre-pause and clusters against chance: time_chance_test.cc; the JSON timeline:
// time_json_test.cc.
#include "plugin/detect/time_rules.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/detect/timed_profile.h"

// In the namespace of the helpers (timed_profile.h).
namespace gcspike::testing {
namespace {

TEST(TimeRulesTest, AssistCouplingFromTheGoroutinesAssistInterval) {
  TimedProfile t;
  const size_t inside = t.Add(kAssign, 105, 5);
  const size_t other_g = t.Add(kAssign, 105, 6);
  const size_t after = t.Add(kAssign, 120, 5);
  const size_t no_map = t.Add("main.work", 105, 5);
  t.sp.profile.timeline.assists.push_back(AssistInterval{5, 100 * kMs, 110 * kMs, {}});
  Profile& p = t.sp.profile;
  TimeAnalysis r = AnalyzeTimed(p);
  ASSERT_TRUE(r.applicable);
  EXPECT_EQ(r.assist_coupling_added, 1);
  EXPECT_EQ(r.samples_in_assist, 2);  // `inside` and `no_map`
  EXPECT_EQ(p.StrLabel(p.samples[inside], "gcspike"), "assist-coupling");
  EXPECT_EQ(p.StrLabel(p.samples[inside], "gcspike_site"), "main.fill");
  EXPECT_FALSE(p.StrLabel(p.samples[other_g], "gcspike").has_value());
  EXPECT_FALSE(p.StrLabel(p.samples[after], "gcspike").has_value());
  EXPECT_FALSE(p.StrLabel(p.samples[no_map], "gcspike").has_value());

  // An assist that began before the trace (no start) covers everything up to its end.
  TimedProfile t2;
  t2.Add(kAssign, 1, 5);
  t2.sp.profile.timeline.assists.push_back(AssistInterval{5, kNoTime, 2 * kMs, {}});
  EXPECT_EQ(AnalyzeTimed(t2.sp.profile).assist_coupling_added, 1);
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
  TimeAnalysis r = AnalyzeTimed(p);
  EXPECT_EQ(r.pre_pause_samples, 1);
  EXPECT_EQ(p.StrLabel(p.samples[before], "gcspike"), "grow-spike+key-copy+pre-pause");
  EXPECT_EQ(p.StrLabel(p.samples[too_early], "gcspike"), "grow-spike+key-copy");
  EXPECT_EQ(p.StrLabel(p.samples[later], "gcspike"), "grow-spike+key-copy");
  EXPECT_FALSE(p.StrLabel(p.samples[not_grow], "gcspike").has_value());

  TimedProfile t2;
  t2.Add(kGrow, 140, 1);
  t2.sp.profile.timeline.pauses.push_back(StwPause{0, 200 * kMs, 201 * kMs});
  TimeRuleOptions wide;
  wide.pre_pause_ns = 70 * kMs;
  EXPECT_EQ(AnalyzeTimed(t2.sp.profile, wide).pre_pause_samples, 1);
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
  TimeAnalysis r = AnalyzeTimed(p);
  const std::vector<int64_t> want = {1, 1, 1, 1, 0, 2, 2, 2};
  for (size_t k = 0; k < idx.size(); ++k) {
    EXPECT_EQ(p.NumLabel(p.samples[idx[k]], "gcspike_cluster").value_or(0), want[k]) << k;
  }
  EXPECT_FALSE(p.NumLabel(p.samples[assign_only], "gcspike_cluster").has_value());
  const Label* l = p.FindLabel(p.samples[idx[0]], p.strings.Find("gcspike_cluster"));
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(p.str(l->num_unit), "cluster");
  ASSERT_EQ(r.clusters.size(), 2u);
  EXPECT_EQ(r.clusters[0].samples, 4);
  EXPECT_EQ(r.clusters[0].start_ns, 1000 * kMs);
  EXPECT_EQ(r.clusters[0].end_ns, 1028 * kMs);
  EXPECT_EQ(r.clusters[1].samples, 3);

  TimeRuleOptions strict;
  strict.cluster_min_samples = 4;
  TimedProfile t2;
  for (int64_t ms : {1000, 1005, 1010}) t2.Add(kGrow, ms, 1);
  t2.sp.profile.timeline.gc_cycles.push_back(GcCycle{1, 1500 * kMs, 1510 * kMs});
  EXPECT_TRUE(AnalyzeTimed(t2.sp.profile, strict).clusters.empty());
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
  TimeAnalysis r = AnalyzeTimed(t.sp.profile);
  ASSERT_EQ(r.cycles.size(), 1u);
  const GcCycleReport& c = r.cycles[0];
  EXPECT_EQ(c.grow_samples_before, 1);
  EXPECT_EQ(c.assists, 2);
  EXPECT_EQ(c.assist_ns, 4 * kMs);
  ASSERT_EQ(c.pauses.size(), 1u);
  EXPECT_EQ(c.pauses[0].duration_ns, 1 * kMs);
  const std::string report = RenderTimeReport(t.sp.profile, r);
  EXPECT_NE(report.find("GC 1: "), std::string::npos) << report;
  EXPECT_NE(report.find("GC sweep termination 1.000 ms"), std::string::npos) << report;
}

// ReadMemStats and trace start stop the world too but end no GC cycle: they are listed apart,
// not as the next cycle's pauses (docs/formats/go-trace.md#stop-the-world-reasons).
TEST(TimeRulesTest, PausesThatEndNoCycleAreListedApart) {
  TimedProfile t;
  t.Add(kGrow, 960, 1);
  Timeline& tl = t.sp.profile.timeline;
  tl.gc_cycles.push_back(GcCycle{1, 1000 * kMs, 1050 * kMs});
  const StrId mem = t.sp.profile.Intern("ReadMemStats");
  const StrId start = t.sp.profile.Intern("start trace");
  tl.pauses.push_back(StwPause{start, 10 * kMs, 10 * kMs + 30'000});
  tl.pauses.push_back(StwPause{mem, 500 * kMs, 500 * kMs + 20'000});
  tl.pauses.push_back(StwPause{t.sp.profile.Intern("GC sweep termination"), 999 * kMs, 1000 * kMs});
  tl.pauses.push_back(StwPause{mem, 1100 * kMs, 1100 * kMs + 40'000});  // after the last cycle
  const TimeAnalysis r = AnalyzeTimed(t.sp.profile);
  ASSERT_EQ(r.cycles.size(), 1u);
  ASSERT_EQ(r.cycles[0].pauses.size(), 1u);
  EXPECT_EQ(r.cycles[0].pauses[0].start_ns, 999 * kMs);
  ASSERT_EQ(r.other_pauses.size(), 3u);
  EXPECT_EQ(r.other_pauses[0].kind, start);
  EXPECT_EQ(r.other_pauses[1].kind, mem);
  EXPECT_EQ(r.other_pauses[2].duration_ns, 40'000);
  const std::string report = RenderTimeReport(t.sp.profile, r);
  const size_t gc1 = report.find("GC 1: ");
  ASSERT_NE(gc1, std::string::npos) << report;
  const std::string gc1_line = report.substr(gc1, report.find('\n', gc1) - gc1);
  EXPECT_EQ(gc1_line.find("ReadMemStats"), std::string::npos) << report;
  EXPECT_EQ(gc1_line.find("start trace"), std::string::npos) << report;
  EXPECT_NE(report.find("other stop-the-world pauses (no GC cycle's): 3 (start trace 1, "
                        "ReadMemStats 2), 0.090 ms in all"),
            std::string::npos)
      << report;
  // Without such pauses there is no line.
  tl.pauses.erase(tl.pauses.begin(), tl.pauses.begin() + 2);
  tl.pauses.pop_back();
  const TimeAnalysis gc_only = AnalyzeTimed(t.sp.profile);
  EXPECT_TRUE(gc_only.other_pauses.empty());
  EXPECT_EQ(RenderTimeReport(t.sp.profile, gc_only).find("other stop-the"), std::string::npos);
}

TEST(TimeRulesTest, ProfilesWithoutATimelineAreLeftAlone) {
  StackProfile sp;
  sp.Add(kGrow);
  TimeAnalysis r = AnalyzeTimed(sp.profile);
  EXPECT_FALSE(r.applicable);
  EXPECT_EQ(sp.profile.StrLabel(sp.profile.samples[0], "gcspike"), "grow-spike+key-copy");
  EXPECT_EQ(RenderTimeReport(sp.profile, r), "");
}

}  // namespace
}  // namespace gcspike::testing
