#include "tests/fuzz/protobuf_wire.h"

#include <algorithm>

#include "core/byte_cursor.h"
#include "tests/fuzz/mutation.h"

namespace gcspike::fuzz {

bool ParseWire(std::span<const uint8_t> data, WireMessage* out) {
  out->clear();
  ByteCursor c(data);
  while (!c.empty()) {
    uint64_t key = 0;
    if (!c.try_uvarint(key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) return false;
    WireField f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<WireType>(key & 7);
    bool ok = false;
    switch (f.wire) {
      case kVarint:
        ok = c.try_uvarint(f.value);
        break;
      case kFixed64: {
        auto v = c.u64le();
        if ((ok = v.ok())) f.value = *v;
        break;
      }
      case kFixed32: {
        auto v = c.u32le();
        if ((ok = v.ok())) f.value = *v;
        break;
      }
      default:
        return false;
      case kBytes: {
        uint64_t n = 0;
        ByteCursor body;
        ok = c.try_uvarint(n) && c.try_sub(n, body);
        if (ok) f.bytes.assign(body.rest().begin(), body.rest().end());
        break;
      }
    }
    if (!ok) return false;
    out->push_back(std::move(f));
  }
  return true;
}

void EncodeWire(const WireMessage& message, std::vector<uint8_t>& out) {
  for (const WireField& f : message) {
    PutUvarint(out, (uint64_t{f.number} << 3) | f.wire);
    switch (f.wire) {
      case kVarint:
        PutUvarint(out, f.value);
        break;
      case kFixed64:
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(f.value >> (8 * i)));
        break;
      case kFixed32:
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(f.value >> (8 * i)));
        break;
      case kBytes:
        PutUvarint(out, f.bytes.size());
        out.insert(out.end(), f.bytes.begin(), f.bytes.end());
        break;
    }
  }
}

std::vector<uint8_t> EncodeWire(const WireMessage& message) {
  std::vector<uint8_t> out;
  EncodeWire(message, out);
  return out;
}

std::vector<uint64_t> RepeatedVarints(const WireMessage& message, uint32_t number) {
  std::vector<uint64_t> values;
  for (const WireField& f : message) {
    if (f.number != number) continue;
    if (f.wire == kVarint) values.push_back(f.value);
    if (f.wire != kBytes) continue;
    ByteCursor c(f.bytes);
    uint64_t v = 0;
    while (c.try_uvarint(v)) values.push_back(v);
  }
  return values;
}

void SetRepeatedVarints(WireMessage& message, uint32_t number,
                        const std::vector<uint64_t>& values) {
  WireField packed;
  packed.number = number;
  packed.wire = kBytes;
  for (uint64_t v : values) PutUvarint(packed.bytes, v);
  size_t at = message.size();
  for (size_t i = message.size(); i-- > 0;) {
    if (message[i].number != number) continue;
    message.erase(message.begin() + static_cast<ptrdiff_t>(i));
    at = i;
  }
  message.insert(message.begin() + static_cast<ptrdiff_t>(std::min(at, message.size())),
                 std::move(packed));
}

std::vector<size_t> FieldsNumbered(const WireMessage& message, uint32_t number) {
  std::vector<size_t> at;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i].number == number) at.push_back(i);
  }
  return at;
}

}  // namespace gcspike::fuzz
