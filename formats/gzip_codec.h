// gzip in and out through zlib. Decompression reports where in the compressed input it failed
// and refuses to grow past a limit (a small corrupt file must not become a memory bomb).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "formats/byte_sink.h"

namespace gcspike {

bool LooksGzipped(std::span<const uint8_t> data);

// Decompresses one or more concatenated gzip members (or a zlib stream). Errors carry the
// offset in the compressed input.
Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, uint64_t max_output);

// gzip with a fixed header (mtime 0, OS unix), so equal input gives equal bytes.
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
  // Ends the stream and hands over the compressed bytes (none when there is a sink).
  Result<std::vector<uint8_t>> Finish();

 private:
  Status Deflate(std::span<const uint8_t> data, bool finish);
  struct State;
  State* state_;
};

}  // namespace gcspike
