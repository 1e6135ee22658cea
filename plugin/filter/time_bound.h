// Bounds of the --from / --to time window, for samples that carry a timestamp_ns label (the
// perf_to_profile convention, which gcspike's perf.data and trace readers follow).
//
//   123456789      an absolute timestamp in nanoseconds, on the profile's own clock
//   +1.5s          a duration after the first sample (the smallest timestamp_ns), written as
//   +250ms         one or more decimal numbers each followed by a unit: ns, us (or µs), ms, s,
//   +1m30s         m, h (Go's time.ParseDuration units). "+0" is the first sample.
//
// --from is inclusive, --to exclusive: [from, to).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gcspike {

struct TimeBound {
  std::string text;       // as written
  bool relative = false;  // ns is an offset from the first sample
  int64_t ns = 0;
};

Result<TimeBound> ParseTimeBound(std::string_view text);

// Parses a Go-style duration without sign ("1.5s", "1m30s", "250ms"; a bare "0" is zero).
Result<int64_t> ParseDurationNs(std::string_view text);

}  // namespace gcspike
