// Time rules: what an execution trace's timeline adds to the stack rules (stack_rules.h).
// They need samples with the trace reader's `timestamp_ns` and `goroutine` labels and a
// Timeline (formats/go_trace_reader.h); on other profiles they do nothing.
//
//   assist-coupling   also when a sample whose stack has a map-assign or grow frame falls
//                     inside a mark-assist interval of the same goroutine: the assist itself
//                     is often not on the sampled stack (the runtime switches to the system
//                     stack, notes §B), but the goroutine was assisting while it inserted.
//   pre-pause         a grow-spike sample at most W before a stop-the-world start: map growth
//                     that fed the allocation which ended the GC cycle. Added last to the
//                     `gcspike` label value ("grow-spike+malloc-burst+pre-pause").
//   gcspike_cluster   numeric label (unit "cluster", 1, 2, ... in time order): density
//                     clusters of grow-spike samples in time, DBSCAN in one dimension with
//                     radius eps and at least min_samples samples within it for a core sample;
//                     samples in no cluster get no label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

inline constexpr std::string_view kClusterLabelKey = "gcspike_cluster";
inline constexpr std::string_view kPrePauseName = "pre-pause";

struct TimeRuleOptions {
  int64_t pre_pause_ns = 50'000'000;
  int64_t cluster_eps_ns = 20'000'000;
  int cluster_min_samples = 3;
};

struct GrowCluster {
  int64_t id = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t samples = 0;
};

struct GcCycleReport {
  int64_t seq = 0;
  int64_t start_ns = kNoTime;
  int64_t end_ns = kNoTime;
  int64_t grow_samples_before = 0;  // grow-spike samples in [start - W, start)
  int64_t assist_ns = 0;            // mark-assist wall time overlapping the cycle
  int64_t assists = 0;
  std::vector<std::pair<StrId, int64_t>> pauses;  // kind, duration (ns)
};

struct TimeAnalysis {
  bool applicable = false;  // the profile had timestamps and a timeline
  TimeRuleOptions options;
  std::vector<bool> pre_pause;        // per sample
  std::vector<int64_t> cluster;       // per sample, 0 = none
  int64_t samples_in_assist = 0;      // samples inside a mark assist of their goroutine
  int64_t assist_coupling_added = 0;  // of those, samples that got assist-coupling from time alone
  int64_t assist_coupling_by_begin_stack = 0;  // of those, via the assist's begin stack
  int64_t assist_coupling_by_time = 0;  // samples in an assist with a map frame on either stack
  int64_t assist_coupling_by_time_and_stack = 0;  // of those, also labelled by the stack rules
  int64_t pre_pause_samples = 0;
  std::vector<GrowCluster> clusters;
  std::vector<GcCycleReport> cycles;
  int64_t origin_ns = 0;  // the earliest time seen; the report counts from it
};

// Adds the time-derived assist-coupling bit to `features` (and the call site where the stack
// rules set none) and finds pre-pause samples and clusters. Call before Summarize/ApplyLabels.
// On profiles without trace timestamps or timeline it returns at once (applicable = false).
TimeAnalysis ApplyTimeRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                            std::vector<StackFeatures>& features, const TimeRuleOptions& options);

// After ApplyLabels: appends "+pre-pause" to the gcspike label of pre-pause samples and adds
// gcspike_cluster labels.
void ApplyTimeLabels(Profile& profile, const TimeAnalysis& analysis);

// The "Execution trace timeline" section of the text report; "" when not applicable.
std::string RenderTimeReport(const Profile& profile, const TimeAnalysis& analysis);

}  // namespace gcspike
