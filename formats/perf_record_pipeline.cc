#include "formats/perf_record_pipeline.h"

#include <cstring>
#include <system_error>

namespace gcspike {

PerfRecordBatch::PerfRecordBatch()
    : bytes_(new uint8_t[kBytes + (size_t{64} << 10)]), samples_(kRecords) {
  records_.reserve(kRecords);
}

ByteCursor PerfRecordBatch::Add(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) {
  const std::span<const uint8_t> bytes = body.rest();
  Record r;
  r.type = type;
  r.misc = misc;
  r.at = static_cast<uint32_t>(used_);
  r.size = static_cast<uint32_t>(bytes.size());
  r.body_offset = body.offset();
  r.offset = offset;
  // Not full (at most kBytes used) and a record's body is under 64 KiB: it fits.
  if (!bytes.empty()) std::memcpy(bytes_.get() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
  records_.push_back(r);
  return this->body(r);
}

PerfDecodedSample& PerfRecordBatch::AddSample() {
  records_.back().sample = static_cast<int32_t>(samples_used_);
  return samples_[samples_used_++];
}

void PerfRecordBatch::DropLast() {
  const Record& r = records_.back();
  used_ = r.at;
  if (r.sample >= 0) --samples_used_;
  records_.pop_back();
}

void PerfRecordBatch::Clear() {
  used_ = 0;
  samples_used_ = 0;
  records_.clear();
}

PerfRecordPipeline::PerfRecordPipeline(HandleFn handle, bool threaded)
    : handle_(std::move(handle)), want_thread_(threaded) {
  for (uint64_t i = 0; i < kBatches; ++i) batches_.push_back(std::make_unique<PerfRecordBatch>());
  filling_ = batches_[0].get();
}

PerfRecordPipeline::~PerfRecordPipeline() = default;

Status PerfRecordPipeline::Run(const std::function<Status()>& read) {
  Status read_status;
  std::exception_ptr read_exception;
  auto read_and_hand_over = [&] {
    try {
      read_status = read();
      // The last batch, also after a reading error: the records before it are handled.
      const Status handed = HandOver();
      if (read_status.ok()) read_status = handed;
    } catch (...) {
      read_exception = std::current_exception();
    }
  };
  std::thread reader;
  threaded_ = want_thread_;
  try {
    if (threaded_) {
      reader = std::thread([&] {
        read_and_hand_over();
        std::lock_guard<std::mutex> lock(mu_);
        read_done_ = true;
        handed_.notify_one();
      });
    }
  } catch (const std::system_error&) {
    threaded_ = false;  // no thread to be had
  }
  if (!threaded_) read_and_hand_over();  // this thread reads and handles
  if (threaded_) {
    HandleUntilRead();
    reader.join();
  }
  if (read_exception != nullptr) std::rethrow_exception(read_exception);
  GCSPIKE_RETURN_IF_ERROR(failed());
  return read_status;
}

// Runs the handler on one batch, keeping its first error (or exception) for both threads.
void PerfRecordPipeline::Handle(PerfRecordBatch& batch) {
  Status s;
  std::exception_ptr e;
  try {
    s = handle_(batch);
  } catch (...) {
    e = std::current_exception();
  }
  batch.Clear();
  if (s.ok() && e == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(s);
  exception_ = e;
  has_error_.store(true, std::memory_order_release);
}

void PerfRecordPipeline::HandleUntilRead() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    handed_.wait(lock, [this] { return read_done_ || handled_ < submitted_; });
    if (handled_ == submitted_) return;  // read_done_, and nothing left
    PerfRecordBatch& batch = *batches_[handled_ % kBatches];
    const bool skip = has_error_.load();  // after an error the batches only go back
    lock.unlock();
    if (skip) {
      batch.Clear();
    } else {
      Handle(batch);
    }
    lock.lock();
    ++handled_;
    done_.notify_one();
  }
}

Status PerfRecordPipeline::failed() {
  if (!has_error_.load(std::memory_order_acquire)) return {};  // once per record: no lock
  std::lock_guard<std::mutex> lock(mu_);
  if (exception_ != nullptr) std::rethrow_exception(exception_);
  return error_;
}

Status PerfRecordPipeline::HandOver() {
  if (filling().empty()) return failed();
  if (!threaded_) {
    Handle(filling());
    return failed();
  }
  std::unique_lock<std::mutex> lock(mu_);
  ++submitted_;
  handed_.notify_one();
  // The next batch to fill must be free: at most kBatches - 1 wait to be handled.
  done_.wait(lock, [this] { return submitted_ - handled_ < kBatches; });
  lock.unlock();
  filling_ = batches_[submitted_ % kBatches].get();
  return failed();
}

Status PerfRecordPipeline::Drain() {
  GCSPIKE_RETURN_IF_ERROR(HandOver());
  if (threaded_) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return handled_ == submitted_; });
  }
  return failed();
}

}  // namespace gcspike
