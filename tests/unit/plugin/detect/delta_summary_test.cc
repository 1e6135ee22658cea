// A delta profile (go tool pprof -diff_base) has negative values: the summary takes absolute
// values (shares of the absolute change), says it is a delta profile, and does no undefined
// arithmetic (UBSan once saw a negative total converted to uint64: samples 9223372036854775808).
#include <gtest/gtest.h>

#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
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
