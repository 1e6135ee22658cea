// InputSource over a regular file (read through mapped windows) against the same bytes in
// memory: random sequences of Peek, Read, ReadExact and Skip, crossing the 1 MiB windows,
// give the same bytes, offsets and ends; ReadAll and Contents after a partial read give the
// rest; and a file that another process cuts short while it is read, beyond or inside a mapped
// window or under the whole-file mapping of Contents(), fails at the cut instead of faulting
// (the pages past the cut read as zeros: core/mapped_regions.h).
#include "formats/input_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cstdio>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/profile_reader.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::ExpectCutToZeros;
using testing::TempFile;
using testing::Touch;

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

constexpr std::string_view kShrank = "the file shrank while it was being read";

// A file of random bytes with an InputSource open on it, and another process's truncate(2).
struct OpenFile {
  OpenFile(size_t size, uint64_t seed) : bytes(RandomBytes(size, seed)), file(bytes) {
    auto opened = InputSource::Open(file.path());
    EXPECT_OK(opened);
    if (opened.ok()) in = std::move(*opened);
  }
  bool Cut(uint64_t at) const {
    return in != nullptr && ::truncate(file.path().c_str(), static_cast<off_t>(at)) == 0;
  }
  std::vector<uint8_t> bytes;
  TempFile file;
  std::unique_ptr<InputSource> in;
};

TEST(InputSource, FileCutBeyondTheWindowFailsAtTheCut) {
  OpenFile o(size_t{3} << 20, 4);
  ASSERT_NE(o.in, nullptr);
  InputSource& f = *o.in;
  std::vector<uint8_t> buf(1000);
  ASSERT_OK(f.ReadExact(buf.data(), buf.size()));
  const uint64_t cut = (uint64_t{1} << 20) + 500;
  ASSERT_TRUE(o.Cut(cut));
  // Beyond the window mapped before the cut, the file's size tells: nothing is mapped past the
  // new end (it would fault), and the reads fail at the cut instead of ending early there.
  EXPECT_ERROR_AT(f.Skip((size_t{1} << 20) + 100 - f.offset()), cut, kShrank);
  std::vector<uint8_t> rest(size_t{1} << 20);
  EXPECT_ERROR_AT(f.Read(rest.data(), rest.size()), cut, kShrank);
  EXPECT_ERROR_AT(f.CheckNotShrunk(), cut, kShrank);
}

TEST(InputSource, FileCutInsideTheMappedWindowReadsZerosAndFailsAtTheCut) {
  OpenFile o(size_t{3} << 20, 5);
  ASSERT_NE(o.in, nullptr);
  InputSource& f = *o.in;
  const std::vector<uint8_t>& bytes = o.bytes;
  auto window = f.Peek(size_t{1} << 20);  // the first window, mapped and populated
  ASSERT_OK(window);
  ASSERT_EQ(window->size(), size_t{1} << 20);
  EXPECT_OK(f.CheckNotShrunk());
  const size_t cut = 300001;  // inside the window, not on a page boundary
  ASSERT_TRUE(o.Cut(cut));
  // Without the SIGBUS handler this kills the test: the pages past the new end are gone.
  ExpectCutToZeros(Touch(*window), bytes, cut);
  EXPECT_ERROR_AT(f.CheckNotShrunk(), cut, kShrank);
  std::vector<uint8_t> buf(16);
  EXPECT_ERROR_AT(f.Read(buf.data(), buf.size()), cut, kShrank);
  EXPECT_ERROR_AT(f.Peek(16), cut, kShrank);
  EXPECT_ERROR_AT(f.Skip(1), cut, kShrank);
  f.ReleaseBuffer();  // unmapped: the cut stays known
  EXPECT_ERROR_AT(f.ReadAll(UINT64_MAX), cut, kShrank);
}

TEST(InputSource, FileCutUnderAReadFailsAtTheCut) {
  OpenFile o(size_t{2} << 20, 6);
  ASSERT_NE(o.in, nullptr);
  InputSource& f = *o.in;
  const std::vector<uint8_t>& bytes = o.bytes;
  ASSERT_OK(f.Peek(16));
  const size_t cut = 2 * 4096;  // on a page boundary: the next byte's page faults
  ASSERT_TRUE(o.Cut(cut));
  std::vector<uint8_t> buf(size_t{1} << 20);
  EXPECT_ERROR_AT(f.Read(buf.data(), buf.size()), cut, kShrank);  // copying faulted
  ExpectCutToZeros(buf, bytes, cut);
}

TEST(InputSource, FileCutUnderItsContentsReadsZerosAndFailsAtTheCut) {
  OpenFile o((size_t{2} << 20) + 99, 7);
  ASSERT_NE(o.in, nullptr);
  InputSource& f = *o.in;
  const std::vector<uint8_t>& bytes = o.bytes;
  ASSERT_OK(f.Peek(16));
  auto all = f.Contents(UINT64_MAX);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), bytes.size());
  const size_t cut = 700001;
  ASSERT_TRUE(o.Cut(cut));
  ExpectCutToZeros(Touch(*all), bytes, cut);
  EXPECT_ERROR_AT(f.CheckNotShrunk(), cut, kShrank);
  f.DropContents();
  EXPECT_ERROR_AT(f.CheckNotShrunk(), cut, kShrank);
}

// Inputs read on several threads at once (--jobs): each is cut inside its own mapping and
// each reports its own cut; the registry of mappings is shared.
TEST(InputSource, FilesCutOnSeveralThreadsEachFailAtTheirCut) {
  constexpr int kThreads = 6;
  std::vector<std::thread> threads;
  std::vector<std::optional<Error>> errors(kThreads);
  std::barrier all_mapped(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &errors, &all_mapped] {
      OpenFile o(size_t{1} << 21, 10 + t);
      auto all = o.in != nullptr ? o.in->Contents(UINT64_MAX)
                                 : Result<std::span<const uint8_t>>(MakeError("not open"));
      all_mapped.arrive_and_wait();  // every thread's mapping is registered at once
      const size_t cut = 100000 + 4097 * static_cast<size_t>(t);
      if (!all.ok() || !o.Cut(cut)) return;
      ExpectCutToZeros(Touch(*all), o.bytes, cut);
      errors[t] = gcspike::testing::ErrorOf(o.in->CheckNotShrunk());
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_ERROR_AT(errors[t], 100000 + 4097 * t, kShrank) << "thread " << t;
  }
}

// Every reader, through ReadProfile: the input is opened and sniffed (its first window mapped),
// then cut on a page boundary in its middle; whatever the reader makes of the zeros (or of a
// gzip stream that turns to zeros), the error is the cut's.
TEST(InputSource, EveryReaderFailsAtTheCutOfAFileCutWhileRead) {
  using testing::FixtureDir;
  using testing::ReadFileBytes;
  using testing::SourceDir;
  const auto gz = ReadFileBytes(FixtureDir() / "pprof/go1.27.3/control.cpu.pb.gz");
  auto raw = Gunzip(gz, GunzipLimits{});
  ASSERT_OK(raw);
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> inputs = {
      {"gzipped pprof", gz},
      {"pprof", *raw},
      {"Go trace", ReadFileBytes(FixtureDir() / "trace/go1.26/nochurn.trace")},
      {"perf.data", ReadFileBytes(SourceDir() / "tests/fuzz/corpus/perf_data/dwarf-mode.data")}};
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  for (const auto& [what, bytes] : inputs) {
    SCOPED_TRACE(what);
    ASSERT_GT(bytes.size(), 2 * page);
    TempFile file(bytes);
    auto in = InputSource::Open(file.path());
    ASSERT_OK(in);
    ASSERT_OK((*in)->Peek(16));
    const size_t cut = bytes.size() / 2 / page * page;
    ASSERT_EQ(::truncate(file.path().c_str(), static_cast<off_t>(cut)), 0);
    ReadOptions options;
    options.kallsyms.clear();
    EXPECT_ERROR_AT(ReadProfile(**in, options), cut, kShrank);
  }
}

}  // namespace
}  // namespace gcspike
