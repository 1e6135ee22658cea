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
  int gzip_level = 1;  // gzip.BestSpeed, as the Go runtime writes its profiles
  Diagnostics* diagnostics = nullptr;  // progress for large profiles; may be null
  // A diff profile (gcspike diff) carries the base's samples negated, as go tool pprof
  // -diff_base makes them; every other output refuses negative values (see below).
  bool allow_negative = false;
};

// Fails (rather than writing a profile viewers reject) when a sample value is negative (unless
// options.allow_negative) or the
// model breaks its invariants. A spooled profile (core/sample_spool.h) is written with one
// sample per spooled record.
Result<std::vector<uint8_t>> EncodePprof(const Profile& profile, const PprofWriteOptions& options);

// The same bytes, handed to `sink` as they are produced (256 KiB at a time), so neither the
// encoded nor the compressed profile is ever held whole. On an error the sink has received part
// of a profile: write to an OutputFile and do not commit it.
Status WritePprof(const Profile& profile, const PprofWriteOptions& options, const ByteSink& sink);

}  // namespace gcspike
