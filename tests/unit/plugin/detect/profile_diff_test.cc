#include "plugin/detect/profile_diff.h"

#include <gtest/gtest.h>

#include "plugin/detect/fail_on.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

// A summary whose every feature has `x` of `n` samples, judged able to show it.
DetectionSummary SummaryWith(double x, double n, std::string runtime = "swiss") {
  DetectionSummary s;
  s.samples = static_cast<uint64_t>(n);
  s.go_runtime = std::move(runtime);
  for (FeatureSummary& f : s.features) {
    f.fraction = x / n;
    f.interval = WilsonInterval(x, n);
    f.verdict = f.fraction > 0.03 ? Verdict::kSpike : Verdict::kNormal;
  }
  return s;
}

TEST(JudgeChangeTest, FourVerdicts) {
  const double t = 0.05;
  EXPECT_EQ(JudgeChange(0.0, {-0.04, 0.03}, t), ChangeVerdict::kUnchanged);     // within +-t
  EXPECT_EQ(JudgeChange(0.025, {0.01, 0.04}, t), ChangeVerdict::kUnchanged);    // real, too small
  EXPECT_EQ(JudgeChange(0.04, {0.01, 0.09}, t), ChangeVerdict::kUnchanged);     // estimated < t
  EXPECT_EQ(JudgeChange(0.025, {-0.02, 0.07}, t), ChangeVerdict::kUnchanged);   // 9 points wide
  EXPECT_EQ(JudgeChange(0.0, {-0.06, 0.06}, t), ChangeVerdict::kInconclusive);  // 12 wide
  EXPECT_EQ(JudgeChange(0.04, {0.005, 0.12}, t), ChangeVerdict::kInconclusive);
  EXPECT_EQ(JudgeChange(0.07, {0.01, 0.13}, t), ChangeVerdict::kRegressed);
  EXPECT_EQ(JudgeChange(-0.07, {-0.13, -0.01}, t), ChangeVerdict::kImproved);
  EXPECT_EQ(JudgeChange(-0.39, {-0.45, -0.33}, t), ChangeVerdict::kImproved);
}

// The difference is new - base: a share that grew regresses, one that shrank improves.
TEST(DiffSummariesTest, OrientationAndVerdicts) {
  const ProfileDiff worse = DiffSummaries(SummaryWith(0, 400), SummaryWith(160, 400), 0.1);
  EXPECT_NEAR(worse.features[0].change.difference, 0.4, 1e-12);
  EXPECT_GT(worse.features[0].change.difference_interval.lo, 0.3);
  EXPECT_EQ(worse.features[0].verdict, ChangeVerdict::kRegressed);
  EXPECT_EQ(worse.overall, ChangeVerdict::kRegressed);

  const ProfileDiff better = DiffSummaries(SummaryWith(160, 400), SummaryWith(0, 400), 0.1);
  EXPECT_NEAR(better.features[0].change.difference, -0.4, 1e-12);
  EXPECT_LT(better.features[0].change.difference_interval.hi, -0.3);
  EXPECT_EQ(better.features[0].verdict, ChangeVerdict::kImproved);
  EXPECT_EQ(better.overall, ChangeVerdict::kImproved);
  // Mirror images.
  EXPECT_NEAR(worse.features[0].change.difference_interval.lo,
              -better.features[0].change.difference_interval.hi, 1e-12);

  const ProfileDiff same = DiffSummaries(SummaryWith(150, 370), SummaryWith(155, 360), 0.1);
  EXPECT_EQ(same.features[0].verdict, ChangeVerdict::kUnchanged);
  EXPECT_EQ(same.overall, ChangeVerdict::kUnchanged);
  EXPECT_TRUE(same.notes.empty());
}

TEST(DiffSummariesTest, BlindSideIsInconclusiveWithItsReason) {
  DetectionSummary tiny = SummaryWith(2, 4);
  for (FeatureSummary& f : tiny.features) {
    f.verdict = Verdict::kInconclusive;
    f.cause = "too-few-samples";
    f.reason = "4 samples";
  }
  const ProfileDiff d = DiffSummaries(tiny, SummaryWith(150, 370), 0.1);
  EXPECT_EQ(d.features[0].verdict, ChangeVerdict::kInconclusive);
  EXPECT_EQ(d.features[0].cause, "too-few-samples");
  EXPECT_EQ(d.features[0].reason, "base: 4 samples");
  EXPECT_EQ(d.overall, ChangeVerdict::kInconclusive);

  // A borderline share is still a measurement.
  DetectionSummary borderline = SummaryWith(150, 370);
  borderline.features[0].verdict = Verdict::kInconclusive;
  borderline.features[0].cause = "borderline";
  EXPECT_EQ(DiffSummaries(borderline, SummaryWith(150, 370), 0.1).features[0].verdict,
            ChangeVerdict::kUnchanged);
}

TEST(DiffSummariesTest, SitesByLargestChangeAndRuntimeNote) {
  DetectionSummary base = SummaryWith(150, 400, "hmap"), now = SummaryWith(20, 400, "swiss");
  base.sites = {{"main.a", {"main.helper"}, 0.30, 0.30, WilsonInterval(120, 400)},
                {"main.b", {}, 0.05, 0.05, WilsonInterval(20, 400)}};
  now.sites = {{"main.b", {}, 0.06, 0.06, WilsonInterval(24, 400)}};
  const ProfileDiff d = DiffSummaries(base, now, 0.1);
  ASSERT_EQ(d.sites.size(), 2u);
  EXPECT_EQ(d.sites[0].function, "main.a");
  EXPECT_EQ(d.sites[0].via, std::vector<std::string>{"main.helper"});
  EXPECT_NEAR(d.sites[0].change.difference, -0.30, 1e-12);
  EXPECT_EQ(d.sites[0].change.now_interval.lo, 0);  // absent on the new side: 0 of 400
  EXPECT_EQ(d.sites[0].verdict, ChangeVerdict::kImproved);
  EXPECT_EQ(d.sites[1].function, "main.b");
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_NE(d.notes[0].find("different Go map implementations"), std::string::npos);
}

TEST(DiffFailOnTest, ParsesChanges) {
  auto points = ParseFailOn("grow-spike>+3pp");
  ASSERT_OK(points);
  EXPECT_EQ(points->change, FailOnExpr::Change::kPoints);
  EXPECT_DOUBLE_EQ(points->threshold, 0.03);
  auto relative = ParseFailOn("assist-coupling>+50%");
  ASSERT_OK(relative);
  EXPECT_EQ(relative->change, FailOnExpr::Change::kRelative);
  EXPECT_DOUBLE_EQ(relative->threshold, 0.5);
  auto better = ParseFailOn("grow-spike<-5pp");
  ASSERT_OK(better);
  EXPECT_EQ(better->op, FailOnExpr::Op::kLess);
  EXPECT_DOUBLE_EQ(better->threshold, -0.05);
  auto unsigned_points = ParseFailOn("grow-spike>3pp");
  ASSERT_OK(unsigned_points);
  EXPECT_EQ(unsigned_points->change, FailOnExpr::Change::kPoints);
  // The report's form is unchanged.
  auto share = ParseFailOn("grow-spike>10%");
  ASSERT_OK(share);
  EXPECT_EQ(share->change, FailOnExpr::Change::kNone);
  EXPECT_FALSE(ParseFailOn("grow-spike>+3").ok());          // a change needs its unit
  EXPECT_FALSE(ParseFailOn("grow-spike.value>+3pp").ok());  // changes are of samples
  EXPECT_FALSE(ParseFailOn("grow-spike>+300pp").ok());
}

TEST(DiffFailOnTest, CrossedPassedUndecided) {
  const ProfileDiff worse = DiffSummaries(SummaryWith(0, 400), SummaryWith(160, 400), 0.1);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), worse).outcome,
            GateResult::Outcome::kCrossed);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+60pp"), worse).outcome,
            GateResult::Outcome::kPass);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+40pp"), worse).outcome,
            GateResult::Outcome::kUndecided);
  // Relative: 2.5 % -> 4 % is +60 % of the base's share; the limit +10 % is 0.25 points.
  const ProfileDiff up = DiffSummaries(SummaryWith(100, 4000), SummaryWith(160, 4000), 0.1);
  const GateResult r = EvaluateDiffFailOn(*ParseFailOn("grow-spike>+10%"), up);
  EXPECT_NEAR(r.measured, 0.6, 1e-12);
  EXPECT_EQ(r.outcome, GateResult::Outcome::kCrossed);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+300%"), up).outcome,
            GateResult::Outcome::kPass);
  // Exactly +60 %: new - 1.6 x base is 0 at its centre, so the interval straddles 0.
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+60%"), up).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_FALSE(ParseFailOn("grow-spike>-150%").ok());
  // A blind side: undecided whatever the numbers.
  DetectionSummary tiny = SummaryWith(2, 4);
  for (FeatureSummary& f : tiny.features) {
    f.verdict = Verdict::kInconclusive;
    f.cause = "too-few-samples";
  }
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"),
                               DiffSummaries(tiny, SummaryWith(160, 400), 0.1))
                .outcome,
            GateResult::Outcome::kUndecided);
}

}  // namespace
}  // namespace gcspike
