#include "core/sample_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/byte_cursor.h"
#include "core/temp_file.h"

namespace gcspike {
namespace {

// Blocks end on record boundaries, so a block decodes on its own; each is written as an 8-byte
// length and its bytes. 256 KiB keeps the write and read calls few and the buffers small.
constexpr size_t kBlockBytes = size_t{1} << 18;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

SampleSpool::SampleSpool() : fd_(OpenTempFile()) { block_.reserve(kBlockBytes + 4096); }

SampleSpool::~SampleSpool() {
  if (fd_ >= 0) ::close(fd_);
}

// Record: varint sample, varint value count, zigzag values, varint label count, then per label
// varint (key << 1 | numeric), and for a numeric label the zigzag delta from the previous
// record's label at the same position when that one had the same key and was numeric (else from
// 0) plus a varint unit; for a string label a varint string id.
void SampleSpool::Append(uint32_t sample, std::span<const int64_t> values,
                         std::span<const Label> labels) {
  // At most 10 bytes per varint: 3 + values + 3 per label of them.
  const size_t start = block_.size();
  block_.resize(start + 10 * (3 + values.size() + 3 * labels.size()));
  uint8_t* out = block_.data() + start;
  auto put = [&out](uint64_t v) {
    while (v >= 0x80) {
      *out++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *out++ = static_cast<uint8_t>(v);
  };
  auto use = [this](StrId id) {
    if (id >= used_strings_.size()) used_strings_.resize(id + 1024, false);
    used_strings_[id] = true;
  };
  put(sample);
  put(values.size());
  for (int64_t v : values) put(ZigZag(v));
  put(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    put((static_cast<uint64_t>(l.key) << 1) | (l.numeric ? 1 : 0));
    const bool same_as_previous = i < previous_.size() && previous_[i].key == l.key;
    if (!same_as_previous) use(l.key);
    if (l.numeric) {
      const bool delta = same_as_previous && previous_[i].numeric;
      const int64_t base = delta ? previous_[i].num : 0;
      put(ZigZag(static_cast<int64_t>(static_cast<uint64_t>(l.num) - static_cast<uint64_t>(base))));
      put(l.num_unit);
      if (!same_as_previous || previous_[i].num_unit != l.num_unit) use(l.num_unit);
    } else {
      put(l.str);
      if (!same_as_previous || previous_[i].str != l.str) use(l.str);
    }
  }
  block_.resize(static_cast<size_t>(out - block_.data()));
  previous_.assign(labels.begin(), labels.end());
  if (sample >= per_sample_.size()) per_sample_.resize(sample + 1, 0);
  ++per_sample_[sample];
  ++records_;
  if (block_.size() >= kBlockBytes) FlushBlock();
}

void SampleSpool::FlushBlock() {
  if (block_.empty()) return;
  if (fd_ >= 0 && write_status_.ok()) {
    uint8_t length[8];
    const uint64_t n = block_.size();
    std::memcpy(length, &n, 8);
    write_status_ = WriteAll(fd_, length, 8);
    if (write_status_.ok()) write_status_ = WriteAll(fd_, block_.data(), block_.size());
    file_size_ += 8 + n;
    block_.clear();
    return;
  }
  if (fd_ < 0) {
    memory_blocks_.push_back(std::move(block_));
    block_ = {};
    block_.reserve(kBlockBytes + 4096);
  }
}

Status SampleSpool::Close() {
  if (!closed_) {
    FlushBlock();
    closed_ = true;
    block_.clear();
    block_.shrink_to_fit();
  }
  return write_status_;
}

std::vector<StrId> SampleSpool::UsedStrings() const {
  std::vector<StrId> out;
  for (size_t i = 0; i < used_strings_.size(); ++i) {
    if (used_strings_[i]) out.push_back(static_cast<StrId>(i));
  }
  return out;
}

Status SampleSpool::ForEach(size_t sample_count,
                            const std::function<Status(const Record&)>& visit) const {
  if (!closed_) return MakeError("sample spool: read before Close");
  GCSPIKE_RETURN_IF_ERROR(write_status_);
  Record r;
  std::vector<Label> previous;
  auto decode_block = [&](std::span<const uint8_t> bytes, uint64_t block_offset) -> Status {
    ByteCursor c(bytes, block_offset);
    // The inline varint (the hot loop of writing a large perf.data); uvarint() only to report
    // what is wrong with one it refuses.
    auto bad = [&c]() -> Status {
      auto v = c.uvarint();
      return v.ok() ? c.error_here("sample spool: bad varint") : v.error();
    };
    uint64_t v = 0;
    while (!c.empty()) {
      if (!c.try_uvarint(v)) return bad();
      if (v >= sample_count) {
        return c.error_here("sample spool: record names stack sample " + std::to_string(v) +
                            " of " + std::to_string(sample_count));
      }
      r.sample = static_cast<uint32_t>(v);
      if (!c.try_uvarint(v)) return bad();
      if (v > c.remaining()) return c.error_here("sample spool: bad value count");
      r.values.resize(v);
      for (int64_t& value : r.values) {
        if (!c.try_uvarint(v)) return bad();
        value = UnZigZag(v);
      }
      if (!c.try_uvarint(v)) return bad();
      if (v > c.remaining()) return c.error_here("sample spool: bad label count");
      const size_t nlabels = v;
      r.labels.resize(nlabels);
      for (size_t i = 0; i < nlabels; ++i) {
        if (!c.try_uvarint(v)) return bad();
        Label l;
        l.key = static_cast<StrId>(v >> 1);
        l.numeric = (v & 1) != 0;
        if (!c.try_uvarint(v)) return bad();
        if (l.numeric) {
          const bool delta = i < previous.size() && previous[i].key == l.key && previous[i].numeric;
          const uint64_t base = delta ? static_cast<uint64_t>(previous[i].num) : 0;
          l.num = static_cast<int64_t>(base + static_cast<uint64_t>(UnZigZag(v)));
          if (!c.try_uvarint(v)) return bad();
          l.num_unit = static_cast<StrId>(v);
        } else {
          l.str = static_cast<StrId>(v);
        }
        r.labels[i] = l;
      }
      previous.assign(r.labels.begin(), r.labels.end());
      GCSPIKE_RETURN_IF_ERROR(visit(r));
    }
    return {};
  };
  if (fd_ < 0) {
    for (const std::vector<uint8_t>& b : memory_blocks_)
      GCSPIKE_RETURN_IF_ERROR(decode_block(b, 0));
    return {};
  }
  std::vector<uint8_t> block;
  for (uint64_t at = 0; at < file_size_;) {
    uint8_t length[8];
    GCSPIKE_RETURN_IF_ERROR(ReadAllAt(fd_, length, 8, at));
    uint64_t n = 0;
    std::memcpy(&n, length, 8);
    if (n > file_size_ - at - 8) return MakeError("sample spool: block length past its end");
    block.resize(n);
    GCSPIKE_RETURN_IF_ERROR(ReadAllAt(fd_, block.data(), n, at + 8));
    GCSPIKE_RETURN_IF_ERROR(decode_block(block, at + 8));
    at += 8 + n;
  }
  return {};
}

}  // namespace gcspike
