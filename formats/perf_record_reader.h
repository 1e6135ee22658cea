// The record layer of perf.data (docs/formats/perf-data.md): the file header or pipe header,
// the attrs, the feature sections (or their HEADER_FEATURE and HEADER_BUILD_ID records in pipe
// mode), and the framing of the record stream, including the zstd stream of COMPRESSED records
// (#compression). What the records mean is the handler's: it gets each attr and each
// kernel record (SAMPLE, MMAP, COMM, ...) in file order. Records are not reordered: FINISHED_ROUND
// only tells that a pipe stream ended where perf closed it (#ordering). What the features say
// is read, and counted toward the memory budget, in formats/perf_header_features.cc.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/byte_cursor.h"
#include "core/diagnostics.h"
#include "core/result.h"
#include "formats/input_source.h"
#include "formats/perf_sample_layout.h"

namespace gcspike {

// What the header features say, kept as read.
struct PerfHeaderInfo {
  std::string os_release;
  std::unordered_map<std::string, std::string> build_id_by_file;  // BUILD_ID feature, records
  // EVENT_DESC: each event's name once, over every EVENT_DESC read (a stream may carry
  // several); the last one's events start at event_desc_last. Its ids name their event's name
  // by index, so a name many ids carry is kept once.
  std::vector<std::string> event_desc_names;
  size_t event_desc_last = 0;
  std::unordered_map<uint64_t, size_t> event_desc_name_by_id;
  std::optional<std::pair<uint64_t, uint64_t>> clock_data;     // wall clock ns, sample clock ns
  std::unordered_map<uint64_t, std::string> tracepoint_names;  // by config, from tracing data

  // The last EVENT_DESC's names, one per attr in order.
  std::span<const std::string> LastEventDescNames() const {
    return std::span(event_desc_names).subspan(event_desc_last);
  }
  // The name EVENT_DESC gives the event of `id`; null if none.
  const std::string* EventDescName(uint64_t id) const {
    auto it = event_desc_name_by_id.find(id);
    return it == event_desc_name_by_id.end() ? nullptr : &event_desc_names[it->second];
  }
};

class PerfRecordHandler {
 public:
  virtual ~PerfRecordHandler() = default;
  // One event's attr and the ids its samples carry; `offset` is where its entry starts.
  virtual Status OnAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) = 0;
  // A record the record layer does not consume itself (SAMPLE, MMAP, MMAP2, COMM, FORK, EXIT,
  // LOST, THROTTLE, ...). `body` follows the 8-byte header at `offset`.
  virtual Status OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) = 0;
  // A line of what the header says about the recording ("hostname: ...", "perf-command: ...").
  virtual void OnComment(const std::string& text) = 0;
  // Called when the records end, and before the record layer changes what header() says: a
  // handler that handles records on another thread finishes them here (and returns the first
  // error among them).
  virtual Status Sync() { return {}; }
  // What the record layer keeps of the header (header(), the comments handed on, and the
  // attrs, feature section or tracing data it holds while reading them) has grown to about
  // `bytes` of memory with the entry at `offset` (docs/memory.md#perfdata): the handler checks
  // its memory budget; an error stops the read. Called, like OnAttr, when the handler is idle
  // (after Sync).
  virtual Status OnHeaderBytes(uint64_t bytes, uint64_t offset) {
    (void)bytes;
    (void)offset;
    return {};
  }
};

// What the zstd stream of COMPRESSED records may take: how many times its compressed bytes it
// may expand (ReadOptions::max_gzip_ratio; 0: no limit), and the memory budget its window must
// fit (ReadOptions::max_input_bytes; zstd's own limit is 128 MiB).
struct PerfRecordLimits {
  double max_zstd_ratio = 1000;
  uint64_t memory_budget = UINT64_MAX;
};

class PerfRecordReader {
 public:
  PerfRecordReader(InputSource& in, Diagnostics* diagnostics, PerfRecordHandler& handler,
                   PerfRecordLimits limits = {})
      : in_(in), diagnostics_(diagnostics), handler_(handler), limits_(limits) {}
  ~PerfRecordReader();

  // Reads the whole input, handing attrs, records and comments to the handler as they come.
  Status Read();
  const PerfHeaderInfo& header() const { return header_; }
  // About how much memory header() and the comments handed on take (docs/memory.md#perfdata).
  uint64_t header_bytes() const { return header_bytes_; }
  // Warns about records skipped as of unknown type and undecoded zstd leftovers.
  void WarnSkipped();

 private:
  Status ReadFileMode(ByteCursor header);
  Status ReadFeatureSections(const uint64_t (&features)[4], uint64_t data_end);
  // The feature sections' table; false when the input ends inside it (warned).
  Result<bool> ReadFeatureTable(std::vector<uint8_t>& table, uint64_t data_end);
  // Skips to the end of the feature sections not read, warning when the input ends first.
  void CheckSectionsEnd(uint64_t sections_end);
  Status ReadPipeMode();
  // The records up to `end` (0: the end of the input), then the handler's Sync().
  Status ReadRecords(uint64_t end);
  Status ReadRecordWindows(uint64_t end);
  // Reads one record from the input at its current offset; `end` bounds it (0: none).
  Status ReadOneRecord(uint64_t end);
  // Progress, and the last record's type (a stream's cut is told by it).
  void CountRecord(uint32_t type, uint64_t offset);
  Status SkipPayloadAfter(uint32_t type, std::span<const uint8_t> body, uint64_t offset,
                          uint64_t end);
  Status ProcessRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset);
  Status ProcessHeaderAttr(ByteCursor c, uint64_t offset);
  Status ProcessCompressed(std::span<const uint8_t> payload, uint64_t offset);
  Status DispatchDecompressed(uint64_t offset);
  Status CheckZstdRatio(uint64_t offset) const;
  Status ProcessFeature(int feature, ByteCursor c);
  // Tracing data (docs/formats/perf-data.md#tracing-data): the tracepoint names; a malformed
  // one is warned about and leaves the events their numeric names.
  Status ReadTracingData(ByteCursor c);
  Status ReadTracingDataPayload(uint32_t size, uint64_t padded);
  Status ReadEventDesc(ByteCursor c);
  Status ReadBuildIds(ByteCursor c);
  Status ReadBuildIdEntry(uint16_t misc, ByteCursor entry, uint64_t offset);
  // A header string handed to the handler as a comment, counted.
  Status Comment(std::string text, uint64_t offset);
  // header_bytes_ grows by `bytes` with the entry at `offset`; the handler checks it. A
  // feature section (or tracing data) read into memory is counted so while it is held, and
  // then taken off with Release.
  Status Grow(uint64_t bytes, uint64_t offset);
  void Release(uint64_t bytes) { header_bytes_ -= bytes; }
  Status AddAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset);
  void Warn(const std::string& m);

  InputSource& in_;
  Diagnostics* diagnostics_;
  PerfRecordHandler& handler_;
  PerfHeaderInfo header_;
  size_t attrs_ = 0;
  uint64_t records_read_ = 0;
  uint32_t last_record_type_ = 0;  // of the last top-level record read
  bool saw_sample_ = false;
  std::map<uint32_t, uint64_t> unknown_records_;  // at most kUnknownTypes of them
  uint64_t unknown_other_records_ = 0;            // of unknown types past those
  uint64_t header_bytes_ = 0;
  ZSTD_DCtx* zstd_ = nullptr;
  std::vector<uint8_t> decompressed_;  // carried-over bytes of a record split across chunks
  const PerfRecordLimits limits_;
  uint64_t zstd_in_ = 0, zstd_out_ = 0;  // the stream's bytes so far, compressed and not
};

}  // namespace gcspike
