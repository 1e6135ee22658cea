// Which events of a perf.data recording sample CPU time. The perf.data reader gives each event
// two sample types, "<event>_samples" (1 per sample) and "<event>_period"
// (formats/perf_data_reader.h), and a recording may hold several events: `-e cpu-clock -e
// sched:sched_switch` (what map-churn needs) samples CPU time and context switches into one
// profile. The shares the report states are shares of CPU work, so only a CPU-time event's
// samples count; a recording of other events only (page faults, context switches, a tracepoint)
// cannot show where the CPU went (docs/formats/perf-data.md#event-names).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "core/result.h"
#include "formats/perf_sample_layout.h"  // IsCpuTimeEvent, IsKernelOnlyCpuTimeEvent

namespace gcspike {

struct PerfEvents {
  bool any = false;                   // the profile has "<event>_samples" types (perf.data)
  std::optional<size_t> cpu_samples;  // the first CPU-time event's "_samples" type, if any
  std::optional<size_t> cpu_period;   // ... and its "_period" type
  std::string cpu_event;              // that event's name
  bool cpu_kernel_only = false;       // it samples kernel code only ("cpu-clock:k")
  std::string first_event;            // the first event's name ("page-faults")
};
PerfEvents FindPerfEvents(const Profile& profile);

// The processes of a recording by their CPU samples (labels "pid" and "comm", as the perf.data
// reader writes them; none without a pid label), largest first, equal ones by pid, each named by
// the comm of most of its samples (ties: the first in byte order): `perf record -a` holds every
// process of the machine, and a share of them all is not the share of the program's own work.
struct ProcessShare {
  int64_t pid = 0;
  std::string comm;
  double samples = 0;
};
Result<std::vector<ProcessShare>> ProcessShares(const Profile& profile);

// The sample type whose share the report calls "value": the first CPU-time event's period in
// perf.data, else the profile's default (what pprof shows).
size_t ReportValueIndex(const Profile& profile);

}  // namespace gcspike
