// What the perf.data reader keeps of the header (build ids, event names and their ids, tracing
// data, comments, the attrs and their ids) counts toward the memory budget (--max-memory),
// checked as each entry is read: a file whose feature sections, or a pipe stream whose header
// records, take the model past the budget is refused at the entry that does, and the same
// input reads under a budget it fits (docs/memory.md#perfdata).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "formats/perf_data_reader.h"
#include "formats/perf_event_abi.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

using testing::PerfBytes;
using testing::PerfDataBuilder;

constexpr uint64_t kBudget = 256 << 10;

Result<Profile> ReadWithBudget(const std::vector<uint8_t>& bytes, uint64_t budget,
                               Diagnostics* diag = nullptr) {
  auto in = InputSource::FromBytes("t.data", bytes, "");
  ReadOptions options;
  options.max_input_bytes = budget;
  options.diagnostics = diag;
  return ReadPerfData(*in, options);
}

// Refused with the budget's message at one of `offsets` (the entries, in order); returns its
// index (-1 when not refused, or not at one of them).
int RefusedAt(const Result<Profile>& p, const std::vector<uint64_t>& offsets, uint64_t budget) {
  EXPECT_FALSE(p.ok());
  if (p.ok()) return -1;
  const std::string want =
      "more than the memory budget of " + std::to_string(budget) + " bytes; --max-memory raises it";
  EXPECT_NE(p.error().message.find(want), std::string::npos) << p.error().ToString();
  EXPECT_TRUE(p.error().offset.has_value()) << p.error().ToString();
  const auto it = std::find(offsets.begin(), offsets.end(), p.error().offset.value_or(~0ull));
  EXPECT_NE(it, offsets.end()) << "not at an entry: " << p.error().ToString();
  return it == offsets.end() ? -1 : static_cast<int>(it - offsets.begin());
}

// One HEADER_BUILD_ID record (the BUILD_ID section's entries are the same) for file `name`.
std::vector<uint8_t> BuildIdEntry(const std::string& name) {
  PerfBytes e;
  e.u32(0xffffffff).raw(std::vector<uint8_t>(20, 0xab)).u8(20).u8(0).u16(0);
  e.str(name, (name.size() + 8) / 8 * 8);
  return testing::PerfRecord(perf::record::kHeaderBuildId, perf::misc::kBuildIdSize, e.v);
}

std::string FileName(int i) { return "/usr/lib/build-id-test/libnumber" + std::to_string(i); }

// The entries' characters alone: how many of them the budget certainly holds, and how many it
// certainly does not (each costs at least its file name and two strings of bookkeeping).
int EntriesWithin(uint64_t budget, uint64_t held, uint64_t per_entry) {
  return static_cast<int>((budget - std::min(budget, held)) / per_entry);
}

TEST(PerfHeaderBudget, BuildIdSectionPastTheBudgetIsRefusedAtItsEntry) {
  PerfDataBuilder b;
  PerfBytes section;
  std::vector<uint64_t> at;  // each entry's offset within the section
  for (int i = 0; i < 2000; ++i) {
    at.push_back(section.v.size());
    section.raw(BuildIdEntry(FileName(i)));
  }
  b.Feature(perf::feature::kBuildId, section.v);
  const std::vector<uint8_t> bytes = b.FileMode();
  const uint64_t section_at = bytes.size() - section.v.size();
  for (uint64_t& a : at) a += section_at;
  const int k = RefusedAt(ReadWithBudget(bytes, kBudget), at, kBudget);
  // The section is held while it is read (~150 KB): the budget holds it and the entries, each
  // of which costs more than its name and the 40 hex digits of its id, and less than a KiB.
  const uint64_t name = FileName(0).size();
  EXPECT_GE(k, EntriesWithin(kBudget, section.v.size(), 1024)) << k;
  EXPECT_LE(k, EntriesWithin(kBudget, section.v.size(), name + 40)) << k;
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
}

TEST(PerfHeaderBudget, PipeStreamOfBuildIdRecordsIsRefusedAtTheRecord) {
  PerfDataBuilder b;
  std::vector<uint64_t> at;  // each record's offset in the data part of the stream
  for (int i = 0; i < 4000; ++i) {
    at.push_back(b.data().size());
    b.Raw(BuildIdEntry(FileName(i)));
  }
  const std::vector<uint8_t> bytes = b.PipeMode();
  for (uint64_t& a : at) a += bytes.size() - b.data().size();
  const int k = RefusedAt(ReadWithBudget(bytes, kBudget), at, kBudget);
  EXPECT_GE(k, EntriesWithin(kBudget, 0, 1024)) << k;
  EXPECT_LE(k, EntriesWithin(kBudget, 0, FileName(0).size() + 40)) << k;
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
  // The same file named again replaces its id: nothing more is kept, so nothing is counted.
  PerfDataBuilder same;
  for (int i = 0; i < 4000; ++i) same.Raw(BuildIdEntry(FileName(0)));
  ASSERT_OK(ReadWithBudget(same.PipeMode(), 64 << 10));
}

// EVENT_DESC {u32 nr, attr_size; attr, u32 nr_ids, name, ids}.
std::vector<uint8_t> EventDesc(uint32_t ids, size_t name_bytes, uint64_t first_id) {
  PerfBytes d;
  d.u32(1).u32(128).raw(testing::PerfAttrBytes({})).u32(ids);
  d.u32(static_cast<uint32_t>(name_bytes)).str(std::string(name_bytes - 1, 'e'), name_bytes);
  for (uint64_t id = first_id; id < first_id + ids; ++id) d.u64(id);
  return d.v;
}

// The reader keeps an event's name once, whatever the number of its ids: one 32 KiB record of
// a 16 KiB name and 2,000 ids asked for 32 MB when the name was kept per id (and was refused
// under 256 KiB); now it takes the name and an entry per id, and the event is named.
TEST(PerfHeaderBudget, EventNameIsKeptOnceForAllItsIds) {
  constexpr size_t kName = 16 << 10;
  for (bool pipe : {false, true}) {
    PerfDataBuilder b;
    b.Feature(perf::feature::kEventDesc, EventDesc(2000, kName, 1));
    auto p = ReadWithBudget(pipe ? b.PipeMode() : b.FileMode(), kBudget);
    ASSERT_OK(p);
    EXPECT_EQ(p->str(p->sample_types[0].type), std::string(kName - 1, 'e') + "_samples");
  }
}

// Each id is still counted: a stream of 4 EVENT_DESC records of 8,000 ids each is refused at
// the id that crosses the budget; each id costs at least its map entry's key, index and link
// (24 bytes) and less than a KiB.
TEST(PerfHeaderBudget, EventDescIdsAreCountedPerId) {
  PerfDataBuilder b;
  std::vector<uint8_t> desc;
  for (uint64_t r = 0; r < 4; ++r) {
    desc = EventDesc(8000, 8, 1 + r * 8000);
    b.Feature(perf::feature::kEventDesc, desc);
  }
  const std::vector<uint8_t> bytes = b.PipeMode();
  const uint64_t record = 16 + desc.size();  // header, the feature's u64 id, the body
  const uint64_t first = bytes.size() - b.data().size() - 4 * record;
  std::vector<uint64_t> id_at;
  for (uint64_t r = 0; r < 4; ++r) {
    for (uint64_t i = 0; i < 8000; ++i) {
      id_at.push_back(first + r * record + 16 + desc.size() - 8 * (8000 - i));
    }
  }
  const int k = RefusedAt(ReadWithBudget(bytes, kBudget), id_at, kBudget);
  EXPECT_GE(k, EntriesWithin(kBudget, 0, 1024)) << k;
  EXPECT_LE(k, EntriesWithin(kBudget, 0, 24)) << k;
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
}

TEST(PerfHeaderBudget, TracepointNamesAreCountedAsTheyAreRead) {
  std::vector<testing::PerfTracepoint> events;
  for (uint64_t id = 0; id < 4000; ++id) {
    events.push_back({"sys" + std::to_string(id), "tracepoint_with_a_long_name", id});
  }
  PerfDataBuilder b;
  b.TracingDataRecord(testing::PerfTracingData(events));
  const std::vector<uint8_t> bytes = b.PipeMode();
  const uint64_t payload_at = bytes.size() - b.data().size() + 16;  // after {u32 size}
  auto p = ReadWithBudget(bytes, 640 << 10);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("--max-memory raises it"), std::string::npos);
  // At a format past the payload's first (the payload, ~340 KB, is held first).
  EXPECT_GT(p.error().offset.value_or(0), payload_at) << p.error().ToString();
  EXPECT_LT(p.error().offset.value_or(~0ull), bytes.size()) << p.error().ToString();
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
}

// Two events whose samples carry 3,000 ids each.
PerfDataBuilder TwoEventsOf3000Ids() {
  testing::PerfAttrSpec a;
  a.sample_type |= perf::sample::kIdentifier;
  for (uint64_t id = 0; id < 3000; ++id) a.ids.push_back(id);
  PerfDataBuilder two(a);
  for (uint64_t& id : a.ids) id += 3000;
  two.AddAttr(a);
  return two;
}

TEST(PerfHeaderBudget, CommentsAndAttrIdsOfAPipeStreamAreCounted) {
  // A HOSTNAME feature of 4 KiB, again and again: each becomes a comment of the profile.
  PerfDataBuilder hosts;
  for (int i = 0; i < 200; ++i) {
    hosts.Add(perf::record::kHeaderFeature, 0,
              PerfBytes()
                  .u64(perf::feature::kHostname)
                  .u32(4096)
                  .str(std::string(4000, 'h') + std::to_string(i), 4096)
                  .v);
  }
  EXPECT_FALSE(ReadWithBudget(hosts.PipeMode(), kBudget).ok());
  auto all = ReadWithBudget(hosts.PipeMode(), 8 << 20);
  ASSERT_OK(all);
  EXPECT_EQ(all->comments.size(), 200u);
  // Events whose samples carry 3,000 ids each (a map entry per id): refused at the second
  // HEADER_ATTR, which takes the ids past 256 KiB.
  const std::vector<uint8_t> bytes = TwoEventsOf3000Ids().PipeMode();
  const uint64_t second_at = perf::kPipeHeaderSize + 8 + 128 + 8 * 3000;
  EXPECT_ERROR_AT(ReadWithBudget(bytes, kBudget), second_at, "--max-memory raises it");
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
}

// In a file, the attrs' entries and their ids (the prelude before the data section, 48 KB)
// are held while they are read, and each attr's ids are counted, with their copy while it is
// held (24 KB): the first attr takes 264 KB, the second is refused under 300 KiB at its entry.
// A prelude larger than the budget is refused before it is read, at its first byte.
TEST(PerfHeaderBudget, FileModeAttrsAndTheirIdsAreCounted) {
  const std::vector<uint8_t> bytes = TwoEventsOf3000Ids().FileMode();
  EXPECT_ERROR_AT(ReadWithBudget(bytes, 300 << 10), perf::kFileHeaderSize + 128 + 16,
                  "--max-memory raises it");
  EXPECT_ERROR_AT(ReadWithBudget(bytes, 256 << 10), perf::kFileHeaderSize, "memory budget");
  ASSERT_OK(ReadWithBudget(bytes, 8 << 20));
  EXPECT_ERROR_AT(ReadWithBudget(bytes, 32 << 10), perf::kFileHeaderSize, "memory budget");
}

// perf writes each event's ids once (docs/formats/perf-data.md#file-header). An ids section
// that overlaps an earlier attr's is refused at its attr's entry before its ids are copied:
// 3,000 attrs naming one section of 10^6 ids would copy 3 x 10^9 (seconds of CPU).
TEST(PerfHeaderBudget, FileModeIdsSectionsThatOverlapAreRefused) {
  const std::vector<uint8_t> two = TwoEventsOf3000Ids().FileMode();
  const uint64_t entry = 128 + 16, second = perf::kFileHeaderSize + entry;
  const uint64_t ids_at = perf::kFileHeaderSize + 2 * entry;  // the first attr's ids
  auto with_sections = [&](uint64_t first_at, uint64_t first_size, uint64_t second_at,
                           uint64_t second_size) {
    std::vector<uint8_t> b = two;
    PerfBytes fields;
    fields.u64(first_at).u64(first_size).u64(second_at).u64(second_size);
    std::copy_n(fields.v.begin(), 16, b.begin() + perf::kFileHeaderSize + 128);
    std::copy_n(fields.v.begin() + 16, 16, b.begin() + second + 128);
    return b;
  };
  const uint64_t size = 8 * 3000;
  // The same section; one starting inside the first; one ending inside it.
  for (const auto& b : {with_sections(ids_at, size, ids_at, size),
                        with_sections(ids_at, size, ids_at + size - 8, size),
                        with_sections(ids_at + 8, size, ids_at, 16)}) {
    EXPECT_ERROR_AT(ReadWithBudget(b, 8 << 20), second, "overlap another event's");
  }
  // Next to each other (as perf writes them), in either order, they are read.
  ASSERT_OK(ReadWithBudget(with_sections(ids_at + size, size, ids_at, size), 8 << 20));
  ASSERT_OK(ReadWithBudget(with_sections(ids_at, size, ids_at + size, size), 8 << 20));
}

// A record type the reader does not know is counted for the warning; past 256 types, the
// rest together (a map entry per type would grow with the input).
TEST(PerfHeaderBudget, UnknownRecordTypesAreCountedInBoundedSpace) {
  PerfDataBuilder b;
  for (uint32_t type = 0; type < 300; ++type) b.Add(1000 + type, 0, {}).Add(1000 + type, 0, {});
  CollectingDiagnostics diag;
  ASSERT_OK(ReadWithBudget(b.FileMode(), 8 << 20, &diag));
  ASSERT_EQ(diag.warnings.size(), 257u);
  EXPECT_NE(diag.warnings[0].find("skipped 2 records of unknown type 1000"), std::string::npos)
      << diag.warnings[0];
  EXPECT_NE(diag.warnings[256].find("skipped 88 records of further unknown types"),
            std::string::npos)
      << diag.warnings[256];
}

}  // namespace
}  // namespace gcspike
