// A Go execution trace walker for the mutator, both format generations
// (docs/formats/go-trace.md#header):
//  - the old format as its events (#old-format-event-encoding): a type byte, uvarint arguments
//    (inline or in a length-prefixed area), the string of String and UserLog events; encoding
//    recomputes every length, so mutated arguments stay framed;
//  - the generation format as its batches (#generation-format-layout): the lead byte(s),
//    generation, thread, time and data; end-of-generation markers are batches without data.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/go_trace_abi.h"

namespace gcspike::fuzz {

struct OldEvent {
  uint8_t lead = 0;  // type | value count - 1 (or 3: length-prefixed) << 6
  std::vector<uint64_t> args;
  std::vector<uint8_t> text;  // String's bytes, UserLog's trailing string
  uint8_t type() const { return lead & go_trace::v1::kTypeMask; }
  uint8_t value_count() const { return lead >> go_trace::v1::kValueCountShift; }
};

struct Batch {
  uint8_t lead = go_trace::v2::kEvEventBatch;
  uint8_t experiment = 0;  // an experimental batch's kind byte
  uint64_t generation = 0, thread = 0, time = 0;
  std::vector<uint8_t> data;
  bool marker() const { return lead == go_trace::v2::kEvEndOfGeneration; }
};

struct GoTrace {
  std::vector<uint8_t> header;   // the 16 header bytes
  bool generations = false;      // the format of Go 1.22+
  std::vector<OldEvent> events;  // old format
  std::vector<Batch> batches;    // generation format
};

// False when the header is not a Go trace's (then byte-level mutation takes over). A tail that
// is not a whole batch or event is left out.
bool WalkGoTrace(std::span<const uint8_t> data, GoTrace* out);
std::vector<uint8_t> EncodeGoTrace(const GoTrace& trace);

}  // namespace gcspike::fuzz
