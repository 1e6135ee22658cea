// A protocol-buffer wire-format walker for the mutators: a message as its list of fields (in
// file order, unknown and repeated fields kept), decoded one level at a time, and encoded back.
// Submessages stay bytes until a mutator parses them in turn. See docs/formats/pprof.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gcspike::fuzz {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct WireField {
  uint32_t number = 0;
  WireType wire = kVarint;
  uint64_t value = 0;          // kVarint, kFixed64, kFixed32
  std::vector<uint8_t> bytes;  // kBytes: a string, a submessage or a packed array
};
using WireMessage = std::vector<WireField>;

// False when `data` is not a well-formed message (then `out` is unspecified).
bool ParseWire(std::span<const uint8_t> data, WireMessage* out);
void EncodeWire(const WireMessage& message, std::vector<uint8_t>& out);
std::vector<uint8_t> EncodeWire(const WireMessage& message);

// The values of repeated integer field `number`, packed or not, in order.
std::vector<uint64_t> RepeatedVarints(const WireMessage& message, uint32_t number);
// Replaces every occurrence of field `number` by one packed field with `values`.
void SetRepeatedVarints(WireMessage& message, uint32_t number, const std::vector<uint64_t>& values);
// Indexes of the fields numbered `number`.
std::vector<size_t> FieldsNumbered(const WireMessage& message, uint32_t number);

}  // namespace gcspike::fuzz
