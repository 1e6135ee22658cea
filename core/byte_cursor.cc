#include "core/byte_cursor.h"

namespace gcspike {

Error ByteCursor::ShortRead(uint64_t n) const {
  return error_here("unexpected end of data: need " + std::to_string(n) + " bytes, " +
                    std::to_string(remaining()) + " left");
}

Status ByteCursor::Need(uint64_t n) const {
  if (n > remaining()) return ShortRead(n);
  return {};
}

Result<uint8_t> ByteCursor::u8() {
  GCSPIKE_RETURN_IF_ERROR(Need(1));
  return data_[pos_++];
}

namespace {
template <typename T, bool kLittle>
T Load(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    size_t shift = kLittle ? i : sizeof(T) - 1 - i;
    v |= static_cast<T>(static_cast<T>(p[i]) << (8 * shift));
  }
  return v;
}
}  // namespace

#define GCSPIKE_FIXED_READER(name, T, little)   \
  Result<T> ByteCursor::name() {                \
    GCSPIKE_RETURN_IF_ERROR(Need(sizeof(T)));   \
    T v = Load<T, little>(data_.data() + pos_); \
    pos_ += sizeof(T);                          \
    return v;                                   \
  }
GCSPIKE_FIXED_READER(u16be, uint16_t, false)
GCSPIKE_FIXED_READER(u32be, uint32_t, false)
GCSPIKE_FIXED_READER(u64be, uint64_t, false)
#undef GCSPIKE_FIXED_READER

Result<uint64_t> ByteCursor::uvarint() {
  const uint64_t start = offset();
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) return MakeErrorAt(start, "truncated varint");
    uint8_t b = data_[pos_++];
    if (i == 9 && b > 1) return MakeErrorAt(start, "varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return v;
  }
  return MakeErrorAt(start, "varint longer than 10 bytes");
}

Result<std::span<const uint8_t>> ByteCursor::bytes(uint64_t n) {
  GCSPIKE_RETURN_IF_ERROR(Need(n));
  auto s = data_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

Result<std::string_view> ByteCursor::str(uint64_t n) {
  GCSPIKE_ASSIGN_OR_RETURN(auto b, bytes(n));
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

Result<ByteCursor> ByteCursor::sub(uint64_t n) {
  const uint64_t start = offset();
  GCSPIKE_ASSIGN_OR_RETURN(auto b, bytes(n));
  return ByteCursor(b, start);
}

Status ByteCursor::seek(uint64_t pos) {
  if (pos > data_.size()) {
    return MakeErrorAt(base_ + data_.size(),
                       "offset " + std::to_string(pos) + " is past the end of the data");
  }
  pos_ = static_cast<size_t>(pos);
  return {};
}

bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace gcspike
