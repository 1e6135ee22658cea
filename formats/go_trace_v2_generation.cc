#include "formats/go_trace_v2_generation.h"

#include <string>

#include "core/byte_cursor.h"
#include "core/hex.h"
#include "formats/go_trace_abi.h"

namespace gcspike {

using namespace go_trace::v2;  // NOLINT(build/namespaces): the format's names

namespace {

Status ReadString(TraceGeneration& g, ByteCursor& c, uint64_t off) {
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
  const uint64_t len_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
  if (len > kMaxStringSize) {
    return MakeErrorAt(len_offset,
                       "string length " + std::to_string(len) + " exceeds the maximum of 1024");
  }
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, c.str(len));
  return g.tables.AddString(id, s, off);
}

Status ReadStack(TraceGeneration& g, ByteCursor& c, uint64_t off) {
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
  const uint64_t n_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t n, c.uvarint());
  if (n > kMaxFramesPerStack) {
    return MakeErrorAt(n_offset,
                       "stack of " + std::to_string(n) + " frames exceeds the maximum of 128");
  }
  const size_t begin = g.tables.StackBegin();
  for (uint64_t i = 0; i < n; ++i) {
    // Each frame is {pc, funcID, fileID, line} (runtime/tracestack.go dumpStacksRec;
    // docs/formats/go-trace.md#generation-format-batch-kinds: x/exp's spec comment has func
    // and file swapped).
    GoTraceFrame f;
    f.offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t pc, c.uvarint());
    GCSPIKE_ASSIGN_OR_RETURN(f.func, c.uvarint());
    GCSPIKE_ASSIGN_OR_RETURN(f.file, c.uvarint());
    GCSPIKE_ASSIGN_OR_RETURN(f.line, c.uvarint());
    g.tables.AddFrame(pc, f);
  }
  if (id == 0) return MakeErrorAt(off, "stack id 0 is reserved for the empty stack");
  if (!g.tables.AddStack(id, begin, /*replace=*/false)) {
    return MakeErrorAt(off, "duplicate stack id " + std::to_string(id));
  }
  return {};
}

// [time (absolute), m, p, g, stack] (runtime/tracecpu.go; docs/formats/go-trace.md#cpu-samples)
Status ReadCpuSample(TraceGeneration& g, ByteCursor& c, uint64_t off) {
  TraceV2CpuSample s;
  s.offset = off;
  GCSPIKE_ASSIGN_OR_RETURN(s.ticks, c.uvarint());
  GCSPIKE_RETURN_IF_ERROR(c.uvarint());  // m
  GCSPIKE_RETURN_IF_ERROR(c.uvarint());  // p
  GCSPIKE_ASSIGN_OR_RETURN(s.g, c.uvarint());
  GCSPIKE_ASSIGN_OR_RETURN(s.stack, c.uvarint());
  g.samples.push_back(s);
  return {};
}

// Reads each entry of a table batch (after its kind byte) into g with `read`; every entry starts
// with the byte `want`, which `what` names in the error about another.
Status ReadEntries(TraceGeneration& g, ByteCursor c, uint8_t want, const char* what,
                   Status (*read)(TraceGeneration&, ByteCursor&, uint64_t)) {
  GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // the batch kind
  while (!c.empty()) {
    const uint64_t off = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type != want) {
      return MakeErrorAt(off, std::string("expected ") + what + ", got " + Hex(type, 2));
    }
    GCSPIKE_RETURN_IF_ERROR(read(g, c, off));
  }
  return {};
}

Status ReadSync(TraceGeneration& g, int minor, ByteCursor c) {
  if (minor >= kSyncBatchMinor) GCSPIKE_RETURN_IF_ERROR(c.skip(1));  // EvSync
  while (!c.empty()) {
    const uint64_t off = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
    if (type == kEvFrequency) {
      if (g.ticks_per_second != 0) return MakeErrorAt(off, "second frequency in one generation");
      GCSPIKE_ASSIGN_OR_RETURN(g.ticks_per_second, c.uvarint());
      if (g.ticks_per_second == 0) return MakeErrorAt(off, "trace clock frequency is 0");
    } else if (type == kEvClockSnapshot && minor >= kSyncBatchMinor) {
      if (g.has_clock_snapshot) return MakeErrorAt(off, "second clock snapshot in one generation");
      g.has_clock_snapshot = true;
      // [dt, mono, sec, nsec]: correlates the trace clock with wall time; not needed for a
      // profile whose timestamps stay on the trace clock.
      for (int i = 0; i < 4; ++i) GCSPIKE_RETURN_IF_ERROR(c.uvarint());
    } else {
      return MakeErrorAt(off, "expected a frequency or clock snapshot event, got " + Hex(type, 2));
    }
  }
  return {};
}

}  // namespace

Result<std::optional<TraceBatchHeader>> ReadTraceBatchHeader(InputSource& in, int minor) {
  // batch := 0x01 gen m time size | 0x31 exp gen m time size | 0x34 (1.26+)
  // (docs/formats/go-trace.md#generation-format-layout)
  GCSPIKE_ASSIGN_OR_RETURN(auto peek, in.Peek(kMaxBatchHeaderBytes));
  if (peek.empty()) return std::optional<TraceBatchHeader>();
  ByteCursor c(peek, in.offset());
  TraceBatchHeader h;
  h.offset = in.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint8_t type, c.u8());
  if (type == kEvEndOfGeneration && minor >= kEndOfGenerationMinor) {
    h.end_of_generation = true;
    GCSPIKE_RETURN_IF_ERROR(in.Skip(1));
    return std::optional<TraceBatchHeader>(h);
  }
  if (type != kEvEventBatch && type != kEvExperimentalBatch) {
    return MakeErrorAt(h.offset, "expected a batch header (0x01 or 0x31), got " + Hex(type, 2));
  }
  if (type == kEvExperimentalBatch) {
    if (minor < kExperimentalBatchMinor) {
      return MakeErrorAt(h.offset, "experimental batch in a trace older than 1.23");
    }
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
  GCSPIKE_RETURN_IF_ERROR(in.Skip(c.pos()));
  return std::optional<TraceBatchHeader>(h);
}

Result<bool> ReadTraceTableBatch(TraceGeneration& g, int minor, std::span<const uint8_t> data,
                                 uint64_t data_offset) {
  ByteCursor c(data, data_offset);
  const uint8_t first = data.empty() ? 0 : data[0];
  Status s;
  if (first == kEvStrings) {
    s = ReadEntries(g, c, kEvString, "a string (0x05) in the string table", ReadString);
  } else if (first == kEvStacks) {
    s = ReadEntries(g, c, kEvStack, "a stack (0x03) in the stack table", ReadStack);
  } else if (first == kEvCPUSamples) {
    s = ReadEntries(g, c, kEvCPUSample, "a CPU sample (0x07)", ReadCpuSample);
  } else if ((minor < kSyncBatchMinor && first == kEvFrequency) ||
             (minor >= kSyncBatchMinor && first == kEvSync)) {
    s = ReadSync(g, minor, c);
  } else {
    return false;
  }
  if (!s.ok()) return s.error();
  return true;
}

uint64_t TraceGeneration::TableBytes() const {
  // Per string its entry and text, per frame its PC and frame entry, per stack its entry, per
  // CPU sample its struct.
  constexpr uint64_t kEntry = GoTraceTables::kMapEntryBytes;
  return tables.string_count() * kEntry + tables.string_bytes() +
         tables.frame_count() * (sizeof(uint64_t) + kEntry) + tables.stack_count() * kEntry +
         samples.size() * sizeof(TraceV2CpuSample);
}

}  // namespace gcspike
