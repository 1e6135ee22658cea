#include "formats/go_trace_v2.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "formats/go_trace_v2_spill.h"

namespace gcspike {
namespace {

// Event type numbers: iota order of src/internal/trace/tracev2/events.go
// (docs/formats/go-trace.md#generation-format-event-types).
enum : uint8_t {
  kEvEventBatch = 1,
  kEvStacks = 2,
  kEvStack = 3,
  kEvStrings = 4,
  kEvString = 5,
  kEvCPUSamples = 6,
  kEvCPUSample = 7,
  kEvFrequency = 8,
  kEvGoCreateSyscall = 15,
  kEvGoStart = 16,
  kEvGoDestroy = 17,
  kEvGoDestroySyscall = 18,
  kEvGoStop = 19,
  kEvGoBlock = 20,
  kEvGoSyscallBegin = 22,
  kEvGoSyscallEndBlocked = 24,
  kEvGoStatus = 25,
  kEvSTWBegin = 26,
  kEvSTWEnd = 27,
  kEvGCActive = 28,
  kEvGCBegin = 29,
  kEvGCEnd = 30,
  kEvGCMarkAssistActive = 34,
  kEvGCMarkAssistBegin = 35,
  kEvGCMarkAssistEnd = 36,
  kEvHeapAlloc = 37,
  kEvHeapGoal = 38,
  kEvGoSwitch = 45,
  kEvGoSwitchDestroy = 46,
  kEvGoStatusStack = 48,
  kEvExperimentalBatch = 49,
  kEvSync = 50,
  kEvClockSnapshot = 51,
  kEvEndOfGeneration = 52,
};

// Goroutine status values of GoStatus (tracev2/goStatus).
constexpr uint64_t kGoRunning = 2;
constexpr uint64_t kGoSyscall = 3;

// Limits from tracev2/events.go; x/exp rejects traces beyond them, and so do we.
constexpr uint64_t kMaxBatchSize = 64 << 10;
constexpr uint64_t kMaxFramesPerStack = 128;
constexpr uint64_t kMaxStringSize = 1 << 10;

// Uvarint arguments (dt included) of each timed event that may appear in an event batch; 0 for
// types that may not (structural events, ClockSnapshot, EndOfGeneration, unassigned numbers).
// Numbers 128–136 are the AllocFree experiment's events, written into ordinary batches
// (runtime/traceallocfree.go, docs/formats/go-trace.md#generation-format-experimental-batches);
// they are parsed and skipped.
constexpr uint8_t TimedArgCount(uint8_t type) {
  constexpr uint8_t kRegular[] = {
      0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0–8: None and structural
      3, 3, 1, 4, 3,              // 9 ProcsChange, ProcStart, ProcStop, ProcSteal, ProcStatus
      4, 2, 3, 1, 1,        // 14 GoCreate, GoCreateSyscall, GoStart, GoDestroy, GoDestroySyscall
      3, 3, 4, 3, 1, 1, 4,  // 19 GoStop, GoBlock, GoUnblock, GoSyscall*, GoStatus
      3, 1,                 // 26 STWBegin, STWEnd
      2, 3, 2, 2, 2, 3,     // 28 GCActive, GCBegin, GCEnd, GCSweepActive/Begin/End
      2, 2, 1, 2, 2,        // 34 GCMarkAssistActive/Begin/End, HeapAlloc, HeapGoal
      2, 5, 3, 4, 4, 5,     // 39 GoLabel, UserTaskBegin/End, UserRegionBegin/End, UserLog
      3, 3, 4, 5,           // 45 GoSwitch, GoSwitchDestroy, GoCreateBlocked, GoStatusStack
  };
  constexpr uint8_t kExperimental[] = {4, 4, 2, 3, 3, 2, 3, 3, 2};  // 128–136
  if (type < sizeof kRegular) return kRegular[type];
  if (type >= 128 && type < 128 + sizeof kExperimental) return kExperimental[type - 128];
  return 0;
}

// Only these events matter to the profile and timeline: the ones that change which goroutine an M
// runs (docs/formats/go-trace.md#generation-format-goroutine-of-an-event) and the GC/STW/assist
// ranges and heap metrics.
constexpr bool Kept(uint8_t type) {
  switch (type) {
    case kEvGoCreateSyscall:
    case kEvGoStart:
    case kEvGoDestroy:
    case kEvGoDestroySyscall:
    case kEvGoStop:
    case kEvGoBlock:
    case kEvGoSyscallEndBlocked:
    case kEvGoStatus:
    case kEvGoStatusStack:
    case kEvGoSwitch:
    case kEvGoSwitchDestroy:
    case kEvSTWBegin:
    case kEvSTWEnd:
    case kEvGCActive:
    case kEvGCBegin:
    case kEvGCEnd:
    case kEvGCMarkAssistActive:
    case kEvGCMarkAssistBegin:
    case kEvGCMarkAssistEnd:
    case kEvHeapAlloc:
    case kEvHeapGoal:
      return true;
    default:
      return false;
  }
}

// An unordered_map entry's node, bucket and allocation, roughly (memory accounting).
constexpr uint64_t kMapEntryBytes = 64;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%02llx", static_cast<unsigned long long>(v));
  return buf;
}

struct StackEntry {
  size_t begin = 0;
  size_t size = 0;
  uint64_t offset = 0;
};

struct PcFrame {
  uint64_t func = 0;
  uint64_t file = 0;
  uint64_t line = 0;
  uint64_t offset = 0;
};

struct RawCpuSample {
  uint64_t ticks = 0;
  uint64_t g = 0;
  uint64_t stack = 0;
  uint64_t offset = 0;
  int64_t ts_ns = 0;
};

// One generation's tables and batches (docs/formats/go-trace.md#generation-format-layout: string
// and stack ids mean something only within their generation).
struct Generation {
  uint64_t gen = 0;
  uint64_t offset = 0;  // of its first batch
  std::unordered_map<uint64_t, std::string> strings;
  std::unordered_map<uint64_t, StackEntry> stacks;
  std::vector<uint64_t> stack_pcs;
  std::unordered_map<uint64_t, PcFrame> pcs;  // first frame seen for each PC, as x/exp keeps
  std::vector<RawCpuSample> samples;
  uint64_t ticks_per_second = 0;
  bool has_clock_snapshot = false;
  int64_t batch_count = 0;
  uint64_t table_bytes = 0;  // what strings, stacks and samples take (estimated)
};

using KeptEvent = TraceKeptEvent;

struct BatchHeader {
  bool end_of_generation = false;
  uint8_t experiment = 0;
  uint64_t gen = 0;
  uint64_t m = 0;
  uint64_t time = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

class TraceV2Reader {
 public:
  TraceV2Reader(InputSource& in, int minor, const ReadOptions& options,
                GoTraceProfileBuilder& builder)
      : in_(in), minor_(minor), options_(options), b_(builder) {}

  Status Run();

 private:
  // nullopt at the end of the input.
  Result<std::optional<BatchHeader>> ReadBatchHeader();
  Status AddBatch(Generation& g, const BatchHeader& h, std::span<const uint8_t> data,
                  uint64_t data_offset);
  // Decodes one event batch of M m, tracking its goroutine; the range and heap events go to
  // events_.
  Status DecodeBatch(const Generation& g, uint64_t m, uint64_t& goroutine,
                     const TraceBatchSpill::Batch& batch);
  // Refuses to let the profile and the generation's tables grow past --max-memory.
  Status CheckBudget(const Generation& g, uint64_t offset) const;
  Status AddStrings(Generation& g, ByteCursor c);
  Status AddStacks(Generation& g, ByteCursor c);
  Status AddCpuSamples(Generation& g, ByteCursor c);
  Status SetSync(Generation& g, ByteCursor c, uint64_t batch_time);
  Status ProcessGeneration(Generation& g);
  // Updates `cur`, the goroutine M m runs, for event e of m.
  void TrackGoroutine(uint64_t m, uint64_t& cur, const KeptEvent& e);
  Status ProcessEvent(Generation& g, const KeptEvent& e);
  // Hands a blocking event of goroutine `wire_g` (GoBlock, GoSyscallBegin) to the builder.
  void NoteBlocking(const Generation& g, const KeptEvent& e, uint64_t wire_g);
  Result<std::vector<uint64_t>> StackLocations(Generation& g, uint64_t stack_id,
                                               uint64_t ref_offset);
  Result<int64_t> ToNs(uint64_t ticks, uint64_t offset) const;
  // x/exp: Time(float64(ticks) * (1 / (freq / 1e9))), truncated toward zero; false when the
  // result does not fit.
  bool ToNsFast(uint64_t ticks, int64_t& out) const {
    const double v = static_cast<double>(ticks) * ns_per_tick_;
    if (!(v < 9.2e18)) return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  void SeeTime(int64_t t) {
    min_ns_ = std::min(min_ns_, t);
    max_ns_ = std::max(max_ns_, t);
  }

  InputSource& in_;
  const int minor_;
  const ReadOptions& options_;
  GoTraceProfileBuilder& b_;
  double ns_per_tick_ = 0;
  std::unordered_map<uint64_t, uint64_t> pc_locations_;  // per generation
  // Which goroutine (wire id, 0 = none) each M runs; it carries over between generations.
  std::unordered_map<uint64_t, uint64_t> m_goroutine_;
  // The reason of the STW a goroutine started, for its STWEnd (x/exp names the range by it).
  std::unordered_map<int64_t, StrId> open_stw_;
  // The generation's event batches, and its kept events on their way to the merge by time.
  TraceBatchSpill spill_;
  TraceEventRuns events_;
  std::vector<uint8_t> batch_data_;
  int64_t min_ns_ = std::numeric_limits<int64_t>::max();
  int64_t max_ns_ = std::numeric_limits<int64_t>::min();
};

Result<int64_t> TraceV2Reader::ToNs(uint64_t ticks, uint64_t offset) const {
  int64_t ns = 0;
  if (!ToNsFast(ticks, ns)) return MakeErrorAt(offset, "timestamp out of range");
  return ns;
}

Result<std::optional<BatchHeader>> TraceV2Reader::ReadBatchHeader() {
  // batch := 0x01 gen m time size | 0x31 exp gen m time size | 0x34 (1.26+)
  // (docs/formats/go-trace.md#generation-format-layout)
  GCSPIKE_ASSIGN_OR_RETURN(auto peek, in_.Peek(2 + 4 * 10));
  if (peek.empty()) return std::optional<BatchHeader>();
  ByteCursor c(peek, in_.offset());
  BatchHeader h;
  h.offset = in_.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
  if (type == kEvEndOfGeneration && minor_ >= 26) {
    h.end_of_generation = true;
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(1));
    return std::optional<BatchHeader>(h);
  }
  if (type != kEvEventBatch && type != kEvExperimentalBatch) {
    return MakeErrorAt(h.offset, "expected a batch header (0x01 or 0x31), got " + Hex(type));
  }
  if (type == kEvExperimentalBatch) {
    if (minor_ < 23) return MakeErrorAt(h.offset, "experimental batch in a trace older than 1.23");
    GCSPIKE_ASSIGN_OR_RETURN(h.experiment, c.u8());
  }
  GCSPIKE_ASSIGN_OR_RETURN(h.gen, c.uvarint());
  GCSPIKE_ASSIGN_OR_RETURN(h.m, c.uvarint());
  GCSPIKE_ASSIGN_OR_RETURN(h.time, c.uvarint());
  const uint64_t size_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(h.size, c.uvarint());
  if (h.size > kMaxBatchSize) {
    return MakeErrorAt(size_offset, "batch size " + std::to_string(h.size) +
                                        " exceeds the maximum of " + std::to_string(kMaxBatchSize));
  }
  GCSPIKE_RETURN_IF_ERROR(in_.Skip(c.pos()));
  return std::optional<BatchHeader>(h);
}

Status TraceV2Reader::Run() {
  Generation g;
  bool have = false;
  uint64_t last_gen = 0;
  for (;;) {
    GCSPIKE_ASSIGN_OR_RETURN(std::optional<BatchHeader> h, ReadBatchHeader());
    if (!h) {
      if (have) {
        if (minor_ >= 26) {
          return MakeErrorAt(in_.offset(), "trace ends inside generation " + std::to_string(g.gen) +
                                               " (no end-of-generation marker): truncated");
        }
        GCSPIKE_RETURN_IF_ERROR(ProcessGeneration(g));
      }
      break;
    }
    if (h->end_of_generation) {
      if (!have) return MakeErrorAt(h->offset, "end-of-generation marker with no generation");
      GCSPIKE_RETURN_IF_ERROR(ProcessGeneration(g));
      g = Generation();
      have = false;
      continue;
    }
    const uint64_t data_offset = in_.offset();
    std::vector<uint8_t>& data = batch_data_;
    data.resize(h->size);
    if (Status s = in_.ReadExact(data.data(), data.size()); !s.ok()) {
      return MakeErrorAt(data_offset, "truncated trace: a batch of " + std::to_string(h->size) +
                                          " bytes starts here; " + s.error().message);
    }
    if (h->gen == 0) return MakeErrorAt(h->offset, "invalid generation number 0");
    if (have && h->gen != g.gen) {
      // Before 1.26 a generation ends where the first batch of the next one starts (x/exp
      // readGenerationWithSpill); from 1.26 on an explicit marker ends it.
      if (minor_ < 26 && h->gen == g.gen + 1) {
        GCSPIKE_RETURN_IF_ERROR(ProcessGeneration(g));
        g = Generation();
        have = false;
      } else {
        return MakeErrorAt(h->offset, "batch of generation " + std::to_string(h->gen) +
                                          " inside generation " + std::to_string(g.gen) +
                                          ": generations out of order");
      }
    }
    if (!have) {
      if (last_gen != 0 && h->gen <= last_gen) {
        return MakeErrorAt(h->offset, "generation " + std::to_string(h->gen) +
                                          " after generation " + std::to_string(last_gen) +
                                          ": generations out of order");
      }
      have = true;
      g.gen = h->gen;
      g.offset = h->offset;
      last_gen = h->gen;
    }
    GCSPIKE_RETURN_IF_ERROR(AddBatch(g, *h, data, data_offset));
    GCSPIKE_RETURN_IF_ERROR(CheckBudget(g, h->offset));
  }
  if (b_.stats().generations == 0) {
    return MakeErrorAt(in_.offset(), "the trace has no generations (no events after the header)");
  }
  b_.Finish(min_ns_ == std::numeric_limits<int64_t>::max() ? 0 : min_ns_,
            max_ns_ == std::numeric_limits<int64_t>::min() ? 0 : max_ns_);
  return {};
}

Status TraceV2Reader::AddBatch(Generation& g, const BatchHeader& h, std::span<const uint8_t> data,
                               uint64_t data_offset) {
  ++g.batch_count;
  if (h.experiment != 0) {
    // Experimental batches (AllocFree type tables etc.,
    // docs/formats/go-trace.md#generation-format-experimental-batches) carry nothing we use.
    ++b_.stats().skipped_experimental_batches;
    return {};
  }
  ByteCursor c(data, data_offset);
  const uint8_t first = data.empty() ? 0 : data[0];
  if (first == kEvStrings) return AddStrings(g, c);
  if (first == kEvStacks) return AddStacks(g, c);
  if (first == kEvCPUSamples) return AddCpuSamples(g, c);
  if ((minor_ < 25 && first == kEvFrequency) || (minor_ >= 25 && first == kEvSync)) {
    return SetSync(g, c, h.time);
  }
  return spill_.Add(h.m, h.time, data_offset, data);
}

Status TraceV2Reader::AddStrings(Generation& g, ByteCursor c) {
  GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // EvStrings
  while (!c.empty()) {
    const uint64_t off = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type != kEvString) {
      return MakeErrorAt(off, "expected a string (0x05) in the string table, got " + Hex(type));
    }
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
    const uint64_t len_offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
    if (len > kMaxStringSize) {
      return MakeErrorAt(len_offset,
                         "string length " + std::to_string(len) + " exceeds the maximum of 1024");
    }
    GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, c.str(len));
    if (id == 0) return MakeErrorAt(off, "string id 0 is reserved for the empty string");
    g.table_bytes += kMapEntryBytes + s.size();
    if (!g.strings.try_emplace(id, s).second) {
      return MakeErrorAt(off, "duplicate string id " + std::to_string(id));
    }
  }
  return {};
}

Status TraceV2Reader::AddStacks(Generation& g, ByteCursor c) {
  GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // EvStacks
  while (!c.empty()) {
    const uint64_t off = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type != kEvStack) {
      return MakeErrorAt(off, "expected a stack (0x03) in the stack table, got " + Hex(type));
    }
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
    const uint64_t n_offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t n, c.uvarint());
    if (n > kMaxFramesPerStack) {
      return MakeErrorAt(n_offset,
                         "stack of " + std::to_string(n) + " frames exceeds the maximum of 128");
    }
    StackEntry e;
    e.begin = g.stack_pcs.size();
    e.size = n;
    e.offset = off;
    for (uint64_t i = 0; i < n; ++i) {
      // Each frame is {pc, funcID, fileID, line} (runtime/tracestack.go dumpStacksRec; notes
      // docs/formats/go-trace.md#generation-format-batch-kinds: x/exp's spec comment has func and
      // file swapped).
      const uint64_t frame_offset = c.offset();
      PcFrame f;
      GCSPIKE_ASSIGN_OR_RETURN(const uint64_t pc, c.uvarint());
      GCSPIKE_ASSIGN_OR_RETURN(f.func, c.uvarint());
      GCSPIKE_ASSIGN_OR_RETURN(f.file, c.uvarint());
      GCSPIKE_ASSIGN_OR_RETURN(f.line, c.uvarint());
      f.offset = frame_offset;
      g.stack_pcs.push_back(pc);
      g.table_bytes += sizeof(uint64_t) + kMapEntryBytes;
      g.pcs.try_emplace(pc, f);
    }
    if (id == 0) return MakeErrorAt(off, "stack id 0 is reserved for the empty stack");
    g.table_bytes += kMapEntryBytes;
    if (!g.stacks.try_emplace(id, e).second) {
      return MakeErrorAt(off, "duplicate stack id " + std::to_string(id));
    }
  }
  return {};
}

Status TraceV2Reader::AddCpuSamples(Generation& g, ByteCursor c) {
  GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // EvCPUSamples
  while (!c.empty()) {
    RawCpuSample s;
    s.offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type != kEvCPUSample) {
      return MakeErrorAt(s.offset, "expected a CPU sample (0x07), got " + Hex(type));
    }
    // [time (absolute), m, p, g, stack] (runtime/tracecpu.go; docs/formats/go-trace.md#cpu-samples)
    GCSPIKE_ASSIGN_OR_RETURN(s.ticks, c.uvarint());
    GCSPIKE_RETURN_IF_ERROR(c.uvarint());  // m
    GCSPIKE_RETURN_IF_ERROR(c.uvarint());  // p
    GCSPIKE_ASSIGN_OR_RETURN(s.g, c.uvarint());
    GCSPIKE_ASSIGN_OR_RETURN(s.stack, c.uvarint());
    g.samples.push_back(s);
    g.table_bytes += sizeof(RawCpuSample);
  }
  return {};
}

Status TraceV2Reader::SetSync(Generation& g, ByteCursor c, uint64_t batch_time) {
  if (minor_ >= 25) GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // EvSync
  while (!c.empty()) {
    const uint64_t off = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type == kEvFrequency) {
      if (g.ticks_per_second != 0) return MakeErrorAt(off, "second frequency in one generation");
      GCSPIKE_ASSIGN_OR_RETURN(g.ticks_per_second, c.uvarint());
      if (g.ticks_per_second == 0) return MakeErrorAt(off, "trace clock frequency is 0");
    } else if (type == kEvClockSnapshot && minor_ >= 25) {
      if (g.has_clock_snapshot) return MakeErrorAt(off, "second clock snapshot in one generation");
      g.has_clock_snapshot = true;
      // [dt, mono, sec, nsec]: correlates the trace clock with wall time; not needed for a
      // profile whose timestamps stay on the trace clock.
      for (int i = 0; i < 4; ++i) GCSPIKE_RETURN_IF_ERROR(c.uvarint());
    } else {
      return MakeErrorAt(off, "expected a frequency or clock snapshot event, got " + Hex(type));
    }
  }
  (void)batch_time;
  return {};
}

Result<std::vector<uint64_t>> TraceV2Reader::StackLocations(Generation& g, uint64_t stack_id,
                                                            uint64_t ref_offset) {
  std::vector<uint64_t> out;
  if (stack_id == 0) return out;
  auto it = g.stacks.find(stack_id);
  if (it == g.stacks.end()) {
    return MakeErrorAt(ref_offset, "stack id " + std::to_string(stack_id) +
                                       " is not in generation " + std::to_string(g.gen) +
                                       "'s stack table");
  }
  out.reserve(it->second.size);
  for (size_t i = 0; i < it->second.size; ++i) {
    const uint64_t pc = g.stack_pcs[it->second.begin + i];
    auto [loc, inserted] = pc_locations_.try_emplace(pc, 0);
    if (inserted) {
      const PcFrame& f = g.pcs.at(pc);
      auto fn = g.strings.find(f.func);
      auto file = g.strings.find(f.file);
      if ((f.func != 0 && fn == g.strings.end()) || (f.file != 0 && file == g.strings.end())) {
        return MakeErrorAt(f.offset, "stack frame names string id " +
                                         std::to_string(fn == g.strings.end() ? f.func : f.file) +
                                         ", which is not in the generation's string table");
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

Status TraceV2Reader::ProcessGeneration(Generation& g) {
  ++b_.stats().generations;
  if (g.ticks_per_second == 0) {
    return MakeErrorAt(g.offset, "generation " + std::to_string(g.gen) + " has no frequency event");
  }
  if (minor_ >= 25 && !g.has_clock_snapshot) {
    return MakeErrorAt(g.offset, "generation " + std::to_string(g.gen) + " has no clock snapshot");
  }
  // x/exp's conversion, bit for bit: ns per tick = 1 / (freq / 1e9).
  ns_per_tick_ = 1.0 / (static_cast<double>(g.ticks_per_second) / 1e9);
  pc_locations_.clear();

  // Decode every M's batches in order. Within a batch each event's time is the previous one's plus
  // its converted delta (x/exp batchCursor: the sum of truncated conversions, which is not quite
  // the conversion of the sum; we follow it so timestamps agree to the nanosecond). Which goroutine
  // an M runs depends only on that M's own events
  // (docs/formats/go-trace.md#generation-format-goroutine-of-an-event), so it is tracked here in
  // batch order; only the few range and heap events are kept for the merge, which sorts them
  // by time as one stable sort of the Ms' events one after another would (x/exp merges its
  // per-M cursors with a min-heap on time).
  for (uint64_t m : spill_.m_order()) {
    uint64_t goroutine = m_goroutine_.try_emplace(m, 0).first->second;
    GCSPIKE_RETURN_IF_ERROR(spill_.ForEachOf(m, [&](const TraceBatchSpill::Batch& batch) {
      return DecodeBatch(g, m, goroutine, batch);
    }));
    m_goroutine_[m] = goroutine;
  }
  GCSPIKE_RETURN_IF_ERROR(spill_.Clear());
  uint64_t processed = 0;
  GCSPIKE_RETURN_IF_ERROR(events_.Drain([&](const KeptEvent& e) -> Status {
    if (Status s = ProcessEvent(g, e); !s.ok()) return s;
    if ((++processed & 0xfff) == 0) return CheckBudget(g, e.offset);
    return {};
  }));

  for (RawCpuSample& s : g.samples) {
    GCSPIKE_ASSIGN_OR_RETURN(s.ts_ns, ToNs(s.ticks, s.offset));
  }
  std::stable_sort(g.samples.begin(), g.samples.end(),
                   [](const RawCpuSample& a, const RawCpuSample& b) { return a.ts_ns < b.ts_ns; });
  for (const RawCpuSample& s : g.samples) {
    GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint64_t> locs, StackLocations(g, s.stack, s.offset));
    SeeTime(s.ts_ns);
    b_.AddCpuSample(s.ts_ns, TraceGoroutine(s.g), std::move(locs));
    if ((++processed & 0xfff) == 0) GCSPIKE_RETURN_IF_ERROR(CheckBudget(g, s.offset));
  }
  if (options_.diagnostics != nullptr) {
    options_.diagnostics->Progress("reading trace", in_.offset(), in_.size_hint());
  }
  return {};
}

Status TraceV2Reader::DecodeBatch(const Generation& g, uint64_t m, uint64_t& goroutine,
                                  const TraceBatchSpill::Batch& batch) {
  GCSPIKE_ASSIGN_OR_RETURN(int64_t last, ToNs(batch.time, batch.data_offset));
  ByteCursor c(batch.data, batch.data_offset);
  while (!c.empty()) {
    KeptEvent e;
    e.offset = c.offset();
    if (!c.try_u8(e.type)) GCSPIKE_RETURN_IF_ERROR(c.u8());
    const uint8_t n = TimedArgCount(e.type);
    if (n == 0) {
      return MakeErrorAt(e.offset, "unknown or misplaced event type " + std::to_string(e.type) +
                                       " in an event batch");
    }
    uint64_t dt = 0;
    if (!c.try_uvarint(dt)) GCSPIKE_RETURN_IF_ERROR(c.uvarint());
    for (uint8_t i = 1; i < n; ++i) {
      uint64_t v = 0;
      if (!c.try_uvarint(v)) {
        GCSPIKE_ASSIGN_OR_RETURN(v, c.uvarint());
      }
      if (i <= 4) e.args[i - 1] = v;
    }
    int64_t delta = 0;
    if (!ToNsFast(dt, delta) || __builtin_add_overflow(last, delta, &e.ts_ns)) {
      return MakeErrorAt(e.offset, "timestamp out of range");
    }
    last = e.ts_ns;
    SeeTime(e.ts_ns);
    NoteBlocking(g, e, goroutine);
    if (Kept(e.type)) {
      e.goroutine = TraceGoroutine(goroutine);
      TrackGoroutine(m, goroutine, e);
      if (e.type >= kEvSTWBegin && e.type <= kEvHeapGoal) GCSPIKE_RETURN_IF_ERROR(events_.Add(e));
    }
  }
  return {};
}

Status TraceV2Reader::CheckBudget(const Generation& g, uint64_t offset) const {
  return b_.CheckBudget(g.table_bytes, "this generation's", options_.max_input_bytes, offset);
}

void TraceV2Reader::TrackGoroutine(uint64_t m, uint64_t& cur, const KeptEvent& e) {
  switch (e.type) {
    case kEvGoStart:
    case kEvGoSwitch:
    case kEvGoSwitchDestroy:
    case kEvGoCreateSyscall:
      cur = e.args[0];
      break;
    case kEvGoDestroy:
    case kEvGoDestroySyscall:
    case kEvGoStop:
    case kEvGoBlock:
    case kEvGoSyscallEndBlocked:
      cur = 0;
      break;
    case kEvGoStatus:
    case kEvGoStatusStack: {
      // [g, m, status]: a goroutine running here, or sitting in a syscall on M m since before
      // the generation began (x/exp ordering.advanceGoStatus). The latter binds m's goroutine
      // if m has not been seen yet; x/exp decides "seen" in its global time order, we in the
      // order Ms first appear (they differ only if m's own batches came earlier and had no
      // goroutine, which the runtime does not produce).
      const uint64_t g_id = e.args[0], other = e.args[1], status = e.args[2];
      if (status == kGoRunning || (status == kGoSyscall && other == m)) {
        cur = g_id;
      } else if (status == kGoSyscall) {
        m_goroutine_.try_emplace(other, g_id);
      }
      break;
    }
    default:
      break;
  }
}

// The GC's own functions (runtime.gcStart, runtime.gcMarkDone): a goroutine blocked in one waits
// on a GC semaphore, not on the program (docs/formats/go-trace.md#blocking-events).
constexpr std::string_view kGcFunctionPrefix = "runtime.gc";

void TraceV2Reader::NoteBlocking(const Generation& g, const KeptEvent& e, uint64_t wire_g) {
  if (e.type == kEvGoBlock) {
    // [dt, reason, stack]: the runtime's own waits are no blocking
    // (docs/formats/go-trace.md#blocking-events).
    auto reason = g.strings.find(e.args[0]);
    if (reason != g.strings.end() &&
        (reason->second.find("GC") != std::string::npos || reason->second == "preempted")) {
      return;
    }
    // A wait on the GC's own semaphores ("sync" in runtime.gcStart, runtime.gcMarkDone).
    auto stack = g.stacks.find(e.args[1]);
    for (size_t i = 0; stack != g.stacks.end() && i < stack->second.size; ++i) {
      auto frame = g.pcs.find(g.stack_pcs[stack->second.begin + i]);
      if (frame == g.pcs.end()) continue;
      auto name = g.strings.find(frame->second.func);
      if (name != g.strings.end() && name->second.starts_with(kGcFunctionPrefix)) return;
    }
  } else if (e.type != kEvGoSyscallBegin) {
    return;
  }
  b_.Blocking(TraceGoroutine(wire_g), e.ts_ns);
}

Status TraceV2Reader::ProcessEvent(Generation& g, const KeptEvent& e) {
  const int64_t goroutine = e.goroutine;
  switch (e.type) {
    case kEvSTWBegin: {
      auto kind = g.strings.find(e.args[0]);
      if (e.args[0] != 0 && kind == g.strings.end()) {
        return MakeErrorAt(e.offset, "stop-the-world kind names string id " +
                                         std::to_string(e.args[0]) +
                                         ", which is not in the generation's string table");
      }
      const StrId name = b_.profile().Intern(e.args[0] == 0 ? std::string() : kind->second);
      GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint64_t> stack, StackLocations(g, e.args[1], e.offset));
      open_stw_[goroutine] = name;
      b_.RangeBegin(TraceRangeKind::kStw, name, goroutine, e.ts_ns, std::move(stack));
      break;
    }
    case kEvSTWEnd: {
      auto it = open_stw_.find(goroutine);
      const StrId name = it == open_stw_.end() ? 0 : it->second;
      if (it != open_stw_.end()) open_stw_.erase(it);
      b_.RangeEnd(TraceRangeKind::kStw, name, goroutine, e.ts_ns);
      break;
    }
    case kEvGCActive:
      b_.RangeActive(TraceRangeKind::kGc, 0, 0, e.ts_ns, static_cast<int64_t>(e.args[0]));
      break;
    case kEvGCBegin: {
      GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint64_t> stack, StackLocations(g, e.args[1], e.offset));
      b_.RangeBegin(TraceRangeKind::kGc, 0, 0, e.ts_ns, std::move(stack),
                    static_cast<int64_t>(e.args[0]));
      break;
    }
    case kEvGCEnd:
      b_.RangeEnd(TraceRangeKind::kGc, 0, 0, e.ts_ns, static_cast<int64_t>(e.args[0]));
      break;
    case kEvGCMarkAssistActive:
      b_.RangeActive(TraceRangeKind::kAssist, 0, TraceGoroutine(e.args[0]), e.ts_ns);
      break;
    case kEvGCMarkAssistBegin: {
      GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint64_t> stack, StackLocations(g, e.args[0], e.offset));
      b_.RangeBegin(TraceRangeKind::kAssist, 0, goroutine, e.ts_ns, std::move(stack));
      break;
    }
    case kEvGCMarkAssistEnd:
      b_.RangeEnd(TraceRangeKind::kAssist, 0, goroutine, e.ts_ns);
      break;
    case kEvHeapAlloc:
      b_.HeapAlloc(e.ts_ns, e.args[0]);
      break;
    case kEvHeapGoal:
      b_.HeapGoal(e.ts_ns, e.args[0]);
      break;
    default:
      break;
  }
  return {};
}

}  // namespace

Status ReadGoTraceV2(InputSource& in, int minor, const ReadOptions& options,
                     GoTraceProfileBuilder& builder) {
  TraceV2Reader reader(in, minor, options, builder);
  return reader.Run();
}

}  // namespace gcspike
