// The structure-aware mutator of perf_data_fuzzer: it walks the header and the records
// (perf_data_walk.h) and changes one record's type, misc bits, size or a u64 of its body,
// duplicates, drops or reorders records, cuts the stream at a record boundary, flips
// sample_type / read_format / flag bits of an attribute (file header or HEADER_ATTR record), or
// turns a file-mode recording into pipe mode; then it rebuilds the file with its sections
// moved to match. Half of the calls (and all with GCSPIKE_FUZZ_BYTES_ONLY=1) are
// libFuzzer's byte-level mutation.
#include <cstring>

#include "tests/fuzz/mutation.h"
#include "tests/fuzz/perf_data_walk.h"

namespace gcspike::fuzz {
namespace {

using Record = std::vector<uint8_t>;

void MutateHeader(Record& r, Rng& rng) {
  if (r.size() < 8) return;
  // docs/formats/perf-data.md#record-types, and a few beyond.
  static constexpr uint32_t kTypes[] = {1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 64,
                                        66, 67, 68, 71, 80, 81, 82, 83, 84, 0,  0xffff};
  switch (rng.Below(3)) {
    case 0: {
      const uint32_t t = kTypes[rng.Below(std::size(kTypes))];
      std::memcpy(r.data(), &t, 4);
      break;
    }
    case 1:
      r[4 + rng.Below(2)] ^= static_cast<uint8_t>(1u << rng.Below(8));
      break;    // misc
    default: {  // a size that lies: 0, under the header, one short, one word more, huge
      static constexpr int kDelta[] = {-8, -1, 1, 8, 16};
      uint16_t size = rng.OneIn(3) ? static_cast<uint16_t>(rng.Below(9))
                                   : static_cast<uint16_t>(r.size() + kDelta[rng.Below(5)]);
      if (rng.OneIn(8)) size = 0xffff;
      std::memcpy(r.data() + 6, &size, 2);
    }
  }
}

void MutateBody(Record& r, Rng& rng) {
  if (r.size() < 16) return;
  const size_t at = 8 + 8 * rng.Below((r.size() - 8) / 8);
  StoreU64(r, at, rng.Interesting(LoadU64(r, at)));
}

// Flips a bit of sample_type, read_format or the flags of one attribute.
void MutateAttr(std::vector<uint8_t>& bytes, PerfFile& file, Rng& rng) {
  static constexpr size_t kFields[] = {kAttrSampleType, kAttrReadFormat, kAttrFlags};
  const size_t field = kFields[rng.Below(3)];
  const uint64_t bit = uint64_t{1} << rng.Below(field == kAttrSampleType ? 26 : 24);
  if (file.pipe) {
    for (Record& r : file.records) {
      if (r.size() >= 8 + field + 8 && r[0] == kPerfRecordHeaderAttr && rng.OneIn(2)) {
        StoreU64(r, 8 + field, LoadU64(r, 8 + field) ^ bit);
        return;
      }
    }
    return;
  }
  const uint64_t entry = file.attr_size;
  if (entry <= field + 8 || file.attrs_size < entry) return;
  const uint64_t at = file.attrs_offset + entry * rng.Below(file.attrs_size / entry) + field;
  if (at + 8 <= bytes.size()) StoreU64(bytes, at, LoadU64(bytes, at) ^ bit);
}

void MutateRecords(std::vector<Record>& rs, Rng& rng) {
  if (rs.empty()) return;
  const size_t i = rng.Below(rs.size()), j = rng.Below(rs.size());
  switch (rng.Below(7)) {
    case 0:
      MutateHeader(rs[i], rng);
      break;
    case 1:
      MutateBody(rs[i], rng);
      break;
    case 2:  // copies: the same sample many times, or a second MMAP/COMM/HEADER_ATTR
      rs.insert(rs.begin() + static_cast<ptrdiff_t>(j), 1 + rng.Below(16), rs[i]);
      break;
    case 3:
      rs.erase(rs.begin() + static_cast<ptrdiff_t>(i));
      break;
    case 4:
      std::swap(rs[i], rs[j]);
      break;  // e.g. a sample before its MMAP or COMM
    case 5:
      rs.resize(i);
      break;    // cut at a record boundary
    default: {  // a record cut short, its header unchanged
      const size_t keep = rng.Below(rs[i].size());
      rs[i].resize(keep);
      rs.resize(i + 1);
    }
  }
}

std::optional<std::vector<uint8_t>> Mutate(std::span<const uint8_t> data, Rng& rng) {
  PerfFile file;
  if (!WalkPerfData(data, &file)) return std::nullopt;
  std::vector<uint8_t> bytes(data.begin(), data.end());
  switch (rng.Below(8)) {
    case 0:
      MutateAttr(bytes, file, rng);
      break;
    case 1:
      if (!file.pipe) return PerfDataToPipe(bytes, file);
      [[fallthrough]];
    default:
      for (size_t n = 1 + rng.Below(3), k = 0; k < n; ++k) MutateRecords(file.records, rng);
  }
  return RebuildPerfData(bytes, file);
}

// The header and attributes of the first recording with records spliced in from the second.
std::optional<std::vector<uint8_t>> CrossOver(std::span<const uint8_t> first,
                                              std::span<const uint8_t> second, Rng& rng) {
  PerfFile a, b;
  if (!WalkPerfData(first, &a) || !WalkPerfData(second, &b) || b.records.empty()) {
    return std::nullopt;
  }
  const size_t from = rng.Below(b.records.size());
  const size_t n = 1 + rng.Below(b.records.size() - from);
  a.records.insert(a.records.begin() + static_cast<ptrdiff_t>(rng.Below(a.records.size() + 1)),
                   b.records.begin() + static_cast<ptrdiff_t>(from),
                   b.records.begin() + static_cast<ptrdiff_t>(from + n));
  return RebuildPerfData(first, a);
}

}  // namespace
}  // namespace gcspike::fuzz

GCSPIKE_FUZZ_MUTATOR(gcspike::fuzz::Mutate, gcspike::fuzz::CrossOver)
