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
  // No sample of the feature on either side: new - 1.5 x base is 0 at the centre of an
  // interval that straddles 0 for any sample counts, so no longer profile decides a relative
  // gate; the reason says so and names the gate in points, which does decide.
  for (double n : {400.0, 40000.0}) {
    const ProfileDiff none = DiffSummaries(SummaryWith(0, n), SummaryWith(0, n), 0.1);
    const GateResult z = EvaluateDiffFailOn(*ParseFailOn("assist-coupling>+50%"), none);
    EXPECT_EQ(z.outcome, GateResult::Outcome::kUndecided);
    EXPECT_LT(z.interval.lo, 0);
    EXPECT_GT(z.interval.hi, 0);
    EXPECT_EQ(z.reason.find("take longer profiles"), std::string::npos) << z.reason;
    EXPECT_NE(z.reason.find("no sample of assist-coupling on either side"), std::string::npos)
        << z.reason;
    EXPECT_NE(z.reason.find("e.g. assist-coupling>+3pp"), std::string::npos) << z.reason;
    EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("assist-coupling>+3pp"), none).outcome,
              GateResult::Outcome::kPass);
  }
  EXPECT_NE(EvaluateDiffFailOn(*ParseFailOn("grow-spike<=-50%"),
                               DiffSummaries(SummaryWith(0, 400), SummaryWith(0, 400), 0.1))
                .reason.find("e.g. grow-spike<=-3pp"),
            std::string::npos);
  // A share of 0 on one side only is decided by longer profiles: the usual reason.
  EXPECT_NE(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+50%"),
                               DiffSummaries(SummaryWith(0, 100), SummaryWith(2, 100), 0.1))
                .reason.find("take longer profiles"),
            std::string::npos);
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

// A summary like SummaryWith's of a recording that cuts stacks at the system stack: its map
// features' shares are lower bounds (scanobject-hotspot is not a map feature).
DetectionSummary CutSummaryWith(double x, double n) {
  DetectionSummary s = SummaryWith(x, n);
  s.visibility.cut_cause = "recording-mode";
  s.visibility.cut_reason = "stacks end at runtime.systemstack; record with -g";
  for (int b = 0; b < kFeatureCount; ++b) s.features[b].lower_bound = (kMapFeatures >> b) & 1;
  return s;
}

// The same program recorded with -g (160 of 400 grow samples) and with --call-graph dwarf, which
// hid most of them (40 of 400): the drop is the recording's, not the program's.
TEST(DiffSummariesTest, ALowerBoundSupportsOnlyTheChangeItCannotHaveMade) {
  const ProfileDiff fp_to_dwarf =
      DiffSummaries(SummaryWith(160, 400), CutSummaryWith(40, 400), 0.1);
  const FeatureDiff& g = fp_to_dwarf.features[0];
  EXPECT_LT(g.change.difference_interval.hi, -0.2);  // measured: improved by far
  EXPECT_EQ(g.verdict, ChangeVerdict::kInconclusive);
  EXPECT_EQ(g.cause, "recording-mode");
  EXPECT_NE(g.reason.find("new side's share is only a lower bound"), std::string::npos);
  EXPECT_EQ(fp_to_dwarf.features[4].verdict, ChangeVerdict::kImproved);  // not a map feature
  // A gate for a regression cannot pass on it; one asking for an improvement cannot cross.
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), fp_to_dwarf).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+50%"), fp_to_dwarf).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike<-5pp"), fp_to_dwarf).outcome,
            GateResult::Outcome::kUndecided);
  // A rise seen despite the cut is at least that: it stands, and so does its gate.
  const ProfileDiff up = DiffSummaries(SummaryWith(40, 400), CutSummaryWith(160, 400), 0.1);
  EXPECT_EQ(up.features[0].verdict, ChangeVerdict::kRegressed);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), up).outcome,
            GateResult::Outcome::kCrossed);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike<-5pp"), up).outcome,
            GateResult::Outcome::kPass);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+60pp"), up).outcome,
            GateResult::Outcome::kUndecided);
  // The base cut: a fall stands, a rise does not.
  const ProfileDiff down = DiffSummaries(CutSummaryWith(160, 400), SummaryWith(40, 400), 0.1);
  EXPECT_EQ(down.features[0].verdict, ChangeVerdict::kImproved);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), down).outcome,
            GateResult::Outcome::kPass);
  const ProfileDiff base_cut_up =
      DiffSummaries(CutSummaryWith(40, 400), SummaryWith(160, 400), 0.1);
  EXPECT_EQ(base_cut_up.features[0].verdict, ChangeVerdict::kInconclusive);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), base_cut_up).outcome,
            GateResult::Outcome::kUndecided);
  // Both cut: nothing is known of the change.
  const ProfileDiff both = DiffSummaries(CutSummaryWith(40, 400), CutSummaryWith(160, 400), 0.1);
  EXPECT_EQ(both.features[0].verdict, ChangeVerdict::kInconclusive);
  EXPECT_NE(both.features[0].reason.find("both sides"), std::string::npos);
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), both).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_EQ(both.features[4].verdict, ChangeVerdict::kRegressed);
}

// On one profile: a lower bound above the limit crosses a ">" gate, one below it passes nothing.
TEST(FailOnBoundTest, ACutRecordingsShareIsALowerBound) {
  const DetectionSummary cut = CutSummaryWith(60, 400);  // 15 % [12-19 %]
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike>10%"), cut).outcome,
            GateResult::Outcome::kCrossed);
  const GateResult pass = EvaluateFailOn(*ParseFailOn("grow-spike>20%"), cut);
  EXPECT_EQ(pass.outcome, GateResult::Outcome::kUndecided);
  EXPECT_NE(pass.reason.find("only a lower bound: stacks end at"), std::string::npos)
      << pass.reason;
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike.value>20%"), cut).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike<20%"), cut).outcome,
            GateResult::Outcome::kUndecided);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike<10%"), cut).outcome,
            GateResult::Outcome::kPass);
  // Straddling the limit: a longer profile alone may still not decide, so both reasons.
  const GateResult borderline = EvaluateFailOn(*ParseFailOn("grow-spike>15%"), cut);
  EXPECT_EQ(borderline.outcome, GateResult::Outcome::kUndecided);
  EXPECT_EQ(borderline.reason.rfind("borderline: ", 0), 0u) << borderline.reason;
  EXPECT_NE(borderline.reason.find("; and the measured share is only a lower bound: stacks end"),
            std::string::npos)
      << borderline.reason;
  const ProfileDiff to_cut = DiffSummaries(SummaryWith(60, 400), CutSummaryWith(50, 400), 0.1);
  const GateResult diff_borderline = EvaluateDiffFailOn(*ParseFailOn("grow-spike<-3pp"), to_cut);
  EXPECT_EQ(diff_borderline.outcome, GateResult::Outcome::kUndecided);
  EXPECT_NE(diff_borderline.reason.find("take longer profiles; and the new side's share is only "
                                        "a lower bound"),
            std::string::npos)
      << diff_borderline.reason;
  // Not a map feature: judged as measured.
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("scanobject-hotspot>20%"), cut).outcome,
            GateResult::Outcome::kPass);
  // The same numbers from whole stacks pass.
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike>20%"), SummaryWith(60, 400)).outcome,
            GateResult::Outcome::kPass);
}

}  // namespace
}  // namespace gcspike
