#include "core/sample_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/byte_cursor.h"
#include "core/temp_file.h"

namespace gcspike {
namespace {

// Blocks end on record boundaries (a record's repeats and deltas refer to the record before it,
// which may end the block before); each is written as an 8-byte length and its bytes. 256 KiB keeps
// the write and read calls few and the buffers small.
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

// Record: varint sample, then 0 when the values are the previous record's (none before the
// first record), else the varint value count + 1 and the zigzag values; varint label count, then
// per label
// a varint header: 0 for a label equal to the previous record's label at the same position
// (same key and kind, and the same number and unit, or the same string), else
// (key << 1 | numeric) + 1 followed, for a numeric label, by the zigzag delta from the previous
// record's label at the same position when that one had the same key and was numeric (else
// from 0) and a varint unit, for a string label by a varint string id.
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
  if (std::equal(values.begin(), values.end(), previous_values_.begin(), previous_values_.end())) {
    put(0);
  } else {
    put(values.size() + 1);
    for (int64_t v : values) put(ZigZag(v));
    previous_values_.assign(values.begin(), values.end());
  }
  put(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    const bool same_as_previous = i < previous_.size() && previous_[i].key == l.key;
    const Label* p = same_as_previous ? &previous_[i] : nullptr;
    if (p != nullptr && p->numeric == l.numeric &&
        (l.numeric ? p->num == l.num && p->num_unit == l.num_unit : p->str == l.str)) {
      put(0);
      continue;
    }
    put(((static_cast<uint64_t>(l.key) << 1) | (l.numeric ? 1 : 0)) + 1);
    if (p == nullptr) use(l.key);
    if (l.numeric) {
      const bool delta = p != nullptr && p->numeric;
      const int64_t base = delta ? p->num : 0;
      put(ZigZag(static_cast<int64_t>(static_cast<uint64_t>(l.num) - static_cast<uint64_t>(base))));
      put(l.num_unit);
      if (p == nullptr || p->num_unit != l.num_unit) use(l.num_unit);
    } else {
      put(l.str);
      if (p == nullptr || p->str != l.str) use(l.str);
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
  Reader reader(*this, sample_count);
  Record r;
  while (reader.Next()) {
    r.sample = reader.sample();
    r.values = reader.values();
    r.labels = reader.labels();
    GCSPIKE_RETURN_IF_ERROR(visit(r));
  }
  return reader.status();
}

SampleSpool::Reader::Reader(const SampleSpool& spool, size_t sample_count)
    : spool_(spool), sample_count_(sample_count) {
  if (!spool.closed_) {
    status_ = MakeError("sample spool: read before Close");
  } else {
    status_ = spool.write_status_;
  }
}

bool SampleSpool::Reader::Fail(Status s) {
  status_ = std::move(s);
  return false;
}

// The inline varint is the hot loop; uvarint() only says what is wrong with one it refuses.
bool SampleSpool::Reader::BadVarint() {
  auto v = block_.uvarint();
  return Fail(v.ok() ? block_.error_here("sample spool: bad varint") : v.error());
}

// Blocks are the spool's memory blocks, or read from the file one at a time: an 8-byte length
// and that many bytes.
bool SampleSpool::Reader::NextBlock() {
  if (spool_.fd_ < 0) {
    if (next_memory_block_ == spool_.memory_blocks_.size()) return false;
    block_ = ByteCursor(spool_.memory_blocks_[next_memory_block_++], 0);
    return true;
  }
  const uint64_t at = next_file_block_;
  if (at >= spool_.file_size_) return false;
  uint8_t length[8];
  if (Status s = ReadAllAt(spool_.fd_, length, 8, at); !s.ok()) return Fail(std::move(s));
  uint64_t n = 0;
  std::memcpy(&n, length, 8);
  if (n > spool_.file_size_ - at - 8)
    return Fail(MakeError("sample spool: block length past its end"));
  block_bytes_.resize(n);
  if (Status s = ReadAllAt(spool_.fd_, block_bytes_.data(), n, at + 8); !s.ok()) {
    return Fail(std::move(s));
  }
  block_ = ByteCursor(block_bytes_, at + 8);
  next_file_block_ = at + 8 + n;
  return true;
}

bool SampleSpool::Reader::Next() {
  if (!status_.ok()) return false;
  while (block_.empty()) {
    if (!NextBlock()) return false;
  }
  return DecodeRecord();
}

bool SampleSpool::Reader::DecodeRecord() {
  ByteCursor& c = block_;
  uint64_t v = 0;
  if (!c.try_uvarint(v)) return BadVarint();
  if (v >= sample_count_) {
    return Fail(c.error_here("sample spool: record names stack sample " + std::to_string(v) +
                             " of " + std::to_string(sample_count_)));
  }
  sample_ = static_cast<uint32_t>(v);
  if (!c.try_uvarint(v)) return BadVarint();
  values_unchanged_ = v == 0;
  if (v != 0) {
    if (v - 1 > c.remaining()) return Fail(c.error_here("sample spool: bad value count"));
    value_count_ = v - 1;
    if (values_.size() < value_count_) values_.resize(value_count_);
    for (size_t i = 0; i < value_count_; ++i) {
      if (!c.try_uvarint(v)) return BadVarint();
      values_[i] = UnZigZag(v);
    }
  }
  if (!c.try_uvarint(v)) return BadVarint();
  if (v > c.remaining()) return Fail(c.error_here("sample spool: bad label count"));
  const size_t previous_count = label_count_;
  const size_t count = v;
  if (labels_.size() < count) {
    labels_.resize(count);
    unchanged_.resize(count);
  }
  for (size_t i = 0; i < count; ++i) {
    if (!c.try_uvarint(v)) return BadVarint();
    Label& l = labels_[i];
    unchanged_[i] = v == 0;
    if (v == 0) {
      if (i >= previous_count) {
        return Fail(c.error_here("sample spool: label " + std::to_string(i) +
                                 " repeats a label the previous record does not have"));
      }
      continue;
    }
    --v;
    const auto key = static_cast<StrId>(v >> 1);
    const bool numeric = (v & 1) != 0;
    if (!c.try_uvarint(v)) return BadVarint();
    if (numeric) {
      const bool delta = i < previous_count && l.key == key && l.numeric;
      const uint64_t base = delta ? static_cast<uint64_t>(l.num) : 0;
      l = Label{key, 0, static_cast<int64_t>(base + static_cast<uint64_t>(UnZigZag(v))), 0, true};
      if (!c.try_uvarint(v)) return BadVarint();
      l.num_unit = static_cast<StrId>(v);
    } else {
      l = Label{key, static_cast<StrId>(v), 0, 0, false};
    }
  }
  label_count_ = count;
  return true;
}

}  // namespace gcspike
