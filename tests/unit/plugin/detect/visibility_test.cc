#include "plugin/detect/visibility.h"

#include <gtest/gtest.h>

#include "core/profile_builder.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

using testing::StackProfile;

constexpr const char* kGoStack = "runtime.goexit > main.work > runtime.mapassign_faststr";

void SetTypes(Profile& p, std::initializer_list<std::pair<const char*, const char*>> types,
              const char* default_type = nullptr) {
  p.sample_types.clear();
  for (const auto& [t, u] : types) p.sample_types.push_back({p.Intern(t), p.Intern(u)});
  if (default_type != nullptr) p.default_sample_type = p.Intern(default_type);
}

TEST(VisibilityTest, ProfileKindsFromSampleTypes) {
  StackProfile sp;
  Profile& p = sp.profile;
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kCpu);
  // runtime/pprof's heap and allocs profiles have the same four types; the default tells.
  SetTypes(p, {{"alloc_objects", "count"},
               {"alloc_space", "bytes"},
               {"inuse_objects", "count"},
               {"inuse_space", "bytes"}});
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kHeap);
  p.default_sample_type = p.Intern("alloc_space");
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kAllocs);
  SetTypes(p, {{"goroutine", "count"}});
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kGoroutine);
  SetTypes(p, {{"contentions", "count"}, {"delay", "nanoseconds"}});
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kContention);
  SetTypes(p, {{"cycles_samples", "count"}, {"cycles_period", "count"}});
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kCpu);
  SetTypes(p, {{"widgets", "count"}});
  EXPECT_EQ(ClassifyProfileKind(p), ProfileKind::kUnknown);
}

TEST(VisibilityTest, AMemoryProfileIsBlindAndSaysWhatToTake) {
  StackProfile sp;
  sp.Add(kGoStack, 100);
  SetTypes(sp.profile, {{"alloc_objects", "count"}, {"alloc_space", "bytes"}}, "alloc_space");
  const Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_EQ(v.kind, ProfileKind::kAllocs);
  EXPECT_EQ(v.cause, "profile-type");
  EXPECT_NE(v.reason.find("allocs profile (alloc_space/bytes)"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("CPU profile"), std::string::npos) << v.reason;
}

TEST(VisibilityTest, AGoCpuProfileWithEnoughSamplesIsVisible) {
  StackProfile sp;
  sp.Add(kGoStack, 100);
  const Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_FALSE(v.blind()) << v.reason;
  EXPECT_TRUE(v.has_go_runtime);
  EXPECT_EQ(v.cut_cause, "");
  EXPECT_EQ(AssessVisibility(sp.profile, 29, false, {}).cause, "too-few-samples");
}

TEST(VisibilityTest, NoGoRuntimeFrameIsNotAGoProgram) {
  StackProfile sp;
  sp.Add("_start > __libc_start_main > main > compute", 100);
  const Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_EQ(v.cause, "not-go");
  EXPECT_FALSE(v.has_go_runtime);
}

TEST(VisibilityTest, UnsymbolizedUserFramesBlindButKernelFramesDoNot) {
  StackProfile sp;
  sp.Add(kGoStack, 80);
  Profile& p = sp.profile;
  // Two samples of raw addresses in the user's binary, one in the kernel without kallsyms.
  auto add_mapping = [&p](const char* name) {
    Mapping m;
    m.id = p.mappings.size() + 1;
    m.filename = p.Intern(name);
    p.mappings.push_back(m);
    return m.id;
  };
  auto add_raw_location = [&p](uint64_t mapping_id) {
    Location l;  // no lines: an address without a function name
    l.id = p.locations.size() + 1;
    l.mapping_id = mapping_id;
    l.address = 0x40 + l.id;
    p.locations.push_back(l);
    return l.id;
  };
  const uint64_t app = add_mapping("/srv/app");
  for (Location& l : p.locations) l.mapping_id = app;  // the named frames are the app's too
  const uint64_t raw_user = add_raw_location(app);
  const uint64_t raw_kernel = add_raw_location(add_mapping("[kernel.kallsyms]_text"));
  Sample kernel_sample = p.samples[0];
  kernel_sample.location_ids.insert(kernel_sample.location_ids.begin(), raw_kernel);
  kernel_sample.values = {15, 150'000'000};
  p.samples.push_back(kernel_sample);
  EXPECT_FALSE(AssessVisibility(p, 95, false, {}).blind());
  Sample user_sample = p.samples[0];
  user_sample.location_ids.insert(user_sample.location_ids.begin(), raw_user);
  user_sample.values = {20, 200'000'000};
  p.samples.push_back(user_sample);
  const Visibility v = AssessVisibility(p, 115, false, {});
  EXPECT_NEAR(v.unsymbolized_share, 20.0 / 115, 1e-12);
  EXPECT_EQ(v.cause, "unsymbolized");
  EXPECT_NE(v.reason.find("--binary"), std::string::npos);
  // An unnamed frame further out (a libc start routine without symbols) is no missing binary.
  for (Sample& s : p.samples) s.location_ids.push_back(raw_user);
  p.samples.pop_back();
  EXPECT_FALSE(AssessVisibility(p, 95, false, {}).blind());
}

TEST(VisibilityTest, StacksCutAtTheSystemStackMakeMapFeaturesLowerBounds) {
  StackProfile sp;
  sp.Add(kGoStack, 90);
  sp.Add("runtime.systemstack.abi0 > runtime.gcAssistAlloc.func2 > runtime.gcAssistAlloc1", 10);
  const Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_FALSE(v.blind());
  EXPECT_NEAR(v.truncated_share, 0.10, 1e-12);
  EXPECT_EQ(v.cut_cause, "recording-mode");
  EXPECT_NE(v.cut_reason.find("-g"), std::string::npos);
  // A trace ties assists to goroutines by time: its cut stacks hide nothing.
  EXPECT_EQ(AssessVisibility(sp.profile, 100, true, {}).cut_cause, "");
  // runtime.mcall at the root is the scheduler, not a cut recording, however often: a program
  // that blocks a lot shows it in 10 % of its samples with Go's own profiler.
  StackProfile fp;
  fp.Add(kGoStack, 90);
  fp.Add("runtime.mcall > runtime.park_m > runtime.schedule > runtime.findRunnable", 10);
  EXPECT_EQ(AssessVisibility(fp.profile, 100, false, {}).cut_cause, "");
  EXPECT_EQ(AssessVisibility(fp.profile, 100, false, {}).truncated_share, 0);
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(VisibilityTest, AKernelOnlyCpuClockIsBlindAUserOnlyOneIsNot) {
  // perf record -e cpu-clock:k: the shares are of kernel time; a "normal" scanobject-hotspot
  // would be a claim about user-space work the recording never sampled.
  StackProfile sp;
  sp.Add(kGoStack, 100);
  SetTypes(sp.profile, {{"cpu-clock:k_samples", "count"}, {"cpu-clock:k_period", "nanoseconds"}});
  Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_EQ(v.kind, ProfileKind::kCpu);
  EXPECT_EQ(v.cause, "profile-type");
  EXPECT_NE(v.reason.find("cpu-clock:k"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("kernel code"), std::string::npos) << v.reason;
  for (const char* event : {"cpu-clock:u", "cpu-clock:uk", "cpu-clock"}) {
    SetTypes(sp.profile, {{(std::string(event) + "_samples").c_str(), "count"},
                          {(std::string(event) + "_period").c_str(), "nanoseconds"}});
    v = AssessVisibility(sp.profile, 100, false, {});
    EXPECT_FALSE(v.blind()) << event << ": " << v.reason;
  }
}

TEST(VisibilityTest, SamplesWithoutCallersAreBlind) {
  // perf record without -g: each sample is its instruction alone, so no grow frame has the map
  // insert above it and a "normal" would be a claim the profile cannot back.
  StackProfile sp;
  sp.Add("runtime.mapassign_faststr", 40);
  sp.Add("internal/runtime/maps.(*table).rehash", 30);
  sp.Add("main.work", 20);
  sp.Add(kGoStack, 10);
  Visibility v = AssessVisibility(sp.profile, 100, false, {});
  EXPECT_NEAR(v.stackless_share, 0.9, 1e-12);
  EXPECT_EQ(v.cause, "no-stacks");
  EXPECT_NE(v.reason.find("90.0% of samples have no call stack"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("perf record -g"), std::string::npos) << v.reason;
  // A few leaf-only samples (runtime/pprof's lone runtime.systemstack) blind nothing.
  StackProfile ok;
  ok.Add(kGoStack, 95);
  ok.Add("runtime.systemstack", 5);
  v = AssessVisibility(ok.profile, 100, false, {});
  EXPECT_FALSE(v.blind()) << v.reason;
  EXPECT_NEAR(v.stackless_share, 0.05, 1e-12);
}

// One negative value makes a delta profile (go tool pprof -diff_base): blind, whatever its
// stacks show; a memory delta stays a memory profile.
TEST(VisibilityTest, ANegativeValueIsADeltaProfile) {
  StackProfile sp;
  sp.Add(kGoStack, 100);
  EXPECT_FALSE(AssessVisibility(sp.profile, 100, false, {}).delta);
  sp.Add("runtime.goexit > main.other", -1);
  const Visibility v = AssessVisibility(sp.profile, 101, false, {});
  EXPECT_TRUE(v.delta);
  EXPECT_EQ(v.cause, "delta");
  EXPECT_NE(v.reason.find("gcspike diff BASE NEW"), std::string::npos) << v.reason;
  SetTypes(sp.profile, {{"inuse_space", "bytes"}});
  EXPECT_EQ(AssessVisibility(sp.profile, 101, false, {}).cause, "profile-type");
}

TEST(VisibilityTest, ATraceWithoutCpuSamplesSaysHowToTakeOne) {
  testing::StackProfile sp;
  sp.profile.timeline.gc_cycles.push_back(GcCycle{1, 100, 200});
  const Visibility v = AssessVisibility(sp.profile, 0, false, {});
  EXPECT_EQ(v.cause, "no-samples");
  EXPECT_NE(v.reason.find("-cpuprofile"), std::string::npos) << v.reason;
  // Without a timeline, an empty profile is simply too small.
  EXPECT_EQ(AssessVisibility(testing::StackProfile().profile, 0, false, {}).cause,
            "too-few-samples");
}

TEST(VisibilityTest, FiltersThatLeaveTooFewSamplesAreNamed) {
  StackProfile sp;
  sp.Add(kGoStack, 10);
  VisibilityOptions o;  // min_samples 30
  o.samples_before_filters = 3000;
  Visibility v = AssessVisibility(sp.profile, 10, false, o);
  EXPECT_EQ(v.cause, "too-few-samples");
  EXPECT_NE(v.reason.find("the filters (--from/--to"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("left 10 of the 3000 samples, too few to tell (at least 30 "
                          "samples); widen them"),
            std::string::npos)
      << v.reason;
  EXPECT_EQ(v.reason.find("longer profile"), std::string::npos) << v.reason;
  // None left: filtered-out, as before.
  v = AssessVisibility(sp.profile, 0, false, o);
  EXPECT_EQ(v.cause, "filtered-out");
  EXPECT_NE(v.reason.find("kept none of the 3000 samples; widen them"), std::string::npos);
  // Filters on a profile too short anyway: widening them would not help.
  o.samples_before_filters = 20;
  v = AssessVisibility(sp.profile, 10, false, o);
  EXPECT_EQ(v.cause, "too-few-samples");
  EXPECT_NE(v.reason.find("only 10 samples, too few to tell; take a longer profile (at least "
                          "30 samples)"),
            std::string::npos)
      << v.reason;
  // Enough kept: no cause at all.
  o.samples_before_filters = 3000;
  EXPECT_FALSE(AssessVisibility(sp.profile, 30, false, o).blind());
}

}  // namespace
}  // namespace gcspike
