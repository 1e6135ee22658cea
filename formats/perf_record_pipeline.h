// PerfRecordPipeline: the perf.data reader on two threads. The reading thread frames the
// records, copies the ones the reader uses into a batch and decodes their samples there; the
// calling thread hands each full batch, in file order, to the layers that keep state (address
// space, stacks, spool). Neither waits for the other while a batch is free, and at most
// kBatches batches exist (docs/memory.md#perfdata).
//
// Errors keep the order of a single thread's: the handler stops at its first error and every
// later call returns it; the reading thread stops at its own first error, and the records
// before it are still handled. Since the handler only ever gets records that come before the
// reading thread's error, the handler's error, when there is one, is the first in the file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"
#include "formats/perf_sample_layout.h"

namespace gcspike {

// A SAMPLE record decoded on the reading thread.
struct PerfDecodedSample {
  PerfSample fields;        // its cursors and spans point into the batch
  size_t attr = 0;          // the index of its event's attr
  uint64_t stack_hash = 0;  // PerfProfileAssembler::RawStackHash of it
};

class PerfRecordBatch {
 public:
  // A batch is handed over once it holds this many bytes or records; one record is at most
  // 64 KiB, which the buffer always has room for. The bytes allow 512 dwarf samples of 8 KB
  // (fewer batches, fewer hand-overs); frame-pointer samples fill 80 KB of them.
  static constexpr size_t kBytes = size_t{512} << 10;
  static constexpr size_t kRecords = 512;

  struct Record {
    uint32_t type = 0;
    uint16_t misc = 0;
    uint32_t at = 0, size = 0;  // the body: [at, at + size) of the batch's bytes
    uint64_t body_offset = 0;   // the body's offset in the input (its cursor's base)
    uint64_t offset = 0;        // the record's, as the record layer gives it
    int32_t sample = -1;        // SAMPLE: index into samples
  };

  PerfRecordBatch();
  bool full() const { return used_ >= kBytes || records_.size() >= kRecords; }
  bool empty() const { return records_.empty(); }
  // Copies a record's body in; the returned cursor reads the copy, which stays put until
  // Clear().
  ByteCursor Add(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset);
  // The last record added gets a decoded sample (its fields to fill).
  PerfDecodedSample& AddSample();
  // Forgets the last record added.
  void DropLast();
  void Clear();

  std::span<const Record> records() const { return records_; }
  ByteCursor body(const Record& r) const {
    return ByteCursor(std::span<const uint8_t>(bytes_.get() + r.at, r.size), r.body_offset);
  }
  const PerfDecodedSample& sample(const Record& r) const {
    return samples_[static_cast<size_t>(r.sample)];
  }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t used_ = 0;
  std::vector<Record> records_;
  std::vector<PerfDecodedSample> samples_;  // kRecords of them, reused
  size_t samples_used_ = 0;
};

class PerfRecordPipeline {
 public:
  using HandleFn = std::function<Status(const PerfRecordBatch&)>;
  // `threaded` false: Run reads and handles on the calling thread alone.
  explicit PerfRecordPipeline(HandleFn handle, bool threaded = true);
  ~PerfRecordPipeline();
  PerfRecordPipeline(const PerfRecordPipeline&) = delete;
  PerfRecordPipeline& operator=(const PerfRecordPipeline&) = delete;

  // Runs `read` on a second thread, which fills batches and hands them over, while this thread
  // handles them in order (the handler's memory is this thread's, as without a pipeline);
  // returns once both are done: the handler's first error, else read's. An exception either
  // raised (std::bad_alloc) is raised here again. Without a second thread to be had, all of
  // it runs on this one.
  Status Run(const std::function<Status()>& read);

  // For `read`: the batch to fill.
  PerfRecordBatch& filling() { return *filling_; }
  // For `read`: hands the filling batch over when it is full; the handler's first error so far.
  Status HandOverIfFull() { return filling().full() ? HandOver() : failed(); }
  // For `read`: hands the filling batch over and waits until every batch is handled; the
  // handler's first error. The handler is idle until the next batch is handed over.
  Status Drain();

 private:
  static constexpr uint64_t kBatches = 3;
  Status HandOver();
  Status failed();  // the handler's error, or its exception raised again
  // This thread's part of Run: handles batches until the reading thread is done.
  void HandleUntilRead();
  void Handle(PerfRecordBatch& batch);

  HandleFn handle_;
  std::vector<std::unique_ptr<PerfRecordBatch>> batches_;
  PerfRecordBatch* filling_;  // batches_[submitted_ % kBatches]
  std::mutex mu_;
  std::condition_variable handed_;       // submitted_ grew, or read_done_
  std::condition_variable done_;         // handled_ grew
  uint64_t submitted_ = 0;               // batches handed over (the reading thread's)
  uint64_t handled_ = 0;                 // batches handled (under mu_)
  bool read_done_ = false;               // under mu_
  std::atomic<bool> has_error_ = false;  // error_ or exception_ is set (written under mu_)
  Status error_;
  std::exception_ptr exception_;
  const bool want_thread_;
  bool threaded_ = false;  // batches go to another thread (else they are handled inline)
};

}  // namespace gcspike
