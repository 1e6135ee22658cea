// How many samples a row of a profile stands for (sample_weight.h). A CPU profile that keeps
// only its time (cpu/nanoseconds, without samples/count) counts each row as its time over the
// period, as runtime/pprof's samples/count would: once per row, a stack seen 30 times weighed as
// much as one seen once, and the shares were of stacks, not of CPU work.
#include "plugin/detect/sample_weight.h"

#include <gtest/gtest.h>

#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

constexpr const char* kGrow =
    "main.fill > runtime.mapassign_faststr > runtime.hashGrow > runtime.makeBucketArray > "
    "runtime.newarray > runtime.mallocgc";

// 30 samples of growth in one row, 70 other samples over 7 rows: 30 % of the CPU time, one
// row in eight.
testing::StackProfile ThirtyPercentGrowth() {
  testing::StackProfile sp;
  sp.Add(kGrow, 30);
  for (int k = 0; k < 7; ++k) sp.Add("main.work" + std::to_string(k) + " > strconv.Itoa", 10);
  return sp;
}

// Keeps sample type `keep` alone, as a converter writing one type does.
void KeepOnlyType(Profile& p, size_t keep) {
  p.sample_types = {p.sample_types[keep]};
  for (Sample& s : p.samples) s.values = {s.values[keep]};
  p.default_sample_type = 0;
}

DetectionSummary SummaryOf(const Profile& p) {
  return Summarize(p, ClassifySamples(p, RuntimeSignatureCatalogue::BuiltIn()),
                   DetectionThresholds{});
}

TEST(SampleWeightTest, CpuTimeAloneCountsSamplesByThePeriod) {
  testing::StackProfile sp = ThirtyPercentGrowth();
  const DetectionSummary whole = SummaryOf(sp.profile);
  KeepOnlyType(sp.profile, 1);  // cpu/nanoseconds; period_type cpu/nanoseconds, 10 ms
  const SampleWeights weight(sp.profile);
  EXPECT_DOUBLE_EQ(weight(0), 30);
  EXPECT_DOUBLE_EQ(weight(1), 10);
  const DetectionSummary time_only = SummaryOf(sp.profile);
  EXPECT_EQ(time_only.samples, 100u);
  EXPECT_EQ(time_only.samples, whole.samples);
  EXPECT_DOUBLE_EQ(time_only.features[0].fraction, 0.3);
  EXPECT_DOUBLE_EQ(time_only.features[0].interval.lo, whole.features[0].interval.lo);
  EXPECT_DOUBLE_EQ(time_only.features[0].interval.hi, whole.features[0].interval.hi);
}

// Without a period in the same unit there is nothing to divide by: each row counts once, as
// before (and a count type, where there is one, always decides).
TEST(SampleWeightTest, RowsCountOnceWithoutAPeriodOfTheirUnit) {
  testing::StackProfile sp = ThirtyPercentGrowth();
  KeepOnlyType(sp.profile, 1);
  sp.profile.period_type.unit = sp.profile.Intern("microseconds");
  EXPECT_EQ(SummaryOf(sp.profile).samples, 8u);
  sp.profile.period = 0;
  sp.profile.period_type.unit = sp.profile.sample_types[0].unit;
  EXPECT_EQ(SummaryOf(sp.profile).samples, 8u);

  testing::StackProfile counted = ThirtyPercentGrowth();
  KeepOnlyType(counted.profile, 0);  // samples/count alone
  EXPECT_EQ(SummaryOf(counted.profile).samples, 100u);
}

}  // namespace
}  // namespace gcspike
