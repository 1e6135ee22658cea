// perf.data reader on crafted files: the records we interpret end up as samples with the right
// stacks, values and labels; every class of bad input is an error naming its byte offset.
#include "formats/perf_data_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/sample_spool.h"
#include "formats/perf_event_abi.h"
#include "formats/pprof_writer.h"
#include "formats/profile_reader.h"
#include "symbolizer/kernel_symbols.h"
#include "tests/unit/perf_data_builder.h"
#include "tests/unit/recording_diagnostics.h"

namespace gcspike {
namespace {

using perf::context::kKernel;
using perf::context::kUser;
using testing::PerfBytes;
using testing::PerfDataBuilder;
using testing::PerfSampleSpec;

// A user-mode SAMPLE (kernel-mode with misc kKernel) whose IP is the callchain's first frame.
PerfSampleSpec UserSample(uint32_t pid, uint32_t tid, uint64_t time, std::vector<uint64_t> chain,
                          uint16_t misc = perf::misc::kUser) {
  PerfSampleSpec s;
  s.misc = misc;
  s.ip = chain.size() > 1 ? chain[1] : 0;
  s.pid = pid;
  s.tid = tid;
  s.time = time;
  s.callchain = std::move(chain);
  return s;
}

// File mode with one cpu-clock attr and a HOSTNAME feature section.
PerfDataBuilder File() {
  PerfDataBuilder b;
  b.StringFeature(perf::feature::kHostname, "testhost");
  return b;
}

// Where the data section of File() starts.
const uint64_t kDataAt = PerfDataBuilder().data_offset();

Result<Profile> Read(std::vector<uint8_t> bytes, Diagnostics* diag = nullptr) {
  auto in = InputSource::FromBytes("t.data", std::move(bytes), "");
  ReadOptions options;
  options.diagnostics = diag;
  return ReadPerfData(*in, options);
}

std::vector<std::string> StackNames(const Profile& p, const Sample& s) {
  std::vector<std::string> names;
  for (uint64_t id : s.location_ids) {
    const Location& l = p.location(id);
    names.push_back(l.lines.empty() ? "0x" + std::to_string(l.address)
                                    : p.str(p.function(l.lines.back().function_id).name));
  }
  return names;
}

TEST(PerfDataReader, FileModeSamplesLabelsAndWarnings) {
  PerfDataBuilder b = File();
  b.Comm(42, 43, "worker")
      .Mmap(42, 0x400000, 0x1000, "/nonexistent/gcspike-test-binary")
      .FinishedRound()
      .Lost(5)
      .Add(200, 0, PerfBytes().u64(7).v)  // unknown type
      .Sample(UserSample(42, 43, 1000, {kUser, 0x400010, 0x400020}))
      .Sample(UserSample(42, 43, 3000, {kUser, 0x400030}));
  CollectingDiagnostics diag;
  auto p = Read(b.FileMode(), &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 2u);
  ASSERT_EQ(p->sample_types.size(), 2u);
  EXPECT_EQ(p->str(p->sample_types[0].type), "cpu-clock_samples");
  EXPECT_EQ(p->str(p->sample_types[1].unit), "nanoseconds");
  const Sample& s = p->samples[0];
  ASSERT_EQ(s.location_ids.size(), 2u);
  EXPECT_EQ(p->location(s.location_ids[0]).address, 0x400010u);
  EXPECT_EQ(p->location(s.location_ids[1]).address, 0x400020u);
  EXPECT_EQ(p->str(p->mapping(p->location(s.location_ids[0]).mapping_id).filename),
            "/nonexistent/gcspike-test-binary");
  EXPECT_EQ(s.values, (std::vector<int64_t>{1, 1000003}));
  EXPECT_EQ(p->NumLabel(s, "pid"), 42);
  EXPECT_EQ(p->NumLabel(s, "tid"), 43);
  EXPECT_EQ(p->NumLabel(s, "timestamp_ns"), 1000);
  EXPECT_EQ(p->StrLabel(s, "comm"), "worker");
  EXPECT_EQ(p->duration_nanos, 2000);
  bool host = false;
  for (StrId c : p->comments) host |= p->str(c) == "hostname: testhost";
  EXPECT_TRUE(host);
  std::string all;
  for (const auto& w : diag.warnings) all += w + "\n";
  EXPECT_NE(all.find("5 samples were lost"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown type 200"), std::string::npos) << all;
  EXPECT_NE(all.find("no symbols for /nonexistent/gcspike-test-binary"), std::string::npos);
}

TEST(PerfDataReader, ContextMarkersAreNotFrames) {
  PerfDataBuilder b = File();
  b.Sample(UserSample(1, 1, 10, {kKernel, 0xffffffff81000010, kUser, 0x1234, 0x5678},
                      perf::misc::kKernel));
  auto p = Read(b.FileMode());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 1u);
  const auto names = StackNames(*p, p->samples[0]);
  ASSERT_EQ(names.size(), 3u);  // one kernel frame, two user frames, no markers
  EXPECT_EQ(p->location(p->samples[0].location_ids[1]).address, 0x1234u);
  EXPECT_EQ(p->location(p->samples[0].location_ids[2]).address, 0x5678u);
}

TEST(PerfDataReader, PipeModeAndCompressedRecords) {
  PerfDataBuilder b;
  b.Comm(5, 5, "piped")
      .Sample(UserSample(5, 5, 7, {kUser, 0x10}))
      .Sample(UserSample(5, 5, 8, {kUser, 0x20}))
      // One zstd stream split across two COMPRESSED records
      // (docs/formats/perf-data.md#compression).
      .CompressRecords(2);
  PerfDataBuilder plain;
  plain.Sample(UserSample(5, 5, 6, {kUser, 0x30})).Raw(b.data());
  auto p = Read(plain.PipeMode());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 3u);
  EXPECT_EQ(p->StrLabel(p->samples[2], "comm"), "piped");
  EXPECT_EQ(p->location(p->samples[2].location_ids[0]).address, 0x20u);
}

void ExpectErrorAt(const std::vector<uint8_t>& bytes, uint64_t offset, const std::string& text) {
  auto p = Read(bytes);
  ASSERT_FALSE(p.ok());
  ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
  EXPECT_EQ(*p.error().offset, offset) << p.error().ToString();
  EXPECT_NE(p.error().message.find(text), std::string::npos) << p.error().ToString();
}

TEST(PerfDataReaderErrors, TruncatedHeader) {
  std::vector<uint8_t> f = File().FileMode();
  f.resize(60);
  ExpectErrorAt(f, 60, "header truncated");
  ExpectErrorAt(std::vector<uint8_t>(f.begin(), f.begin() + 10), 0, "header truncated");
}

TEST(PerfDataReaderErrors, BadMagicSizeAndEndianness) {
  std::vector<uint8_t> f = File().FileMode();
  std::vector<uint8_t> bad = f;
  bad[0] = 'X';
  ExpectErrorAt(bad, 0, "magic");
  bad = f;
  std::reverse(bad.begin(), bad.begin() + 8);
  ExpectErrorAt(bad, 0, "big-endian");
  bad = f;
  bad[8] = 99;
  ExpectErrorAt(bad, 8, "neither 104");
}

TEST(PerfDataReaderErrors, AttrSizeMismatch) {
  std::vector<uint8_t> f = File().FileMode();
  std::vector<uint8_t> bad = f;
  bad[16] = 100;  // attr_size no longer divides the attrs section (144 bytes)
  ExpectErrorAt(bad, 32, "not a multiple");  // names the attrs section size field
  bad = f;
  bad[104 + 4] = 200;  // perf_event_attr.size larger than its 128-byte slot
  ExpectErrorAt(bad, 108, "does not fit");
}

TEST(PerfDataReaderErrors, RecordSizeBelowHeader) {
  std::vector<uint8_t> rec = testing::PerfRecord(perf::record::kSample, 0, {});
  rec[6] = 4;
  ExpectErrorAt(File().Raw(rec).FileMode(), kDataAt, "smaller than its 8-byte header");
}

TEST(PerfDataReaderErrors, RecordPastEndOfData) {
  std::vector<uint8_t> rec = PerfDataBuilder().Comm(1, 1, "x").data();
  rec[6] = static_cast<uint8_t>(rec.size() + 8);  // claims 8 bytes more than the data holds
  ExpectErrorAt(File().Raw(rec).FileMode(), kDataAt, "past the end of the data section");
}

TEST(PerfDataReaderErrors, CallchainCountPastRecordEnd) {
  std::vector<uint8_t> rec = PerfDataBuilder().Sample(UserSample(1, 1, 1, {kUser, 0x10})).data();
  // The callchain count sits after ip, pid/tid, time, period: 8 + 32 bytes into the record.
  rec[8 + 32] = 50;
  ExpectErrorAt(File().Raw(rec).FileMode(), kDataAt + 40, "callchain of 50 entries");
}

TEST(PerfDataReaderErrors, TruncatedPipeStream) {
  testing::PerfAttrSpec attr;
  attr.sample_type = perf::sample::kIp | perf::sample::kTid;
  attr.ids = {1};
  std::vector<uint8_t> f = PerfDataBuilder(attr).Comm(1, 1, "abc").PipeMode();
  f.resize(f.size() - 3);
  ExpectErrorAt(f, 16 + 8 + 136, "past the end of the input");  // after the HEADER_ATTR
}

TEST(PerfDataReaderErrors, SampleBeforeAttrInPipeMode) {
  std::vector<uint8_t> f = PerfBytes().str(perf::kMagic, 8).u64(perf::kPipeHeaderSize).v;
  const auto sample = PerfDataBuilder().Sample(UserSample(1, 1, 1, {kUser, 0x10})).data();
  f.insert(f.end(), sample.begin(), sample.end());
  ExpectErrorAt(f, 16, "before any event attr");
}

// Samples are decoded on the reading thread and MMAP records handled on the calling one
// (formats/perf_record_pipeline.h): whichever thread meets the first bad record in file order,
// that record's error is the one reported, whether the other thread's bad record comes a few
// records later (both threads fail) or many batches later.
TEST(PerfDataReaderErrors, TheFirstBadRecordInFileOrderWinsAcrossThreads) {
  std::vector<uint8_t> bad_sample =
      PerfDataBuilder().Sample(UserSample(1, 1, 1, {kUser, 0x10})).data();
  bad_sample[8 + 32] = 50;  // a callchain past the record's end (decoded on the reading thread)
  const std::vector<uint8_t> bad_mmap =
      testing::PerfRecord(perf::record::kMmap, 0, std::vector<uint8_t>(12, 0));  // truncated
  const std::pair<bool, uint64_t> cases[] = {{true, 5}, {true, 2000}, {false, 5}, {false, 2000}};
  for (const auto& [mmap_first, gap] : cases) {
    PerfDataBuilder b = File();
    b.Mmap(1, 0x400000, 0x1000, "/nonexistent/a");
    auto good_samples = [&b](uint64_t n) {
      for (uint64_t i = 0; i < n; ++i) {
        b.Sample(UserSample(1, 1, 10 + i, {kUser, 0x400010 + i % 7}));
      }
    };
    good_samples(3000);
    const uint64_t first_at = kDataAt + b.data().size();
    const std::vector<uint8_t>& first = mmap_first ? bad_mmap : bad_sample;
    b.Raw(first);
    good_samples(gap);
    b.Raw(mmap_first ? bad_sample : bad_mmap);
    auto p = Read(b.FileMode());
    ASSERT_FALSE(p.ok());
    ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
    EXPECT_GE(*p.error().offset, first_at) << p.error().ToString();
    EXPECT_LT(*p.error().offset, first_at + first.size()) << p.error().ToString();
  }
}

// The model is checked against the budget (--max-memory) after every record: FORKs that copy a
// process's mappings are refused at the FORK that crosses it, and the same file reads whole
// under a budget large enough (docs/memory.md#perfdata).
TEST(PerfDataReaderErrors, ModelPastTheBudgetIsRefusedAtTheRecord) {
  PerfDataBuilder b = File();
  for (uint64_t i = 0; i < 200; ++i) b.Mmap(1, 0x400000 + i * 0x10000, 0x1000, "/nonexistent/l");
  std::vector<uint64_t> fork_at;
  for (uint32_t i = 0; i < 200; ++i) {
    fork_at.push_back(kDataAt + b.data().size());
    b.Fork(1000 + i, 1, 1000 + i, 1);
  }
  const std::vector<uint8_t> bytes = b.FileMode();
  auto read = [&bytes](uint64_t budget) {
    auto in = InputSource::FromBytes("t.data", bytes, "");
    ReadOptions options;
    options.max_input_bytes = budget;
    return ReadPerfData(*in, options);
  };
  // 200 copies of 200 mappings: over a megabyte of map nodes.
  auto refused = read(1 << 20);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("more than the memory budget of 1048576 bytes"),
            std::string::npos)
      << refused.error().ToString();
  ASSERT_TRUE(refused.error().offset.has_value());
  EXPECT_NE(std::find(fork_at.begin(), fork_at.end(), *refused.error().offset), fork_at.end())
      << "not at a FORK record: " << refused.error().ToString();
  EXPECT_GT(*refused.error().offset, fork_at.front());
  ASSERT_OK(read(64 << 20));
}

// Spooled (the default of the annotate command) and in-memory reads of the same file describe
// the same samples: the pprof bytes are identical, and the spooled profile holds one sample per
// distinct stack with its records' values summed.
// `file` in file mode, read with or without a sample spool.
Result<Profile> ReadFile(PerfDataBuilder& file, bool spool) {
  auto in = InputSource::FromBytes("t.data", file.FileMode(), "");
  ReadOptions options;
  options.spool_samples = spool;
  return ReadPerfData(*in, options);
}

// The spooled reader looks a callchain seen before up by its raw bytes; a new mapping (MMAP,
// or a FORK giving a process its parent's) can change what the same bytes mean, and then the
// lookup must not answer from before.
TEST(PerfDataReader, RepeatedCallchainsFollowMappingChanges) {
  PerfDataBuilder file = File();
  file.Mmap(42, 0x400000, 0x1000, "/nonexistent/first");
  const std::vector<uint64_t> chain = {kUser, 0x400010, 0x400020, 0x500030};
  for (int i = 0; i < 3; ++i) file.Sample(UserSample(42, 42, 1000 + i, chain));
  file.Mmap(42, 0x500000, 0x1000, "/nonexistent/second");  // 0x500030 gains a mapping
  for (int i = 0; i < 3; ++i) file.Sample(UserSample(42, 42, 2000 + i, chain));
  file.Fork(43, 42, 43, 42);  // 43 has 42's mappings from now on
  for (int i = 0; i < 2; ++i) file.Sample(UserSample(43, 43, 3000 + i, chain));
  file.Mmap(42, 0x400000, 0x1000, "/nonexistent/replaced");  // same start: replaces it
  for (int i = 0; i < 2; ++i) file.Sample(UserSample(42, 42, 4000 + i, chain));
  auto spooled = ReadFile(file, true);
  auto in_memory = ReadFile(file, false);
  ASSERT_OK(spooled);
  ASSERT_OK(in_memory);
  // Before the second MMAP the last address has no mapping yet (a frame of pid 42, found a
  // mapping at the end), after it one: other frames. The FORK's samples are the second stack
  // again (frames with a mapping do not depend on the pid); the replacing MMAP makes a third.
  EXPECT_EQ(spooled->samples.size(), 3u);
  auto frames_of = [](const Profile& p, const Sample& s) {
    std::vector<std::string> out;
    for (uint64_t id : s.location_ids) {
      const Location& l = p.location(id);
      out.push_back(l.mapping_id == 0 ? "?" : p.str(p.mapping(l.mapping_id).filename));
    }
    return out;
  };
  ASSERT_EQ(in_memory->samples.size(), 10u);
  EXPECT_EQ(frames_of(*in_memory, in_memory->samples[3]),
            (std::vector<std::string>{"/nonexistent/first", "/nonexistent/first",
                                      "/nonexistent/second"}));
  EXPECT_EQ(frames_of(*in_memory, in_memory->samples[8]),
            (std::vector<std::string>{"/nonexistent/replaced", "/nonexistent/replaced",
                                      "/nonexistent/second"}));
  auto a = EncodePprof(*spooled, {});
  auto b = EncodePprof(*in_memory, {});
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_TRUE(*a == *b) << "spooled and in-memory pprof differ";
}

TEST(PerfDataReader, SpooledReadWritesTheSameProfile) {
  PerfDataBuilder file = File();
  file.Comm(42, 43, "worker").Comm(42, 44, "other");
  file.Mmap(42, 0x400000, 0x1000, "/nonexistent/gcspike-spool");
  const std::vector<std::vector<uint64_t>> stacks = {
      {kUser, 0x400010, 0x400020},
      {kKernel, 0xffffffff81000010, kUser, 0x400030, 0x400020},
      {kUser, 0x400040}};
  for (int i = 0; i < 300; ++i) {
    file.Sample(UserSample(42, 43 + i % 2, 1000 + static_cast<uint64_t>(i) * 997,
                           stacks[static_cast<size_t>(i + i / 7) % 3]));
  }
  auto spooled = ReadFile(file, true);
  auto in_memory = ReadFile(file, false);
  ASSERT_OK(spooled);
  ASSERT_OK(in_memory);
  ASSERT_NE(spooled->spool, nullptr);
  EXPECT_EQ(in_memory->spool, nullptr);
  EXPECT_EQ(spooled->samples.size(), 3u);
  EXPECT_EQ(spooled->SampleRecordCount(), 300u);
  EXPECT_EQ(in_memory->samples.size(), 300u);
  int64_t total = 0;
  for (const Sample& s : spooled->samples) total += s.values[0];
  EXPECT_EQ(total, 300);
  auto a = EncodePprof(*spooled, {});
  auto b = EncodePprof(*in_memory, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b) << "spooled and in-memory pprof differ";
  Profile materialized = std::move(*spooled);
  ASSERT_TRUE(MaterializeSpool(materialized, UINT64_MAX).ok());
  auto c = EncodePprof(materialized, {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(*c == *b) << "materialized and in-memory pprof differ";
}

TEST(PerfDataReader, RegisteredForSniffing) {
  auto in = InputSource::FromBytes(
      "t.data", File().Sample(UserSample(1, 1, 1, {kUser, 0x10})).FileMode(), "");
  auto p = ReadProfile(*in, {});
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->samples.size(), 1u);
}

TEST(KernelSymbols, LookupAndHiddenAddresses) {
  KernelSymbols k = KernelSymbols::Parse(
      "ffffffff81000000 T _text\nffffffff81000100 t do_thing\nffffffff81000200 D data\n");
  EXPECT_EQ(k.Lookup(0xffffffff81000150), "do_thing");
  EXPECT_EQ(k.Lookup(0xffffffff81000010), "_text");
  EXPECT_EQ(k.Lookup(0x10), "");
  EXPECT_EQ(KernelSymbols::Parse("0000000000000000 T _text\n").size(), 0u);
}

// Only the symbols wanted addresses fall in are kept, and each wanted address gets the name the
// whole table gives it (the last of several symbols at one address, out-of-order lines sorted).
TEST(KernelSymbols, KeepsOnlyTheSymbolsOfWantedAddresses) {
  const std::string text =
      "ffffffff81000300 t late_first_line\n"
      "ffffffff81000000 T _text\n"
      "ffffffff81000100 t alias_one\n"
      "ffffffff81000100 t alias_two\n"
      "ffffffff81000180 D data_not_text\n"
      "ffffffff81000200 W weak_fn\n"
      "ffffffffc0000000 t mod_fn\t[some_module]\n";
  const KernelSymbols all = KernelSymbols::Parse(text);
  const std::vector<uint64_t> wanted = {0xffffffff81000150, 0xffffffff81000301, 0xffffffffc0000010};
  const KernelSymbols some = KernelSymbols::Parse(text, wanted);
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(some.size(), 3u);
  for (uint64_t a : wanted) EXPECT_EQ(some.Lookup(a), all.Lookup(a)) << std::hex << a;
  EXPECT_EQ(some.Lookup(0xffffffff81000150), "alias_two");
  EXPECT_EQ(some.Lookup(0xffffffff81000301), "late_first_line");
  EXPECT_EQ(some.Lookup(0xffffffffc0000010), "mod_fn");
  EXPECT_EQ(KernelSymbols::Parse(text, std::vector<uint64_t>{0x10}).size(), 0u);
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(PerfDataReader, ReportsProgressWhileReadingRecords) {
  PerfDataBuilder b = File();
  b.Comm(42, 43, "worker");
  for (int i = 0; i < 70000; ++i) b.Sample(UserSample(42, 43, 1000 + i, {kUser, 0x400010}));
  const std::vector<uint8_t> file = b.FileMode();
  testing::RecordingDiagnostics diag;
  auto p = Read(file, &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const auto reports = diag.About("reading perf.data");
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.front().total, file.size());
  EXPECT_GT(reports.front().done, 0u);
}

// A SAMPLE record whose period does not fit an int64 value is an error at the record, never a
// negative value (or undefined behaviour when periods are summed).
TEST(PerfDataPeriodTest, PeriodBeyondInt64IsAnErrorAtTheRecord) {
  PerfSampleSpec s = UserSample(7, 7, 100, {0x401000});
  s.period = uint64_t{1} << 63;
  PerfDataBuilder b = File();
  b.Comm(7, 7, "prog");
  const size_t comm_size = b.data().size();
  auto p = Read(b.Sample(s).FileMode());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("2^63"), std::string::npos) << p.error().message;
  ASSERT_TRUE(p.error().offset.has_value());
  EXPECT_EQ(*p.error().offset, kDataAt + comm_size);
}

TEST(PerfDataPeriodTest, LargestPeriodIsKept) {
  PerfSampleSpec s = UserSample(7, 7, 100, {0x401000});
  s.period = uint64_t{INT64_MAX};
  auto p = Read(File().Sample(s).FileMode());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 1u);
  EXPECT_EQ(p->samples[0].values[1], INT64_MAX);
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

// Truncation is never silent: a pipe stream cut at a record boundary, and a file cut inside the
// feature sections that follow its samples, give a warning with the offset reached.
TEST(PerfDataTruncation, PipeStreamCutAtARecordBoundaryWarns) {
  testing::PerfAttrSpec attr;
  attr.ids = {77};
  PerfDataBuilder b(attr);
  b.Sample(UserSample(5, 5, 6, {kUser, 0x30}));
  const std::vector<uint8_t> cut = b.PipeMode();
  const std::vector<uint8_t> complete = b.FinishedRound().PipeMode();
  CollectingDiagnostics ok;
  ASSERT_TRUE(Read(complete, &ok).ok());
  EXPECT_TRUE(ok.warnings.empty()) << ok.warnings[0];

  CollectingDiagnostics diag;
  auto p = Read(cut, &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_NE(diag.warnings[0].find("ends at byte " + std::to_string(cut.size())), std::string::npos)
      << diag.warnings[0];
  EXPECT_NE(diag.warnings[0].find("cut short"), std::string::npos);
}

TEST(PerfDataTruncation, FileCutInsideTheFeatureSectionsWarns) {
  const std::vector<uint8_t> whole =
      File().Comm(7, 7, "prog").Sample(UserSample(7, 7, 1, {kUser, 0x10})).FileMode();
  CollectingDiagnostics ok;
  ASSERT_TRUE(Read(whole, &ok).ok());
  EXPECT_TRUE(ok.warnings.empty());
  // Keep the section table and 4 bytes of the HOSTNAME section: cut inside a feature read
  // whole is an error; here the table is complete and the section cut.
  for (size_t drop : {size_t{1}, size_t{8}}) {
    std::vector<uint8_t> cut(whole.begin(), whole.end() - static_cast<ptrdiff_t>(drop));
    CollectingDiagnostics diag;
    auto p = Read(cut, &diag);
    if (p.ok()) {
      ASSERT_FALSE(diag.warnings.empty()) << "silent truncation, " << drop << " bytes dropped";
      EXPECT_NE(diag.warnings.back().find(std::to_string(cut.size())), std::string::npos)
          << diag.warnings.back();
    } else {
      EXPECT_TRUE(p.error().offset.has_value());
    }
  }
}

TEST(PerfDataTruncation, TwoBytesOfMagicAreAnError) {
  auto in = InputSource::FromBytes("PE.data", {'P', 'E'}, "");
  auto p = ReadProfile(*in, ReadOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().offset, 2u);
  EXPECT_NE(p.error().message.find("PERFILE2"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

// --call-graph lbr: the callchain's kernel part, then the branch stack of calls (the target of
// the latest, then each call's address); without branch_sample_type CALL_STACK a branch stack
// is not a call stack and the callchain stands.
TEST(PerfDataLbr, UserStackFromTheBranchStack) {
  for (bool call_stack : {true, false}) {
    testing::PerfAttrSpec attr;
    attr.sample_type |= perf::sample::kBranchStack;
    attr.branch_sample_type = perf::attr::kBranchUser;
    if (call_stack) attr.branch_sample_type |= perf::attr::kBranchCallStack;
    PerfSampleSpec s;
    s.misc = perf::misc::kKernel;
    s.ip = 0xffffffff81000010;
    s.pid = s.tid = 3;
    s.callchain = {kKernel, 0xffffffff81000010, 0xffffffff81000020, kUser, 0x402010};
    s.branches = {{0x401100, 0x402000, 0}, {0x400500, 0x401000, 0}};
    PerfSampleSpec empty = s;  // no branches recorded: the callchain's user IP stays
    empty.branches.clear();
    auto p = Read(PerfDataBuilder(attr).Sample(s).Sample(empty).FileMode());
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    ASSERT_EQ(p->samples.size(), 2u);
    std::vector<uint64_t> got;
    for (uint64_t id : p->samples[0].location_ids) got.push_back(p->location(id).address);
    const std::vector<uint64_t> lbr = {0xffffffff81000010, 0xffffffff81000020, 0x402000, 0x401100,
                                       0x400500};
    const std::vector<uint64_t> chain = {0xffffffff81000010, 0xffffffff81000020, 0x402010};
    EXPECT_EQ(got, call_stack ? lbr : chain);
    got.clear();
    for (uint64_t id : p->samples[1].location_ids) got.push_back(p->location(id).address);
    EXPECT_EQ(got, chain);
  }
}

}  // namespace
}  // namespace gcspike
