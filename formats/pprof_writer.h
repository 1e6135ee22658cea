// Writes the core model as a profile.proto message, gzipped by default. Deterministic: the same
// model always gives the same bytes (strings in model order, unused ones dropped; fixed gzip
// header).
#pragma once

#include <cstdint>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/byte_sink.h"

namespace gcspike {

struct PprofWriteOptions {
  bool gzip = true;
  int gzip_level = 1;                  // gzip.BestSpeed, as the Go runtime writes its profiles
  Diagnostics* diagnostics = nullptr;  // progress for large profiles; may be null
};

// Fails when the model breaks its invariants. Negative values (delta profiles) are written as
// they are. A spooled profile (core/sample_spool.h) is written with one
// sample per spooled record.
Result<std::vector<uint8_t>> EncodePprof(const Profile& profile, const PprofWriteOptions& options);

// The same bytes, handed to `sink` as they are produced (256 KiB at a time), so neither the
// encoded nor the compressed profile is ever held whole. On an error the sink has received part
// of a profile: write to an OutputFile and do not commit it.
Status WritePprof(const Profile& profile, const PprofWriteOptions& options, const ByteSink& sink);

}  // namespace gcspike
