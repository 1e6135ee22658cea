// Merging several inputs (plugin/pipeline.cc runs MergeProfiles on them): shared functions and
// locations are stored once, every sample keeps its labels, totals add up, and inputs with other
// sample types are refused with a message naming both.
#include "core/profile_merge.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/hand_built_profile.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;
using testing::SumValues;

Profile Input(const char* worker, int64_t cpu) {
  HandBuiltProfile h;
  const uint64_t m = h.Loc({"main.main"}, 0x10);
  const uint64_t g = h.Loc({"main.grow"}, 0x20);
  Profile& p = h.profile();
  p.SetStrLabel(h.Add({g, m}, cpu), "worker", worker);
  p.SetStrLabel(h.Add({m}, 1), "worker", worker);
  p.time_nanos = cpu * 1000;
  p.duration_nanos = 500;
  return p;
}

TEST(ProfileMergeTest, SamplesKeptFramesShared) {
  std::vector<Profile> in;
  in.push_back(Input("a", 10));
  in.push_back(Input("b", 20));
  CollectingDiagnostics diag;
  auto merged = MergeProfiles(std::move(in), {"a.pb.gz", "b.pb.gz"}, &diag);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  ASSERT_TRUE(merged->Validate().ok());
  EXPECT_EQ(merged->samples.size(), 4u);
  EXPECT_EQ(SumValues(*merged, 1), 10 + 1 + 20 + 1);
  EXPECT_EQ(SumValues(*merged, 0), 4);
  EXPECT_EQ(merged->functions.size(), 2u);
  EXPECT_EQ(merged->locations.size(), 2u);
  EXPECT_EQ(*merged->StrLabel(merged->samples[0], "worker"), "a");
  EXPECT_EQ(*merged->StrLabel(merged->samples[3], "worker"), "b");
  // As go tool pprof -proto a b: the earliest time, the durations summed.
  EXPECT_EQ(merged->time_nanos, 10000);
  EXPECT_EQ(merged->duration_nanos, 500 + 500);
  EXPECT_TRUE(diag.warnings.empty());
}

TEST(ProfileMergeTest, TimeIsTheEarliestKnownDurationTheSum) {
  std::vector<Profile> in;
  in.push_back(Input("a", 30));
  in.push_back(Input("b", 20));
  Profile unknown = Input("c", 40);
  unknown.time_nanos = 0;  // no time: does not make the merge's time unknown
  unknown.duration_nanos = 700;
  in.push_back(std::move(unknown));
  auto merged = MergeProfiles(std::move(in), {"a", "b", "c"}, nullptr);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->time_nanos, 20000);
  EXPECT_EQ(merged->duration_nanos, 500 + 500 + 700);
}

TEST(ProfileMergeTest, DifferentSampleTypesAreRefused) {
  std::vector<Profile> in;
  in.push_back(Input("a", 10));
  Profile heap = Input("b", 20);
  heap.sample_types[1] = {heap.Intern("alloc_space"), heap.Intern("bytes")};
  in.push_back(std::move(heap));
  auto merged = MergeProfiles(std::move(in), {"cpu.pb.gz", "heap.pb.gz"}, nullptr);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().file, "heap.pb.gz");
  EXPECT_NE(merged.error().message.find("alloc_space/bytes"), std::string::npos);
  EXPECT_NE(merged.error().message.find("cpu/nanoseconds"), std::string::npos);
  EXPECT_NE(merged.error().message.find("cpu.pb.gz"), std::string::npos);
}

TEST(ProfileMergeTest, DifferentPeriodsWarn) {
  std::vector<Profile> in;
  in.push_back(Input("a", 10));
  in.push_back(Input("b", 20));
  in[1].period = 1;
  CollectingDiagnostics diag;
  auto merged = MergeProfiles(std::move(in), {"a", "b"}, &diag);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->period, 10000000);
  ASSERT_EQ(diag.warnings.size(), 1u);
}

}  // namespace
}  // namespace gcspike
