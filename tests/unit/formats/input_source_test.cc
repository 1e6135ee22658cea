// InputSource over a regular file (read through mapped windows) against the same bytes in
// memory: random sequences of Peek, Read, ReadExact and Skip, crossing the 1 MiB windows,
// give the same bytes, offsets and ends; ReadAll and Contents after a partial read give the
// rest; and a file that shrinks while it is read ends where it now ends instead of faulting.
#include "formats/input_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::vector<uint8_t>& bytes) {
    char tmpl[] = "/tmp/gcspike-input-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    path_ = tmpl;
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(InputSource, FileReadsMatchMemoryReadsAcrossWindows) {
  const std::vector<uint8_t> bytes = RandomBytes((size_t{3} << 20) + 12345, 1);
  TempFile file(bytes);
  std::mt19937_64 rng(2);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    auto opened = InputSource::Open(file.path());
    ASSERT_OK(opened);
    InputSource& f = **opened;
    auto m = InputSource::FromBytes("m", bytes, "");
    while (true) {
      ASSERT_EQ(f.offset(), m->offset());
      const size_t n = rng() % 3 == 0 ? rng() % (size_t{3} << 19) : rng() % 70000;
      const int op = static_cast<int>(rng() % 4);
      if (op == 0) {
        auto a = f.Peek(n);
        auto b = m->Peek(n);
        ASSERT_OK(a);
        ASSERT_OK(b);
        ASSERT_EQ(std::vector<uint8_t>(a->begin(), a->end()),
                  std::vector<uint8_t>(b->begin(), b->end()));
        if (a->empty() && n > 0) break;
      } else if (op == 1) {
        // Read may return fewer bytes than asked; ReadExact fills the rest.
        std::vector<uint8_t> a(n), b(n);
        auto got = f.Read(a.data(), n);
        ASSERT_OK(got);
        if (*got == 0 && n > 0) {
          EXPECT_EQ(m->offset(), bytes.size());
          break;
        }
        ASSERT_OK(m->ReadExact(b.data(), *got));
        a.resize(*got);
        b.resize(*got);
        ASSERT_EQ(a, b);
      } else if (op == 2) {
        const Status a = f.Skip(n);
        const Status b = m->Skip(n);
        ASSERT_EQ(a.ok(), b.ok());
        if (!a.ok()) break;
      } else {
        std::vector<uint8_t> a(n), b(n);
        const Status sa = f.ReadExact(a.data(), n);
        const Status sb = m->ReadExact(b.data(), n);
        ASSERT_EQ(sa.ok(), sb.ok());
        if (!sa.ok()) break;
        ASSERT_EQ(a, b);
      }
      if (rng() % 50 == 0) {
        f.ReleaseBuffer();  // the next read maps again
        m->ReleaseBuffer();
      }
      if (rng() % 40 == 0) {
        auto rest = f.ReadAll(UINT64_MAX);
        auto want = m->ReadAll(UINT64_MAX);
        ASSERT_OK(rest);
        ASSERT_OK(want);
        ASSERT_EQ(*rest, *want);
        break;
      }
    }
  }
}

TEST(InputSource, ContentsAfterSniffingMapsTheWholeFile) {
  const std::vector<uint8_t> bytes = RandomBytes((size_t{2} << 20) + 7, 3);
  TempFile file(bytes);
  auto opened = InputSource::Open(file.path());
  ASSERT_OK(opened);
  auto head = (*opened)->Peek(16);  // format sniffing
  ASSERT_OK(head);
  auto all = (*opened)->Contents(UINT64_MAX);
  ASSERT_OK(all);
  EXPECT_EQ(std::vector<uint8_t>(all->begin(), all->end()), bytes);
}

TEST(InputSource, FileCutShortWhileReadEndsAtItsNewEnd) {
  const std::vector<uint8_t> bytes = RandomBytes(size_t{3} << 20, 4);
  TempFile file(bytes);
  auto opened = InputSource::Open(file.path());
  ASSERT_OK(opened);
  InputSource& f = **opened;
  std::vector<uint8_t> buf(1000);
  ASSERT_OK(f.ReadExact(buf.data(), buf.size()));
  ASSERT_EQ(::truncate(file.path().c_str(), (1 << 20) + 500), 0);
  // Within the window mapped before the cut the bytes may still be there; past it the read
  // stops at the new end (a mapped page past the end would fault).
  ASSERT_OK(f.Skip((size_t{1} << 20) + 100 - f.offset()));
  std::vector<uint8_t> rest(size_t{1} << 20);
  const Status s = f.ReadExact(rest.data(), rest.size());
  EXPECT_FALSE(s.ok());
  auto got = f.Read(rest.data(), rest.size());
  ASSERT_OK(got);
  EXPECT_EQ(f.offset(), (size_t{1} << 20) + 500);
}

}  // namespace
}  // namespace gcspike
