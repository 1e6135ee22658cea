// GoTraceProfileBuilder: what both Go execution trace readers (old format, go_trace_v1; new
// format, go_trace_v2) hand their decoded events to. It turns CPU samples into pprof samples,
// stack-table frames into Locations, and runtime ranges (GC mark phase, stop-the-world, mark
// assist) into the Profile's Timeline.
//
// Ranges follow golang.org/x/exp/trace's model (tests/gocheck/README.md, "Counting rules"), so
// the counts can be checked against it exactly: a range is keyed by (kind, name, scope);
// Begin opens it, Active opens it only if it is not already open (the new-format runtime
// re-announces open ranges at every generation), End completes a range opened by Begin and
// otherwise counts it as cut at the trace start.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/profile.h"
#include "core/profile_builder.h"

namespace gcspike {

// Outcome counts for one range kind (mirrors gocheck trace-stats' *_detail).
struct TraceRangeCounts {
  int64_t begin_events = 0;
  int64_t active_events = 0;
  int64_t end_events = 0;
  int64_t completed = 0;
  int64_t cut_at_start = 0;
  int64_t unfinished = 0;
  int64_t whole_trace = 0;
};

// What a trace reader learned besides the profile; `gcspike trace-stats` prints it.
struct GoTraceStats {
  std::string header;  // "go 1.N trace"
  int64_t cpu_samples = 0;
  TraceRangeCounts gc;
  TraceRangeCounts stw;
  TraceRangeCounts assist;
  std::map<std::string, int64_t> stw_by_reason;  // completed pauses per reason
  int64_t generations = 0;                       // new format only
  int64_t skipped_experimental_batches = 0;
};

enum class TraceRangeKind { kGc, kStw, kAssist };

// A goroutine id as x/exp reports it: the wire value 0 ("no goroutine") becomes -1.
inline int64_t TraceGoroutine(uint64_t wire_g) {
  return wire_g == 0 ? -1 : static_cast<int64_t>(wire_g);
}

class GoTraceProfileBuilder {
 public:
  struct Options {
    bool assist_profile = false;
    int64_t sample_period_ns = 10'000'000;  // 100 Hz: the trace does not record the rate
  };
  GoTraceProfileBuilder(Profile& profile, Options options);

  // One frame of a stack table entry; returns its Location id. Frames are logical (inlined
  // calls are separate frames), so each Location has one Line.
  uint64_t InternFrame(uint64_t pc, std::string_view function, std::string_view file, int64_t line);

  // A CPU sample: location ids leaf first (may be empty).
  void AddCpuSample(int64_t ts_ns, int64_t goroutine, std::vector<uint64_t> location_ids);

  // Ranges. `name` is the STW reason (StrId in the profile) and 0 for the other kinds; `scope`
  // is the goroutine for STW and assists, 0 for GC. `seq` is the GC cycle number when known.
  void RangeBegin(TraceRangeKind kind, StrId name, int64_t scope, int64_t ts_ns,
                  std::vector<uint64_t> stack, int64_t seq = 0);
  void RangeActive(TraceRangeKind kind, StrId name, int64_t scope, int64_t ts_ns, int64_t seq = 0);
  void RangeEnd(TraceRangeKind kind, StrId name, int64_t scope, int64_t ts_ns, int64_t seq = 0);

  void HeapAlloc(int64_t ts_ns, uint64_t bytes) {
    p_.timeline.heap_alloc.push_back({ts_ns, bytes});
  }
  void HeapGoal(int64_t ts_ns, uint64_t bytes) { p_.timeline.heap_goal.push_back({ts_ns, bytes}); }
  // A blocking event of a goroutine (core/profile.h BlockingEvent), in any order; Finish sorts.
  void Blocking(int64_t goroutine, int64_t ts_ns);

  // Closes the books: unfinished ranges into the timeline, sample labels that need the whole
  // timeline (gc_cycle), the optional assist sample type, time_nanos/duration. Call once.
  void Finish(int64_t min_ts_ns, int64_t max_ts_ns);

  Profile& profile() { return p_; }
  GoTraceStats& stats() { return stats_; }

  // What the profile built so far takes in memory, estimated from its sizes (the readers
  // compare it with --max-memory): per CPU sample a Sample with its stack, two values and two
  // labels; per timeline entry its struct (an assist also its stack); per location and
  // function their structs and index entries; per open range its entry.
  uint64_t ModelBytes() const;
  // An error at `offset` when ModelBytes() plus the reader's own `table_bytes` (its string and
  // stack tables: `tables` names whose) is past `budget`.
  Status CheckBudget(uint64_t table_bytes, const char* tables, uint64_t budget,
                     uint64_t offset) const;

 private:
  struct OpenRange {
    bool by_begin = false;
    int64_t start_ns = kNoTime;
    int64_t seq = 0;
    std::vector<uint64_t> stack;
  };
  using RangeKey = std::tuple<int, StrId, int64_t>;
  TraceRangeCounts& Counts(TraceRangeKind kind);
  void Close(TraceRangeKind kind, StrId name, int64_t scope, const OpenRange* open, int64_t end_ns,
             int64_t seq);
  // Parts of Finish: the ranges still open go into the timeline; a sample's gc_cycle label;
  // the assist-trace hook frames at the leaf of an assist's stack; the mark_assist_wall samples.
  void CloseOpenRanges();
  // A sample's timestamp_ns and goroutine labels.
  std::vector<Label> TimeAndGoroutine(int64_t ts_ns, int64_t goroutine) const;
  Label GcCycleLabel(const std::vector<int64_t>& cycle_starts, int64_t ts_ns) const;
  size_t LeadingAssistHooks(const std::vector<uint64_t>& stack) const;
  void AddAssistSamples(const std::vector<int64_t>& cycle_starts, int64_t min_ts_ns,
                        int64_t max_ts_ns);

  Profile& p_;
  Options options_;
  ProfileBuilder builder_;
  GoTraceStats stats_;
  std::map<RangeKey, OpenRange> open_;
  uint64_t stack_bytes_ = 0;  // the stacks of samples and ranges
  StrId key_timestamp_, key_goroutine_, key_gc_cycle_;
  StrId unit_ns_, unit_goroutine_, unit_count_;
};

}  // namespace gcspike
