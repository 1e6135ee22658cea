// Hostile input sizes: gzip bombs, inputs over the memory budget and huge sparse files fail
// with an error naming the offset reached and the limit, before the memory is spent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/input_source.h"
#include "formats/profile_reader.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

std::vector<uint8_t> Zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

std::vector<uint8_t> Compressed(const std::vector<uint8_t>& raw, int level) {
  auto z = Gzip(raw, level);
  EXPECT_OK(z);
  return std::move(z).value();
}

TEST(GunzipLimits, RatioRefusesABombWithTheOffsetReached) {
  const auto bomb = Compressed(Zeros(64 << 20), 9);  // ~1030:1
  GunzipLimits limits;
  limits.max_ratio = 1000;
  auto out = Gunzip(bomb, limits);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("expands more than 1000 times"), std::string::npos)
      << out.error().message;
  ASSERT_TRUE(out.error().offset.has_value());
  EXPECT_GT(*out.error().offset, 0u);
  EXPECT_LT(*out.error().offset, bomb.size());
}

TEST(GunzipLimits, RatioZeroMeansUnchecked) {
  const auto bomb = Compressed(Zeros(8 << 20), 9);
  GunzipLimits limits;
  limits.max_ratio = 0;
  auto out = Gunzip(bomb, limits);
  ASSERT_OK(out);
  EXPECT_EQ(out->size(), size_t{8} << 20);
}

TEST(GunzipLimits, RatioOfOrdinaryDataPasses) {
  std::vector<uint8_t> raw(4 << 20);
  uint32_t x = 1;
  for (uint8_t& b : raw) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>((x >> 16) & 0x3f);  // compresses about 1.3:1
  }
  GunzipLimits limits;
  limits.max_ratio = 1000;
  auto out = Gunzip(Compressed(raw, 6), limits);
  ASSERT_OK(out);
  EXPECT_EQ(*out, raw);
}

TEST(GunzipLimits, SmallOutputsAreNeverRefusedForTheirRatio) {
  GunzipLimits limits;
  limits.max_ratio = 1;
  auto out = Gunzip(Compressed(Zeros(kGunzipRatioSlack / 2), 9), limits);
  EXPECT_OK(out);
}

TEST(GunzipLimits, RatioBaseCountsAgainstTheOriginalInput) {
  // gzip inside gzip: relative to a 1000-byte original, 8 MiB is over 1000:1 plus the slack.
  const auto inner = Compressed(Zeros(8 << 20), 9);
  GunzipLimits limits;
  limits.max_ratio = 1000;
  limits.ratio_base = 1000;
  EXPECT_FALSE(Gunzip(inner, limits).ok());
}

TEST(GunzipLimits, MemoryBudgetCountsTheCompressedInputAndNamesTheLimit) {
  const auto data = Compressed(Zeros(32 << 20), 1);
  GunzipLimits limits;
  limits.memory_budget = 16 << 20;
  limits.held = data.size();
  auto out = Gunzip(data, limits);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("memory budget of 16777216 bytes"), std::string::npos)
      << out.error().message;
  ASSERT_TRUE(out.error().offset.has_value());
  EXPECT_LE(*out.error().offset, data.size());
  // Within budget it works, even when the trailer's size hint is wrong (two members).
  std::vector<uint8_t> two = Compressed(Zeros(3 << 20), 1);
  const auto second = Compressed(Zeros(5 << 20), 1);
  two.insert(two.end(), second.begin(), second.end());
  limits.memory_budget = 64 << 20;
  limits.held = two.size();
  auto ok = Gunzip(two, limits);
  ASSERT_OK(ok);
  EXPECT_EQ(ok->size(), size_t{8} << 20);
}

class TempFile {
 public:
  TempFile() {
    char tmpl[] = "/tmp/gcspike-limits-XXXXXX";
    fd_ = ::mkstemp(tmpl);
    path_ = tmpl;
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// The first 16 bytes of a plausible pprof message (one string_table entry), so that the
// sniffing, which refuses implausible fields in the first 16 bytes, lets the input through to
// the limits this file is about.
constexpr char kPprofPrefix[] = "\x32\x0egcspike bomb 1";
constexpr size_t kPprofPrefixSize = 16;

std::vector<uint8_t> WithPprofPrefix(std::vector<uint8_t> raw) {
  std::copy(kPprofPrefix, kPprofPrefix + kPprofPrefixSize, raw.begin());
  return raw;
}

TEST(InputLimits, HugeSparseFileIsRefusedBeforeItIsRead) {
  TempFile f;
  ASSERT_EQ(::pwrite(f.fd(), kPprofPrefix, kPprofPrefixSize, 0), 16);
  ASSERT_EQ(::ftruncate(f.fd(), off_t{10} << 30), 0);  // 10 GiB, sparse
  ReadOptions options;
  options.max_input_bytes = 64 << 20;
  auto p = ReadProfileFile(f.path(), options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().file, f.path());
  EXPECT_EQ(p.error().offset, 0u);
  EXPECT_NE(p.error().message.find("10737418240 bytes"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("67108864"), std::string::npos) << p.error().message;
}

TEST(InputLimits, PipeOverTheBudgetStopsAtTheLimit) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::vector<char> block(1 << 16, 0x0a);
    for (int i = 0; i < 256; ++i) {  // 16 MiB
      if (::write(fds[1], block.data(), block.size()) < 0) break;
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  const int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  auto in = InputSource::Open("-");
  ASSERT_OK(in);
  auto all = (*in)->ReadAll(4 << 20);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ::kill(pid, SIGKILL);
  int status;
  ::waitpid(pid, &status, 0);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().file, "<stdin>");
  EXPECT_NE(all.error().message.find("memory budget of 4194304 bytes"), std::string::npos)
      << all.error().message;
  ASSERT_TRUE(all.error().offset.has_value());
  EXPECT_LE(*all.error().offset, uint64_t{4} << 20);
}

TEST(InputLimits, GzipBombThroughReadProfileNamesFileAndOffset) {
  // Starts like pprof (a string), so it is read whole; then 64 MiB of zeros.
  const std::vector<uint8_t> raw = WithPprofPrefix(Zeros(64 << 20));
  auto in = InputSource::FromBytes("bomb.pb.gz", Compressed(raw, 9), "");
  ReadOptions options;
  auto p = ReadProfile(*in, options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().file, "bomb.pb.gz");
  EXPECT_TRUE(p.error().offset.has_value());
  EXPECT_NE(p.error().ToString().find("--max-gzip-ratio"), std::string::npos)
      << p.error().ToString();
  EXPECT_NE(p.error().ToString().find("of compressed data"), std::string::npos);
}

TEST(InputLimits, GzipStreamsAndBudgetsDecompressedPprof) {
  const std::vector<uint8_t> raw = WithPprofPrefix(Zeros(32 << 20));
  auto in = InputSource::FromBytes("big.pb.gz", Compressed(raw, 1), "");
  ReadOptions options;
  options.max_gzip_ratio = 0;
  options.max_input_bytes = 8 << 20;
  auto p = ReadProfile(*in, options);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("memory budget of 8388608 bytes"), std::string::npos)
      << p.error().ToString();
  EXPECT_EQ(p.error().where, "compressed data");
}

TEST(InputLimits, GzipStreamErrorsNameTheCompressedOffset) {
  std::vector<uint8_t> z = Compressed(WithPprofPrefix(std::vector<uint8_t>(1000, 0x0a)), 6);
  z.resize(z.size() - 6);  // cut inside the trailer
  auto in = InputSource::FromBytes("cut.pb.gz", z, "");
  auto p = ReadProfile(*in, ReadOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("truncated gzip"), std::string::npos) << p.error().ToString();
  EXPECT_EQ(p.error().offset, z.size());
  // Trailing zeros after a member are padding; anything else is garbage, with its offset.
  std::vector<uint8_t> padded = Compressed(std::vector<uint8_t>{0x32, 0x00}, 6);
  const size_t member = padded.size();
  padded.resize(member + 100, 0);
  auto ok = InputSource::FromBytes("padded.pb.gz", padded, "");
  EXPECT_OK(ReadProfile(*ok, ReadOptions{}));
  padded[member + 50] = 7;
  auto bad = InputSource::FromBytes("garbage.pb.gz", padded, "");
  auto g = ReadProfile(*bad, ReadOptions{});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("trailing garbage"), std::string::npos) << g.error().ToString();
  EXPECT_EQ(g.error().offset, member + 50);
}

TEST(InputLimits, DefaultBudgetIsSensible) {
  const uint64_t b = DefaultMemoryBudget();
  EXPECT_GE(b, uint64_t{64} << 20);
  EXPECT_LT(b, uint64_t{1} << 50);
}

}  // namespace
}  // namespace gcspike
