// The generation format's framing (docs/formats/go-trace.md#generation-format-layout): batch
// headers, and the batches that make a generation's tables (#generation-format-batch-kinds):
// strings, stacks, CPU samples and the clock (frequency, or a sync batch with a frequency and a
// clock snapshot). A thread's event batches are not decoded here: go_trace_v2.cc keeps them
// (go_trace_v2_spill.h) until the generation's tables are complete.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "formats/go_trace_tables.h"
#include "formats/input_source.h"

namespace gcspike {

// `0x01 gen m time size`, `0x31 experiment gen m time size`, or the end-of-generation marker.
struct TraceBatchHeader {
  bool end_of_generation = false;
  uint8_t experiment = 0;
  uint64_t gen = 0;
  uint64_t m = 0;
  uint64_t time = 0;
  uint64_t size = 0;  // of the data that follows
  uint64_t offset = 0;
};

// Reads a batch header of a "go 1.`minor` trace" at `in`'s position and skips it; nullopt at
// the end of the input.
Result<std::optional<TraceBatchHeader>> ReadTraceBatchHeader(InputSource& in, int minor);

struct TraceV2CpuSample {
  uint64_t ticks = 0;
  uint64_t g = 0;
  uint64_t stack = 0;
  uint64_t offset = 0;
  int64_t ts_ns = 0;
};

// One generation's tables (string and stack ids mean something only within their generation).
struct TraceGeneration {
  uint64_t gen = 0;
  uint64_t offset = 0;  // of its first batch
  GoTraceTables tables{"the generation's"};
  std::vector<TraceV2CpuSample> samples;
  uint64_t ticks_per_second = 0;
  bool has_clock_snapshot = false;

  // What the tables and samples take in memory (estimated).
  uint64_t TableBytes() const;
};

// Reads `data` (at `data_offset`) into g's tables when it is a table or clock batch of a
// "go 1.`minor` trace"; false when it is a thread's event batch.
Result<bool> ReadTraceTableBatch(TraceGeneration& g, int minor, std::span<const uint8_t> data,
                                 uint64_t data_offset);

}  // namespace gcspike
