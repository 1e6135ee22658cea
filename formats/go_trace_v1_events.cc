#include "formats/go_trace_v1_events.h"

#include <string>

#include "formats/go_trace_abi.h"

namespace gcspike {

using namespace go_trace::v1;  // NOLINT(build/namespaces): the format's names

namespace {

// [id, len, bytes]; id 0 is the implicit empty string.
Status ReadString(ByteCursor& c, uint64_t off, TraceV1EventSink& sink) {
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t id, c.uvarint());
  const uint64_t len_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
  if (len == 0 || len > kMaxStringLength) {
    return MakeErrorAt(len_offset, "invalid string length " + std::to_string(len));
  }
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, c.str(len));
  return sink.OnString(id, s, off);
}

// The length-prefixed argument area of uvarints (stacks, CPU samples, user events).
Status ReadArgumentArea(ByteCursor& c, uint8_t type, std::vector<uint64_t>& values) {
  const uint64_t len_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(const uint64_t len, c.uvarint());
  if (len > kMaxArgBytes) {
    return MakeErrorAt(len_offset, "argument area of " + std::to_string(len) +
                                       " bytes exceeds the maximum of 2048");
  }
  GCSPIKE_ASSIGN_OR_RETURN(ByteCursor args, c.sub(len));
  while (!args.empty()) {
    uint64_t v = 0;
    if (!args.try_uvarint(v)) {
      GCSPIKE_ASSIGN_OR_RETURN(v, args.uvarint());
    }
    values.push_back(v);
  }
  if (type == kEvUserLog) {
    // The log message follows the argument area and is not counted in its length.
    const uint64_t slen_offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(const uint64_t slen, c.uvarint());
    if (slen > kMaxStringLength) {
      return MakeErrorAt(slen_offset,
                         "log message of " + std::to_string(slen) + " bytes is too long");
    }
    GCSPIKE_RETURN_IF_ERROR(c.skip(slen));
  }
  return {};
}

}  // namespace

Status ReadTraceV1Events(ByteCursor& c, size_t reserve, int minor, TraceV1EventSink& sink) {
  std::vector<uint64_t> values;
  while (!c.empty() && c.remaining() > reserve) {
    const uint64_t off = c.offset();
    uint8_t b = 0;
    if (!c.try_u8(b)) GCSPIKE_RETURN_IF_ERROR(c.u8());
    const uint8_t type = b & kTypeMask;
    const uint8_t inline_values = static_cast<uint8_t>((b >> kValueCountShift) + 1);
    if (type == 0 || type >= kEvCount || kEventSpecs[type].since > minor) {
      return MakeErrorAt(off, "unknown event type " + std::to_string(type) + " for go 1." +
                                  std::to_string(minor) + " traces");
    }
    if (type == kEvString) {
      GCSPIKE_RETURN_IF_ERROR(ReadString(c, off, sink));
      continue;
    }
    values.clear();
    if (inline_values <= kMaxInlineValues) {
      for (uint8_t i = 0; i < inline_values; ++i) {
        uint64_t v = 0;
        if (!c.try_uvarint(v)) {
          GCSPIKE_ASSIGN_OR_RETURN(v, c.uvarint());
        }
        values.push_back(v);
      }
    } else {
      GCSPIKE_RETURN_IF_ERROR(ReadArgumentArea(c, type, values));
    }
    if (type != kEvStack && values.size() != kEventSpecs[type].values) {
      return MakeErrorAt(off, "event type " + std::to_string(type) + " has " +
                                  std::to_string(values.size()) + " values, want " +
                                  std::to_string(kEventSpecs[type].values));
    }
    GCSPIKE_RETURN_IF_ERROR(sink.OnEvent(type, values, off));
  }
  return {};
}

}  // namespace gcspike
