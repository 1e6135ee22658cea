// ByteCursor: the only way gcspike reads untrusted bytes. A view over a byte span with a read
// position; every read checks bounds and overflow and fails with the absolute byte offset at
// which the bad read started. Sub-cursors keep absolute offsets, so an error deep inside a
// nested record still names its position in the input. Its members are named like a standard
// view's (lower_snake_case: u8(), skip(), try_sub(), error_here()).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gcspike {

class ByteCursor {
 public:
  ByteCursor() = default;
  explicit ByteCursor(std::span<const uint8_t> data, uint64_t base_offset = 0)
      : data_(data), base_(base_offset) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  // Absolute offset of the next byte in the original input.
  uint64_t offset() const { return base_ + pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  Result<uint8_t> u8();
  // Little-endian fixed-size reads are inline: perf.data records are made of them.
  Result<uint16_t> u16le() { return FixedLe<uint16_t>(); }
  Result<uint32_t> u32le() { return FixedLe<uint32_t>(); }
  Result<uint64_t> u64le() { return FixedLe<uint64_t>(); }
  Result<uint16_t> u16be();
  Result<uint32_t> u32be();
  Result<uint64_t> u64be();
  // Protocol-buffer style base-128 varint (at most 10 bytes; the 10th may only hold bit 63).
  Result<uint64_t> uvarint();
  Result<std::span<const uint8_t>> bytes(uint64_t n);
  Result<std::string_view> str(uint64_t n);
  // A cursor over the next n bytes; this cursor moves past them.
  Result<ByteCursor> sub(uint64_t n);
  // Like sub(), for hot loops: false (and nothing consumed) when fewer than n bytes remain.
  bool try_sub(uint64_t n, ByteCursor& out) {
    if (n > remaining()) return false;
    out = ByteCursor(data_.subspan(pos_, static_cast<size_t>(n)), offset());
    pos_ += static_cast<size_t>(n);
    return true;
  }
  Status skip(uint64_t n) {
    if (n > remaining()) [[unlikely]]
      return ShortRead(n);
    pos_ += static_cast<size_t>(n);
    return {};
  }
  Status seek(uint64_t pos);  // relative to the start of this view

  // Fast paths for hot decoding loops (trace events): decode when the bytes are there and
  // well-formed and return true; otherwise return false with the position unchanged, and the
  // caller calls u8()/uvarint() for the error with its offset.
  bool try_u8(uint8_t& out) {
    if (pos_ >= data_.size()) return false;
    out = data_[pos_++];
    return true;
  }
  bool try_uvarint(uint64_t& out) {
    if (pos_ < data_.size() && data_[pos_] < 0x80) {  // most varints are one byte
      out = data_[pos_++];
      return true;
    }
    uint64_t v = 0;
    for (size_t i = 0, p = pos_; i < 10 && p < data_.size(); ++i, ++p) {
      const uint8_t b = data_[p];
      if (i == 9 && b > 1) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        pos_ = p + 1;
        out = v;
        return true;
      }
    }
    return false;
  }

  // An error at the cursor's current offset (or at an explicit absolute offset).
  Error error_here(std::string message) const { return MakeErrorAt(offset(), std::move(message)); }

 private:
  Status Need(uint64_t n) const;
  // The error of a read of n bytes that are not there.
  Error ShortRead(uint64_t n) const;
  template <typename T>
  Result<T> FixedLe() {
    if (sizeof(T) > remaining()) [[unlikely]]
      return ShortRead(sizeof(T));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {  // one load on little-endian machines
      v |= static_cast<T>(static_cast<T>(data_[pos_ + i]) << (8 * i));
    }
    pos_ += sizeof(T);
    return v;
  }
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  uint64_t base_ = 0;
};

// The little-endian u64 at `at` of `bytes`, for hot loops that index a span they hold (a
// captured stack, a record's fixed fields) instead of walking it: false, and *out unchanged,
// when the 8 bytes are not all inside.
inline bool LoadU64le(std::span<const uint8_t> bytes, uint64_t at, uint64_t* out) {
  if (at > bytes.size() || bytes.size() - at < 8) return false;
  uint64_t v;
  std::memcpy(&v, bytes.data() + at, 8);  // one load
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  *out = v;
  return true;
}

// Overflow-checked arithmetic for sizes computed from input fields.
bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out);
bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out);

}  // namespace gcspike
