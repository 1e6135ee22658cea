// A perf.data walker for the mutator: the file header's sections and the data section cut into
// records by their `{u32 type; u16 misc; u16 size}` headers, and the file put back together
// around new records (docs/formats/perf-data.md#file-header, #record-types, #pipe-mode).
// Only the little-endian layout, which every seed has; a walk that fails leaves the input to
// byte-level mutation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gcspike::fuzz {

inline constexpr uint32_t kPerfRecordSample = 9, kPerfRecordHeaderAttr = 64;
inline constexpr size_t kPerfFileHeaderSize = 104, kPerfPipeHeaderSize = 16;
// perf_event_attr: offset of sample_type, read_format and the flag bits.
inline constexpr size_t kAttrSampleType = 24, kAttrReadFormat = 32, kAttrFlags = 40;

struct PerfFile {
  bool pipe = false;
  uint64_t attr_size = 0;  // of one attrs entry: the attribute and its ids' {offset, size}
  uint64_t attrs_offset = 0, attrs_size = 0;  // file mode
  uint64_t data_offset = 0, data_size = 0;    // pipe mode: everything after the header
  // The records of the data section, each its whole bytes (header included). A trailing part
  // too short to be a record is kept as a last, partial "record".
  std::vector<std::vector<uint8_t>> records;
};

bool WalkPerfData(std::span<const uint8_t> data, PerfFile* out);

// The file with its data section replaced by `file.records`: the header's data size, the
// feature section table and the sections after the data moved to match.
std::vector<uint8_t> RebuildPerfData(std::span<const uint8_t> original, const PerfFile& file);

// The same events in pipe mode: a 16-byte header, one HEADER_ATTR record per attribute with
// its ids, then the records (no feature sections).
std::vector<uint8_t> PerfDataToPipe(std::span<const uint8_t> original, const PerfFile& file);

uint64_t LoadU64(std::span<const uint8_t> data, size_t at);
void StoreU64(std::span<uint8_t> data, size_t at, uint64_t v);

}  // namespace gcspike::fuzz
