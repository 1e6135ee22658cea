// The generation-format reader (go_trace_v2.h): generation by generation, it reads the batches
// (go_trace_v2_generation.h) into the generation's tables and keeps its threads' event batches
// (go_trace_v2_spill.h); at the generation's end it decodes each thread's events in order,
// tracking the goroutine each thread runs, and merges the range and heap events by time into
// the profile's timeline, then adds the CPU samples.
#include "formats/go_trace_v2.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "formats/go_trace_abi.h"
#include "formats/go_trace_v2_generation.h"
#include "formats/go_trace_v2_spill.h"

namespace gcspike {
namespace {

using namespace go_trace::v2;  // NOLINT(build/namespaces): the format's names

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

// The kept events the timeline needs (STWBegin up to HeapGoal); the others only move goroutines.
constexpr bool ForTimeline(uint8_t type) { return type >= kEvSTWBegin && type <= kEvHeapGoal; }

using KeptEvent = TraceKeptEvent;

class TraceV2Reader {
 public:
  TraceV2Reader(InputSource& in, int minor, const ReadOptions& options,
                GoTraceProfileBuilder& builder)
      : in_(in), minor_(minor), options_(options), b_(builder) {}

  Status Run();

 private:
  // Adds h's batch (its data in batch_data_, at data_offset) to g's tables or, an event batch,
  // to spill_.
  Status AddBatch(TraceGeneration& g, const TraceBatchHeader& h, uint64_t data_offset);
  // Checks where h's batch stands in the sequence of generations: it may end g (processing it)
  // by starting the next generation (before 1.26), or start one.
  Status Sequence(TraceGeneration& g, bool& have, uint64_t& last_gen, const TraceBatchHeader& h);
  // Decodes one event batch of M m, tracking its goroutine; the range and heap events go to
  // events_.
  Status ReadBatchEvents(const TraceGeneration& g, uint64_t m, uint64_t& goroutine,
                         const TraceBatchSpill::Batch& batch);
  // Refuses to let the profile and the generation's tables grow past --max-memory.
  Status CheckBudget(const TraceGeneration& g, uint64_t offset) const;
  Status ProcessGeneration(TraceGeneration& g);
  Status AddCpuSamples(TraceGeneration& g, uint64_t& processed);
  // Updates `cur`, the goroutine M m runs, for event e of m.
  void TrackGoroutine(uint64_t m, uint64_t& cur, const KeptEvent& e);
  Status ProcessEvent(TraceGeneration& g, const KeptEvent& e);
  // Hands a blocking event of goroutine `wire_g` (GoBlock, GoSyscallBegin) to the builder.
  void NoteBlocking(const TraceGeneration& g, const KeptEvent& e, uint64_t wire_g);
  Result<std::vector<uint64_t>> StackLocations(TraceGeneration& g, uint64_t stack_id,
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

Status TraceV2Reader::Run() {
  TraceGeneration g;
  bool have = false;
  uint64_t last_gen = 0;
  for (;;) {
    GCSPIKE_ASSIGN_OR_RETURN(std::optional<TraceBatchHeader> h, ReadTraceBatchHeader(in_, minor_));
    if (!h) {
      if (have) {
        if (minor_ >= kEndOfGenerationMinor) {
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
      g = TraceGeneration();
      have = false;
      continue;
    }
    const uint64_t data_offset = in_.offset();
    batch_data_.resize(h->size);
    if (Status s = in_.ReadExact(batch_data_.data(), batch_data_.size()); !s.ok()) {
      return MakeErrorAt(data_offset, "truncated trace: a batch of " + std::to_string(h->size) +
                                          " bytes starts here; " + s.error().message);
    }
    GCSPIKE_RETURN_IF_ERROR(Sequence(g, have, last_gen, *h));
    GCSPIKE_RETURN_IF_ERROR(AddBatch(g, *h, data_offset));
    GCSPIKE_RETURN_IF_ERROR(CheckBudget(g, h->offset));
  }
  if (b_.stats().generations == 0) {
    return MakeErrorAt(in_.offset(), "the trace has no generations (no events after the header)");
  }
  b_.Finish(min_ns_ == std::numeric_limits<int64_t>::max() ? 0 : min_ns_,
            max_ns_ == std::numeric_limits<int64_t>::min() ? 0 : max_ns_);
  return {};
}

Status TraceV2Reader::Sequence(TraceGeneration& g, bool& have, uint64_t& last_gen,
                               const TraceBatchHeader& h) {
  if (h.gen == 0) return MakeErrorAt(h.offset, "invalid generation number 0");
  if (have && h.gen != g.gen) {
    // Before 1.26 a generation ends where the first batch of the next one starts (x/exp
    // readGenerationWithSpill); from 1.26 on an explicit marker ends it.
    if (minor_ >= kEndOfGenerationMinor || h.gen != g.gen + 1) {
      return MakeErrorAt(h.offset, "batch of generation " + std::to_string(h.gen) +
                                       " inside generation " + std::to_string(g.gen) +
                                       ": generations out of order");
    }
    GCSPIKE_RETURN_IF_ERROR(ProcessGeneration(g));
    g = TraceGeneration();
    have = false;
  }
  if (!have) {
    if (last_gen != 0 && h.gen <= last_gen) {
      return MakeErrorAt(h.offset, "generation " + std::to_string(h.gen) + " after generation " +
                                       std::to_string(last_gen) + ": generations out of order");
    }
    have = true;
    g.gen = h.gen;
    g.offset = h.offset;
    last_gen = h.gen;
  }
  return {};
}

Status TraceV2Reader::AddBatch(TraceGeneration& g, const TraceBatchHeader& h,
                               uint64_t data_offset) {
  if (h.experiment != 0) {
    // Experimental batches (AllocFree type tables etc.,
    // docs/formats/go-trace.md#generation-format-experimental-batches) carry nothing we use.
    ++b_.stats().skipped_experimental_batches;
    return {};
  }
  GCSPIKE_ASSIGN_OR_RETURN(const bool table,
                           ReadTraceTableBatch(g, minor_, batch_data_, data_offset));
  if (table) return {};
  return spill_.Add(h.m, h.time, data_offset, batch_data_);
}

Result<std::vector<uint64_t>> TraceV2Reader::StackLocations(TraceGeneration& g, uint64_t stack_id,
                                                            uint64_t ref_offset) {
  if (stack_id != 0 && !g.tables.HasStack(stack_id)) {
    return MakeErrorAt(ref_offset, "stack id " + std::to_string(stack_id) +
                                       " is not in generation " + std::to_string(g.gen) +
                                       "'s stack table");
  }
  return g.tables.Locations(stack_id, b_);
}

Status TraceV2Reader::ProcessGeneration(TraceGeneration& g) {
  ++b_.stats().generations;
  if (g.ticks_per_second == 0) {
    return MakeErrorAt(g.offset, "generation " + std::to_string(g.gen) + " has no frequency event");
  }
  if (minor_ >= kSyncBatchMinor && !g.has_clock_snapshot) {
    return MakeErrorAt(g.offset, "generation " + std::to_string(g.gen) + " has no clock snapshot");
  }
  // x/exp's conversion, bit for bit: ns per tick = 1 / (freq / 1e9).
  ns_per_tick_ = 1.0 / (static_cast<double>(g.ticks_per_second) / 1e9);

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
      return ReadBatchEvents(g, m, goroutine, batch);
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
  GCSPIKE_RETURN_IF_ERROR(AddCpuSamples(g, processed));
  if (options_.diagnostics != nullptr) {
    options_.diagnostics->Progress("reading trace", in_.offset(), in_.size_hint());
  }
  return {};
}

Status TraceV2Reader::AddCpuSamples(TraceGeneration& g, uint64_t& processed) {
  for (TraceV2CpuSample& s : g.samples) {
    GCSPIKE_ASSIGN_OR_RETURN(s.ts_ns, ToNs(s.ticks, s.offset));
  }
  std::stable_sort(
      g.samples.begin(), g.samples.end(),
      [](const TraceV2CpuSample& a, const TraceV2CpuSample& b) { return a.ts_ns < b.ts_ns; });
  for (const TraceV2CpuSample& s : g.samples) {
    GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint64_t> locs, StackLocations(g, s.stack, s.offset));
    SeeTime(s.ts_ns);
    b_.AddCpuSample(s.ts_ns, TraceGoroutine(s.g), std::move(locs));
    if ((++processed & 0xfff) == 0) GCSPIKE_RETURN_IF_ERROR(CheckBudget(g, s.offset));
  }
  return {};
}

Status TraceV2Reader::ReadBatchEvents(const TraceGeneration& g, uint64_t m, uint64_t& goroutine,
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
      if (ForTimeline(e.type)) GCSPIKE_RETURN_IF_ERROR(events_.Add(e));
    }
  }
  return {};
}

Status TraceV2Reader::CheckBudget(const TraceGeneration& g, uint64_t offset) const {
  return b_.CheckBudget(g.TableBytes(), "this generation's", options_.max_input_bytes, offset);
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

void TraceV2Reader::NoteBlocking(const TraceGeneration& g, const KeptEvent& e, uint64_t wire_g) {
  if (e.type == kEvGoBlock) {
    // [dt, reason, stack]: the runtime's own waits are no blocking
    // (docs/formats/go-trace.md#blocking-events).
    const std::string* reason = g.tables.FindString(e.args[0]);
    if (reason != nullptr && (reason->find("GC") != std::string::npos || *reason == "preempted")) {
      return;
    }
    // A wait on the GC's own semaphores ("sync" in runtime.gcStart, runtime.gcMarkDone).
    if (g.tables.InGcFunction(e.args[1])) return;
  } else if (e.type != kEvGoSyscallBegin) {
    return;
  }
  b_.Blocking(TraceGoroutine(wire_g), e.ts_ns);
}

Status TraceV2Reader::ProcessEvent(TraceGeneration& g, const KeptEvent& e) {
  const int64_t goroutine = e.goroutine;
  switch (e.type) {
    case kEvSTWBegin: {
      const std::string* kind = g.tables.FindString(e.args[0]);
      if (e.args[0] != 0 && kind == nullptr) {
        return MakeErrorAt(e.offset, "stop-the-world kind names string id " +
                                         std::to_string(e.args[0]) +
                                         ", which is not in the generation's string table");
      }
      const StrId name = b_.profile().Intern(e.args[0] == 0 ? std::string() : *kind);
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
