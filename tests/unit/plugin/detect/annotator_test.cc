#include "plugin/detect/annotator.h"

#include <gtest/gtest.h>

#include "plugin/detect/detection_summary.h"
#include "plugin/detect/fail_on.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

using testing::StackProfile;

constexpr const char* kGrowAlloc =
    "main.fill > runtime.mapassign_faststr > runtime.hashGrow > runtime.makeBucketArray > "
    "runtime.newarray > runtime.mallocgc";
constexpr const char* kPlainAssign = "main.fill > runtime.mapassign_faststr";
constexpr const char* kIdleScan =
    "runtime.gcBgMarkWorker > runtime.gcDrainMarkWorkerIdle|runtime.gcBgMarkWorker.func2 > "
    "runtime.gcDrain > runtime.scanObject";
constexpr const char* kOther = "main.work > strconv.Itoa";

TEST(AnnotatorTest, LabelsFeaturesSiteAndWorker) {
  StackProfile sp;
  sp.Add(kGrowAlloc);
  sp.Add(kPlainAssign);
  sp.Add(kIdleScan);
  Profile& p = sp.profile;
  p.SetStrLabel(p.samples[0], "worker", "a");  // a goroutine label the input already had
  const auto features = ClassifySamples(p, RuntimeSignatureCatalogue::BuiltIn());
  ApplyLabels(p, features, "gcspike 0.1.0");

  EXPECT_EQ(p.StrLabel(p.samples[0], "gcspike"), "grow-spike+malloc-burst");
  EXPECT_EQ(p.StrLabel(p.samples[0], "gcspike_site"), "main.fill");
  EXPECT_EQ(p.StrLabel(p.samples[0], "gcspike_worker"), std::nullopt);
  EXPECT_EQ(p.StrLabel(p.samples[0], "worker"), "a");

  EXPECT_TRUE(p.samples[1].labels.empty());  // a map assign without growth: no label at all

  EXPECT_EQ(p.StrLabel(p.samples[2], "gcspike"), "scanobject-hotspot");
  EXPECT_EQ(p.StrLabel(p.samples[2], "gcspike_worker"), "idle");
  EXPECT_EQ(p.StrLabel(p.samples[2], "gcspike_site"), std::nullopt);

  ASSERT_EQ(p.comments.size(), 1u);
  EXPECT_EQ(p.str(p.comments[0]),
            "annotated by gcspike 0.1.0: 2 of 3 samples labelled gcspike (grow-spike 1, "
            "malloc-burst 1, scanobject-hotspot 1)");
  EXPECT_TRUE(p.Validate().ok());
}

TEST(AnnotatorTest, AnnotatingTwiceGivesTheSameLabels) {
  StackProfile sp;
  sp.Add(kGrowAlloc);
  sp.Add(kOther);
  Profile& p = sp.profile;
  // A stale gcspike label (from an earlier run with other rules) on a sample that has none now.
  p.SetStrLabel(p.samples[1], "gcspike", "grow-spike");
  const auto catalogue = RuntimeSignatureCatalogue::BuiltIn();
  ApplyLabels(p, ClassifySamples(p, catalogue), "gcspike 0.1.0");
  const auto first = p.samples;
  ApplyLabels(p, ClassifySamples(p, catalogue), "gcspike 0.1.0");
  ASSERT_EQ(p.samples.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(p.samples[i].labels.size(), first[i].labels.size()) << i;
  }
  EXPECT_TRUE(p.samples[1].labels.empty());
  EXPECT_EQ(p.comments.size(), 1u);
}

TEST(DetectionSummaryTest, FractionsAreWeightedBySampleCount) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 3);
  sp.Add(kOther, 1);
  sp.Add(kIdleScan, 4);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_EQ(s.samples, 8u);
  EXPECT_EQ(s.sample_records, 3u);
  EXPECT_EQ(s.value_type, "cpu/nanoseconds");
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 3.0 / 8);
  EXPECT_DOUBLE_EQ(s.features[0].value_fraction, 3.0 / 8);
  EXPECT_DOUBLE_EQ(s.features[4].fraction, 4.0 / 8);
  EXPECT_DOUBLE_EQ(s.map_assign_width, 3.0 / 8);
  EXPECT_DOUBLE_EQ(s.malloc_self_share, 3.0 / 8);
  EXPECT_DOUBLE_EQ(s.worker_share[static_cast<size_t>(GcWorkerKind::kIdle)], 4.0 / 8);
  EXPECT_EQ(s.grow_malloc_depth_max, 3);  // hashGrow > makeBucketArray > newarray > mallocgc
  EXPECT_EQ(s.go_runtime, "hmap");
  ASSERT_EQ(s.sites.size(), 1u);
  EXPECT_EQ(s.sites[0].function, "main.fill");
  EXPECT_DOUBLE_EQ(s.sites[0].fraction, 3.0 / 8);
  EXPECT_EQ(s.features[0].spike, true);
  EXPECT_EQ(s.features[4].spike, true);  // 50 % > 25 %
  // malloc-burst: 37.5 % of samples, but the grow subtree is only 3 frames deep (< 5).
  EXPECT_EQ(s.features[2].spike, false);
  DetectionThresholds shallow;
  shallow.malloc_depth = 3;
  EXPECT_EQ(Summarize(sp.profile, features, shallow).features[2].spike, true);
  EXPECT_NE(s.VerdictSentence().find("main.fill"), std::string::npos);
}

TEST(DetectionSummaryTest, ThresholdsDecideVerdicts) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 5);
  sp.Add(kOther, 95);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  DetectionThresholds t;
  t.grow_spike = 0.05;
  EXPECT_TRUE(Summarize(sp.profile, features, t).features[0].spike);
  t.grow_spike = 0.051;
  const DetectionSummary s = Summarize(sp.profile, features, t);
  EXPECT_FALSE(s.features[0].spike);
  EXPECT_FALSE(s.any_spike());
  EXPECT_EQ(s.VerdictSentence(),
            "No map-growth GC pressure: every measure is within its threshold.");
}

TEST(DetectionSummaryTest, EmptyProfile) {
  StackProfile sp;
  const DetectionSummary s = Summarize(sp.profile, {}, DetectionThresholds{});
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.go_runtime, "unknown");
  EXPECT_FALSE(s.any_spike());
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 0);
}

TEST(FailOnTest, ParsesForms) {
  auto e = ParseFailOn("grow-spike>10%");
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(e->feature, 0);
  EXPECT_EQ(e->op, FailOnExpr::Op::kGreater);
  EXPECT_DOUBLE_EQ(e->threshold, 0.1);
  e = ParseFailOn("assist-coupling >= 0.05");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->feature, 3);
  EXPECT_EQ(e->op, FailOnExpr::Op::kGreaterEqual);
  EXPECT_DOUBLE_EQ(e->threshold, 0.05);
  e = ParseFailOn("scanobject-hotspot.value<=1.5%");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->of_value);
  EXPECT_EQ(e->op, FailOnExpr::Op::kLessEqual);
  EXPECT_DOUBLE_EQ(e->threshold, 0.015);
}

TEST(FailOnTest, RejectsMalformed) {
  for (const char* bad : {"grow-spike", "grow-spike>", "grow-spike>abc", "grow-spike>10",
                          "grow-spike>-1%", "growspike>1%", ">1%", "grow-spike=1%",
                          "grow-spike>1%%"}) {
    SCOPED_TRACE(bad);
    const auto e = ParseFailOn(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find(bad), std::string::npos) << e.error().message;
  }
}

TEST(FailOnTest, CrossingUsesTheMeasuredFraction) {
  DetectionSummary s;
  s.features[0].fraction = 0.10;
  s.features[0].value_fraction = 0.20;
  EXPECT_FALSE(CrossedFailOn(*ParseFailOn("grow-spike>10%"), s).has_value());
  EXPECT_DOUBLE_EQ(*CrossedFailOn(*ParseFailOn("grow-spike>=10%"), s), 0.10);
  EXPECT_DOUBLE_EQ(*CrossedFailOn(*ParseFailOn("grow-spike.value>0.15"), s), 0.20);
  EXPECT_TRUE(CrossedFailOn(*ParseFailOn("key-copy<1%"), s).has_value());
  EXPECT_FALSE(CrossedFailOn(*ParseFailOn("key-copy<0%"), s).has_value());
}

}  // namespace
}  // namespace gcspike
