// map-churn: pseudo-CPU-bound map churn. A goroutine (in a perf.data recording: a thread) that
// is sampled in a map insert `run_length` or more times in a row, with no blocking or system
// call of its own between those samples, looks CPU-bound in a flame graph but is inserting into
// maps that keep growing (small, freshly made maps with string keys): the fix is presizing or
// reusing the map, not more CPU.
//
// A run is a maximal sequence of consecutive samples of one goroutine, in time order, each with
// a map-assign frame (StackFeatures::roles & kRoleMapAssign), such that no blocking event of
// that goroutine (core/profile.h BlockingEvent: docs/formats/go-trace.md#blocking-events) lies
// in (t_i, t_i+1] between two neighbours. A sample without a map-assign frame ends the run.
// Samples in runs of at least run_length are map-churn samples; the feature's share is of the
// samples with a time (and a goroutine or not: the n of the report's other shares).
//
// Verdict (detection_summary.h's rules for a share): spike when the 95 % Wilson interval of the
// share lies wholly at or above `share`, normal when wholly below, inconclusive ("borderline")
// when it straddles; inconclusive too with fewer than kPrePauseMinSamples timed samples
// ("too-few-samples"), without a timeline ("no-timeline"), when the trace's blocking events
// were not all kept ("blocking-events-dropped"), and on perf.data without scheduler or syscall
// events ("no-blocking-events").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

inline constexpr std::string_view kMapChurnName = "map-churn";
inline constexpr std::string_view kRunLabelKey = "gcspike_run";

struct MapChurnOptions {
  int run_length = 3;
  double share = 0.05;
};

// One sample of the run search: who ran (goroutine or thread id), when, and whether it was in
// a map insert.
struct ChurnPoint {
  int64_t runner = 0;
  int64_t ts_ns = 0;
  bool map_insert = false;
};

// The run length of each point (0: in no run of at least run_length). `points` in any order;
// `blocking` sorted by (goroutine, ts_ns) with the runners' ids as goroutines.
std::vector<int64_t> FindChurnRuns(const std::vector<ChurnPoint>& points,
                                   std::span<const BlockingEvent> blocking, int run_length);

struct ChurnRunner {
  int64_t id = 0;           // goroutine or thread id
  int64_t longest_run = 0;  // samples
  int64_t start_ns = 0;     // of the longest run
  int64_t churn_samples = 0;
  int64_t runs = 0;
  std::string site;  // the longest run's first sample's map-insert call site; "" unknown
};

struct MapChurnAnalysis {
  bool applicable = false;
  std::string_view unit = "goroutine";  // "thread" on perf.data
  MapChurnOptions options;
  std::vector<int64_t> run;  // per profile sample (traces only): its run's length, 0 = none
  int64_t samples = 0;       // n: samples with a time
  int64_t churn_samples = 0;
  int64_t runs = 0;
  int64_t blocking_events = 0;
  double fraction = 0;
  Interval interval;
  Verdict verdict = Verdict::kInconclusive;
  std::string cause;
  std::string reason;
  std::vector<ChurnRunner> longest;  // at most kMaxChurnRunners, longest run first
  int64_t origin_ns = 0;             // the text report's times count from it
};

inline constexpr size_t kMaxChurnRunners = 5;

// The first frame above the innermost map assign that is neither runtime nor a map assign (the
// stack rules' call site); 0 when there is none.
uint64_t MapInsertCallSite(const Profile& profile, const StackClassifier& classifier,
                           std::span<const uint64_t> location_ids);

// From the per-sample times and goroutines (no time: nullopt-like kNoTime) of an execution
// trace and its Timeline::blocking.
MapChurnAnalysis AnalyzeMapChurn(const Profile& profile, const StackClassifier& classifier,
                                 const std::vector<StackFeatures>& features,
                                 const std::vector<int64_t>& times,
                                 const std::vector<int64_t>& goroutines,
                                 const MapChurnOptions& options);

// perf.data (a spooled or plain profile with tid and timestamp_ns labels): per thread, the
// samples of its sampling events (names without ':', e.g. cpu-clock), with its
// sched:sched_switch (every switch away: perf.data says no more that we read),
// raw_syscalls:sys_enter and syscalls:sys_enter_* samples as blocking events. Not applicable
// on other profiles; on a recording without such events inconclusive ("no-blocking-events").
Result<MapChurnAnalysis> AnalyzePerfMapChurn(const Profile& profile,
                                             const StackClassifier& classifier,
                                             const std::vector<StackFeatures>& features,
                                             const MapChurnOptions& options);

// ,"map-churn":{...} inside "features" (time_rules.h has the keys); the no-timeline form when
// not applicable.
void AppendMapChurnJson(std::string& out, const MapChurnAnalysis& a);
// The report's lines; "" when not applicable.
std::string RenderMapChurnText(const MapChurnAnalysis& a);

}  // namespace gcspike
