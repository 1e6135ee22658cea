#include "formats/go_trace_v2_spill.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <queue>
#include <string>
#include <type_traits>

#include "core/temp_file.h"

namespace gcspike {
namespace {

// Batches stay in memory up to this much; past it they go to the file (a real generation is a
// few MB: it never touches the file).
constexpr size_t kWriteBuffer = size_t{32} << 20;

// A spilled batch: the position of its M's next batch (0: none yet), m, time, data offset, data
// size, then the data.
struct SpilledHeader {
  uint64_t next = 0;
  uint64_t m = 0;
  uint64_t time = 0;
  uint64_t data_offset = 0;
  uint64_t size = 0;
};
static_assert(std::is_trivially_copyable_v<SpilledHeader>);
static_assert(std::is_trivially_copyable_v<TraceKeptEvent>);

}  // namespace

TraceBatchSpill::TraceBatchSpill() = default;

TraceBatchSpill::~TraceBatchSpill() {
  if (fd_ >= 0) ::close(fd_);
}

Status TraceBatchSpill::Add(uint64_t m, uint64_t time, uint64_t data_offset,
                            std::span<const uint8_t> data) {
  // Position 0 means "no next batch": the file starts with 8 unused bytes. The buffer is
  // allocated once, whole (pages untouched cost nothing), so it never regrows.
  if (pending_.capacity() < kWriteBuffer + sizeof(SpilledHeader) + data.size()) {
    pending_.reserve(kWriteBuffer + sizeof(SpilledHeader) + (size_t{1} << 16));
  }
  if (flushed_ + pending_.size() == 0) pending_.resize(8);
  const uint64_t pos = flushed_ + pending_.size();
  auto [chain, inserted] = chains_.try_emplace(m);
  if (inserted) {
    m_order_.push_back(m);
    chain->second.first = pos;
  } else {
    // Link the M's previous batch to this one: in the buffer, or already in the file.
    const uint64_t last = chain->second.last;
    if (last >= flushed_) {
      std::memcpy(pending_.data() + (last - flushed_), &pos, sizeof pos);
    } else if (fd_ >= 0) {
      GCSPIKE_RETURN_IF_ERROR(
          WriteAllAt(fd_, reinterpret_cast<const uint8_t*>(&pos), sizeof pos, last));
    }
  }
  chain->second.last = pos;
  const SpilledHeader h{0, m, time, data_offset, data.size()};
  const auto* hb = reinterpret_cast<const uint8_t*>(&h);
  pending_.insert(pending_.end(), hb, hb + sizeof h);
  pending_.insert(pending_.end(), data.begin(), data.end());
  if (pending_.size() >= kWriteBuffer) return Flush();
  return {};
}

Status TraceBatchSpill::Flush() {
  if (fd_ < 0 && !tried_file_) {
    tried_file_ = true;
    fd_ = OpenTempFile();
  }
  if (fd_ < 0 || pending_.empty()) return {};  // without a file everything stays pending
  GCSPIKE_RETURN_IF_ERROR(WriteAllAt(fd_, pending_.data(), pending_.size(), flushed_));
  flushed_ += pending_.size();
  pending_.clear();
  return {};
}

Status TraceBatchSpill::ReadAt(uint64_t pos, uint8_t* out, size_t n) const {
  if (n == 0) return {};  // an empty batch: `out` may be null (an empty vector's data())
  if (pos >= flushed_) {
    std::memcpy(out, pending_.data() + (pos - flushed_), n);
    return {};
  }
  return ReadAllAt(fd_, out, n, pos);
}

Status TraceBatchSpill::ForEachOf(uint64_t m, const std::function<Status(const Batch&)>& visit) {
  auto chain = chains_.find(m);
  if (chain == chains_.end()) return {};
  // A batch is wholly in the file or wholly pending: Flush writes all that is pending.
  for (uint64_t pos = chain->second.first; pos != 0;) {
    SpilledHeader h;
    GCSPIKE_RETURN_IF_ERROR(ReadAt(pos, reinterpret_cast<uint8_t*>(&h), sizeof h));
    batch_.m = h.m;
    batch_.time = h.time;
    batch_.data_offset = h.data_offset;
    batch_.data.resize(h.size);
    GCSPIKE_RETURN_IF_ERROR(ReadAt(pos + sizeof h, batch_.data.data(), h.size));
    GCSPIKE_RETURN_IF_ERROR(visit(batch_));
    pos = h.next;
  }
  return {};
}

Status TraceBatchSpill::Clear() {
  m_order_.clear();
  chains_.clear();
  pending_.clear();
  flushed_ = 0;
  if (fd_ >= 0 && ::ftruncate(fd_, 0) != 0) {
    return MakeError("temporary file: truncating the trace batch spill failed");
  }
  return {};
}

TraceEventRuns::~TraceEventRuns() {
  if (fd_ >= 0) ::close(fd_);
}

Status TraceEventRuns::Add(const TraceKeptEvent& e) {
  chunk_.push_back(e);
  if (chunk_.size() >= kChunk) return WriteRun();
  return {};
}

namespace {
void SortByTime(std::vector<TraceKeptEvent>& events) {
  std::stable_sort(
      events.begin(), events.end(),
      [](const TraceKeptEvent& a, const TraceKeptEvent& b) { return a.ts_ns < b.ts_ns; });
}
}  // namespace

Status TraceEventRuns::WriteRun() {
  if (fd_ < 0) fd_ = OpenTempFile();
  if (fd_ < 0) return {};  // no file: the chunk keeps growing in memory and is sorted whole
  SortByTime(chunk_);
  run_begin_.push_back(written_);
  GCSPIKE_RETURN_IF_ERROR(WriteAllAt(fd_, reinterpret_cast<const uint8_t*>(chunk_.data()),
                                     chunk_.size() * sizeof(TraceKeptEvent),
                                     written_ * sizeof(TraceKeptEvent)));
  written_ += chunk_.size();
  chunk_.clear();
  return {};
}

Status TraceEventRuns::Drain(const std::function<Status(const TraceKeptEvent&)>& visit) {
  Status s;
  if (run_begin_.empty()) {
    SortByTime(chunk_);
    for (const TraceKeptEvent& e : chunk_) {
      s = visit(e);
      if (!s.ok()) break;
    }
  } else {
    s = chunk_.empty() ? Status() : WriteRun();
    if (s.ok()) s = Merge(visit);
  }
  chunk_.clear();
  run_begin_.clear();
  written_ = 0;
  return s;
}

Status TraceEventRuns::Merge(const std::function<Status(const TraceKeptEvent&)>& visit) {
  constexpr size_t kRead = (size_t{16} << 10) / sizeof(TraceKeptEvent);
  struct Cursor {
    uint64_t next = 0, end = 0;  // events of the run still in the file
    std::vector<TraceKeptEvent> buf;
    size_t at = 0;
  };
  std::vector<Cursor> runs(run_begin_.size());
  auto refill = [&](Cursor& c) -> Status {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kRead, c.end - c.next));
    c.buf.resize(n);
    c.at = 0;
    GCSPIKE_RETURN_IF_ERROR(ReadAllAt(fd_, reinterpret_cast<uint8_t*>(c.buf.data()),
                                      n * sizeof(TraceKeptEvent), c.next * sizeof(TraceKeptEvent)));
    c.next += n;
    return {};
  };
  // Smallest time first; among equal times the earlier run, whose events were added first.
  using Head = std::pair<int64_t, size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].next = run_begin_[i];
    runs[i].end = i + 1 < runs.size() ? run_begin_[i + 1] : written_;
    GCSPIKE_RETURN_IF_ERROR(refill(runs[i]));
    if (!runs[i].buf.empty()) heap.emplace(runs[i].buf[0].ts_ns, i);
  }
  while (!heap.empty()) {
    const size_t i = heap.top().second;
    heap.pop();
    Cursor& c = runs[i];
    GCSPIKE_RETURN_IF_ERROR(visit(c.buf[c.at]));
    if (++c.at == c.buf.size()) {
      if (c.next == c.end) continue;
      GCSPIKE_RETURN_IF_ERROR(refill(c));
    }
    heap.emplace(c.buf[c.at].ts_ns, i);
  }
  return {};
}

}  // namespace gcspike
