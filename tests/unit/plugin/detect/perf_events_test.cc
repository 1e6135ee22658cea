#include "plugin/detect/perf_events.h"

#include <gtest/gtest.h>

#include <tuple>

#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/fail_on.h"
#include "plugin/detect/runtime_signature_catalogue.h"
#include "plugin/detect/stack_rules.h"
#include "plugin/detect/visibility.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

using testing::StackProfile;

constexpr const char* kGrow =
    "runtime.goexit > main.fill > runtime.mapassign_faststr > runtime.hashGrow > "
    "runtime.makeBucketArray > runtime.newarray > runtime.mallocgc";
constexpr const char* kOther = "runtime.goexit > main.work > strconv.Itoa";

TEST(PerfEventsTest, CpuTimeEventsByPerfsNames) {
  for (const char* e :
       {"cpu-clock", "task-clock", "cycles", "cpu-cycles", "ref-cycles", "cycles:u", "cycles:ppp",
        "cpu-clock:uk", "cpu/cycles/", "cpu_core/cycles/u", "cpu_atom/cpu-cycles,period=100000/"}) {
    EXPECT_TRUE(IsCpuTimeEvent(e)) << e;
  }
  for (const char* e : {"page-faults", "minor-faults", "context-switches", "cs", "instructions",
                        "cache-misses", "sched:sched_switch", "raw_syscalls:sys_enter",
                        "probe_app:cycles", "cpu/event=0x3c,umask=0x0/", "cycles:bad", ""}) {
    EXPECT_FALSE(IsCpuTimeEvent(e)) << e;
  }
}

TEST(PerfEventsTest, KernelOnlyEventsByTheirModifiers) {
  for (const char* e :
       {"cpu-clock:k", "cycles:kpp", "cpu/cycles/k", "cpu_core/cycles,period=9/kh"}) {
    EXPECT_TRUE(IsKernelOnlyCpuTimeEvent(e)) << e;
  }
  for (const char* e :
       {"cpu-clock", "cpu-clock:u", "cpu-clock:uk", "cycles:ku", "cycles:ppp", "cpu/cycles/",
        "cpu/cycles/u", "cpu/cycles", "sched:sched_kthread_stop", "probe_k:k", ""}) {
    EXPECT_FALSE(IsKernelOnlyCpuTimeEvent(e)) << e;
  }
}

// A perf.data model as the reader builds it: two sample types per event, each sample filling
// its own event's pair (formats/perf_data_reader.h).
void SetPerfTypes(Profile& p, std::initializer_list<const char*> events) {
  p.sample_types.clear();
  for (const char* e : events) {
    p.sample_types.push_back({p.Intern(std::string(e) + "_samples"), p.Intern("count")});
    p.sample_types.push_back({p.Intern(std::string(e) + "_period"), p.Intern("events")});
  }
  p.default_sample_type = 0;
}
void AddEventSample(StackProfile& sp, const char* stack, size_t event, int64_t period) {
  const size_t i = sp.Add(stack);
  std::vector<int64_t>& v = sp.profile.samples[i].values;
  v.assign(sp.profile.sample_types.size(), 0);
  v[2 * event] = 1;
  v[2 * event + 1] = period;
}

// `perf record -e cpu-clock -e sched:sched_switch`: 10 CPU samples, 4 in map growth, and 20
// context switches, all in map growth (a thread that blocked there). The shares are of the CPU
// samples: 40 %, not 80 %; the value share is of cpu-clock's period, not of the switches'.
TEST(PerfEventsTest, OnlyTheCpuTimeEventsSamplesAreCounted) {
  StackProfile sp;
  SetPerfTypes(sp.profile, {"cpu-clock", "sched:sched_switch"});
  for (int k = 0; k < 4; ++k) AddEventSample(sp, kGrow, 0, 1'000'000);
  for (int k = 0; k < 6; ++k) AddEventSample(sp, kOther, 0, 1'000'000);
  for (int k = 0; k < 20; ++k) AddEventSample(sp, kGrow, 1, 1);
  const PerfEvents events = FindPerfEvents(sp.profile);
  EXPECT_TRUE(events.any);
  EXPECT_EQ(events.cpu_samples, 0u);
  EXPECT_EQ(events.cpu_period, 1u);
  EXPECT_EQ(ReportValueIndex(sp.profile), 1u);
  EXPECT_EQ(sp.profile.DefaultValueIndex(), 3u);  // what pprof shows: the last type
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  DetectionThresholds t;
  SummaryContext context;
  context.visibility.min_samples = 5;
  const DetectionSummary s = Summarize(sp.profile, features, t, context);
  EXPECT_EQ(s.samples, 10u);
  EXPECT_EQ(s.sample_records, 30u);
  EXPECT_EQ(s.value_type, "cpu-clock_period/events");
  EXPECT_DOUBLE_EQ(s.features[0].fraction, 0.4);
  EXPECT_DOUBLE_EQ(s.features[0].value_fraction, 0.4);
  EXPECT_EQ(s.visibility.kind, ProfileKind::kCpu);
}

// `perf record -e page-faults`: no CPU time anywhere, so nothing can be judged.
TEST(PerfEventsTest, ARecordingOfOtherEventsOnlyIsBlind) {
  StackProfile sp;
  SetPerfTypes(sp.profile, {"page-faults", "sched:sched_switch"});
  for (int k = 0; k < 50; ++k) AddEventSample(sp, kOther, 0, 1);
  EXPECT_FALSE(FindPerfEvents(sp.profile).cpu_samples.has_value());
  EXPECT_EQ(FindPerfEvents(sp.profile).first_event, "page-faults");
  EXPECT_EQ(ClassifyProfileKind(sp.profile), ProfileKind::kEvents);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  const DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  EXPECT_EQ(s.samples, 50u);  // each record, for the counts the report prints
  EXPECT_EQ(s.overall, Verdict::kInconclusive);
  EXPECT_EQ(s.features[0].cause, "profile-type");
  EXPECT_NE(s.features[0].reason.find("a perf.data recording of page-faults"), std::string::npos)
      << s.features[0].reason;
  EXPECT_NE(s.features[0].reason.find("-e cpu-clock"), std::string::npos);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike>10%"), s).outcome,
            GateResult::Outcome::kUndecided);
}

// `perf record -a`: processes by their CPU samples, largest first (equal ones by pid), each named
// by the comm most of its samples carry (a process renamed at exec, a thread named apart), and
// context switches counting for none.
TEST(PerfEventsTest, ProcessesByCpuSamplesNamedByTheirMostCommonComm) {
  StackProfile sp;
  SetPerfTypes(sp.profile, {"cpu-clock", "sched:sched_switch"});
  auto add = [&](int64_t pid, const char* comm, size_t event) {
    AddEventSample(sp, kOther, event, 1);
    Sample& s = sp.profile.samples.back();
    sp.profile.SetNumLabel(s, "pid", pid, "");
    sp.profile.SetStrLabel(s, "comm", comm);
  };
  add(40, "perf-exec", 0);  // before exec
  for (int k = 0; k < 3; ++k) add(40, "wl", 0);
  add(40, "gc-worker", 0);
  for (int k = 0; k < 5; ++k) add(7, "sh", 0);
  for (int k = 0; k < 9; ++k) add(7, "sh", 1);  // switches: no CPU samples
  for (int k = 0; k < 5; ++k) add(3, k < 2 ? "b" : k < 4 ? "a" : "c", 0);  // a, b tie: a
  add(0, "swapper", 0);  // the idle task is no process
  auto shares = ProcessShares(sp.profile);
  ASSERT_TRUE(shares.ok());
  std::vector<std::tuple<int64_t, std::string, double>> got;
  for (const ProcessShare& p : *shares) got.emplace_back(p.pid, p.comm, p.samples);
  EXPECT_EQ(got, (std::vector<std::tuple<int64_t, std::string, double>>{
                     {3, "a", 5}, {7, "sh", 5}, {40, "wl", 5}}));
}

}  // namespace
}  // namespace gcspike
