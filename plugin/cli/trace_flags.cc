// Flags for Go execution trace input (formats/go_trace_reader.h) and the diagnostic trace-stats
// command that tests compare against gocheck's x/exp-based counts.
#include "plugin/cli/trace_flags.h"

#include <gflags/gflags.h>

#include <cstdio>
#include <string>

#include "formats/go_trace_reader.h"
#include "formats/input_source.h"
#include "formats/json_text.h"
#include "formats/profile_reader.h"
#include "plugin/cli/commands.h"
#include "plugin/cli/input_limit_flags.h"

DEFINE_bool(assist_profile, false,
            "Go execution traces: add a sample type mark_assist_wall/nanoseconds with the wall "
            "time of each GC mark assist, attributed to the stack that began it.");
DEFINE_double(pre_pause_ms, 50,
              "Execution traces: a grow-spike sample at most this many ms before a "
              "GC stop-the-world start (sweep or mark termination) gets pre-pause in its "
              "gcspike label.");
DEFINE_double(pre_pause_ratio, 1.5,
              "report, execution traces: pre-pause is a spike only when the share of grow-spike "
              "samples before a pause is at least this many times the share of the timeline "
              "those windows cover (and significant, binomial p < 0.01); normal only when the "
              "share's 95% interval lies below that.");
DEFINE_double(mark_overlap_ratio, 1.5,
              "report, execution traces: mark-overlap is a spike only when the share of "
              "grow-spike samples inside GC mark phases is at least this many times the share "
              "of the timeline the phases cover (and significant, binomial p < 0.01); normal "
              "only when the share's 95% interval lies below that.");
DEFINE_double(heap_step_pct, 5,
              "report, execution traces: a heap step is a rise of the heap-alloc series by more "
              "than this percentage of the heap within 10 ms (feature heap-step).");
DEFINE_double(mark_termination_ratio, 1.5,
              "report, execution traces: mark-termination is a spike only when the median "
              "mark-termination pause of the quarter of GC cycles with the most grow samples "
              "is at least this many times the quarter with the fewest (and the rank "
              "correlation is significant, p < 0.01); normal only when that ratio's 95% "
              "bootstrap interval lies below this.");
DEFINE_int32(map_churn_run, 3,
             "Execution traces and perf.data: map-churn marks runs of at least this many "
             "consecutive samples of one goroutine (thread) in a map insert with no blocking or "
             "syscall between them (label gcspike_run).");
DEFINE_double(map_churn_pct, 5,
              "report: map-churn is a spike when the 95 % interval of its share of the samples "
              "lies at or above this percentage, normal when wholly below.");
DEFINE_double(cluster_eps_ms, 20,
              "Execution traces: grow-spike samples within this many ms of each other are "
              "neighbours when clustering them in time (label gcspike_cluster).");
DEFINE_int32(cluster_min_samples, 3,
             "Execution traces: neighbours (itself included) a grow-spike sample needs to "
             "start a time cluster.");
DEFINE_bool(stacks, false,
            "trace-stats: after the JSON line, print one line per CPU sample: "
            "timestamp_ns goroutine leaf;...;root.");

namespace gcspike::cli {
namespace {

std::string Detail(const TraceRangeCounts& c) {
  return "{\"begin_events\":" + std::to_string(c.begin_events) +
         ",\"active_events\":" + std::to_string(c.active_events) +
         ",\"end_events\":" + std::to_string(c.end_events) +
         ",\"completed\":" + std::to_string(c.completed) +
         ",\"cut_at_start\":" + std::to_string(c.cut_at_start) +
         ",\"unfinished\":" + std::to_string(c.unfinished) +
         ",\"whole_trace\":" + std::to_string(c.whole_trace) + "}";
}

template <typename T>
int64_t CountComplete(const std::vector<T>& v) {
  int64_t n = 0;
  for (const T& x : v) n += x.start_ns != kNoTime && x.end_ns != kNoTime;
  return n;
}

}  // namespace

void ApplyTraceReadOptions(ReadOptions& options) { options.assist_profile = FLAGS_assist_profile; }

Result<TimeRuleOptions> TimeRuleOptionsFromFlags() {
  constexpr double kMaxMs = 1e9;  // about 11.6 days: keeps the nanoseconds in range
  constexpr double kMaxRatio = 1e6;
  if (!(FLAGS_pre_pause_ms >= 0 && FLAGS_pre_pause_ms <= kMaxMs)) {
    return MakeError("--pre-pause-ms must be between 0 and 1e9");
  }
  if (!(FLAGS_cluster_eps_ms >= 0 && FLAGS_cluster_eps_ms <= kMaxMs)) {
    return MakeError("--cluster-eps-ms must be between 0 and 1e9");
  }
  // Below 1 a depletion could pass for a spike; NaN and infinity compare false.
  if (!(FLAGS_pre_pause_ratio >= 1 && FLAGS_pre_pause_ratio <= kMaxRatio)) {
    return MakeError("--pre-pause-ratio must be between 1 and 1e6");
  }
  if (FLAGS_cluster_min_samples < 1) return MakeError("--cluster-min-samples must be at least 1");
  if (!(FLAGS_mark_overlap_ratio >= 1 && FLAGS_mark_overlap_ratio <= kMaxRatio)) {
    return MakeError("--mark-overlap-ratio must be between 1 and 1e6");
  }
  if (!(FLAGS_mark_termination_ratio >= 1 && FLAGS_mark_termination_ratio <= kMaxRatio)) {
    return MakeError("--mark-termination-ratio must be between 1 and 1e6");
  }
  if (!(FLAGS_heap_step_pct > 0 && FLAGS_heap_step_pct <= 1e6)) {
    return MakeError("--heap-step-pct must be above 0 and at most 1e6");
  }
  if (FLAGS_map_churn_run < 2) return MakeError("--map-churn-run must be at least 2");
  if (!(FLAGS_map_churn_pct > 0 && FLAGS_map_churn_pct <= 100)) {
    return MakeError("--map-churn-pct must be above 0 and at most 100");
  }
  TimeRuleOptions o;
  o.churn.run_length = FLAGS_map_churn_run;
  o.churn.share = FLAGS_map_churn_pct / 100;
  o.pre_pause_ns = static_cast<int64_t>(FLAGS_pre_pause_ms * 1e6);
  o.cluster_eps_ns = static_cast<int64_t>(FLAGS_cluster_eps_ms * 1e6);
  o.cluster_min_samples = FLAGS_cluster_min_samples;
  o.pre_pause_min_ratio = FLAGS_pre_pause_ratio;
  o.mark_overlap_min_ratio = FLAGS_mark_overlap_ratio;
  o.mark_termination_min_ratio = FLAGS_mark_termination_ratio;
  o.heap_step_share = FLAGS_heap_step_pct / 100;
  return o;
}

int RunTraceStats(const Args& args) {
  if (args.positional.size() != 1) {
    return Fail(MakeError("usage: gcspike trace-stats [--stacks] TRACE"));
  }
  auto in = InputSource::Open(args.positional[0]);
  if (!in.ok()) return Fail(in.error());
  ReadOptions options;
  if (Status s = ApplyInputLimitFlags(options); !s.ok()) return Fail(s.error());
  GoTraceStats stats;
  auto profile = ReadGoTrace(**in, options, &stats);
  if (Status s = (*in)->CheckNotShrunk(); !s.ok()) return Fail(s.error());  // as ReadProfile
  if (!profile.ok()) return Fail((*in)->Annotate(profile.error()));
  const Profile& p = *profile;

  // The headline counts come from the Timeline (completed = both ends known), the details from
  // the reader's range bookkeeping: the two must agree with each other and with gocheck.
  std::string out = "{\"file\":" + JsonString(args.positional[0]) +
                    ",\"header\":" + JsonString(stats.header) +
                    ",\"cpu_samples\":" + std::to_string(p.samples.size()) +
                    ",\"gc_cycles\":" + std::to_string(CountComplete(p.timeline.gc_cycles)) +
                    ",\"stw_pauses\":" + std::to_string(CountComplete(p.timeline.pauses)) +
                    ",\"mark_assists\":" + std::to_string(CountComplete(p.timeline.assists)) +
                    ",\"stw_by_reason\":{";
  bool first = true;
  for (const auto& [reason, n] : stats.stw_by_reason) {
    out += (first ? "" : ",") + JsonString(reason) + ":" + std::to_string(n);
    first = false;
  }
  out += "},\"gc_detail\":" + Detail(stats.gc) + ",\"stw_detail\":" + Detail(stats.stw) +
         ",\"assist_detail\":" + Detail(stats.assist) +
         ",\"generations\":" + std::to_string(stats.generations) +
         ",\"skipped_experimental_batches\":" + std::to_string(stats.skipped_experimental_batches) +
         "}\n";
  std::fputs(out.c_str(), stdout);
  if (FLAGS_stacks) {
    std::string line;
    for (const Sample& s : p.samples) {
      line = std::to_string(p.NumLabel(s, "timestamp_ns").value_or(0)) + " " +
             std::to_string(p.NumLabel(s, "goroutine").value_or(-1)) + " ";
      for (size_t i = 0; i < s.location_ids.size(); ++i) {
        if (i > 0) line += ';';
        for (const Line& l : p.location(s.location_ids[i]).lines) {
          line += p.str(p.function(l.function_id).name);
        }
      }
      line += '\n';
      std::fputs(line.c_str(), stdout);
    }
  }
  return kExitOk;
}

}  // namespace gcspike::cli
