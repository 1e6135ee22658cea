// gzip output: whatever compressor GzipWriter uses (ISA-L's igzip at levels 1 and 2, zlib
// otherwise and in the static build), zlib's own inflate gets the exact input back from one
// gzip member with gcspike's fixed header, for inputs that end on, just before and just after
// the 256 KiB pieces the pprof writer feeds it.
#include "formats/gzip_codec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

constexpr size_t kPiece = size_t{1} << 18;  // what PprofWriter hands GzipWriter::Write

// Several MB that compress like a profile: the decompressed pprof fixtures one after another
// (each repeat is past deflate's 32 KiB window), with a stretch of random bytes in between.
std::vector<uint8_t> ProfileLikeBytes(size_t size) {
  std::vector<uint8_t> profiles;
  for (const auto& path : testing::FixtureFiles("pprof", ".pb.gz")) {
    auto raw = Gunzip(testing::ReadFileBytes(path), uint64_t{1} << 30);
    EXPECT_OK(raw);
    profiles.insert(profiles.end(), raw->begin(), raw->end());
  }
  EXPECT_GT(profiles.size(), size_t{1} << 16);
  std::vector<uint8_t> out;
  std::mt19937 rng(13);
  while (out.size() < size) {
    out.insert(out.end(), profiles.begin(), profiles.end());
    for (int i = 0; i < 40000; ++i) out.push_back(static_cast<uint8_t>(rng()));
  }
  out.resize(size);
  return out;
}

// zlib's inflate of exactly one gzip member that must span all of `gz`.
std::vector<uint8_t> ZlibInflateOneMember(const std::vector<uint8_t>& gz) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 16);
  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), buf.data(), buf.data() + (buf.size() - zs.avail_out));
  }
  EXPECT_EQ(rc, Z_STREAM_END) << (zs.msg != nullptr ? zs.msg : "");
  EXPECT_EQ(zs.avail_in, 0u) << "bytes after the first gzip member";
  inflateEnd(&zs);
  return out;
}

// Through GzipWriter in `piece`-sized Writes, into a sink when `sink` is set.
std::vector<uint8_t> Compress(const std::vector<uint8_t>& data, int level, size_t piece,
                              bool sink) {
  std::vector<uint8_t> sunk;
  ByteSink to_sink;
  if (sink) {
    to_sink = [&sunk](std::span<const uint8_t> b) {
      sunk.insert(sunk.end(), b.begin(), b.end());
      return Status();
    };
  }
  GzipWriter w(level, to_sink);
  for (size_t at = 0; at < data.size(); at += piece) {
    const size_t n = std::min(piece, data.size() - at);
    EXPECT_OK(w.Write(std::span<const uint8_t>(data.data() + at, n)));
  }
  auto out = w.Finish();
  EXPECT_OK(out);
  if (sink) {
    EXPECT_TRUE(out->empty());
    return sunk;
  }
  return std::move(out).value();
}

TEST(GzipWriter, ZlibInflatesTheExactInputAcrossPieceBoundaries) {
  const std::vector<uint8_t> big = ProfileLikeBytes(3 << 20);
  for (size_t size : {size_t{0}, size_t{1}, kPiece - 1, kPiece, kPiece + 1, big.size()}) {
    const std::vector<uint8_t> data(big.begin(), big.begin() + static_cast<ptrdiff_t>(size));
    for (int level : {1, 2, 6}) {
      for (size_t piece : {kPiece, size_t{100003}}) {
        SCOPED_TRACE("size " + std::to_string(size) + ", level " + std::to_string(level) +
                     ", pieces of " + std::to_string(piece));
        const std::vector<uint8_t> gz = Compress(data, level, piece, false);
        ASSERT_GE(gz.size(), 18u);
        // RFC 1952 2.3: deflate, no flags, mtime 0, OS 3 (Unix).
        EXPECT_EQ(std::vector<uint8_t>(gz.begin(), gz.begin() + 8),
                  (std::vector<uint8_t>{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}));
        EXPECT_EQ(gz[9], 3);
        EXPECT_TRUE(ZlibInflateOneMember(gz) == data);
        EXPECT_TRUE(Compress(data, level, piece, true) == gz) << "the sink got other bytes";
      }
    }
  }
}

TEST(GzipWriter, EqualInputGivesEqualBytes) {
  const std::vector<uint8_t> data = ProfileLikeBytes(2 << 20);
  for (int level : {1, 2, 6}) {
    SCOPED_TRACE("level " + std::to_string(level));
    const std::vector<uint8_t> a = Compress(data, level, kPiece, false);
    std::vector<uint8_t> other = data;
    other[other.size() / 2] ^= 1;
    EXPECT_TRUE(Compress(data, level, kPiece, false) == a);
    EXPECT_FALSE(Compress(other, level, kPiece, false) == a);
    auto whole = Gzip(data, level);
    ASSERT_OK(whole);
    EXPECT_TRUE(ZlibInflateOneMember(*whole) == data);
  }
}

// zlib's own gzip stream of `data` at `level`.
std::vector<uint8_t> ZlibGzip(const std::vector<uint8_t>& data, int level) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, data.size()));
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(GzipWriter, LevelsOneAndTwoAreIsaLUnlessBuiltWithout) {
  const std::vector<uint8_t> data = ProfileLikeBytes(1 << 20);
  const std::vector<uint8_t> l1 = Compress(data, 1, kPiece, false);
#ifdef GCSPIKE_NO_ISAL
  EXPECT_TRUE(l1 == ZlibGzip(data, 1));
#else
  EXPECT_FALSE(l1 == ZlibGzip(data, 1));
  EXPECT_FALSE(Compress(data, 2, kPiece, false) == ZlibGzip(data, 2));
#endif
  // Levels ISA-L cannot match in size stay zlib's.
  EXPECT_TRUE(Compress(data, 6, kPiece, false) == ZlibGzip(data, 6));
}

}  // namespace
}  // namespace gcspike
