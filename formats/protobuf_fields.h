// The fields of a protocol buffers message, as the pprof reader walks them: tag = field << 3 |
// wire type; varint, 64-bit, length delimited, 32-bit (docs/formats/pprof.md#profile-fields).
// Every error names the byte offset of the field's tag or length.
#pragma once

#include <cstdint>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike::protobuf_fields {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t tag_offset = 0;
  uint64_t varint = 0;  // kVarint / fixed values
  ByteCursor payload;   // kLen
};

// The general path: reads one field or says exactly what is wrong with it.
Status ReadFieldSlow(ByteCursor& c, Field& f);

// The error of a field with another wire type than `wire`; `what` names the field.
Error WrongWire(const Field& f, uint32_t wire, const char* what);

// Nearly every field of a real profile is a short varint or a short length-delimited run; this
// decodes those without building a Result, and leaves everything else (and every error) to the
// general path, starting from the same position.
inline Status ReadField(ByteCursor& c, Field& f) {
  const ByteCursor start = c;
  uint64_t tag;
  f.tag_offset = c.offset();
  if (c.try_uvarint(tag) && (tag >> 3) != 0 && (tag >> 3) <= 0x1fffffff) {
    f.number = static_cast<uint32_t>(tag >> 3);
    f.wire = static_cast<uint32_t>(tag & 7);
    uint64_t len;
    if (f.wire == kVarint && c.try_uvarint(f.varint)) return {};
    if (f.wire == kLen && c.try_uvarint(len) && c.try_sub(len, f.payload)) return {};
  }
  c = start;
  return ReadFieldSlow(c, f);
}

inline Status ExpectWire(const Field& f, uint32_t wire, const char* what) {
  if (f.wire == wire) [[likely]]
    return {};
  return WrongWire(f, wire, what);
}

// A repeated integer field may be packed (one length-delimited run) or not (one varint per
// occurrence); proto3 readers must accept both.
template <typename T>
Status AppendInts(Field& f, std::vector<T>& out, const char* what) {
  if (f.wire == kVarint) {
    out.push_back(static_cast<T>(f.varint));
    return {};
  }
  if (f.wire != kLen) return ExpectWire(f, kVarint, what);
  // Every varint ends in exactly one byte below 0x80: count them to allocate once.
  size_t count = 0;
  for (uint8_t b : f.payload.rest()) count += b < 0x80;
  out.reserve(out.size() + count);
  while (!f.payload.empty()) {
    uint64_t v;
    if (!f.payload.try_uvarint(v)) {
      GCSPIKE_ASSIGN_OR_RETURN(v, f.payload.uvarint());  // reports the bad varint
    }
    out.push_back(static_cast<T>(v));
  }
  return {};
}

}  // namespace gcspike::protobuf_fields
