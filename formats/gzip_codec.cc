#include "formats/gzip_codec.h"

#include <zlib.h>
#ifndef GCSPIKE_NO_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <utility>

namespace gcspike {

bool LooksGzipped(std::span<const uint8_t> data) {
  return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

namespace {

std::string Bytes(uint64_t n) { return std::to_string(n) + " bytes"; }

// Gunzip's work: the compressed input, its limits and the output so far.
class Gunzipper {
 public:
  Gunzipper(std::span<const uint8_t> data, const GunzipLimits& limits)
      : data_(data),
        limits_(limits),
        budget_(limits.memory_budget > limits.held ? limits.memory_budget - limits.held : 0) {}

  Result<std::vector<uint8_t>> Run() {
    out_.reserve(std::min<uint64_t>({budget_, SizeGuess(), RatioCap(data_.size())}));
    size_t in_pos = 0;
    bool first_member = true;
    while (in_pos < data_.size()) {
      // Trailing zero padding after a complete member is tolerated (gzip(1) does the same).
      if (!first_member && std::all_of(data_.begin() + static_cast<ptrdiff_t>(in_pos), data_.end(),
                                       [](uint8_t b) { return b == 0; })) {
        break;
      }
      if (!first_member && !LooksGzipped(data_.subspan(in_pos))) {
        return MakeErrorAt(in_pos, "trailing garbage after gzip data");
      }
      z_stream zs;
      std::memset(&zs, 0, sizeof zs);
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return MakeError("zlib: inflateInit2 failed");
      const size_t member_start = in_pos;
      Status inflated = InflateMember(zs, in_pos);
      inflateEnd(&zs);
      if (!inflated.ok()) return inflated.error();
      if (in_pos == member_start) return MakeErrorAt(in_pos, "empty gzip member");
      if (out_.size() > RatioCap(in_pos)) return OverRatio(in_pos);
      first_member = false;
    }
    return std::move(out_);
  }

 private:
  // Output allowed by the ratio for `consumed` compressed bytes (UINT64_MAX: unchecked).
  uint64_t RatioCap(uint64_t consumed) const {
    return ExpansionCap(limits_.max_ratio, limits_.ratio_base != 0 ? limits_.ratio_base : consumed);
  }

  Error OverRatio(uint64_t at) const {
    const uint64_t base = limits_.ratio_base != 0 ? limits_.ratio_base : at;
    return MakeErrorAt(
        at, ExpansionError("gzip data", limits_.max_ratio, out_.size(), base, "compressed input"));
  }

  Error OverBudget(uint64_t at) const {
    return MakeErrorAt(
        at, "decompressed data reached " + Bytes(out_.size()) +
                "; holding more would exceed the memory budget of " + Bytes(limits_.memory_budget) +
                (limits_.held != 0
                     ? " (of which the compressed input takes " + Bytes(limits_.held) + ")"
                     : std::string()) +
                "; --max-memory raises it");
  }

  // A single-member gzip file ends with ISIZE, the uncompressed size mod 2^32 (RFC 1952
  // 2.3.1): a good first guess that saves regrowing a large buffer. Reserving is only address
  // space; pages count once written.
  uint64_t SizeGuess() const {
    uint64_t guess = std::max<uint64_t>(data_.size() * 4, 4096);
    if (data_.size() >= 18) {
      const uint8_t* t = data_.data() + data_.size() - 4;
      const uint64_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (uint64_t{t[3]} << 24);
      // Deflate expands at most ~1032:1, so a larger claim is corrupt (or a later member's).
      if (isize >= data_.size() && isize / 1032 <= data_.size()) guess = isize + 1;
    }
    return guess;
  }

  // Makes room for more output when the buffer is full, within the ratio and the budget.
  Status CheckAndGrow(size_t in_pos) {
    if (out_.size() >= RatioCap(in_pos)) return OverRatio(in_pos);
    if (out_.size() == out_.capacity()) {
      // Regrowing copies: the old and the new storage are both resident until the copy ends,
      // so a regrowth needs room for twice what is held.
      const uint64_t grown = std::max<uint64_t>(out_.capacity() * 2, out_.capacity() + 65536);
      const uint64_t new_cap = std::min<uint64_t>(grown, budget_);
      if (new_cap <= out_.size() || 2 * uint64_t{out_.size()} > budget_) {
        return OverBudget(in_pos);
      }
      out_.reserve(new_cap);
    }
    return Status();
  }

  // Inflates one gzip member starting at in_pos (advanced past it) into out_.
  Status InflateMember(z_stream& zs, size_t& in_pos) {
    while (true) {
      const size_t chunk_in = std::min<size_t>(data_.size() - in_pos, UINT_MAX);
      zs.next_in = const_cast<Bytef*>(data_.data() + in_pos);
      zs.avail_in = static_cast<uInt>(chunk_in);
      GCSPIKE_RETURN_IF_ERROR(CheckAndGrow(in_pos));
      const size_t old = out_.size();
      // Only what inflate may write next is zero-filled, 4 MiB at a time: a reservation is
      // virtual memory until used.
      const size_t room = std::min<size_t>(out_.capacity() - old, size_t{1} << 22);
      out_.resize(old + room);
      zs.next_out = out_.data() + old;
      zs.avail_out = static_cast<uInt>(room);
      const int rc = inflate(&zs, Z_NO_FLUSH);
      out_.resize(old + (room - zs.avail_out));
      in_pos += chunk_in - zs.avail_in;
      if (rc == Z_STREAM_END) return Status();
      if (rc == Z_BUF_ERROR && in_pos >= data_.size()) {
        return MakeErrorAt(in_pos, "truncated gzip data (stream ends before its trailer)");
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return MakeErrorAt(
            in_pos, "corrupt gzip data: " +
                        std::string(zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc)));
      }
    }
  }

  std::span<const uint8_t> data_;
  const GunzipLimits& limits_;
  const uint64_t budget_;
  std::vector<uint8_t> out_;
};

}  // namespace

Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, const GunzipLimits& limits) {
  return Gunzipper(data, limits).Run();
}

namespace {

// One call of a compressor: what it took from the input, what it wrote to the output, and
// whether the stream is complete (trailer written).
struct DeflateStep {
  size_t consumed = 0;
  size_t produced = 0;
  bool done = false;
};

// What GzipWriter compresses with: one gzip member (mtime 0, OS unix, no file name), fed in
// pieces. Step compresses until the input is used up or the output is full; `finish` says
// `in` is the last input.
class Deflater {
 public:
  virtual ~Deflater() = default;
  virtual Result<DeflateStep> Step(std::span<const uint8_t> in, std::span<uint8_t> out,
                                   bool finish) = 0;
};

class ZlibDeflater final : public Deflater {
 public:
  explicit ZlibDeflater(int level) {
    std::memset(&zs_, 0, sizeof zs_);
    // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0, OS unix and no file name.
    ok_ = deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibDeflater() override {
    if (ok_) deflateEnd(&zs_);
  }
  Result<DeflateStep> Step(std::span<const uint8_t> in, std::span<uint8_t> out,
                           bool finish) override {
    if (!ok_) return MakeError("zlib: deflateInit2 failed");
    const size_t n_in = std::min<size_t>(in.size(), UINT_MAX / 2);
    const size_t n_out = std::min<size_t>(out.size(), UINT_MAX);
    zs_.next_in = const_cast<Bytef*>(in.data());
    zs_.avail_in = static_cast<uInt>(n_in);
    zs_.next_out = out.data();
    zs_.avail_out = static_cast<uInt>(n_out);
    const int rc = deflate(&zs_, finish && n_in == in.size() ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return MakeError("zlib: deflate failed");
    return DeflateStep{n_in - zs_.avail_in, n_out - zs_.avail_out, rc == Z_STREAM_END};
  }

 private:
  z_stream zs_;
  bool ok_ = false;
};

#ifndef GCSPIKE_NO_ISAL
// ISA-L's igzip: on a 60 MB pprof its level 1 is 4-5 times as fast as zlib's level 1 and a
// little smaller; its level 3 (its highest) is about zlib's level 2 in size.
class IsalDeflater final : public Deflater {
 public:
  explicit IsalDeflater(uint32_t level)
      : level_buf_(level == 1   ? ISAL_DEF_LVL1_DEFAULT
                   : level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                : ISAL_DEF_LVL3_DEFAULT) {
    isal_deflate_init(&zs_);
    zs_.level = level;
    zs_.level_buf = level_buf_.data();
    zs_.level_buf_size = static_cast<uint32_t>(level_buf_.size());
    // The header is written below: ISA-L's own says OS unknown, zlib's (as before) unix.
    zs_.gzip_flag = IGZIP_GZIP_NO_HDR;
    isal_gzip_header_init(&header_);
    header_.os = 3;                       // RFC 1952 2.3.1: Unix
    header_.xflags = level <= 1 ? 4 : 0;  // XFL 4: fastest algorithm
  }
  Result<DeflateStep> Step(std::span<const uint8_t> in, std::span<uint8_t> out,
                           bool finish) override {
    const size_t n_in = std::min<size_t>(in.size(), UINT32_MAX / 2);
    const size_t n_out = std::min<size_t>(out.size(), UINT32_MAX);
    zs_.next_in = const_cast<uint8_t*>(in.data());
    zs_.avail_in = static_cast<uint32_t>(n_in);
    zs_.next_out = out.data();
    zs_.avail_out = static_cast<uint32_t>(n_out);
    if (!header_written_) {
      if (isal_write_gzip_header(&zs_, &header_) != COMP_OK) {
        return MakeError("isa-l: no room for the gzip header");
      }
      header_written_ = true;
    }
    zs_.end_of_stream = finish && n_in == in.size() ? 1 : 0;
    const int rc = isal_deflate(&zs_);
    if (rc != COMP_OK) return MakeError("isa-l: isal_deflate failed (" + std::to_string(rc) + ")");
    return DeflateStep{n_in - zs_.avail_in, n_out - zs_.avail_out,
                       zs_.internal_state.state == ZSTATE_END};
  }

 private:
  std::vector<uint8_t> level_buf_;
  isal_zstream zs_;
  isal_gzip_header header_;
  bool header_written_ = false;
};
#endif  // GCSPIKE_NO_ISAL

// gzip levels 1 and 2 go to ISA-L (its levels 1 and 3: as small as zlib's or smaller, and
// faster); ISA-L has nothing as small as zlib's levels 3-9, which stay zlib's.
std::unique_ptr<Deflater> MakeDeflater(int level) {
#ifndef GCSPIKE_NO_ISAL
  if (level == 1) return std::make_unique<IsalDeflater>(1);
  if (level == 2) return std::make_unique<IsalDeflater>(3);
#endif
  return std::make_unique<ZlibDeflater>(level);
}

}  // namespace

// Compression runs on a second thread, one chunk behind the encoder that feeds it: deflate
// is a large part of the time of a large round trip, and the two overlap on a 2-core machine.
struct GzipWriter::State {
  std::unique_ptr<Deflater> deflater;
  std::vector<uint8_t> out;
  size_t used = 0;    // bytes of `out` holding compressed output not yet handed on
  size_t window = 0;  // where in `out` the window being filled starts (Deflate)
  ByteSink sink;

  std::mutex mu;
  std::condition_variable cv;
  // Chunks waiting for the worker: a buffer and how many of its bytes to compress.
  std::deque<std::pair<std::vector<uint8_t>, size_t>> queue;
  // Compressed chunks' buffers, reused by Write: it copies into memory already allocated.
  std::vector<std::vector<uint8_t>> spare;
  bool closing = false;
  Status worker_status;
  std::thread worker;

  void Work(GzipWriter& writer);
};

void GzipWriter::State::Work(GzipWriter& writer) {
  while (true) {
    std::vector<uint8_t> chunk;
    size_t size = 0;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return !queue.empty() || closing; });
      if (queue.empty()) return;
      chunk = std::move(queue.front().first);
      size = queue.front().second;
      queue.pop_front();
    }
    cv.notify_all();
    // An exception cannot leave a thread (std::terminate, exit 134): out of memory here is
    // an error like any other, reported by the next Write or Finish.
    Status s;
    try {
      s = writer.Deflate({chunk.data(), size}, false);
    } catch (const std::bad_alloc&) {
      s = MakeError("out of memory while compressing the output");
    }
    std::lock_guard<std::mutex> lock(mu);
    if (!s.ok() && worker_status.ok()) worker_status = s;
    // Kept at its size: refilled by WriteBuffer's caller, it is not zeroed again.
    spare.push_back(std::move(chunk));
  }
}

GzipWriter::GzipWriter(int level, ByteSink sink) : state_(new State()) {
  state_->sink = std::move(sink);
  state_->deflater = MakeDeflater(level);
  state_->worker = std::thread([this] { state_->Work(*this); });
}

GzipWriter::~GzipWriter() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->closing = true;
  }
  state_->cv.notify_all();
  if (state_->worker.joinable()) state_->worker.join();
  delete state_;
}

Status GzipWriter::Deflate(std::span<const uint8_t> data, bool finish) {
  State& st = *state_;
  // The compressor writes into 256 KiB windows of `out`, handed to the sink (if any) once less
  // than 64 KiB of a window is left. Without a sink the windows follow one another in `out`:
  // ISA-L's output depends on the room it is given, and this way it is the same either way.
  constexpr size_t kWindow = size_t{1} << 18;
  size_t in_pos = 0;
  while (true) {
    if (st.window + kWindow - st.used < 65536) {
      if (st.sink) {
        GCSPIKE_RETURN_IF_ERROR(st.sink(std::span<const uint8_t>(st.out.data(), st.used)));
        st.used = 0;
      }
      st.window = st.used;
    }
    if (st.out.size() < st.window + kWindow) {
      st.out.resize(std::max(st.out.size() * 2, st.window + kWindow));
    }
    const std::span<uint8_t> room(st.out.data() + st.used, st.window + kWindow - st.used);
    GCSPIKE_ASSIGN_OR_RETURN(const DeflateStep step,
                             st.deflater->Step(data.subspan(in_pos), room, finish));
    in_pos += step.consumed;
    st.used += step.produced;
    // Not finishing, the input is taken once all of it is in and the output was not filled
    // (a full output may hide more pending output).
    if (finish ? step.done : in_pos == data.size() && step.produced < room.size()) break;
  }
  return {};
}

Result<std::vector<uint8_t>> GzipWriter::TakeSpare() {
  State& st = *state_;
  std::vector<uint8_t> chunk;
  std::unique_lock<std::mutex> lock(st.mu);
  // At most two chunks in flight bounds the memory this adds.
  st.cv.wait(lock, [&st] { return st.queue.size() < 2; });
  if (!st.worker_status.ok()) return st.worker_status.error();
  if (!st.spare.empty()) {
    chunk = std::move(st.spare.back());
    st.spare.pop_back();
  }
  return chunk;
}

void GzipWriter::Queue(std::vector<uint8_t> chunk, size_t size) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->queue.emplace_back(std::move(chunk), size);
  }
  state_->cv.notify_all();
}

Status GzipWriter::Write(std::span<const uint8_t> data) {
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> chunk, TakeSpare());
  chunk.assign(data.begin(), data.end());
  Queue(std::move(chunk), data.size());
  return {};
}

Status GzipWriter::WriteBuffer(std::vector<uint8_t>& buffer, size_t n) {
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> spare, TakeSpare());
  Queue(std::move(buffer), n);
  buffer = std::move(spare);
  return {};
}

Result<std::vector<uint8_t>> GzipWriter::Finish() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->closing = true;
  }
  state_->cv.notify_all();
  if (state_->worker.joinable()) state_->worker.join();
  GCSPIKE_RETURN_IF_ERROR(state_->worker_status);
  GCSPIKE_RETURN_IF_ERROR(Deflate({}, true));
  State& st = *state_;
  if (st.sink) {
    if (st.used != 0)
      GCSPIKE_RETURN_IF_ERROR(st.sink(std::span<const uint8_t>(st.out.data(), st.used)));
    st.used = 0;
    return std::vector<uint8_t>();
  }
  st.out.resize(st.used);
  return std::move(st.out);
}

Result<std::vector<uint8_t>> Gzip(std::span<const uint8_t> data, int level) {
  GzipWriter w(level);
  GCSPIKE_RETURN_IF_ERROR(w.Write(data));
  return w.Finish();
}

uint64_t ExpansionCap(double max_ratio, uint64_t compressed) {
  if (max_ratio <= 0) return UINT64_MAX;
  const double cap =
      max_ratio * static_cast<double>(compressed) + static_cast<double>(kGunzipRatioSlack);
  return cap >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(cap);
}

std::string ExpansionError(std::string_view data, double max_ratio, uint64_t out,
                           uint64_t compressed, std::string_view compressed_what) {
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%g", max_ratio);
  return std::string(data) + " expands more than " + ratio + " times (" + std::to_string(out) +
         " bytes from " + std::to_string(compressed) + " bytes of " + std::string(compressed_what) +
         "): likely a decompression bomb; --max-gzip-ratio=0 " + "lifts the limit";
}

}  // namespace gcspike
