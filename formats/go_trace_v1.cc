#include "formats/go_trace_v1.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "formats/go_trace_v2_spill.h"

namespace gcspike {
namespace {

// Event types of the old format (runtime/trace.go up to Go 1.21;
// docs/formats/go-trace.md#old-format-event-types).
enum : uint8_t {
  kEvBatch = 1,
  kEvFrequency = 2,
  kEvStack = 3,
  kEvGCStart = 7,
  kEvGCDone = 8,
  kEvSTWStart = 9,
  kEvSTWDone = 10,
  kEvGoStart = 14,
  kEvGoEnd = 15,
  kEvGoStop = 16,
  kEvGoSched = 17,
  kEvGoPreempt = 18,
  kEvGoSleep = 19,
  kEvGoBlock = 20,
  kEvGoBlockSend = 22,
  kEvGoBlockRecv = 23,
  kEvGoBlockSelect = 24,
  kEvGoBlockSync = 25,
  kEvGoBlockCond = 26,
  kEvGoBlockNet = 27,
  kEvGoSysCall = 28,
  kEvGoSysExit = 29,
  kEvGoSysBlock = 30,
  kEvGoWaiting = 31,
  kEvGoInSyscall = 32,
  kEvHeapAlloc = 33,
  kEvHeapGoal = 34,
  kEvTimerGoroutine = 35,
  kEvString = 37,
  kEvGoStartLocal = 38,
  kEvGoStartLabel = 41,
  kEvGoBlockGC = 42,
  kEvGCMarkAssistStart = 43,
  kEvGCMarkAssistDone = 44,
  kEvUserLog = 48,
  kEvCPUSample = 49,
  kEvCount = 50,
};

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

// Per event type: the number of values the event carries (timestamp delta, arguments and stack
// id; x/exp tracev1 argNum), whether it is timed, and the first trace version that has it.
struct EventSpec {
  uint8_t values;
  bool timed;
  uint8_t since;
};
constexpr EventSpec kSpecs[kEvCount] = {
    {0, false, 255},  // 0 None
    {2, false, 5},    // 1 Batch [pid, ticks]
    {1, false, 5},    // 2 Frequency [freq]
    {0, false, 5},    // 3 Stack (variable)
    {3, true, 5},     // 4 Gomaxprocs [dt, procs, stack]
    {2, true, 5},     // 5 ProcStart [dt, thread]
    {1, true, 5},     // 6 ProcStop
    {3, true, 5},     // 7 GCStart [dt, seq, stack]
    {1, true, 5},     // 8 GCDone
    {2, true, 5},     // 9 GCSTWStart [dt, kind]
    {1, true, 5},     // 10 GCSTWDone
    {2, true, 5},     // 11 GCSweepStart [dt, stack]
    {3, true, 5},     // 12 GCSweepDone [dt, swept, reclaimed]
    {4, true, 5},     // 13 GoCreate [dt, g, new stack, stack]
    {3, true, 5},     // 14 GoStart [dt, g, seq]
    {1, true, 5},     // 15 GoEnd
    {2, true, 5},     // 16 GoStop
    {2, true, 5},     // 17 GoSched
    {2, true, 5},     // 18 GoPreempt
    {2, true, 5},     // 19 GoSleep
    {2, true, 5},     // 20 GoBlock
    {4, true, 5},     // 21 GoUnblock [dt, g, seq, stack]
    {2, true, 5},     // 22 GoBlockSend
    {2, true, 5},     // 23 GoBlockRecv
    {2, true, 5},     // 24 GoBlockSelect
    {2, true, 5},     // 25 GoBlockSync
    {2, true, 5},     // 26 GoBlockCond
    {2, true, 5},     // 27 GoBlockNet
    {2, true, 5},     // 28 GoSysCall
    {4, true, 5},     // 29 GoSysExit [dt, g, seq, realTs]
    {1, true, 5},     // 30 GoSysBlock
    {2, true, 5},     // 31 GoWaiting [dt, g]
    {2, true, 5},     // 32 GoInSyscall [dt, g]
    {2, true, 5},     // 33 HeapAlloc [dt, bytes]
    {2, true, 5},     // 34 HeapGoal [dt, bytes]
    {1, false, 5},    // 35 TimerGoroutine [g]
    {1, true, 5},     // 36 FutileWakeup
    {0, false, 7},    // 37 String (special)
    {2, true, 7},     // 38 GoStartLocal [dt, g]
    {3, true, 7},     // 39 GoUnblockLocal [dt, g, stack]
    {3, true, 7},     // 40 GoSysExitLocal [dt, g, realTs]
    {4, true, 8},     // 41 GoStartLabel [dt, g, seq, label]
    {2, true, 8},     // 42 GoBlockGC
    {2, true, 9},     // 43 GCMarkAssistStart [dt, stack]
    {1, true, 9},     // 44 GCMarkAssistDone
    {5, true, 11},    // 45 UserTaskCreate [dt, task, parent, name, stack]
    {3, true, 11},    // 46 UserTaskEnd [dt, task, stack]
    {5, true, 11},    // 47 UserRegion [dt, task, mode, name, stack]
    {4, true, 11},    // 48 UserLog [dt, task, key, stack] + value string
    {5, true, 19},    // 49 CPUSample [dt, realTs, p, g, stack]
};

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

// x/exp's limits for the old format (tracev1/parser.go).
constexpr uint64_t kMaxArgBytes = 2048;
constexpr uint64_t kMaxStringLength = 1'000'000;
constexpr uint64_t kMaxStackFrames = 1000;

struct PcFrame {
  uint64_t func = 0;
  uint64_t file = 0;
  uint64_t line = 0;
  uint64_t offset = 0;
};

struct KeptEvent {
  int64_t ticks = 0;
  uint64_t g = 0;
  uint64_t arg = 0;    // seq (GCStart), kind (STWStart), bytes (HeapAlloc/Goal)
  uint64_t stack = 0;  // stack id
  uint64_t offset = 0;
  uint8_t type = 0;
};

struct RawCpuSample {
  int64_t ticks = 0;  // realTs: taken in the signal handler (docs/formats/go-trace.md#cpu-samples)
  uint64_t g = 0;
  uint64_t stack = 0;
  uint64_t offset = 0;
};

class TraceV1Reader {
 public:
  TraceV1Reader(int minor, const ReadOptions& options, GoTraceProfileBuilder& builder)
      : minor_(minor), options_(options), b_(builder) {}

  // Parses whole events from `c` while more than `reserve` bytes remain (0: to the end).
  Status Parse(ByteCursor& c, size_t reserve);
  Status Emit();
  // Refuses to let the profile and the trace's tables grow past --max-memory.
  Status CheckBudget(uint64_t offset) const;

 private:
  Status OnEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t offset);
  Result<std::vector<uint64_t>> StackLocations(uint64_t stack_id, uint64_t ref_offset,
                                               bool missing_is_empty);
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
  // The range, heap and blocking events go to events_ (sorted runs in a temporary file past
  // 8 MiB), in TraceKeptEvent's fields: ticks as the time, g, arg, stack.
  Status Keep(const KeptEvent& e) {
    TraceKeptEvent k;
    k.ts_ns = e.ticks;
    k.goroutine = static_cast<int64_t>(e.g);
    k.args[0] = e.arg;
    k.args[1] = e.stack;
    k.offset = e.offset;
    k.type = e.type;
    ++kept_events_;
    return events_.Add(k);
  }

  const int minor_;
  const ReadOptions& options_;
  GoTraceProfileBuilder& b_;
  std::unordered_map<uint64_t, std::string> strings_;
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> stacks_;  // id -> [begin, size)
  std::vector<uint64_t> stack_pcs_;
  std::unordered_map<uint64_t, PcFrame> pcs_;  // first frame seen per PC, as x/exp keeps
  std::unordered_map<uint64_t, uint64_t> pc_locations_;
  TraceEventRuns events_;
  uint64_t kept_events_ = 0;
  uint64_t string_bytes_ = 0;
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

Status TraceV1Reader::Parse(ByteCursor& c, size_t reserve) {
  std::vector<uint64_t> values;
  while (!c.empty() && c.remaining() > reserve) {
    const uint64_t off = c.offset();
    uint8_t b = 0;
    if (!c.try_u8(b)) GCSPIKE_RETURN_IF_ERROR(c.u8());
    // byte0 = type | min(nargs, 3) << 6 (docs/formats/go-trace.md#old-format-event-encoding).
    const uint8_t type = b & 0x3f;
    const uint8_t inline_values = static_cast<uint8_t>((b >> 6) + 1);
    if (type == 0 || type >= kEvCount || kSpecs[type].since > minor_) {
      return MakeErrorAt(off, "unknown event type " + std::to_string(type) + " for go 1." +
                                  std::to_string(minor_) + " traces");
    }
    if (type == kEvString) {
      // [id, len, bytes]; id 0 is the implicit empty string.
      GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
      const uint64_t len_offset = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
      if (len == 0 || len > kMaxStringLength) {
        return MakeErrorAt(len_offset, "invalid string length " + std::to_string(len));
      }
      GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, c.str(len));
      if (id == 0) return MakeErrorAt(off, "string id 0 is reserved for the empty string");
      string_bytes_ += s.size();
      if (!strings_.try_emplace(id, s).second) {
        return MakeErrorAt(off, "duplicate string id " + std::to_string(id));
      }
      continue;
    }
    values.clear();
    if (inline_values <= 3) {
      for (uint8_t i = 0; i < inline_values; ++i) {
        uint64_t v = 0;
        if (!c.try_uvarint(v)) {
          GCSPIKE_ASSIGN_OR_RETURN(v, c.uvarint());
        }
        values.push_back(v);
      }
    } else {
      // Length-prefixed argument area of uvarints (stacks, CPU samples, user events).
      const uint64_t len_offset = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
      if (len > kMaxArgBytes) {
        return MakeErrorAt(len_offset, "argument area of " + std::to_string(len) +
                                           " bytes exceeds the maximum of 2048");
      }
      GCSPIKE_ASSIGN_OR_RETURN(ByteCursor args, c.sub(len));
      while (!args.empty()) {
        uint64_t v = 0;
        if (!args.try_uvarint(v)) {
          GCSPIKE_ASSIGN_OR_RETURN(v, args.uvarint());
        }
        values.push_back(v);
      }
      if (type == kEvUserLog) {
        // The log message follows the argument area and is not counted in its length.
        const uint64_t slen_offset = c.offset();
        GCSPIKE_ASSIGN_OR_RETURN(const uint64_t slen, c.uvarint());
        if (slen > kMaxStringLength) {
          return MakeErrorAt(slen_offset,
                             "log message of " + std::to_string(slen) + " bytes is too long");
        }
        GCSPIKE_RETURN_IF_ERROR(c.skip(slen));
      }
    }
    if (type != kEvStack && values.size() != kSpecs[type].values) {
      return MakeErrorAt(off, "event type " + std::to_string(type) + " has " +
                                  std::to_string(values.size()) + " values, want " +
                                  std::to_string(kSpecs[type].values));
    }
    GCSPIKE_RETURN_IF_ERROR(OnEvent(type, values, off));
  }
  return {};
}

Status TraceV1Reader::OnEvent(uint8_t type, const std::vector<uint64_t>& v, uint64_t off) {
  switch (type) {
    case kEvBatch: {
      // [pid, ticks]: pid 2^64-1 is the global buffer (traceGlobProc).
      if (v[0] != UINT64_MAX && v[0] > static_cast<uint64_t>(INT32_MAX)) {
        return MakeErrorAt(off, "processor id " + std::to_string(v[0]) + " out of range");
      }
      if (v[1] > static_cast<uint64_t>(INT64_MAX)) {
        return MakeErrorAt(off, "timestamp out of range");
      }
      in_batch_ = true;
      cur_p_ = v[0] == UINT64_MAX ? -1 : static_cast<int64_t>(v[0]);
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
    case kEvStack: {
      // [id, n, n × {pc, func, file, line}], leaf first
      // (docs/formats/go-trace.md#old-format-stacks-and-strings).
      if (v.size() < 2) return MakeErrorAt(off, "stack event with fewer than 2 values");
      const uint64_t id = v[0], n = v[1];
      if (n > kMaxStackFrames || v.size() != 2 + 4 * n) {
        return MakeErrorAt(off, "stack event with " + std::to_string(v.size()) + " values for " +
                                    std::to_string(n) + " frames");
      }
      if (id == 0 || n == 0) return {};
      std::pair<size_t, size_t> entry{stack_pcs_.size(), n};
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t pc = v[2 + 4 * i];
        stack_pcs_.push_back(pc);
        pcs_.try_emplace(pc, PcFrame{v[3 + 4 * i], v[4 + 4 * i], v[5 + 4 * i], off});
      }
      stacks_[id] = entry;
      return {};
    }
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
  // A timed event on the current P: its time is the running value plus its delta.
  int64_t ticks = 0;
  if (v[0] > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_add_overflow(last_ticks_, static_cast<int64_t>(v[0]), &ticks)) {
    return MakeErrorAt(off, "timestamp out of range");
  }
  last_ticks_ = ticks;
  SeeTicks(ticks);
  uint64_t& g = *cur_g_;
  KeptEvent e;
  e.ticks = ticks;
  e.g = g;
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
      e.arg = v[1];
      e.stack = v[2];
      GCSPIKE_RETURN_IF_ERROR(Keep(e));
      break;
    case kEvSTWStart:
    case kEvHeapAlloc:
    case kEvHeapGoal:
      e.arg = v[1];
      GCSPIKE_RETURN_IF_ERROR(Keep(e));
      break;
    case kEvGCMarkAssistStart:
      e.stack = v[1];
      GCSPIKE_RETURN_IF_ERROR(Keep(e));
      break;
    case kEvGCDone:
    case kEvSTWDone:
    case kEvGCMarkAssistDone:
      GCSPIKE_RETURN_IF_ERROR(Keep(e));
      break;
    default:
      if (IsBlocking(type)) {
        e.stack = v.size() > 1 ? v[1] : 0;  // [dt, stack]
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

Result<std::vector<uint64_t>> TraceV1Reader::StackLocations(uint64_t stack_id, uint64_t ref_offset,
                                                            bool missing_is_empty) {
  std::vector<uint64_t> out;
  if (stack_id == 0) return out;
  auto it = stacks_.find(stack_id);
  if (it == stacks_.end()) {
    if (missing_is_empty) return out;
    return MakeErrorAt(
        ref_offset, "stack id " + std::to_string(stack_id) + " is not in the trace's stack table");
  }
  for (size_t i = 0; i < it->second.second; ++i) {
    const uint64_t pc = stack_pcs_[it->second.first + i];
    auto [loc, inserted] = pc_locations_.try_emplace(pc, 0);
    if (inserted) {
      const PcFrame& f = pcs_.at(pc);
      auto fn = strings_.find(f.func);
      auto file = strings_.find(f.file);
      if ((f.func != 0 && fn == strings_.end()) || (f.file != 0 && file == strings_.end())) {
        return MakeErrorAt(f.offset, "stack frame names string id " +
                                         std::to_string(fn == strings_.end() ? f.func : f.file) +
                                         ", which is not in the trace's string table");
      }
      const std::string empty;
      loc->second =
          b_.InternFrame(pc, f.func == 0 ? empty : fn->second, f.file == 0 ? empty : file->second,
                         static_cast<int64_t>(f.line));
    }
    out.push_back(loc->second);
  }
  return out;
}

Status TraceV1Reader::Emit() {
  if (ticks_per_second_ == 0) return MakeErrorAt(0, "the trace has no frequency event");
  if (kept_events_ == 0 && samples_.empty() && min_ticks_ > max_ticks_) {
    return MakeErrorAt(0, "the trace has no events");
  }
  ns_per_tick_ = 1e9 / static_cast<double>(ticks_per_second_);

  // Merge the per-P streams by time (x/exp sorts the merged events stably by timestamp).
  StrId last_stw_reason = 0;
  // A wait on the GC's own semaphores (GoBlockSync in runtime.gcStart, runtime.gcMarkDone) is
  // the runtime's own, no blocking (docs/formats/go-trace.md#blocking-events).
  auto in_gc = [this](uint64_t stack_id) {
    auto it = stacks_.find(stack_id);
    for (size_t i = 0; it != stacks_.end() && i < it->second.second; ++i) {
      auto pc = pcs_.find(stack_pcs_[it->second.first + i]);
      if (pc == pcs_.end()) continue;
      auto name = strings_.find(pc->second.func);
      if (name != strings_.end() && name->second.starts_with("runtime.gc")) return true;
    }
    return false;
  };
  uint64_t processed = 0;
  GCSPIKE_RETURN_IF_ERROR(events_.Drain([&](const TraceKeptEvent& k) -> Status {
    if ((++processed & 0xfff) == 0) {
      if (Status s = CheckBudget(k.offset); !s.ok()) return s;
    }
    KeptEvent e;
    e.ticks = k.ts_ns;
    e.g = static_cast<uint64_t>(k.goroutine);
    e.arg = k.args[0];
    e.stack = k.args[1];
    e.offset = k.offset;
    e.type = k.type;
    const int64_t ts = ToNs(e.ticks);
    const int64_t goroutine = TraceGoroutine(e.g);
    switch (e.type) {
      case kEvGCStart: {
        auto stack = StackLocations(e.stack, e.offset, true);
        if (!stack.ok()) return stack.error();
        b_.RangeBegin(TraceRangeKind::kGc, 0, 0, ts, std::move(*stack),
                      static_cast<int64_t>(e.arg));
        break;
      }
      case kEvGCDone:
        b_.RangeEnd(TraceRangeKind::kGc, 0, 0, ts);
        break;
      case kEvSTWStart:
        last_stw_reason = StwName(e.arg);
        b_.RangeBegin(TraceRangeKind::kStw, last_stw_reason, goroutine, ts, {});
        break;
      case kEvSTWDone:
        // The old format's STW end carries no kind: it ends the last one begun (as x/exp).
        b_.RangeEnd(TraceRangeKind::kStw, last_stw_reason, goroutine, ts);
        break;
      case kEvGCMarkAssistStart: {
        auto stack = StackLocations(e.stack, e.offset, true);
        if (!stack.ok()) return stack.error();
        b_.RangeBegin(TraceRangeKind::kAssist, 0, goroutine, ts, std::move(*stack));
        break;
      }
      case kEvGCMarkAssistDone:
        b_.RangeEnd(TraceRangeKind::kAssist, 0, goroutine, ts);
        break;
      case kEvHeapAlloc:
        b_.HeapAlloc(ts, e.arg);
        break;
      case kEvHeapGoal:
        b_.HeapGoal(ts, e.arg);
        break;
      default:
        if (IsBlocking(e.type) && !in_gc(e.stack)) b_.Blocking(goroutine, ts);
        break;
    }
    return {};
  }));

  std::stable_sort(samples_.begin(), samples_.end(),
                   [](const RawCpuSample& a, const RawCpuSample& b) { return a.ticks < b.ticks; });
  int64_t missing_stacks = 0;
  for (const RawCpuSample& s : samples_) {
    // x/exp treats a stack id missing from the table as an empty stack; so do we, and say so.
    if (s.stack != 0 && stacks_.find(s.stack) == stacks_.end()) ++missing_stacks;
    GCSPIKE_ASSIGN_OR_RETURN(auto locs, StackLocations(s.stack, s.offset, true));
    b_.AddCpuSample(ToNs(s.ticks), TraceGoroutine(s.g), std::move(locs));
    if ((++processed & 0xfff) == 0) GCSPIKE_RETURN_IF_ERROR(CheckBudget(s.offset));
  }
  if (missing_stacks > 0 && options_.diagnostics != nullptr) {
    options_.diagnostics->Warn(std::to_string(missing_stacks) +
                               " CPU samples name stacks missing from the trace's stack table; "
                               "they are kept with an empty stack");
  }
  b_.Finish(0, ToNs(max_ticks_));
  return {};
}

Status TraceV1Reader::CheckBudget(uint64_t offset) const {
  constexpr uint64_t kMapEntry = 64;  // an unordered_map node, bucket and allocation, roughly
  const uint64_t tables =
      samples_.capacity() * sizeof(RawCpuSample) + stack_pcs_.capacity() * sizeof(uint64_t) +
      (strings_.size() + stacks_.size() + pcs_.size()) * kMapEntry + string_bytes_;
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
    GCSPIKE_RETURN_IF_ERROR(reader.Parse(c, last ? 0 : kMaxEvent));
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
