// Writes the core model as a profile.proto message, gzipped by default. Deterministic: the same
// model always gives the same bytes (strings in model order, unused ones dropped; fixed gzip
// header).
#pragma once

#include <cstdint>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

struct PprofWriteOptions {
  bool gzip = true;
  int gzip_level = 6;
  Diagnostics* diagnostics = nullptr;  // progress for large profiles; may be null
};

// Fails (rather than writing a profile viewers reject) when a sample value is negative or the
// model breaks its invariants.
Result<std::vector<uint8_t>> EncodePprof(const Profile& profile, const PprofWriteOptions& options);

}  // namespace gcspike
