#include "plugin/detect/annotator.h"

#include <gtest/gtest.h>

#include "plugin/detect/detection_summary.h"
#include "plugin/detect/fail_on.h"
#include "tests/unit/plugin/detect/stack_builder.h"
#include "tests/unit/test_support.h"

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
  EXPECT_OK(p.Validate());
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
  sp.Add(kGrowAlloc, 30);
  sp.Add(kOther, 10);
  sp.Add(kIdleScan, 40);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_EQ(s.samples, 80u);
  EXPECT_EQ(s.sample_records, 3u);
  EXPECT_EQ(s.value_type, "cpu/nanoseconds");
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 30.0 / 80);
  EXPECT_DOUBLE_EQ(s.features[0].value_fraction, 30.0 / 80);
  EXPECT_DOUBLE_EQ(s.features[4].fraction, 40.0 / 80);
  EXPECT_DOUBLE_EQ(s.map_assign_width, 30.0 / 80);
  EXPECT_DOUBLE_EQ(s.malloc_self_share, 30.0 / 80);
  EXPECT_DOUBLE_EQ(s.worker_share[static_cast<size_t>(GcWorkerKind::kIdle)], 40.0 / 80);
  EXPECT_EQ(s.grow_malloc_depth_max, 3);  // hashGrow > makeBucketArray > newarray > mallocgc
  EXPECT_EQ(s.go_runtime, "hmap");
  ASSERT_EQ(s.sites.size(), 1u);
  EXPECT_EQ(s.sites[0].function, "main.fill");
  EXPECT_TRUE(s.sites[0].via.empty());
  EXPECT_DOUBLE_EQ(s.sites[0].fraction, 30.0 / 80);
  // The intervals are over the 80 individual samples, not the 3 sample rows.
  EXPECT_EQ(s.sites[0].interval.lo, WilsonInterval(30, 80).lo);
  EXPECT_EQ(s.features[0].interval.hi, WilsonInterval(30, 80).hi);
  EXPECT_EQ(s.features[0].verdict, Verdict::kSpike);
  EXPECT_EQ(s.features[4].verdict, Verdict::kSpike);  // 50 % [39-61] > 25 %
  // malloc-burst: 37.5 % of samples, but the grow subtree is only 3 frames deep (< 5).
  EXPECT_EQ(s.features[2].verdict, Verdict::kNormal);
  EXPECT_EQ(s.overall, Verdict::kSpike);
  DetectionThresholds shallow;
  shallow.malloc_depth = 3;
  EXPECT_EQ(Summarize(sp.profile, features, shallow).features[2].verdict, Verdict::kSpike);
  EXPECT_NE(s.VerdictSentence().find("main.fill"), std::string::npos);
}

// 50 grow samples of 1000: 5 %, 95 % interval [3.8 %, 6.5 %].
DetectionSummary FivePercentGrowth(double grow_threshold) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 50);
  sp.Add(kOther, 950);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  DetectionThresholds t;
  t.grow_spike = grow_threshold;
  return Summarize(sp.profile, features, t);
}

TEST(DetectionSummaryTest, TheIntervalDecidesTheVerdict) {
  const DetectionSummary above = FivePercentGrowth(0.03);
  EXPECT_EQ(above.features[0].verdict, Verdict::kSpike);
  EXPECT_EQ(above.overall, Verdict::kSpike);

  const DetectionSummary below = FivePercentGrowth(0.08);
  EXPECT_EQ(below.features[0].verdict, Verdict::kNormal);
  EXPECT_FALSE(below.any_spike());
  EXPECT_EQ(below.overall, Verdict::kNormal);
  EXPECT_EQ(below.VerdictSentence(),
            "No map-growth GC pressure: every measure is below its threshold with 95% "
            "confidence.");

  // The point estimate sits on the threshold: only a longer profile can tell.
  const DetectionSummary border = FivePercentGrowth(0.05);
  const FeatureSummary& g = border.features[0];
  EXPECT_EQ(g.verdict, Verdict::kInconclusive);
  EXPECT_EQ(g.cause, "borderline");
  EXPECT_NE(g.reason.find("1000 samples"), std::string::npos) << g.reason;
  EXPECT_EQ(border.overall, Verdict::kInconclusive);
  EXPECT_NE(border.VerdictSentence().find("grow-spike cannot be decided"), std::string::npos)
      << border.VerdictSentence();
}

TEST(DetectionSummaryTest, TooFewSamplesDecideNothing) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 3);
  sp.Add(kIdleScan, 2);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_EQ(s.overall, Verdict::kInconclusive);
  for (const FeatureSummary& f : s.features) {
    EXPECT_EQ(f.verdict, Verdict::kInconclusive);
    EXPECT_EQ(f.cause, "too-few-samples");
    EXPECT_NE(f.reason.find("only 5 samples"), std::string::npos) << f.reason;
  }
  EXPECT_NE(s.VerdictSentence().find("Cannot judge"), std::string::npos);
}

TEST(DetectionSummaryTest, EmptyProfile) {
  StackProfile sp;
  const DetectionSummary s = Summarize(sp.profile, {}, DetectionThresholds{});
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.go_runtime, "unknown");
  EXPECT_FALSE(s.any_spike());
  EXPECT_EQ(s.overall, Verdict::kInconclusive);
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 0);
}

TEST(FailOnTest, ParsesForms) {
  auto e = ParseFailOn("grow-spike>10%");
  ASSERT_OK(e);
  EXPECT_EQ(e->feature, 0);
  EXPECT_EQ(e->op, FailOnExpr::Op::kGreater);
  EXPECT_DOUBLE_EQ(e->threshold, 0.1);
  e = ParseFailOn("assist-coupling >= 0.05");
  ASSERT_OK(e);
  EXPECT_EQ(e->feature, 3);
  EXPECT_EQ(e->op, FailOnExpr::Op::kGreaterEqual);
  EXPECT_DOUBLE_EQ(e->threshold, 0.05);
  e = ParseFailOn("scanobject-hotspot.value<=1.5%");
  ASSERT_OK(e);
  EXPECT_TRUE(e->of_value);
  EXPECT_EQ(e->op, FailOnExpr::Op::kLessEqual);
  EXPECT_DOUBLE_EQ(e->threshold, 0.015);
}

TEST(FailOnTest, RejectsMalformed) {
  for (const char* bad :
       {"grow-spike", "grow-spike>", "grow-spike>abc", "grow-spike>10", "grow-spike>-1",
        "growspike>1%", ">1%", "grow-spike=1%", "grow-spike>1%%"}) {
    SCOPED_TRACE(bad);
    const auto e = ParseFailOn(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find(bad), std::string::npos) << e.error().message;
  }
  // What people write: the reason names the mistake.
  for (const auto& [bad, why] : std::vector<std::pair<const char*, const char*>>{
           {"grow-spike => 5%", "'=>' is not a comparison: write >="},
           {"grow-spike=<5%", "'=<' is not a comparison: write <="},
           {"grow-spike>5%,key-copy>2%", "one comparison per --fail-on"},
           {"grow-spike>5% key-copy>2%", "one comparison per --fail-on"},
           {"grow-spike>>5%", "one comparison per --fail-on"}}) {
    SCOPED_TRACE(bad);
    const auto e = ParseFailOn(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find(why), std::string::npos) << e.error().message;
  }
  // A space before the unit is fine.
  ASSERT_OK(ParseFailOn("grow-spike > 5 %"));
  EXPECT_DOUBLE_EQ(ParseFailOn("grow-spike > 5 %")->threshold, 0.05);
  EXPECT_DOUBLE_EQ(ParseFailOn("grow-spike>+3 pp")->threshold, 0.03);
  // A gate no measurement can change: never crossed (it would pass on any profile; a bare 1 is
  // 100 %, so grow-spike>1 is most likely meant as 1 %) or always crossed.
  for (const char* never :
       {"grow-spike>1", "grow-spike>100%", "grow-spike>=1", "grow-spike<0", "grow-spike<0%",
        "grow-spike<=0", "grow-spike>+100pp", "grow-spike>=+100pp", "grow-spike<-100pp"}) {
    SCOPED_TRACE(never);
    const auto e = ParseFailOn(never);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("it can never be crossed"), std::string::npos)
        << e.error().message;
  }
  EXPECT_NE(ParseFailOn("grow-spike>1").error().message.find("for one percent write 1%"),
            std::string::npos);
  EXPECT_EQ(ParseFailOn("grow-spike>100%").error().message.find("for one percent"),
            std::string::npos);
  for (const char* always : {"grow-spike>=0", "grow-spike<=100%", "grow-spike>=-100pp"}) {
    SCOPED_TRACE(always);
    const auto e = ParseFailOn(always);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("it holds for any profile"), std::string::npos)
        << e.error().message;
  }
  // Near the ends is still a measurement; "> 0" asks whether there is any at all.
  for (const char* fine : {"grow-spike>99%", "grow-spike<1%", "grow-spike<100%", "grow-spike>0",
                           "grow-spike>+99pp", "grow-spike<+100pp", "grow-spike>+0pp"}) {
    SCOPED_TRACE(fine);
    EXPECT_TRUE(ParseFailOn(fine).ok());
  }
  // A signed percentage is a change relative to a base (gcspike diff; report refuses it).
  const auto change = ParseFailOn("grow-spike>-1%");
  ASSERT_OK(change);
  EXPECT_EQ(change->change, FailOnExpr::Change::kRelative);
}

TEST(FailOnTest, GatesAreJudgedOnTheInterval) {
  // grow-spike 5 % [3.8-6.5] of 1000 samples, key-copy 0 % [0-0.4].
  const DetectionSummary s = FivePercentGrowth(0.03);
  auto outcome = [&s](const char* expr) { return EvaluateFailOn(*ParseFailOn(expr), s).outcome; };
  using O = GateResult::Outcome;
  EXPECT_EQ(outcome("grow-spike>3%"), O::kCrossed);
  EXPECT_EQ(outcome("grow-spike>=3.8%"), O::kCrossed);  // the lower bound is 3.81 %
  EXPECT_EQ(outcome("grow-spike>=3.9%"), O::kUndecided);
  EXPECT_EQ(outcome("grow-spike>5%"), O::kUndecided);
  EXPECT_EQ(outcome("grow-spike>7%"), O::kPass);
  EXPECT_EQ(outcome("grow-spike<7%"), O::kCrossed);
  EXPECT_EQ(outcome("grow-spike<=3%"), O::kPass);
  EXPECT_EQ(outcome("key-copy<1%"), O::kCrossed);
  // No sample at all passes "any at all", though [0, 0.38 %] cannot prove the share is 0.
  EXPECT_EQ(outcome("key-copy>0%"), O::kPass);
  EXPECT_EQ(outcome("grow-spike>0%"), O::kCrossed);
  EXPECT_EQ(outcome("grow-spike.value>3%"), O::kCrossed);
  const GateResult r = EvaluateFailOn(*ParseFailOn("grow-spike>5%"), s);
  EXPECT_DOUBLE_EQ(r.measured, 0.05);
  EXPECT_NE(r.reason.find("borderline"), std::string::npos) << r.reason;
}

TEST(FailOnTest, AProfileThatCannotShowTheFeatureNeverPasses) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 3);
  sp.Add(kOther, 2);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  for (const char* expr : {"grow-spike>10%", "grow-spike<99%", "scanobject-hotspot>50%"}) {
    SCOPED_TRACE(expr);
    const GateResult r = EvaluateFailOn(*ParseFailOn(expr), s);
    EXPECT_EQ(r.outcome, GateResult::Outcome::kUndecided);
    EXPECT_NE(r.reason.find("too few"), std::string::npos) << r.reason;
  }
}

// Samples with no stack at all (a Go 1.19 trace cut inside its stack table): what they did is
// unknown, so each share lies between the measured one and that plus their share.
TEST(FailOnTest, SamplesWithoutAStackMakeEveryShareALowerBound) {
  StackProfile sp;
  sp.Add(kGrowAlloc, 60);  // 15 % of 400, [12.0-18.8 %]
  sp.Add(kOther, 240);
  sp.Add("", 100);  // 25 %: as many as 40 % of the samples may have grown maps
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_DOUBLE_EQ(s.visibility.empty_stack_share, 0.25);
  EXPECT_FALSE(s.visibility.blind());
  EXPECT_EQ(s.features[0].verdict, Verdict::kSpike);  // a spike seen anyway stands
  for (int b = 1; b < kFeatureCount; ++b) {  // 0 % measured is no "normal", scanning included
    SCOPED_TRACE(kFeatureNames[b]);
    EXPECT_EQ(s.features[b].verdict, Verdict::kInconclusive);
    EXPECT_EQ(s.features[b].cause, "missing-stacks");
    EXPECT_NE(s.features[b].reason.find("25.0% of samples have no stack"), std::string::npos);
  }
  using O = GateResult::Outcome;
  const GateResult r = EvaluateFailOn(*ParseFailOn("grow-spike>20%"), s);
  EXPECT_EQ(r.outcome, O::kUndecided);  // passed on the measured [12.0-18.8 %] alone
  EXPECT_NE(r.reason.find("no stack at all"), std::string::npos) << r.reason;
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike>10%"), s).outcome, O::kCrossed);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("scanobject-hotspot>20%"), s).outcome, O::kUndecided);
  // Most samples without a stack: nothing is judged.
  sp.Add("", 301);
  const auto more = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary blind = Summarize(sp.profile, more, DetectionThresholds{});
  EXPECT_EQ(blind.visibility.cause, "missing-stacks");
  EXPECT_EQ(blind.features[0].verdict, Verdict::kInconclusive);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike>10%"), blind).outcome, O::kUndecided);
}

}  // namespace
}  // namespace gcspike
