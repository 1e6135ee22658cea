// gzip in and out. Decompression (zlib) reports where in the compressed input it failed
// and refuses to grow past a limit (a small corrupt file must not become a memory bomb).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "formats/byte_sink.h"

namespace gcspike {

bool LooksGzipped(std::span<const uint8_t> data);

// What decompression may cost. Memory is counted as bytes resident at once: the output buffer,
// the copy made while it regrows (a vector's old and new storage coexist), and `held`, bytes the
// caller keeps alive meanwhile (the compressed input). So while Gunzip runs,
//   held + output + regrowth copy <= memory_budget.
struct GunzipLimits {
  uint64_t memory_budget = uint64_t{16} << 30;
  uint64_t held = 0;
  // Output per compressed byte consumed; 0: unchecked. Deflate cannot exceed ~1032:1, so
  // only runs of one repeated byte (a decompression bomb) come near 1000; real profiles are
  // 3-20:1. Outputs under kRatioSlack are never refused.
  double max_ratio = 0;
  // Nonzero when `data` is itself decompressed: the ratio is then taken against this many
  // bytes (the compressed size of the original input), so nesting gzip in gzip gains nothing.
  uint64_t ratio_base = 0;
};
inline constexpr uint64_t kGunzipRatioSlack = uint64_t{1} << 20;

// --max-gzip-ratio for every decompressing reader (gzip here and in InputSource, perf.data's
// zstd records): the output allowed for `compressed` bytes (UINT64_MAX when max_ratio is 0),
// and the error past it, e.g. "gzip data expands more than 1000 times (N bytes from M bytes of
// compressed input): likely a decompression bomb; ...".
uint64_t ExpansionCap(double max_ratio, uint64_t compressed);
std::string ExpansionError(std::string_view data, double max_ratio, uint64_t out,
                           uint64_t compressed, std::string_view compressed_what);

// Decompresses one or more concatenated gzip members (or a zlib stream). Errors carry the
// offset in the compressed input reached when the problem was found.
Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, const GunzipLimits& limits);
inline Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, uint64_t max_output) {
  GunzipLimits limits;
  limits.memory_budget = max_output;
  return Gunzip(data, limits);
}

// gzip with a fixed header (mtime 0, OS unix), so equal input gives equal bytes. Levels 1 and 2
// compress with ISA-L's igzip (faster than zlib, and as small), other levels and the static
// build (built with GCSPIKE_NO_ISAL: Debian has no libisal.a) with zlib.
Result<std::vector<uint8_t>> Gzip(std::span<const uint8_t> data, int level);

// The same, fed in pieces, so a large output never exists uncompressed in memory. With a sink,
// the compressed bytes go to it as they are produced (256 KiB at a time, from the compression
// thread, and the rest from Finish), so they never exist in memory as a whole either.
class GzipWriter {
 public:
  explicit GzipWriter(int level, ByteSink sink = nullptr);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  Status Write(std::span<const uint8_t> data);
  // The same for buffer's first n bytes (n <= its size), without copying them: the buffer itself
  // is handed to the compression thread, and `buffer` is left holding another one to fill next
  // (what it holds and its size are unspecified: a buffer comes back at its size, so that it
  // need not be zeroed again to be filled).
  Status WriteBuffer(std::vector<uint8_t>& buffer, size_t n);
  // Ends the stream and hands over the compressed bytes (none when there is a sink).
  Result<std::vector<uint8_t>> Finish();

 private:
  Status Deflate(std::span<const uint8_t> data, bool finish);
  // A buffer for the next chunk, once fewer than two wait for the compression thread.
  Result<std::vector<uint8_t>> TakeSpare();
  void Queue(std::vector<uint8_t> chunk, size_t size);
  struct State;
  State* state_;
};

}  // namespace gcspike
