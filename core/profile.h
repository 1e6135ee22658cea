// The normalized profile model: what every reader fills and every detector, filter and writer
// consumes. It mirrors profile.proto's information (so pprof round-trips losslessly) plus a
// runtime timeline that execution traces provide. Nothing here knows a file format.
//
// Invariants (readers establish them, Profile::Validate checks them):
//  - ids are dense: mappings[i].id == functions[i].id == locations[i].id == i + 1, so a lookup
//    by id is an index. Readers renumber input ids; ids carry no meaning in profile.proto.
//  - every Sample has exactly sample_types.size() values and its location ids exist;
//    location_ids[0] is the leaf.
//  - Location::lines is innermost first: lines[0] is the inlined callee, the last entry the
//    function the code was inlined into (profile.proto's convention).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/string_table.h"

namespace gcspike {

class SampleSpool;  // core/sample_spool.h

struct ValueType {
  StrId type = 0;
  StrId unit = 0;
};

struct Label {
  StrId key = 0;
  StrId str = 0;       // string value; 0 for a numeric label
  int64_t num = 0;     // numeric value
  StrId num_unit = 0;  // unit of a numeric label ("nanoseconds", "bytes", ...)
  bool numeric = false;
};

struct Sample {
  std::vector<uint64_t> location_ids;  // leaf first
  std::vector<int64_t> values;         // one per sample type
  std::vector<Label> labels;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  StrId filename = 0;
  StrId build_id = 0;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
  int64_t column = 0;
};

struct Location {
  uint64_t id = 0;
  uint64_t mapping_id = 0;  // 0: no mapping
  uint64_t address = 0;
  std::vector<Line> lines;  // innermost (inlined callee) first
  bool is_folded = false;
};

struct Function {
  uint64_t id = 0;
  StrId name = 0;
  StrId system_name = 0;
  StrId filename = 0;
  int64_t start_line = 0;
};

// What the Go runtime did over time (from execution traces). Times are nanoseconds on the
// trace's clock; a missing end is kNoTime.
inline constexpr int64_t kNoTime = INT64_MIN;

struct GcCycle {
  int64_t seq = 0;
  int64_t start_ns = kNoTime;
  int64_t end_ns = kNoTime;
};

struct StwPause {
  StrId kind = 0;  // e.g. "GC mark termination", "GC sweep termination"
  int64_t start_ns = kNoTime;
  int64_t end_ns = kNoTime;
};

struct AssistInterval {
  int64_t goroutine = 0;
  int64_t start_ns = kNoTime;
  int64_t end_ns = kNoTime;
  std::vector<uint64_t> stack;  // location ids at assist begin, leaf first
};

struct HeapPoint {
  int64_t ts_ns = 0;
  uint64_t bytes = 0;
};

// A goroutine blocked (channel, select, lock, network, sleep;
// docs/formats/go-trace.md#blocking-events) or entered a system call at ts_ns. The runtime's
// own waits (GC assist waits, preemption) are not blocking events: they do not end a map-churn
// run.
struct BlockingEvent {
  int64_t goroutine = 0;
  int64_t ts_ns = 0;
};

// Blocking events a trace reader keeps at most (16 bytes each): memory stays bounded however
// long the trace; the ones beyond are counted in Timeline::blocking_dropped.
inline constexpr size_t kMaxBlockingEvents = size_t{1} << 22;

struct Timeline {
  std::vector<GcCycle> gc_cycles;
  std::vector<StwPause> pauses;
  std::vector<AssistInterval> assists;
  std::vector<HeapPoint> heap_alloc;
  std::vector<HeapPoint> heap_goal;
  std::vector<BlockingEvent> blocking;  // sorted by (goroutine, ts_ns)
  int64_t blocking_dropped = 0;         // blocking events past kMaxBlockingEvents
  bool empty() const {
    return gc_cycles.empty() && pauses.empty() && assists.empty() && heap_alloc.empty() &&
           heap_goal.empty() && blocking.empty();
  }
};

class Profile {
 public:
  StringTable strings;
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Function> functions;
  StrId drop_frames = 0;
  StrId keep_frames = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<StrId> comments;
  StrId default_sample_type = 0;
  StrId doc_url = 0;

  Timeline timeline;

  // Set only by readers asked for it (ReadOptions::spool_samples): then `samples` hold one
  // sample per distinct stack with the values of its records summed, and the spool holds the
  // records themselves (core/sample_spool.h). Consumers that need individual samples call
  // MaterializeSpool first; the pprof writer expands the spool as it writes.
  std::shared_ptr<const SampleSpool> spool;

  // Individual samples: the spool's records when there is a spool, else samples.size(); and
  // how many of them stack sample i stands for.
  uint64_t SampleRecordCount() const;
  uint64_t RecordsOf(size_t sample) const;

  const std::string& str(StrId id) const { return strings[id]; }
  StrId Intern(std::string_view s) { return strings.Intern(s); }

  const Location& location(uint64_t id) const { return locations[id - 1]; }
  const Function& function(uint64_t id) const { return functions[id - 1]; }
  const Mapping& mapping(uint64_t id) const { return mappings[id - 1]; }

  // Index of the sample type that viewers show by default: default_sample_type if it names
  // one, else the last (pprof's and speedscope's rule).
  size_t DefaultValueIndex() const;

  // The value of a label on a sample, or nullptr/nullopt when absent.
  const Label* FindLabel(const Sample& s, StrId key) const;
  std::optional<int64_t> NumLabel(const Sample& s, std::string_view key) const;
  std::optional<std::string_view> StrLabel(const Sample& s, std::string_view key) const;

  // Replaces (or adds) a label on a sample.
  void SetStrLabel(Sample& s, std::string_view key, std::string_view value);
  void SetNumLabel(Sample& s, std::string_view key, int64_t value, std::string_view unit);

  // Checks the invariants above; readers call it before returning.
  Status Validate() const;
};

// One individual sample as the model without a spool has it: the stack sample (locations and
// the labels shared by its records), this record's values and this record's own labels (which
// come first: the sample's labels are `own` followed by `stack.labels`).
struct SampleRecord {
  size_t index = 0;  // in record order: the index the sample has once materialized
  const Sample* stack = nullptr;
  std::span<const int64_t> values;
  std::span<const Label> own;  // empty without a spool
  // The label with this key: the record's own first, then the stack sample's; nullptr if none.
  const Label* Find(StrId key) const;
};

// Calls visit(record) for every individual sample in order: the spool's records when there is
// one (read back from the spool, one at a time), else the samples. Stops at the first error.
Status ForEachSampleRecord(const Profile& profile,
                           const std::function<Status(const SampleRecord&)>& visit);

// What MaterializeSpool's Sample for a record takes (a Sample, its three allocations, its
// locations, values and labels): the estimate checked against the budget.
uint64_t MaterializedSampleBytes(size_t frames, size_t values, size_t labels);

// Replaces the stack samples of a spooled profile by one Sample per spooled record (record
// labels first, then the stack sample's) and drops the spool; nothing to do without one. Fails,
// before holding more, with "... more than the memory budget of B bytes; --max-memory raises
// it" when the samples would take more than `max_memory` bytes (docs/memory.md).
Status MaterializeSpool(Profile& profile, uint64_t max_memory);

}  // namespace gcspike
