// perf.data reader on crafted files: the records we interpret end up as samples with the right
// stacks, values and labels; every class of bad input is an error naming its byte offset.
#include "formats/perf_data_reader.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/sample_spool.h"
#include "formats/pprof_writer.h"
#include "formats/profile_reader.h"
#include "symbolizer/kernel_symbols.h"
#include "tests/unit/recording_diagnostics.h"

namespace gcspike {
namespace {

constexpr uint64_t kIp = 1 << 0, kTid = 1 << 1, kTime = 1 << 2, kCallchain = 1 << 5,
                   kPeriod = 1 << 8;
constexpr uint64_t kContextUser = static_cast<uint64_t>(-512);
constexpr uint64_t kContextKernel = static_cast<uint64_t>(-128);

class Bytes {
 public:
  Bytes& u16(uint16_t v) { return Put(&v, 2); }
  Bytes& u32(uint32_t v) { return Put(&v, 4); }
  Bytes& u64(uint64_t v) { return Put(&v, 8); }
  Bytes& str(const std::string& s, size_t padded) {
    std::vector<uint8_t> b(padded, 0);
    std::memcpy(b.data(), s.data(), std::min(s.size(), padded));
    return Put(b.data(), b.size());
  }
  Bytes& raw(const std::vector<uint8_t>& b) { return Put(b.data(), b.size()); }
  std::vector<uint8_t> v;

 private:
  Bytes& Put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    v.insert(v.end(), b, b + n);
    return *this;
  }
};

// A perf_event_attr of perf 6.1's size (128): cpu-clock, the given sample_type.
std::vector<uint8_t> Attr(uint64_t sample_type, uint32_t size = 128) {
  Bytes a;
  a.u32(1).u32(size).u64(0).u64(999).u64(sample_type).u64(0).u64(uint64_t{1} << 10);
  a.v.resize(size, 0);
  return a.v;
}

std::vector<uint8_t> Record(uint32_t type, uint16_t misc, const std::vector<uint8_t>& body) {
  Bytes r;
  r.u32(type).u16(misc).u16(static_cast<uint16_t>(8 + body.size())).raw(body);
  return r.v;
}

std::vector<uint8_t> Comm(uint32_t pid, uint32_t tid, const std::string& name) {
  return Record(3, 0, Bytes().u32(pid).u32(tid).str(name, 16).v);
}

std::vector<uint8_t> Mmap(uint32_t pid, uint64_t start, uint64_t len, const std::string& file) {
  return Record(1, 2, Bytes().u32(pid).u32(pid).u64(start).u64(len).u64(0).str(file, 32).v);
}

std::vector<uint8_t> SampleRecord(uint32_t pid, uint32_t tid, uint64_t time,
                            const std::vector<uint64_t>& chain, uint16_t misc = 2) {
  Bytes b;
  b.u64(chain.size() > 1 ? chain[1] : 0).u32(pid).u32(tid).u64(time).u64(1000003);
  b.u64(chain.size());
  for (uint64_t a : chain) b.u64(a);
  return Record(9, misc, b.v);
}

std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// File mode: header | attr entry (attr + ids section) | data | feature table (HOSTNAME).
std::vector<uint8_t> FileMode(const std::vector<uint8_t>& data, uint64_t sample_type =
                                                                    kIp | kTid | kTime |
                                                                    kCallchain | kPeriod) {
  const std::vector<uint8_t> attr = Attr(sample_type);
  const uint64_t attrs_offset = 104;
  const uint64_t attr_entry = attr.size() + 16;
  const uint64_t data_offset = attrs_offset + attr_entry;
  const uint64_t features_offset = data_offset + data.size();
  Bytes f;
  f.str("PERFILE2", 8).u64(104).u64(attr_entry);
  f.u64(attrs_offset).u64(attr_entry).u64(data_offset).u64(data.size()).u64(0).u64(0);
  f.u64(uint64_t{1} << 3).u64(0).u64(0).u64(0);  // HOSTNAME
  f.raw(attr).u64(0).u64(0);
  f.raw(data);
  f.u64(features_offset + 16).u64(4 + 8);
  f.u32(8).str("testhost", 8);
  return f.v;
}

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
  const std::vector<uint8_t> data = Cat({
      Comm(42, 43, "worker"),
      Mmap(42, 0x400000, 0x1000, "/nonexistent/gcspike-test-binary"),
      Record(68, 0, {}),                            // FINISHED_ROUND
      Record(2, 0, Bytes().u64(1).u64(5).v),        // LOST 5
      Record(200, 0, Bytes().u64(7).v),             // unknown type
      SampleRecord(42, 43, 1000, {kContextUser, 0x400010, 0x400020}),
      SampleRecord(42, 43, 3000, {kContextUser, 0x400030}),
  });
  CollectingDiagnostics diag;
  auto p = Read(FileMode(data), &diag);
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
  const std::vector<uint8_t> data = Cat({
      SampleRecord(1, 1, 10, {kContextKernel, 0xffffffff81000010, kContextUser, 0x1234, 0x5678}, 1),
  });
  auto p = Read(FileMode(data));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 1u);
  const auto names = StackNames(*p, p->samples[0]);
  ASSERT_EQ(names.size(), 3u);  // one kernel frame, two user frames, no markers
  EXPECT_EQ(p->location(p->samples[0].location_ids[1]).address, 0x1234u);
  EXPECT_EQ(p->location(p->samples[0].location_ids[2]).address, 0x5678u);
}

TEST(PerfDataReader, PipeModeAndCompressedRecords) {
  const std::vector<uint8_t> inner = Cat({Comm(5, 5, "piped"), SampleRecord(5, 5, 7, {kContextUser, 0x10}),
                                          SampleRecord(5, 5, 8, {kContextUser, 0x20})});
  std::vector<uint8_t> z(ZSTD_compressBound(inner.size()));
  z.resize(ZSTD_compress(z.data(), z.size(), inner.data(), inner.size(), 3));
  ASSERT_FALSE(ZSTD_isError(z.size()));
  // Split the one zstd stream across two COMPRESSED records
  // (docs/formats/perf-data.md#compression).
  const size_t half = z.size() / 2;
  std::vector<uint8_t> z1(z.begin(), z.begin() + static_cast<ptrdiff_t>(half));
  std::vector<uint8_t> z2(z.begin() + static_cast<ptrdiff_t>(half), z.end());
  Bytes header;
  header.str("PERFILE2", 8).u64(16);
  Bytes attr_body;
  attr_body.raw(Attr(kIp | kTid | kTime | kCallchain | kPeriod)).u64(77);
  const std::vector<uint8_t> file = Cat({header.v, Record(64, 0, attr_body.v),
                                         SampleRecord(5, 5, 6, {kContextUser, 0x30}), Record(81, 0, z1),
                                         Record(81, 0, z2)});
  auto p = Read(file);
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
  std::vector<uint8_t> f = FileMode({});
  f.resize(60);
  ExpectErrorAt(f, 60, "header truncated");
  ExpectErrorAt(std::vector<uint8_t>(f.begin(), f.begin() + 10), 0, "header truncated");
}

TEST(PerfDataReaderErrors, BadMagicSizeAndEndianness) {
  std::vector<uint8_t> f = FileMode({});
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
  std::vector<uint8_t> f = FileMode({});
  std::vector<uint8_t> bad = f;
  bad[16] = 100;  // attr_size no longer divides the attrs section (144 bytes)
  ExpectErrorAt(bad, 32, "not a multiple");  // names the attrs section size field
  bad = f;
  bad[104 + 4] = 200;  // perf_event_attr.size larger than its 128-byte slot
  ExpectErrorAt(bad, 108, "does not fit");
}

TEST(PerfDataReaderErrors, RecordSizeBelowHeader) {
  std::vector<uint8_t> rec = Record(9, 0, {});
  rec[6] = 4;
  ExpectErrorAt(FileMode(rec), 248, "smaller than its 8-byte header");
}

TEST(PerfDataReaderErrors, RecordPastEndOfData) {
  std::vector<uint8_t> rec = Comm(1, 1, "x");
  rec[6] = static_cast<uint8_t>(rec.size() + 8);  // claims 8 bytes more than the data holds
  ExpectErrorAt(FileMode(rec), 248, "past the end of the data section");
}

TEST(PerfDataReaderErrors, CallchainCountPastRecordEnd) {
  std::vector<uint8_t> rec = SampleRecord(1, 1, 1, {kContextUser, 0x10});
  // The callchain count sits after ip, pid/tid, time, period: 8 + 32 bytes into the record.
  rec[8 + 32] = 50;
  ExpectErrorAt(FileMode(rec), 248 + 40, "callchain of 50 entries");
}

TEST(PerfDataReaderErrors, TruncatedPipeStream) {
  Bytes header;
  header.str("PERFILE2", 8).u64(16);
  Bytes attr_body;
  attr_body.raw(Attr(kIp | kTid)).u64(1);
  std::vector<uint8_t> f = Cat({header.v, Record(64, 0, attr_body.v), Comm(1, 1, "abc")});
  f.resize(f.size() - 3);
  ExpectErrorAt(f, 16 + 8 + 136, "past the end of the input");
}

TEST(PerfDataReaderErrors, SampleBeforeAttrInPipeMode) {
  Bytes header;
  header.str("PERFILE2", 8).u64(16);
  ExpectErrorAt(Cat({header.v, SampleRecord(1, 1, 1, {kContextUser, 0x10})}), 16,
                "before any event attr");
}

// Spooled (the default of the annotate command) and in-memory reads of the same file describe
// the same samples: the pprof bytes are identical, and the spooled profile holds one sample per
// distinct stack with its records' values summed.
TEST(PerfDataReader, SpooledReadWritesTheSameProfile) {
  std::vector<uint8_t> data = Cat({Comm(42, 43, "worker"), Comm(42, 44, "other"),
                                   Mmap(42, 0x400000, 0x1000, "/nonexistent/gcspike-spool")});
  const std::vector<std::vector<uint64_t>> stacks = {
      {kContextUser, 0x400010, 0x400020},
      {kContextKernel, 0xffffffff81000010, kContextUser, 0x400030, 0x400020},
      {kContextUser, 0x400040}};
  for (int i = 0; i < 300; ++i) {
    const auto rec = SampleRecord(42, 43 + i % 2, 1000 + static_cast<uint64_t>(i) * 997,
                                  stacks[static_cast<size_t>(i + i / 7) % 3]);
    data.insert(data.end(), rec.begin(), rec.end());
  }
  auto read = [&](bool spool) {
    auto in = InputSource::FromBytes("t.data", FileMode(data), "");
    ReadOptions options;
    options.spool_samples = spool;
    return ReadPerfData(*in, options);
  };
  auto spooled = read(true);
  auto in_memory = read(false);
  ASSERT_TRUE(spooled.ok()) << spooled.error().ToString();
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().ToString();
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
  auto in = InputSource::FromBytes("t.data", FileMode(SampleRecord(1, 1, 1, {kContextUser, 0x10})), "");
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
  const std::vector<uint64_t> wanted = {0xffffffff81000150, 0xffffffff81000301,
                                        0xffffffffc0000010};
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
  std::vector<uint8_t> data = Cat({Comm(42, 43, "worker")});
  for (int i = 0; i < 70000; ++i) {
    const auto s = SampleRecord(42, 43, 1000 + i, {kContextUser, 0x400010});
    data.insert(data.end(), s.begin(), s.end());
  }
  const std::vector<uint8_t> file = FileMode(data);
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
  const std::vector<uint8_t> comm = Comm(7, 7, "prog");
  Bytes b;
  b.u64(0x401000).u32(7).u32(7).u64(100).u64(uint64_t{1} << 63);
  b.u64(1).u64(0x401000);
  const std::vector<uint8_t> sample = Record(9, 2, b.v);
  auto p = Read(FileMode(Cat({comm, sample})));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("2^63"), std::string::npos) << p.error().message;
  ASSERT_TRUE(p.error().offset.has_value());
  EXPECT_EQ(*p.error().offset, 104 + 128 + 16 + comm.size());
}

TEST(PerfDataPeriodTest, LargestPeriodIsKept) {
  Bytes b;
  b.u64(0x401000).u32(7).u32(7).u64(100).u64(uint64_t{INT64_MAX});
  b.u64(1).u64(0x401000);
  auto p = Read(FileMode(Record(9, 2, b.v)));
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
  Bytes header;
  header.str("PERFILE2", 8).u64(16);
  Bytes attr_body;
  attr_body.raw(Attr(kIp | kTid | kTime | kCallchain | kPeriod)).u64(77);
  const std::vector<uint8_t> complete =
      Cat({header.v, Record(64, 0, attr_body.v), SampleRecord(5, 5, 6, {kContextUser, 0x30}),
           Record(68, 0, {})});
  CollectingDiagnostics ok;
  ASSERT_TRUE(Read(complete, &ok).ok());
  EXPECT_TRUE(ok.warnings.empty()) << ok.warnings[0];

  const std::vector<uint8_t> cut = Cat({header.v, Record(64, 0, attr_body.v),
                                        SampleRecord(5, 5, 6, {kContextUser, 0x30})});
  CollectingDiagnostics diag;
  auto p = Read(cut, &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_NE(diag.warnings[0].find("ends at byte " + std::to_string(cut.size())),
            std::string::npos)
      << diag.warnings[0];
  EXPECT_NE(diag.warnings[0].find("cut short"), std::string::npos);
}

TEST(PerfDataTruncation, FileCutInsideTheFeatureSectionsWarns) {
  const std::vector<uint8_t> whole =
      FileMode(Cat({Comm(7, 7, "prog"), SampleRecord(7, 7, 1, {kContextUser, 0x10})}));
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
