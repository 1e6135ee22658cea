// SampleSpool: the individual samples of an input that records far more samples than it has
// distinct stacks, kept in compact form outside the model.
//
// A perf.data recording is one sample per record, each with its own timestamp and thread: a
// 100 MB file holds ~700k of them over ~25k distinct stacks. As Sample objects (three vectors
// each) they would take several times the input's size. With a spool, the profile's `samples`
// hold one sample per distinct stack (values summed over its records; the detectors label these)
// and the spool holds, per record, the index of its stack sample, its own values and its own
// labels. A writer that expands the spool (pprof) emits one sample per record: the stack
// sample's locations, the record's values, the record's labels followed by the stack sample's
// labels, which is exactly what the one-Sample-per-record model gives.
//
// Records are encoded as varints (values equal to the previous record's, and a label equal to
// the previous record's label in the same position, as one byte; other numeric labels as deltas
// from it: periods, pid, tid and thread name mostly repeat, timestamps change little) and
// written in blocks to an unlinked temporary file in $TMPDIR (else /tmp), so memory stays flat
// however long the recording; when no temporary file can be created the blocks stay in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/byte_cursor.h"
#include "core/profile.h"
#include "core/result.h"
#include "core/string_table.h"

namespace gcspike {

class SampleSpool {
 public:
  struct Record {
    uint32_t sample = 0;              // index into Profile::samples: the stack and its labels
    std::span<const int64_t> values;  // one per sample type
    std::span<const Label> labels;    // the record's own labels
  };
  class Reader;

  SampleSpool();
  ~SampleSpool();
  SampleSpool(const SampleSpool&) = delete;
  SampleSpool& operator=(const SampleSpool&) = delete;

  void Append(uint32_t sample, std::span<const int64_t> values, std::span<const Label> labels);
  // Writes out the last block; the spool is read-only afterwards. Reports a failed write.
  Status Close();

  uint64_t size() const { return records_; }
  // How many records name stack sample i.
  uint64_t RecordsOf(uint32_t sample) const {
    return sample < per_sample_.size() ? per_sample_[sample] : 0;
  }
  // Every string id a record's label uses (keys, string values, units), ascending.
  std::vector<StrId> UsedStrings() const;

  // Calls visit for every record in order, stopping at the first error (a record naming a
  // stack sample at or past `sample_count` is one: the spool is only read back, never trusted).
  Status ForEach(size_t sample_count, const std::function<Status(const Record&)>& visit) const;

 private:
  friend class Reader;
  void FlushBlock();

  int fd_ = -1;
  uint64_t file_size_ = 0;
  std::vector<std::vector<uint8_t>> memory_blocks_;  // when there is no file
  std::vector<uint8_t> block_;
  std::vector<Label> previous_;  // the last record's labels, for deltas
  std::vector<int64_t> previous_values_;
  std::vector<uint64_t> per_sample_;
  std::vector<bool> used_strings_;
  uint64_t records_ = 0;
  Status write_status_;
  bool closed_ = false;
};

// The records one at a time, decoded in place, for the hot loop of a writer that expands the
// spool: nothing is allocated or copied per record, and values_unchanged() and unchanged(i) say
// that the values or label i are the previous record's, so what the writer made of those serves
// again. After Next() returns true, sample(), values() and labels() describe the record until
// the next call.
class SampleSpool::Reader {
 public:
  // A record naming a stack sample at or past `sample_count` is an error, as in ForEach.
  Reader(const SampleSpool& spool, size_t sample_count);

  // Moves to the next record: false at the end and at the first error (status() has it).
  bool Next();
  const Status& status() const { return status_; }

  uint32_t sample() const { return sample_; }
  std::span<const int64_t> values() const { return {values_.data(), value_count_}; }
  std::span<const Label> labels() const { return {labels_.data(), label_count_}; }
  bool values_unchanged() const { return values_unchanged_; }
  bool unchanged(size_t i) const { return unchanged_[i] != 0; }
  // The stack sample the next record names, if it is in the block read (unchecked: only for
  // prefetching what it will need), else UINT64_MAX.
  uint64_t PeekSample() const {
    uint64_t v = UINT64_MAX;
    ByteCursor c = block_;
    return c.try_uvarint(v) ? v : UINT64_MAX;
  }

 private:
  bool NextBlock();
  bool DecodeRecord();
  bool Fail(Status s);
  bool BadVarint();

  const SampleSpool& spool_;
  const size_t sample_count_;
  Status status_;
  ByteCursor block_;
  std::vector<uint8_t> block_bytes_;  // the block read from the file
  size_t next_memory_block_ = 0;
  uint64_t next_file_block_ = 0;  // its offset in the file
  uint32_t sample_ = 0;
  size_t value_count_ = 0;
  bool values_unchanged_ = false;
  size_t label_count_ = 0;  // the record's; the previous record's until DecodeRecord is done
  std::vector<int64_t> values_;
  // Grown, never shrunk: labels_[i] for i past the record's labels is stale.
  std::vector<Label> labels_;
  std::vector<uint8_t> unchanged_;
};

}  // namespace gcspike
