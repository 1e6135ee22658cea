// PerfRecordReader (formats/perf_record_reader.h): the record layer alone, with a handler that
// writes down what it is given. File and pipe mode deliver the same attrs (with their ids),
// records (type, misc, body, offset) in file order, and header facts; COMPRESSED records
// deliver the records inside them, also when one straddles two payloads; payloads after
// AUXTRACE are skipped; unknown record types are counted and warned about.
#include "formats/perf_record_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/diagnostics.h"
#include "formats/perf_event_abi.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

using testing::PerfBytes;
using testing::PerfDataBuilder;

struct Seen {
  uint32_t type;
  uint16_t misc;
  uint64_t offset;
  size_t body_size;
};

class Recorder : public PerfRecordHandler {
 public:
  Status OnAttr(PerfAttr attr, std::span<const uint64_t> attr_ids, uint64_t) override {
    attrs.push_back(attr);
    ids.emplace_back(attr_ids.begin(), attr_ids.end());
    return {};
  }
  Status OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) override {
    records.push_back({type, misc, offset, body.remaining()});
    return {};
  }
  void OnComment(const std::string& text) override { comments.push_back(text); }
  Status OnHeaderBytes(uint64_t bytes, uint64_t offset) override {
    header_bytes.emplace_back(bytes, offset);
    return {};
  }
  std::vector<PerfAttr> attrs;
  std::vector<std::pair<uint64_t, uint64_t>> header_bytes;  // as reported, with the offset
  std::vector<std::vector<uint64_t>> ids;
  std::vector<Seen> records;
  std::vector<std::string> comments;
};

struct ReadRun {
  Status status;
  Recorder seen;
  PerfHeaderInfo header;
  uint64_t header_bytes = 0;
  std::vector<std::string> warnings;
};

ReadRun Read(std::vector<uint8_t> bytes, PerfRecordLimits limits = {}) {
  ReadRun run;
  auto in = InputSource::FromBytes("r.data", std::move(bytes), "");
  CollectingDiagnostics diag;
  PerfRecordReader reader(*in, &diag, run.seen, limits);
  run.status = reader.Read();
  reader.WarnSkipped();
  run.header = reader.header();
  run.header_bytes = reader.header_bytes();
  run.warnings = diag.warnings;
  return run;
}

PerfDataBuilder TwoEvents() {
  testing::PerfAttrSpec a;
  a.sample_type |= perf::sample::kIdentifier;
  a.ids = {5, 6};
  testing::PerfAttrSpec b = a;
  b.config = perf::sw::kTaskClock;
  b.ids = {7};
  PerfDataBuilder f(a);
  f.AddAttr(b);
  f.Comm(1, 1, "one").Mmap(1, 0x1000, 0x1000, "/x").FinishedRound();
  f.StringFeature(perf::feature::kHostname, "host")
      .StringFeature(perf::feature::kOsRelease, "6.1.0-test");
  return f;
}

TEST(PerfRecordReader, FileAndPipeModeDeliverTheSame) {
  const PerfDataBuilder f = TwoEvents();
  for (bool pipe : {false, true}) {
    ReadRun r = Read(pipe ? f.PipeMode() : f.FileMode());
    ASSERT_TRUE(r.status.ok()) << r.status.error().ToString();
    ASSERT_EQ(r.seen.attrs.size(), 2u);
    EXPECT_EQ(r.seen.attrs[1].config, perf::sw::kTaskClock);
    EXPECT_EQ(r.seen.ids[0], (std::vector<uint64_t>{5, 6}));
    EXPECT_EQ(r.seen.ids[1], (std::vector<uint64_t>{7}));
    // FINISHED_ROUND is the record layer's own: not handed on.
    ASSERT_EQ(r.seen.records.size(), 2u);
    EXPECT_EQ(r.seen.records[0].type, perf::record::kComm);
    EXPECT_EQ(r.seen.records[1].type, perf::record::kMmap);
    EXPECT_EQ(r.seen.records[1].misc, perf::misc::kUser);
    // Offsets name the record headers in the input.
    const uint64_t data_at = pipe ? 0 : f.data_offset();
    if (!pipe) {
      EXPECT_EQ(r.seen.records[0].offset, data_at);
      EXPECT_EQ(r.seen.records[1].offset, data_at + 8 + r.seen.records[0].body_size);
    }
    EXPECT_EQ(r.seen.comments,
              (std::vector<std::string>{"hostname: host", "os-release: 6.1.0-test"}));
    EXPECT_EQ(r.header.os_release, "6.1.0-test");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings[0];
  }
}

// The handler hears of every growth of what the record layer keeps (docs/memory.md#perfdata):
// in a file the prelude, each attr's ids and each feature section while held (then released),
// and the two comments, the last at its string's offset; in a pipe the comments alone.
TEST(PerfRecordReader, HeaderBytesAreReportedAsTheyGrow) {
  const PerfDataBuilder f = TwoEvents();
  for (bool pipe : {false, true}) {
    ReadRun r = Read(pipe ? f.PipeMode() : f.FileMode());
    ASSERT_TRUE(r.status.ok()) << r.status.error().ToString();
    const auto& seen = r.seen.header_bytes;
    // Two comments and the OS release kept; in a file also the prelude, the two attrs' ids and
    // the two sections.
    ASSERT_EQ(seen.size(), pipe ? 3u : 8u);
    // Growing, but after the prelude (released before the records are read).
    for (size_t i = pipe ? 1 : 4; i < seen.size(); ++i) {
      EXPECT_GT(seen[i].first, seen[i - 1].first);
    }
    EXPECT_GT(r.header_bytes, 2 * std::string("os-release: 6.1.0-test").size());
    if (pipe) {
      EXPECT_EQ(r.header_bytes, seen.back().first);
    } else {
      EXPECT_EQ(seen[0], std::make_pair(f.data_offset() - perf::kFileHeaderSize,
                                        uint64_t{perf::kFileHeaderSize}));  // the prelude
      // Each attr's ids (2 and 1) on top of it, at its entry; one at a time.
      const uint64_t entry = perf::kFileHeaderSize + f.attr(0).size + 16;
      EXPECT_EQ(seen[1], std::make_pair(seen[0].first + 16, uint64_t{perf::kFileHeaderSize}));
      EXPECT_EQ(seen[2], std::make_pair(seen[0].first + 8, entry));
      EXPECT_LT(seen[3].first, seen[0].first);
      const std::vector<uint8_t> bytes = f.FileMode();
      const uint64_t os_release_at = bytes.size() - 20;  // u32 len, "6.1.0-test" padded
      EXPECT_EQ(seen.back().second, os_release_at);
      // The prelude and the sections' bytes are no longer held.
      EXPECT_LT(r.header_bytes, seen.back().first);
    }
  }
}

TEST(PerfRecordReader, CompressedRecordsAcrossPayloads) {
  PerfDataBuilder f;
  for (int i = 0; i < 50; ++i) f.Comm(1, static_cast<uint32_t>(i), "t" + std::to_string(i));
  f.CompressRecords(3);
  const uint64_t first_compressed = f.data_offset();
  ReadRun r = Read(f.FileMode());
  ASSERT_TRUE(r.status.ok()) << r.status.error().ToString();
  ASSERT_EQ(r.seen.records.size(), 50u);
  for (const Seen& s : r.seen.records) {
    EXPECT_EQ(s.type, perf::record::kComm);
    EXPECT_GE(s.offset + 8, first_compressed);  // the COMPRESSED record's payload
  }
}

// A zstd stream expands at most max_zstd_ratio times the COMPRESSED payloads read (+ 1 MiB),
// and its window must fit the memory budget: 200,000 identical COMM records (8 MB) compress to
// a few KB. Within the limits the records come through, a chunk at a time.
TEST(PerfRecordReader, CompressedRecordsAreBoundedLikeGzip) {
  PerfDataBuilder f;
  for (int i = 0; i < 200000; ++i) f.Comm(1, 2, "same");
  const size_t raw = f.data().size();
  f.CompressRecords(1);
  ASSERT_LT(f.data().size() * 1000, raw);  // the premise: over 1000 times
  const std::vector<uint8_t> bytes = f.FileMode();
  ReadRun bomb = Read(bytes);
  ASSERT_FALSE(bomb.status.ok());
  EXPECT_NE(bomb.status.error().message.find("expands more than 1000 times"), std::string::npos)
      << bomb.status.error().ToString();
  EXPECT_LT(bomb.seen.records.size(), 200000u);
  ReadRun lifted = Read(bytes, {.max_zstd_ratio = 0});
  ASSERT_TRUE(lifted.status.ok()) << lifted.status.error().ToString();
  EXPECT_EQ(lifted.seen.records.size(), 200000u);
  // Level 3 on 8 MB asks for a window of 2 MiB or more: past a 1 MiB budget.
  ReadRun small = Read(bytes, {.max_zstd_ratio = 0, .memory_budget = 1 << 20});
  ASSERT_FALSE(small.status.ok());
  EXPECT_NE(small.status.error().message.find("too much memory"), std::string::npos)
      << small.status.error().ToString();
}

TEST(PerfRecordReader, UnknownTypesAuxtracePayloadAndFeatures) {
  PerfDataBuilder f;
  f.Add(200, 0, PerfBytes().u64(1).v).Add(200, 0, {});
  // AUXTRACE {u64 size; ...} is followed by `size` bytes of trace data outside the record.
  f.Add(perf::record::kAuxtrace, 0, PerfBytes().u64(16).u64(0).u64(0).u64(0).u64(0).v);
  f.Raw(std::vector<uint8_t>(16, 0xee));
  f.Comm(1, 1, "after");
  PerfBytes cmdline;
  cmdline.u32(2).u32(8).str("perf", 8).u32(8).str("record", 8);
  f.Feature(perf::feature::kCmdline, cmdline.v);
  PerfBytes clock;
  clock.u32(1).u32(1).u64(1700000000000000000).u64(12345);
  f.Feature(perf::feature::kClockData, clock.v);
  ReadRun r = Read(f.FileMode());
  ASSERT_TRUE(r.status.ok()) << r.status.error().ToString();
  ASSERT_EQ(r.seen.records.size(), 2u);  // AUXTRACE (known, handed on) and COMM
  EXPECT_EQ(r.seen.records[1].type, perf::record::kComm);
  EXPECT_EQ(r.seen.comments, (std::vector<std::string>{"perf-command: perf record"}));
  ASSERT_TRUE(r.header.clock_data.has_value());
  EXPECT_EQ(r.header.clock_data->second, 12345u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("skipped 2 records of unknown type 200"), std::string::npos);
}

TEST(PerfRecordReader, BuildIdsAndEventNamesFromTheHeader) {
  PerfDataBuilder f;
  PerfBytes ids;
  PerfBytes entry;
  entry.u32(1).raw({0xab, 0xcd}).raw(std::vector<uint8_t>(18, 0)).u8(2).u8(0).u16(0);
  entry.str("/bin/a", 16);
  ids.raw(testing::PerfRecord(perf::record::kHeaderBuildId, perf::misc::kBuildIdSize, entry.v));
  f.Feature(perf::feature::kBuildId, ids.v);
  PerfBytes desc;
  desc.u32(1).u32(128).raw(testing::PerfAttrBytes({})).u32(1).u32(16).str("probe:main", 16);
  desc.u64(99);
  f.Feature(perf::feature::kEventDesc, desc.v);
  ReadRun r = Read(f.FileMode());
  ASSERT_TRUE(r.status.ok()) << r.status.error().ToString();
  EXPECT_EQ(r.header.build_id_by_file.at("/bin/a"), "abcd");
  EXPECT_EQ(r.header.event_desc_names, (std::vector<std::string>{"probe:main"}));
  ASSERT_EQ(r.header.LastEventDescNames().size(), 1u);
  ASSERT_NE(r.header.EventDescName(99), nullptr);
  EXPECT_EQ(*r.header.EventDescName(99), "probe:main");
  EXPECT_EQ(r.header.EventDescName(98), nullptr);
}

TEST(PerfRecordReader, FramingErrorsNameOffsets) {
  PerfDataBuilder f;
  f.Comm(1, 1, "x");
  std::vector<uint8_t> bytes = f.FileMode();
  bytes[f.data_offset() + 6] = 4;  // a record smaller than its header
  ReadRun r = Read(bytes);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().offset, f.data_offset());
  // A COMPRESSED record that is not zstd.
  PerfDataBuilder z;
  z.Add(perf::record::kCompressed, 0, std::vector<uint8_t>(16, 0x11));
  r = Read(z.PipeMode());
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().message.find("bad zstd data"), std::string::npos);
  // A pipe stream with no HEADER_ATTR.
  r = Read(PerfBytes().str(perf::kMagic, 8).u64(perf::kPipeHeaderSize).v);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().offset, perf::kPipeHeaderSize);
}

}  // namespace
}  // namespace gcspike
