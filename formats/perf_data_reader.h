// Reads perf.data (`perf record`, file and pipe mode) into the core model: one sample per
// PERF_RECORD_SAMPLE with its callchain (leaf first), labels pid/tid/comm/timestamp_ns, and
// frames symbolized from the binaries named by MMAP/MMAP2 records (symbolizer/elf_symbolizer.h).
// Format notes: docs/formats/perf-data.md (its sections are cited below by name).
//
// Sample types: two per event, "<event>_samples"/"count" (1 per sample) and
// "<event>_period"/<unit>, the sample's PERIOD (or the attr's fixed sample_period); the unit is
// "nanoseconds" for the cpu-clock and task-clock software events and "events" otherwise. A
// sample fills only its own event's two values. With several events the default sample type
// (and the period type) is the period of the first that samples CPU time (cpu-clock, task-clock,
// cycles, ref-cycles), else of the first event: what viewers show.
#pragma once

#include <cstdint>
#include <span>

#include "core/profile.h"
#include "core/result.h"
#include "formats/input_source.h"
#include "formats/profile_reader.h"

namespace gcspike {

// Streams `in` (header, then records; never the whole file in memory).
Result<Profile> ReadPerfData(InputSource& in, const ReadOptions& options);

}  // namespace gcspike
