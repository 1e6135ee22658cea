// Reads profile.proto messages (the pprof format) into the core model.
#pragma once

#include <cstdint>
#include <span>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

// Reads an uncompressed profile.proto message. `base_offset` is added to offsets in errors.
// Every field survives; ids are renumbered densely (see core/profile.h). `diagnostics`, if not
// null, gets progress while samples are decoded.
Result<Profile> ReadPprofMessage(std::span<const uint8_t> message, uint64_t base_offset = 0,
                                 Diagnostics* diagnostics = nullptr);

struct PprofReadOptions {
  Diagnostics* diagnostics = nullptr;
  // One Sample per distinct (stack, labels), the samples themselves in a SampleSpool, once a
  // stack and labels repeat (core/distinct_samples.h); a profile without repeats has no spool.
  bool spool_samples = false;
  // The model may take at most this many bytes (strings, the fields kept between passes,
  // mappings, functions, locations, samples), else an error names the offset reached.
  uint64_t max_model_bytes = UINT64_MAX;
};
Result<Profile> ReadPprofMessage(std::span<const uint8_t> message, uint64_t base_offset,
                                 const PprofReadOptions& options);

// Heuristic used when sniffing an input that has no magic bytes: does this look like the start
// of a profile.proto message (every field in the prefix a top-level field 1..14 with its wire
// type; see CheckPprofPrefix in formats/input_sniff.h)?
bool LooksLikePprof(std::span<const uint8_t> prefix);

}  // namespace gcspike
