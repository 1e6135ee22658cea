#include "formats/gzip_codec.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

namespace gcspike {

bool LooksGzipped(std::span<const uint8_t> data) {
  return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> data, uint64_t max_output) {
  std::vector<uint8_t> out;
  out.reserve(std::min<uint64_t>(max_output, std::max<uint64_t>(data.size() * 4, 4096)));
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
      if (out.size() == out.capacity()) {
        if (out.size() >= max_output) {
          inflateEnd(&zs);
          return MakeErrorAt(in_pos, "decompressed data exceeds the limit of " +
                                         std::to_string(max_output) + " bytes");
        }
        out.reserve(std::min<uint64_t>(max_output, out.capacity() * 2 + 65536));
      }
      const size_t old = out.size();
      const size_t room = std::min<size_t>(out.capacity() - old, UINT_MAX);
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
    first_member = false;
  }
  return out;
}

Result<std::vector<uint8_t>> Gzip(std::span<const uint8_t> data, int level) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return MakeError("zlib: deflateInit2 failed");
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  size_t in_pos = 0;
  int rc = Z_OK;
  do {
    const size_t chunk_in = std::min<size_t>(data.size() - in_pos, UINT_MAX / 2);
    zs.next_in = const_cast<Bytef*>(data.data() + in_pos);
    zs.avail_in = static_cast<uInt>(chunk_in);
    const bool last = in_pos + chunk_in == data.size();
    do {
      if (zs.total_out == out.size()) out.resize(out.size() * 2);
      const size_t room = std::min<size_t>(out.size() - zs.total_out, UINT_MAX);
      zs.next_out = out.data() + zs.total_out;
      zs.avail_out = static_cast<uInt>(room);
      rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    } while (zs.avail_out == 0 && rc != Z_STREAM_END);
    in_pos += chunk_in - zs.avail_in;
  } while (rc != Z_STREAM_END && rc >= 0);
  const size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return MakeError("zlib: deflate failed");
  out.resize(produced);
  return out;
}

}  // namespace gcspike
