// The old-format reader's semantics (go_trace_v1.h): events framed by go_trace_v1_events.cc
// become the string and stack tables (go_trace_tables.h), the batch state (which P, its clock,
// the goroutine each P runs) and the kept range, heap and blocking events and CPU samples,
// which Emit merges by time into the profile and its timeline at the end of the trace.
#include "formats/go_trace_v1.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "formats/go_trace_abi.h"
#include "formats/go_trace_tables.h"
#include "formats/go_trace_v1_events.h"
#include "formats/go_trace_v2_spill.h"

namespace gcspike {
namespace {

using namespace go_trace::v1;  // NOLINT(build/namespaces): the format's names

// The goroutine blocked or entered a system call (docs/formats/go-trace.md#blocking-events): the
// block events but GoBlockGC (a GC assist waiting for work), GoStop (blocked forever) and the
// syscall event (written at entry; GoSysBlock follows only when it blocks).
constexpr bool IsBlocking(uint8_t type) {
  switch (type) {
    case kEvGoStop:
    case kEvGoSleep:
    case kEvGoBlock:
    case kEvGoBlockSend:
    case kEvGoBlockRecv:
    case kEvGoBlockSelect:
    case kEvGoBlockSync:
    case kEvGoBlockCond:
    case kEvGoBlockNet:
    case kEvGoSysCall:
      return true;
    default:
      return false;
  }
}

// stwReason names (runtime/proc.go stwReasonStrings, Go 1.21; x/exp tracev1 STWReason).
constexpr const char* kStwReasons[] = {
    "",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutine stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "GOMAXPROCS",
    "start trace",
    "stop trace",
    "CountPagesInUse (test)",
    "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)",
    "ResetDebugLog (test)",
};

struct RawCpuSample {
  int64_t ticks = 0;  // realTs: taken in the signal handler (docs/formats/go-trace.md#cpu-samples)
  uint64_t g = 0;
  uint64_t stack = 0;
  uint64_t offset = 0;
};

// The range, heap and blocking events are kept (in sorted runs in a temporary file past 8 MiB)
// as TraceKeptEvents: ticks as the time, the P's goroutine, the argument (seq of GCStart, kind of
// STWStart, bytes of HeapAlloc/HeapGoal) and the stack id.
constexpr int kArg = 0;
constexpr int kStack = 1;

class TraceV1Reader : public TraceV1EventSink {
 public:
  TraceV1Reader(int minor, const ReadOptions& options, GoTraceProfileBuilder& builder)
      : minor_(minor), options_(options), b_(builder) {}

  Status OnString(uint64_t id, std::string_view text, uint64_t offset) override {
    return tables_.AddString(id, text, offset);
  }
  Status OnEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t offset) override;
  Status Emit();
  // Refuses to let the profile and the trace's tables grow past --max-memory.
  Status CheckBudget(uint64_t offset) const;

 private:
  Status AddStack(const std::vector<uint64_t>& v, uint64_t offset);
  Status OnTimedEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t offset);
  Status EmitEvent(const TraceKeptEvent& e, StrId& last_stw_reason);
  Status EmitSamples(uint64_t& processed);
  void SeeTicks(int64_t t) {
    min_ticks_ = std::min(min_ticks_, t);
    max_ticks_ = std::max(max_ticks_, t);
  }
  int64_t ToNs(int64_t ticks) const {
    // x/exp tracev1: Timestamp(float64(ts - minTs) * (1e9 / float64(ticksPerSec))).
    const double v = static_cast<double>(ticks - min_ticks_) * ns_per_tick_;
    if (!(v < 9.2e18 && v > -9.2e18)) return v > 0 ? std::numeric_limits<int64_t>::max() : 0;
    return static_cast<int64_t>(v);
  }
  StrId StwName(uint64_t kind);
  Status Keep(const TraceKeptEvent& e) {
    ++kept_events_;
    return events_.Add(e);
  }

  const int minor_;
  const ReadOptions& options_;
  GoTraceProfileBuilder& b_;
  GoTraceTables tables_{"the trace's"};
  TraceEventRuns events_;
  uint64_t kept_events_ = 0;
  std::vector<RawCpuSample> samples_;
  int64_t ticks_per_second_ = 0;
  double ns_per_tick_ = 0;
  int64_t min_ticks_ = std::numeric_limits<int64_t>::max();
  int64_t max_ticks_ = std::numeric_limits<int64_t>::min();

  // Batch state: the P whose batch we are in, its running timestamp, the goroutine each P runs.
  bool in_batch_ = false;
  int64_t cur_p_ = 0;
  int64_t last_ticks_ = 0;
  std::unordered_map<int64_t, uint64_t> p_goroutine_;
  uint64_t* cur_g_ = nullptr;  // &p_goroutine_[cur_p_]
};

Status TraceV1Reader::AddStack(const std::vector<uint64_t>& v, uint64_t off) {
  // [id, n, n × {pc, func, file, line}], leaf first
  // (docs/formats/go-trace.md#old-format-stacks-and-strings).
  if (v.size() < 2) return MakeErrorAt(off, "stack event with fewer than 2 values");
  const uint64_t id = v[0], n = v[1];
  if (n > kMaxStackFrames || v.size() != 2 + kValuesPerFrame * n) {
    return MakeErrorAt(off, "stack event with " + std::to_string(v.size()) + " values for " +
                                std::to_string(n) + " frames");
  }
  if (id == 0 || n == 0) return {};
  const size_t begin = tables_.StackBegin();
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t* f = &v[2 + kValuesPerFrame * i];
    tables_.AddFrame(f[0], GoTraceFrame{f[1], f[2], f[3], off});
  }
  tables_.AddStack(id, begin, /*replace=*/true);
  return {};
}

Status TraceV1Reader::OnEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t off) {
  switch (type) {
    case kEvBatch: {
      // [pid, ticks]: pid 2^64-1 is the global buffer (traceGlobProc).
      if (v[0] != kGlobalProc && v[0] > static_cast<uint64_t>(INT32_MAX)) {
        return MakeErrorAt(off, "processor id " + std::to_string(v[0]) + " out of range");
      }
      if (v[1] > static_cast<uint64_t>(INT64_MAX)) {
        return MakeErrorAt(off, "timestamp out of range");
      }
      in_batch_ = true;
      cur_p_ = v[0] == kGlobalProc ? -1 : static_cast<int64_t>(v[0]);
      cur_g_ = &p_goroutine_[cur_p_];  // unordered_map elements never move
      last_ticks_ = static_cast<int64_t>(v[1]);
      return {};
    }
    case kEvFrequency:
      if (v[0] == 0 || v[0] > static_cast<uint64_t>(INT64_MAX)) {
        return MakeErrorAt(off, "invalid trace clock frequency " + std::to_string(v[0]));
      }
      ticks_per_second_ = static_cast<int64_t>(v[0]);
      return {};
    case kEvStack:
      return AddStack(v, off);
    case kEvTimerGoroutine:
      return {};
    default:
      break;
  }
  if (!in_batch_) return MakeErrorAt(off, "event before the first batch header");
  if (type == kEvCPUSample) {
    // [dt, realTs, p, g, stack]. Written by the trace reader goroutine into its own buffer, so
    // neither the batch's P nor its running timestamp apply (docs/formats/go-trace.md#cpu-samples);
    // x/exp does not advance the batch clock over them either.
    if (v[1] > static_cast<uint64_t>(INT64_MAX)) return MakeErrorAt(off, "timestamp out of range");
    RawCpuSample s;
    s.ticks = static_cast<int64_t>(v[1]);
    s.g = v[3];
    s.stack = v[4];
    s.offset = off;
    SeeTicks(s.ticks);
    samples_.push_back(s);
    return {};
  }
  return OnTimedEvent(type, v, off);
}

// A timed event on the current P: its time is the running value plus its delta.
Status TraceV1Reader::OnTimedEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t off) {
  int64_t ticks = 0;
  if (v[0] > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_add_overflow(last_ticks_, static_cast<int64_t>(v[0]), &ticks)) {
    return MakeErrorAt(off, "timestamp out of range");
  }
  last_ticks_ = ticks;
  SeeTicks(ticks);
  uint64_t& g = *cur_g_;
  TraceKeptEvent e;
  e.ts_ns = ticks;
  e.goroutine = static_cast<int64_t>(g);
  e.offset = off;
  e.type = type;
  switch (type) {
    case kEvGoStart:
    case kEvGoStartLocal:
    case kEvGoStartLabel:
      g = v[1];
      break;
    case kEvGoEnd:
    case kEvGoSched:
    case kEvGoPreempt:
    case kEvGoSysBlock:
    case kEvGoBlockGC:
      g = 0;
      break;
    case kEvGCStart:
      e.args[kArg] = v[1];
      e.args[kStack] = v[2];
      return Keep(e);
    case kEvSTWStart:
    case kEvHeapAlloc:
    case kEvHeapGoal:
      e.args[kArg] = v[1];
      return Keep(e);
    case kEvGCMarkAssistStart:
      e.args[kStack] = v[1];
      return Keep(e);
    case kEvGCDone:
    case kEvSTWDone:
    case kEvGCMarkAssistDone:
      return Keep(e);
    default:
      if (IsBlocking(type)) {
        e.args[kStack] = v.size() > 1 ? v[1] : 0;  // [dt, stack]
        GCSPIKE_RETURN_IF_ERROR(Keep(e));
        if (type != kEvGoSysCall) g = 0;  // blocked: the P runs no goroutine until a start
      }
      break;
  }
  return {};
}

StrId TraceV1Reader::StwName(uint64_t kind) {
  // Before 1.21 the kind was 0 = mark termination, 1 = sweep termination; 1.21 writes the
  // runtime's stwReason enum (docs/formats/go-trace.md#old-format-event-types, event 9).
  size_t reason = 0;
  if (minor_ < 21) {
    if (kind <= 1) reason = kind + 1;
  } else if (kind < std::size(kStwReasons)) {
    reason = kind;
  }
  return b_.profile().Intern(kStwReasons[reason]);
}

Status TraceV1Reader::EmitEvent(const TraceKeptEvent& e, StrId& last_stw_reason) {
  const int64_t ts = ToNs(e.ts_ns);
  const int64_t goroutine = TraceGoroutine(static_cast<uint64_t>(e.goroutine));
  switch (e.type) {
    case kEvGCStart: {
      // A stack id missing from the table is an empty stack (as x/exp).
      GCSPIKE_ASSIGN_OR_RETURN(auto stack, tables_.Locations(e.args[kStack], b_));
      b_.RangeBegin(TraceRangeKind::kGc, 0, 0, ts, std::move(stack),
                    static_cast<int64_t>(e.args[kArg]));
      break;
    }
    case kEvGCDone:
      b_.RangeEnd(TraceRangeKind::kGc, 0, 0, ts);
      break;
    case kEvSTWStart:
      last_stw_reason = StwName(e.args[kArg]);
      b_.RangeBegin(TraceRangeKind::kStw, last_stw_reason, goroutine, ts, {});
      break;
    case kEvSTWDone:
      // The old format's STW end carries no kind: it ends the last one begun (as x/exp).
      b_.RangeEnd(TraceRangeKind::kStw, last_stw_reason, goroutine, ts);
      break;
    case kEvGCMarkAssistStart: {
      GCSPIKE_ASSIGN_OR_RETURN(auto stack, tables_.Locations(e.args[kStack], b_));
      b_.RangeBegin(TraceRangeKind::kAssist, 0, goroutine, ts, std::move(stack));
      break;
    }
    case kEvGCMarkAssistDone:
      b_.RangeEnd(TraceRangeKind::kAssist, 0, goroutine, ts);
      break;
    case kEvHeapAlloc:
      b_.HeapAlloc(ts, e.args[kArg]);
      break;
    case kEvHeapGoal:
      b_.HeapGoal(ts, e.args[kArg]);
      break;
    default:
      // A wait on the GC's own semaphores (GoBlockSync in runtime.gcStart, runtime.gcMarkDone)
      // is the runtime's own, no blocking (docs/formats/go-trace.md#blocking-events).
      if (IsBlocking(e.type) && !tables_.InGcFunction(e.args[kStack])) {
        b_.Blocking(goroutine, ts);
      }
      break;
  }
  return {};
}

Status TraceV1Reader::EmitSamples(uint64_t& processed) {
  std::stable_sort(samples_.begin(), samples_.end(),
                   [](const RawCpuSample& a, const RawCpuSample& b) { return a.ticks < b.ticks; });
  int64_t missing_stacks = 0;
  for (const RawCpuSample& s : samples_) {
    // x/exp treats a stack id missing from the table as an empty stack; so do we, and say so.
    if (s.stack != 0 && !tables_.HasStack(s.stack)) ++missing_stacks;
    GCSPIKE_ASSIGN_OR_RETURN(auto locs, tables_.Locations(s.stack, b_));
    b_.AddCpuSample(ToNs(s.ticks), TraceGoroutine(s.g), std::move(locs));
    if ((++processed & 0xfff) == 0) GCSPIKE_RETURN_IF_ERROR(CheckBudget(s.offset));
  }
  if (missing_stacks > 0 && options_.diagnostics != nullptr) {
    options_.diagnostics->Warn(std::to_string(missing_stacks) +
                               " CPU samples name stacks missing from the trace's stack table; "
                               "they are kept with an empty stack");
  }
  return {};
}

Status TraceV1Reader::Emit() {
  if (ticks_per_second_ == 0) return MakeErrorAt(0, "the trace has no frequency event");
  if (kept_events_ == 0 && samples_.empty() && min_ticks_ > max_ticks_) {
    return MakeErrorAt(0, "the trace has no events");
  }
  ns_per_tick_ = 1e9 / static_cast<double>(ticks_per_second_);

  // Merge the per-P streams by time (x/exp sorts the merged events stably by timestamp).
  StrId last_stw_reason = 0;
  uint64_t processed = 0;
  GCSPIKE_RETURN_IF_ERROR(events_.Drain([&](const TraceKeptEvent& e) -> Status {
    if ((++processed & 0xfff) == 0) {
      if (Status s = CheckBudget(e.offset); !s.ok()) return s;
    }
    return EmitEvent(e, last_stw_reason);
  }));
  GCSPIKE_RETURN_IF_ERROR(EmitSamples(processed));
  b_.Finish(0, ToNs(max_ticks_));
  return {};
}

Status TraceV1Reader::CheckBudget(uint64_t offset) const {
  const uint64_t tables = samples_.capacity() * sizeof(RawCpuSample) +
                          tables_.frame_capacity() * sizeof(uint64_t) +
                          (tables_.string_count() + tables_.stack_count() + tables_.pc_count()) *
                              GoTraceTables::kMapEntryBytes +
                          tables_.string_bytes();
  return b_.CheckBudget(tables, "the trace's", options_.max_input_bytes, offset);
}

}  // namespace

Status ReadGoTraceV1(InputSource& in, int minor, const ReadOptions& options,
                     GoTraceProfileBuilder& builder) {
  // One pass over the events in windows of the stream: nothing refers back into the bytes
  // (strings and stacks are copied out), so memory is the window plus what is kept.
  // An event is at most 1 + 10 + 2048 + 10 + 1e6 bytes (a user log: argument area plus
  // message; a string is smaller), so parsing stops that far before a window's end unless
  // the window reaches the end of the input.
  constexpr size_t kWindow = 4 << 20;
  constexpr size_t kMaxEvent = 1'100'000;
  TraceV1Reader reader(minor, options, builder);
  for (;;) {
    GCSPIKE_ASSIGN_OR_RETURN(auto window, in.Peek(kWindow));
    if (window.empty()) break;
    const bool last = window.size() < kWindow;
    ByteCursor c(window, in.offset());
    GCSPIKE_RETURN_IF_ERROR(ReadTraceV1Events(c, last ? 0 : kMaxEvent, minor, reader));
    GCSPIKE_RETURN_IF_ERROR(in.Skip(c.pos()));
    GCSPIKE_RETURN_IF_ERROR(reader.CheckBudget(in.offset()));
    if (options.diagnostics != nullptr) {
      options.diagnostics->Progress("reading trace", in.offset(), in.size_hint());
    }
    if (last) break;
  }
  return reader.Emit();
}

}  // namespace gcspike
