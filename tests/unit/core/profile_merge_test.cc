// Merging several inputs (plugin/pipeline.cc runs MergeProfiles on them): shared functions and
// locations are stored once, every sample keeps its labels, totals add up, and inputs with other
// sample types are refused with a message naming both.
#include "core/profile_merge.h"

#include <gtest/gtest.h>

#include "formats/input_source.h"
#include "formats/profile_reader.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;
using testing::PprofBytes;
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
  ASSERT_OK(merged);
  ASSERT_OK(merged->Validate());
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
  ASSERT_OK(merged);
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

// The largest period wins whatever the order (google/pprof's combineHeaders; checked against
// go tool pprof in e2e_merge_header_test), with one warning per differing input.
TEST(ProfileMergeTest, DifferentPeriodsKeepTheLargest) {
  for (const bool larger_first : {true, false}) {
    std::vector<Profile> in;
    in.push_back(Input("a", 10));
    in.push_back(Input("b", 20));
    in.push_back(Input("c", 30));
    in[larger_first ? 0 : 2].period = 3 * in[1].period;
    const int64_t largest = 3 * in[1].period;
    CollectingDiagnostics diag;
    auto merged = MergeProfiles(std::move(in), {"a", "b", "c"}, &diag);
    ASSERT_OK(merged);
    EXPECT_EQ(merged->period, largest) << "larger first: " << larger_first;
    EXPECT_EQ(diag.warnings.size(), larger_first ? 2u : 1u);
  }
}

// Inputs whose strings and frames first appear in different orders: input i has its own
// function, a shared one, its own comment and label values, and its own time.
Profile Varied(int i) {
  HandBuiltProfile h;
  const std::string own = "main.worker" + std::to_string(i % 3);
  const uint64_t leaf = h.Loc({own.c_str()}, 0x100 + 0x10 * (i % 3));
  const uint64_t root = h.Loc({"main.main"}, 0x10);
  Profile& p = h.profile();
  p.SetStrLabel(h.Add({leaf, root}, 10 + i), "pod", "pod-" + std::to_string(i % 4));
  p.SetNumLabel(h.Add({root}, 1), "bytes", 64 * i, "bytes");
  p.comments.push_back(p.Intern("built by test " + std::to_string(i % 2)));
  p.time_nanos = 1000 + 37 * ((i * 7) % 5);
  p.duration_nanos = 100 + i;
  return p;
}

// Written and read back, as a partial merge is between two runs of gcspike merge.
Profile RoundTrip(const Profile& p) {
  auto in = InputSource::FromBytes("partial.pb", PprofBytes(p), "");
  auto read = ReadProfile(*in, ReadOptions());
  EXPECT_OK(read);
  return read.ok() ? std::move(*read) : Profile();
}

Profile MergeRange(int from, int to) {
  ProfileMerger m;
  for (int i = from; i < to; ++i) EXPECT_OK(m.Add(Varied(i), "in" + std::to_string(i)));
  auto merged = m.Finish();
  EXPECT_OK(merged);
  return merged.ok() ? std::move(*merged) : Profile();
}

TEST(ProfileMergeTest, MergeOfPartialMergesWritesTheSameBytes) {
  const std::vector<uint8_t> all = PprofBytes(MergeRange(0, 10));
  for (int shard : {2, 3, 4, 7}) {
    ProfileMerger m;
    for (int from = 0; from < 10; from += shard) {
      ASSERT_OK(m.Add(RoundTrip(MergeRange(from, std::min(10, from + shard))), "p"));
    }
    auto merged = m.Finish();
    ASSERT_OK(merged);
    EXPECT_EQ(PprofBytes(*merged), all) << "shards of " << shard;
  }
  // Nested: ((0..4) (4..7)) (7..10).
  ProfileMerger left;
  ASSERT_OK(left.Add(RoundTrip(MergeRange(0, 4)), "a"));
  ASSERT_OK(left.Add(RoundTrip(MergeRange(4, 7)), "b"));
  auto l = left.Finish();
  ASSERT_OK(l);
  ProfileMerger top;
  ASSERT_OK(top.Add(RoundTrip(*l), "ab"));
  ASSERT_OK(top.Add(RoundTrip(MergeRange(7, 10)), "c"));
  auto t = top.Finish();
  ASSERT_OK(t);
  EXPECT_EQ(PprofBytes(*t), all);
  EXPECT_EQ(t->time_nanos, 1000);
  EXPECT_EQ(t->duration_nanos, 100 * 10 + 45);
  EXPECT_EQ(t->comments.size(), 2u);
}

TEST(ProfileMergeTest, StringsAreInOrderOfFirstUse) {
  Profile p = MergeRange(0, 3);
  // Sample types first, then the samples' labels, then the functions.
  EXPECT_EQ(p.str(1), "samples");
  EXPECT_EQ(p.str(2), "count");
  EXPECT_EQ(p.str(3), "cpu");
  EXPECT_EQ(p.str(5), "pod");
  EXPECT_EQ(p.str(6), "pod-0");
  EXPECT_OK(p.Validate());
}

TEST(ProfileMergeTest, OneInputIsReturnedAsItIs) {
  ProfileMerger m;
  ASSERT_OK(m.Add(Varied(5), "only"));
  auto merged = m.Finish();
  ASSERT_OK(merged);
  EXPECT_EQ(PprofBytes(*merged), PprofBytes(Varied(5)));
  ProfileMerger none;
  EXPECT_FALSE(none.Finish().ok());
}

}  // namespace
}  // namespace gcspike
