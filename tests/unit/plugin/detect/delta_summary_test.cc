// A delta profile (go tool pprof -diff_base) has negative values: the summary takes absolute
// values, judges nothing (a share of a base and a new profile together is of neither: cause
// delta, visibility.h), says why, and does no undefined arithmetic (UBSan once saw a negative
// total converted to uint64: samples 9223372036854775808).
#include <gtest/gtest.h>

#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/fail_on.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

TEST(DeltaSummaryTest, NegativeWeightsCountByTheirSize) {
  testing::StackProfile sp;
  sp.Add(
      "main.fill > runtime.mapassign_faststr > runtime.hashGrow > runtime.makeBucketArray > "
      "runtime.newarray > runtime.mallocgc",
      -30);
  sp.Add("main.work > strconv.Itoa", 10);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_TRUE(s.delta);
  EXPECT_EQ(s.samples, 40u);
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 30.0 / 40);
  EXPECT_NE(s.VerdictSentence().find("delta profile"), std::string::npos);
  EXPECT_NE(s.VerdictSentence().find("gcspike diff BASE NEW"), std::string::npos);
  // 75 % of the samples grow a map, far above grow-spike's 3 %: still no verdict.
  EXPECT_EQ(s.overall, Verdict::kInconclusive);
  for (const FeatureSummary& f : s.features) {
    EXPECT_EQ(f.verdict, Verdict::kInconclusive);
    EXPECT_EQ(f.cause, "delta");
  }
}

// Two equal profiles, one negated: whatever share one side has, the delta is of no change, and
// a gate on it is undecided, not crossed.
TEST(DeltaSummaryTest, AGateOnADeltaOfEqualProfilesIsUndecided) {
  testing::StackProfile sp;
  const char* grow =
      "main.fill > runtime.mapassign_faststr > runtime.hashGrow > runtime.makeBucketArray > "
      "runtime.newarray > runtime.mallocgc";
  sp.Add(grow, 40);
  sp.Add("main.work > strconv.Itoa", 60);
  sp.Add(grow, -40);
  sp.Add("main.work > strconv.Itoa", -60);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  auto gate = ParseFailOn("grow-spike>5%");
  ASSERT_TRUE(gate.ok());
  const GateResult r = EvaluateFailOn(*gate, s);
  EXPECT_EQ(r.outcome, GateResult::Outcome::kUndecided);
  EXPECT_NE(r.reason.find("delta profile"), std::string::npos) << r.reason;
}

TEST(DeltaSummaryTest, AllNegativeIsNotEmpty) {
  testing::StackProfile sp;
  sp.Add("main.work > strconv.Itoa", -5);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_TRUE(s.delta);
  EXPECT_EQ(s.samples, 5u);
}

TEST(DeltaSummaryTest, OrdinaryProfileIsNotDelta) {
  testing::StackProfile sp;
  sp.Add("main.work > strconv.Itoa", 2);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_FALSE(s.delta);
  EXPECT_EQ(s.VerdictSentence().find("delta"), std::string::npos);
}

}  // namespace
}  // namespace gcspike
