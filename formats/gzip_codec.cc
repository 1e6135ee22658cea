#include "formats/gzip_codec.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <thread>

namespace gcspike {

bool LooksGzipped(std::span<const uint8_t> data) {
  return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

namespace {

std::string Bytes(uint64_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, const GunzipLimits& limits) {
  std::vector<uint8_t> out;
  const uint64_t budget =
      limits.memory_budget > limits.held ? limits.memory_budget - limits.held : 0;
  // Output allowed by the ratio for `consumed` compressed bytes (UINT64_MAX: unchecked).
  auto ratio_cap = [&limits](uint64_t consumed) -> uint64_t {
    if (limits.max_ratio <= 0) return UINT64_MAX;
    const double base = static_cast<double>(limits.ratio_base != 0 ? limits.ratio_base : consumed);
    const double cap = limits.max_ratio * base + static_cast<double>(kGunzipRatioSlack);
    return cap >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(cap);
  };
  auto over_ratio = [&](uint64_t at) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%g", limits.max_ratio);
    const uint64_t base = limits.ratio_base != 0 ? limits.ratio_base : at;
    return MakeErrorAt(at, "gzip data expands more than " + std::string(ratio) + " times (" +
                               Bytes(out.size()) + " from " + Bytes(base) +
                               " of compressed input): likely a decompression bomb; "
                               "--max-gzip-ratio=0 lifts the limit");
  };
  auto over_budget = [&](uint64_t at) {
    return MakeErrorAt(
        at,
        "decompressed data reached " + Bytes(out.size()) +
            "; holding more would exceed the memory budget of " + Bytes(limits.memory_budget) +
            (limits.held != 0 ? " (of which the compressed input takes " + Bytes(limits.held) + ")"
                              : std::string()) +
            "; --max-memory raises it");
  };
  // A single-member gzip file ends with ISIZE, the uncompressed size mod 2^32 (RFC 1952 2.3.1):
  // a good first guess that saves regrowing a large buffer. Reserving is only address space;
  // pages count once written.
  uint64_t guess = std::max<uint64_t>(data.size() * 4, 4096);
  if (data.size() >= 18) {
    const uint8_t* t = data.data() + data.size() - 4;
    const uint64_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (uint64_t{t[3]} << 24);
    // Deflate expands at most ~1032:1, so a larger claim is corrupt (or a later member's).
    if (isize >= data.size() && isize / 1032 <= data.size()) guess = isize + 1;
  }
  out.reserve(std::min<uint64_t>({budget, guess, ratio_cap(data.size())}));
  size_t in_pos = 0;
  bool first_member = true;
  while (in_pos < data.size()) {
    // Trailing zero padding after a complete member is tolerated (gzip(1) does the same).
    if (!first_member && std::all_of(data.begin() + static_cast<ptrdiff_t>(in_pos), data.end(),
                                     [](uint8_t b) { return b == 0; })) {
      break;
    }
    if (!first_member && !LooksGzipped(data.subspan(in_pos))) {
      return MakeErrorAt(in_pos, "trailing garbage after gzip data");
    }
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return MakeError("zlib: inflateInit2 failed");
    const size_t member_start = in_pos;
    int rc = Z_OK;
    while (true) {
      const size_t chunk_in = std::min<size_t>(data.size() - in_pos, UINT_MAX);
      zs.next_in = const_cast<Bytef*>(data.data() + in_pos);
      zs.avail_in = static_cast<uInt>(chunk_in);
      if (out.size() >= ratio_cap(in_pos)) {
        inflateEnd(&zs);
        return over_ratio(in_pos);
      }
      if (out.size() == out.capacity()) {
        // Regrowing copies: the old and the new storage are both resident until the copy ends,
        // so a regrowth needs room for twice what is held.
        const uint64_t grown = std::max<uint64_t>(out.capacity() * 2, out.capacity() + 65536);
        const uint64_t new_cap = std::min<uint64_t>(grown, budget);
        if (new_cap <= out.size() || 2 * uint64_t{out.size()} > budget) {
          inflateEnd(&zs);
          return over_budget(in_pos);
        }
        out.reserve(new_cap);
      }
      const size_t old = out.size();
      // Only what inflate may write next is zero-filled, 4 MiB at a time: a reservation is
      // virtual memory until used.
      const size_t room = std::min<size_t>(out.capacity() - old, size_t{1} << 22);
      out.resize(old + room);
      zs.next_out = out.data() + old;
      zs.avail_out = static_cast<uInt>(room);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.resize(old + (room - zs.avail_out));
      in_pos += chunk_in - zs.avail_in;
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && in_pos >= data.size()) {
        inflateEnd(&zs);
        return MakeErrorAt(in_pos, "truncated gzip data (stream ends before its trailer)");
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        std::string msg = zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc);
        inflateEnd(&zs);
        return MakeErrorAt(in_pos, "corrupt gzip data: " + msg);
      }
    }
    inflateEnd(&zs);
    if (in_pos == member_start) return MakeErrorAt(in_pos, "empty gzip member");
    if (out.size() > ratio_cap(in_pos)) return over_ratio(in_pos);
    first_member = false;
  }
  return out;
}

// Compression runs on a second thread, one chunk behind the encoder that feeds it: deflate
// is a third of the time of a large round trip, and the two overlap on a 2-core machine.
struct GzipWriter::State {
  z_stream zs;
  bool ok = false;
  std::vector<uint8_t> out;
  size_t used = 0;  // bytes of `out` holding compressed output not yet handed on
  ByteSink sink;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<uint8_t>> queue;  // chunks waiting for the worker
  bool closing = false;
  Status worker_status;
  std::thread worker;
};

GzipWriter::GzipWriter(int level, ByteSink sink) : state_(new State()) {
  state_->sink = std::move(sink);
  std::memset(&state_->zs, 0, sizeof state_->zs);
  // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0 and no file name.
  state_->ok = deflateInit2(&state_->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  state_->worker = std::thread([this] {
    State& st = *state_;
    while (true) {
      std::vector<uint8_t> chunk;
      {
        std::unique_lock<std::mutex> lock(st.mu);
        st.cv.wait(lock, [&st] { return !st.queue.empty() || st.closing; });
        if (st.queue.empty()) return;
        chunk = std::move(st.queue.front());
        st.queue.pop_front();
      }
      st.cv.notify_all();
      // An exception cannot leave a thread (std::terminate, exit 134): out of memory here is
      // an error like any other, reported by the next Write or Finish.
      Status s;
      try {
        s = Deflate(chunk, false);
      } catch (const std::bad_alloc&) {
        s = MakeError("out of memory while compressing the output");
      }
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(st.mu);
        if (st.worker_status.ok()) st.worker_status = s;
      }
    }
  });
}

GzipWriter::~GzipWriter() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->closing = true;
  }
  state_->cv.notify_all();
  if (state_->worker.joinable()) state_->worker.join();
  if (state_->ok) deflateEnd(&state_->zs);
  delete state_;
}

Status GzipWriter::Deflate(std::span<const uint8_t> data, bool finish) {
  if (!state_->ok) return MakeError("zlib: deflateInit2 failed");
  State& st = *state_;
  z_stream& zs = st.zs;
  constexpr size_t kSinkChunk = size_t{1} << 18;
  size_t in_pos = 0;
  while (true) {
    const size_t chunk_in = std::min<size_t>(data.size() - in_pos, UINT_MAX / 2);
    zs.next_in = const_cast<Bytef*>(data.data() + in_pos);
    zs.avail_in = static_cast<uInt>(chunk_in);
    const bool last = finish && in_pos + chunk_in == data.size();
    int rc;
    do {
      if (st.out.size() - st.used < 65536) {
        if (st.sink && st.used != 0) {
          GCSPIKE_RETURN_IF_ERROR(st.sink(std::span<const uint8_t>(st.out.data(), st.used)));
          st.used = 0;
        }
        if (st.out.size() - st.used < 65536) {
          st.out.resize(std::max<size_t>(st.out.size() * 2, st.sink ? kSinkChunk : 1 << 20));
        }
      }
      const size_t room = std::min<size_t>(st.out.size() - st.used, UINT_MAX);
      zs.next_out = st.out.data() + st.used;
      zs.avail_out = static_cast<uInt>(room);
      rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_ERROR) return MakeError("zlib: deflate failed");
      st.used += room - zs.avail_out;
    } while (zs.avail_out == 0 || (last && rc != Z_STREAM_END));
    in_pos += chunk_in - zs.avail_in;
    if (in_pos == data.size()) break;
  }
  return {};
}

Status GzipWriter::Write(std::span<const uint8_t> data) {
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  // At most two chunks in flight bounds the memory this adds.
  st.cv.wait(lock, [&st] { return st.queue.size() < 2; });
  if (!st.worker_status.ok()) return st.worker_status;
  st.queue.emplace_back(data.begin(), data.end());
  lock.unlock();
  st.cv.notify_all();
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

}  // namespace gcspike
