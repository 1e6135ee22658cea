// The old Go execution trace format's event framing (docs/formats/go-trace.md
// #old-format-event-encoding): a lead byte, then the event's values inline or in a
// length-prefixed area, a String's text, a UserLog's trailing message. Checks each type against
// the trace's version and its value count against the format's table (go_trace_abi.h); what the
// values mean is the reader's (go_trace_v1.cc).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike {

class TraceV1EventSink {
 public:
  virtual ~TraceV1EventSink() = default;
  // A String event: `id` and its text, the event at `offset`.
  virtual Status OnString(uint64_t id, std::string_view text, uint64_t offset) = 0;
  // Any other event: its values (the timestamp delta first for timed events).
  virtual Status OnEvent(uint8_t type, const std::vector<uint64_t>& values, uint64_t offset) = 0;
};

// Reads whole events of a "go 1.`minor` trace" from `c` while more than `reserve` bytes remain
// (0: to the end), handing each to `sink`; stops at the first error.
Status ReadTraceV1Events(ByteCursor& c, size_t reserve, int minor, TraceV1EventSink& sink);

}  // namespace gcspike
