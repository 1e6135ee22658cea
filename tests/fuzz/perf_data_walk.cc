#include "tests/fuzz/perf_data_walk.h"

#include <bit>
#include <cstring>

#include "core/byte_cursor.h"

namespace gcspike::fuzz {

uint64_t LoadU64(std::span<const uint8_t> data, size_t at) {
  ByteCursor c(data.subspan(std::min(at, data.size())));
  auto v = c.u64le();
  return v.ok() ? *v : 0;
}

void StoreU64(std::span<uint8_t> data, size_t at, uint64_t v) {
  for (size_t i = 0; i < 8 && at + i < data.size(); ++i) {
    data[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

namespace {

void CutRecords(std::span<const uint8_t> data, PerfFile* out) {
  size_t at = 0;
  while (at < data.size()) {
    const size_t left = data.size() - at;
    size_t size = left;
    if (left >= 8) {
      size = static_cast<size_t>(data[at + 6]) | static_cast<size_t>(data[at + 7]) << 8;
      if (size < 8 || size > left) size = left;
    }
    out->records.emplace_back(data.begin() + at, data.begin() + at + size);
    at += size;
  }
}

}  // namespace

bool WalkPerfData(std::span<const uint8_t> data, PerfFile* out) {
  *out = PerfFile{};
  if (data.size() < kPerfPipeHeaderSize || std::memcmp(data.data(), "PERFILE2", 8) != 0) {
    return false;
  }
  const uint64_t header_size = LoadU64(data, 8);
  if (header_size == kPerfPipeHeaderSize) {
    out->pipe = true;
    out->data_offset = kPerfPipeHeaderSize;
    out->data_size = data.size() - kPerfPipeHeaderSize;
  } else {
    if (header_size != kPerfFileHeaderSize || data.size() < kPerfFileHeaderSize) return false;
    out->attr_size = LoadU64(data, 16);
    out->attrs_offset = LoadU64(data, 24);
    out->attrs_size = LoadU64(data, 32);
    out->data_offset = LoadU64(data, 40);
    out->data_size = LoadU64(data, 48);
    if (out->data_offset > data.size() || out->data_size > data.size() - out->data_offset) {
      return false;
    }
  }
  CutRecords(data.subspan(out->data_offset, out->data_size), out);
  return true;
}

std::vector<uint8_t> RebuildPerfData(std::span<const uint8_t> original, const PerfFile& file) {
  std::vector<uint8_t> out(original.begin(), original.begin() + file.data_offset);
  for (const auto& r : file.records) out.insert(out.end(), r.begin(), r.end());
  if (file.pipe) return out;
  const uint64_t data_end = file.data_offset + file.data_size;
  const uint64_t new_size = out.size() - file.data_offset;
  const uint64_t delta = new_size - file.data_size;  // modulo 2^64: shifts either way
  StoreU64(out, 48, new_size);
  const size_t table_at = out.size();
  out.insert(out.end(), original.begin() + data_end, original.end());
  // One {offset, size} per feature bit; the sections after the data move with it.
  size_t features = 0;
  for (size_t i = 0; i < 4; ++i) features += std::popcount(LoadU64(original, 72 + 8 * i));
  for (size_t i = 0; i < features && table_at + 16 * i + 16 <= out.size(); ++i) {
    const uint64_t offset = LoadU64(out, table_at + 16 * i);
    if (offset >= data_end) StoreU64(out, table_at + 16 * i, offset + delta);
  }
  return out;
}

std::vector<uint8_t> PerfDataToPipe(std::span<const uint8_t> original, const PerfFile& file) {
  std::vector<uint8_t> out(original.begin(), original.begin() + 8);
  out.resize(kPerfPipeHeaderSize);
  StoreU64(out, 8, kPerfPipeHeaderSize);
  // attr_size counts a whole entry: the attribute, then its ids' {offset, size}.
  const uint64_t entry = file.attr_size, attr = entry - 16;
  for (uint64_t at = file.attrs_offset; entry > 16 && at + entry <= original.size() &&
                                        at + entry <= file.attrs_offset + file.attrs_size;
       at += entry) {
    const uint64_t ids_offset = LoadU64(original, at + attr);
    const uint64_t ids_size = LoadU64(original, at + attr + 8);
    if (ids_offset > original.size() || ids_size > original.size() - ids_offset) break;
    const uint64_t size = 8 + attr + ids_size;
    if (size > 0xffff) break;
    const uint8_t header[8] = {
        kPerfRecordHeaderAttr,          0, 0, 0, 0, 0, static_cast<uint8_t>(size),
        static_cast<uint8_t>(size >> 8)};
    out.insert(out.end(), header, header + 8);
    out.insert(out.end(), original.begin() + at, original.begin() + at + attr);
    out.insert(out.end(), original.begin() + ids_offset, original.begin() + ids_offset + ids_size);
  }
  for (const auto& r : file.records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

}  // namespace gcspike::fuzz
