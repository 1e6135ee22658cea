// What the new-format trace reader (go_trace_v2.cc) keeps of one generation outside memory, so
// a generation of any length takes fixed buffers: its event batches (needed whole because the
// generation's string and stack tables and its clock frequency come after them) and the range
// and heap events it merges by time across Ms (an external merge sort).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace gcspike {

// The event batches of one generation, kept as they arrive and written to an unlinked temporary
// file once more than 32 MiB of them are pending (in memory when no file can be made), read back M
// by M in the order each M first appeared, each M's batches in their order. Memory: the 32 MiB
// buffer, one batch being read, and per M two file positions.
class TraceBatchSpill {
 public:
  struct Batch {
    uint64_t m = 0;
    uint64_t time = 0;
    uint64_t data_offset = 0;  // of the batch's data in the input
    std::vector<uint8_t> data;
  };

  TraceBatchSpill();
  ~TraceBatchSpill();
  TraceBatchSpill(const TraceBatchSpill&) = delete;
  TraceBatchSpill& operator=(const TraceBatchSpill&) = delete;

  Status Add(uint64_t m, uint64_t time, uint64_t data_offset, std::span<const uint8_t> data);
  const std::vector<uint64_t>& m_order() const { return m_order_; }
  // Calls visit for each batch of M m in order; `batch` is reused between calls.
  Status ForEachOf(uint64_t m, const std::function<Status(const Batch&)>& visit);
  // Forgets every batch (the next generation starts).
  Status Clear();

 private:
  struct Chain {
    uint64_t first = 0;
    uint64_t last = 0;
  };
  Status Flush();
  Status ReadAt(uint64_t pos, uint8_t* out, size_t n) const;

  int fd_ = -1;
  bool tried_file_ = false;
  uint64_t flushed_ = 0;  // bytes in the file; pending_ continues at this position
  std::vector<uint8_t> pending_;
  std::vector<uint64_t> m_order_;
  std::unordered_map<uint64_t, Chain> chains_;
  Batch batch_;
};

// A range, heap or blocking event, decoded, kept for the merge by time: go_trace_v2.cc's as they
// are; go_trace_v1.cc's with the time in ticks and the argument and stack id in args[0..1].
struct TraceKeptEvent {
  int64_t ts_ns = 0;
  int64_t goroutine = -1;  // the M's goroutine when the event happened (x/exp Event.Goroutine)
  uint64_t args[4] = {};
  uint64_t offset = 0;
  uint8_t type = 0;
};

// The kept events of a generation, sorted by time stably (ties keep the order they were added
// in, as one std::stable_sort of them all would): chunks of kChunk events are sorted in memory,
// and when there is more than one they are written as sorted runs to a temporary file and
// merged. Memory: one chunk (kChunk events, 8 MiB) plus a 16 KiB read buffer per run.
class TraceEventRuns {
 public:
  static constexpr size_t kChunk = size_t{1} << 17;

  TraceEventRuns() = default;
  ~TraceEventRuns();
  TraceEventRuns(const TraceEventRuns&) = delete;
  TraceEventRuns& operator=(const TraceEventRuns&) = delete;

  Status Add(const TraceKeptEvent& e);
  // Visits every event added since the last call in time order, then forgets them.
  Status Drain(const std::function<Status(const TraceKeptEvent&)>& visit);

 private:
  Status WriteRun();
  Status Merge(const std::function<Status(const TraceKeptEvent&)>& visit);

  int fd_ = -1;
  std::vector<TraceKeptEvent> chunk_;
  std::vector<uint64_t> run_begin_;  // event index in the file of each run's first event
  uint64_t written_ = 0;             // events in the file
};

}  // namespace gcspike
