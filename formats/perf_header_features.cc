// The header features of perf.data that the record layer keeps (PerfRecordReader, in its own
// file): build ids, event names, tracepoint names, and the strings it hands on as comments,
// each counted toward the memory budget as it is read (docs/memory.md#perfdata). Layouts:
// docs/formats/perf-data.md#feature-sections, #tracing-data.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/hex.h"
#include "formats/perf_event_abi.h"
#include "formats/perf_record_reader.h"
#include "formats/perf_tracing_data.h"

namespace gcspike {
namespace {

namespace feature = perf::feature;

// What the header facts cost besides their characters, counted in header_bytes_
// (docs/memory.md#perfdata): a string kept in a vector or interned as a comment; an entry of a
// hash table keyed by number (its node, bucket and the allocations' bookkeeping, and the
// string's own allocation; one holding a number: 64 as perf_data_reader.cc's kIdBytes); a
// build-id entry (two strings, the id's 40 hex digits included).
constexpr uint64_t kStringBytes = 128;
constexpr uint64_t kEntryBytes = 128;
constexpr uint64_t kIdEntryBytes = 64;  // an entry of such a table holding a number
constexpr uint64_t kBuildIdBytes = 192;

// perf_header_string {u32 len; char str[len]} (docs/formats/perf-data.md#feature-sections).
Result<std::string> HeaderString(ByteCursor& c) {
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t len, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(auto bytes, c.bytes(len));
  return perf::PaddedString(bytes);
}

}  // namespace

// The names are kept only when the whole tracing data reads; each is counted as it is made.
Status PerfRecordReader::ReadTracingData(ByteCursor c) {
  std::unordered_map<uint64_t, std::string> names;
  Status budget;
  const Status read = ReadTracepointNames(c, [&](uint64_t id, std::string name, uint64_t at) {
    const uint64_t bytes = kEntryBytes + name.size();
    names[id] = std::move(name);
    budget = Grow(bytes, at);
    return budget;
  });
  GCSPIKE_RETURN_IF_ERROR(budget);
  if (!read.ok()) {
    Warn("tracing data: " + read.error().ToString() + "; tracepoint events keep numeric names");
    return {};
  }
  while (!names.empty()) {  // node by node: no name is allocated twice
    auto moved = header_.tracepoint_names.insert(names.extract(names.begin()));
    if (!moved.inserted) moved.position->second = std::move(moved.node.mapped());
  }
  return {};
}

Status PerfRecordReader::ReadBuildIds(ByteCursor c) {
  // A sequence of build_id_event {perf_event_header; pid_t pid; u8 build_id[24];
  // char filename[]} (docs/formats/perf-data.md#feature-sections).
  while (!c.empty()) {
    const uint64_t offset = c.offset();
    GCSPIKE_RETURN_IF_ERROR(c.skip(4));
    GCSPIKE_ASSIGN_OR_RETURN(uint16_t misc, c.u16le());
    GCSPIKE_ASSIGN_OR_RETURN(uint16_t size, c.u16le());
    if (size < 8) {
      return MakeErrorAt(offset, "build id entry of " + std::to_string(size) +
                                     " bytes is smaller than its header");
    }
    GCSPIKE_ASSIGN_OR_RETURN(ByteCursor e, c.sub(size - 8));
    GCSPIKE_RETURN_IF_ERROR(ReadBuildIdEntry(misc, e, offset));
  }
  return {};
}

// The part of a build_id_event after its header: pid, build_id[24], filename. `offset`: the
// event's.
Status PerfRecordReader::ReadBuildIdEntry(uint16_t misc, ByteCursor e, uint64_t offset) {
  GCSPIKE_RETURN_IF_ERROR(e.skip(4));  // pid
  GCSPIKE_ASSIGN_OR_RETURN(auto id, e.bytes(24));
  size_t n = 20;
  if ((misc & perf::misc::kBuildIdSize) != 0) n = std::min<size_t>(id[20], 20);
  auto [it, added] = header_.build_id_by_file.insert_or_assign(perf::PaddedString(e.rest()),
                                                               HexBytes(id.first(n)));
  return added ? Grow(kBuildIdBytes + it->first.size(), offset) : Status();
}

Status PerfRecordReader::Comment(std::string text, uint64_t offset) {
  GCSPIKE_RETURN_IF_ERROR(Grow(kStringBytes + text.size(), offset));
  handler_.OnComment(text);
  return {};
}

Status PerfRecordReader::Grow(uint64_t bytes, uint64_t offset) {
  header_bytes_ += bytes;
  return handler_.OnHeaderBytes(header_bytes_, offset);
}

Status PerfRecordReader::ProcessFeature(int bit, ByteCursor c) {
  switch (bit) {
    case feature::kTracingData:
      return ReadTracingData(c);
    case feature::kBuildId:
      return ReadBuildIds(c);
    case feature::kHostname:
    case feature::kOsRelease:
    case feature::kVersion: {
      const uint64_t at = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(std::string s, HeaderString(c));
      const char* key = bit == feature::kHostname    ? "hostname: "
                        : bit == feature::kOsRelease ? "os-release: "
                                                     : "perf-version: ";
      if (bit == feature::kOsRelease) {
        const uint64_t was = header_.os_release.size();
        header_.os_release = s;
        if (s.size() > was) GCSPIKE_RETURN_IF_ERROR(Grow(s.size() - was, at));
      }
      return Comment(key + s, at);
    }
    case feature::kCmdline: {
      const uint64_t at = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr, c.u32le());
      std::string line = "perf-command:";
      for (uint32_t i = 0; i < nr; ++i) {
        GCSPIKE_ASSIGN_OR_RETURN(std::string arg, HeaderString(c));
        line += ' ';
        line += arg;
      }
      if (nr == 0) line += ' ';
      return Comment(std::move(line), at);
    }
    case feature::kEventDesc:
      return ReadEventDesc(c);
    case feature::kClockData: {
      // {u32 version, clockid; u64 wall_clock_ns, clockid_time_ns}: one instant on both clocks
      // (perf record -k), which places the samples' clock on the wall clock.
      GCSPIKE_RETURN_IF_ERROR(c.skip(8));
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t wall, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t clock, c.u64le());
      header_.clock_data = std::make_pair(wall, clock);
      return {};
    }
    default:
      return {};
  }
}

// {u32 nr, attr_size; nr * {attr; u32 nr_ids; perf_header_string name; u64 ids[nr_ids]}}.
Status PerfRecordReader::ReadEventDesc(ByteCursor c) {
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t attr_size, c.u32le());
  // Earlier ones' names stay (their ids may name them) and stay counted.
  header_.event_desc_last = header_.event_desc_names.size();
  for (uint32_t i = 0; i < nr; ++i) {
    const uint64_t at = c.offset();
    GCSPIKE_RETURN_IF_ERROR(c.skip(attr_size));
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr_ids, c.u32le());
    GCSPIKE_ASSIGN_OR_RETURN(std::string name, HeaderString(c));
    GCSPIKE_RETURN_IF_ERROR(Grow(kStringBytes + name.size(), at));
    const size_t index = header_.event_desc_names.size();
    header_.event_desc_names.push_back(std::move(name));
    for (uint32_t k = 0; k < nr_ids; ++k) {  // the name's index per id
      const uint64_t id_at = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t id, c.u64le());
      header_.event_desc_name_by_id[id] = index;
      GCSPIKE_RETURN_IF_ERROR(Grow(kIdEntryBytes, id_at));
    }
  }
  return {};
}

}  // namespace gcspike
