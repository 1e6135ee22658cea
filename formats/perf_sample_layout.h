// perf_event_attr, and the fields of a SAMPLE record it lays out
// (docs/formats/perf-data.md#event-attributes, #sample-record-layout): which of IP, TID, TIME,
// ..., CALLCHAIN, RAW, BRANCH_STACK, REGS_USER, STACK_USER a record carries, in that order,
// follows from the attr's sample_type (and read_format, branch_sample_type, sample_regs_user).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/byte_cursor.h"
#include "core/result.h"
#include "symbolizer/dwarf_unwinder.h"

namespace gcspike {

// The fields of a perf_event_attr that the reader uses.
struct PerfAttr {
  uint32_t type = 0;
  uint64_t config = 0;
  uint64_t sample_period = 0;
  uint64_t sample_type = 0;
  uint64_t read_format = 0;
  uint64_t flags = 0;
  uint64_t branch_sample_type = 0;
  uint64_t sample_regs_user = 0;
  std::string name;  // from EVENT_DESC, else DefaultEventName
};

// Reads the attr at `c` in a slot of `slot_size` bytes (the attr's own size field may be
// smaller: the rest of a shorter attr reads as zero, a longer one's tail is ignored). `c`
// does not move.
Result<PerfAttr> ReadPerfAttr(ByteCursor c, uint64_t slot_size);

// perf's name for an attr without an EVENT_DESC name: "cpu-clock", "cycles", ... or
// "event-<type>:<config>".
std::string DefaultEventName(const PerfAttr& a);

// Whether an event, named as perf names it ("cpu-clock", "cycles:u", "cpu_core/cycles/"),
// samples time on the CPU (docs/formats/perf-data.md#event-names). The one test of it: the
// reader picks the event viewers show with it, the detectors the samples they count.
bool IsCpuTimeEvent(std::string_view event);

// Whether perf's name of an event says it is a CPU-time event (IsCpuTimeEvent) on kernel code
// only: modifier letters with `k` and without `u` ("cpu-clock:k", "cpu/cycles/k"), the name
// perf gives an attribute with exclude_user set (docs/formats/perf-data.md#event-names).
bool IsKernelOnlyCpuTimeEvent(std::string_view event);

// The fields of one SAMPLE record. Spans and cursors point into the record body.
struct PerfSample {
  uint64_t ip = 0, time = 0, period = 0;
  uint32_t pid = 0, tid = 0;
  bool has_ip = false, has_tid = false, has_time = false;
  // CALLCHAIN: `callchain_size` u64 entries, leaf first, context markers included.
  bool has_callchain = false;
  ByteCursor callchain;
  uint64_t callchain_size = 0;
  // BRANCH_STACK: `branch_count` {u64 from, to, flags} entries, the most recent first.
  bool has_branch_stack = false;
  ByteCursor branches;
  uint64_t branch_count = 0;
  // REGS_USER and STACK_USER (--call-graph dwarf).
  bool has_regs_user = false, has_stack_user = false;
  UserRegs regs_user;
  std::span<const uint8_t> stack_user;

  // Every field to its default, but the register values, which count only where
  // regs_user.mask says: assigning a whole new PerfSample per record wrote 300 bytes.
  void Reset() {
    ip = time = period = 0;
    pid = tid = 0;
    has_ip = has_tid = has_time = has_callchain = has_branch_stack = false;
    callchain = ByteCursor();
    callchain_size = 0;
    branches = ByteCursor();
    branch_count = 0;
    has_regs_user = has_stack_user = false;
    regs_user.mask = 0;
    stack_user = {};
  }
};
// A field added to PerfSample must be added to Reset() too.
static_assert(sizeof(PerfSample) == 352, "PerfSample changed: update PerfSample::Reset");

// Decodes a SAMPLE body laid out by `attr`. `period` defaults to the attr's sample_period.
Status ReadPerfSample(const PerfAttr& attr, ByteCursor c, PerfSample* out);

// The event id of a SAMPLE body when several events share a file (each of their sample_types
// has ID or IDENTIFIER): IDENTIFIER is the first u64, else ID follows IP, TID, TIME and ADDR
// as `sample_type` lays them out.
Result<uint64_t> PerfSampleId(uint64_t sample_type, ByteCursor c);

}  // namespace gcspike
