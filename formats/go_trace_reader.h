// Go execution traces (runtime/trace, `go test -trace`): sniffing the 16-byte header and
// dispatching to the reader for the trace's format generation. The old format (headers
// "go 1.11 trace" .. "go 1.21 trace", Go 1.11–1.21) is read by go_trace_v1, the new one
// ("go 1.22 trace" .. "go 1.26 trace", Go 1.22 and later) by go_trace_v2. Both produce a CPU
// profile of the trace's embedded CPU samples plus the runtime Timeline
// (docs/formats/go-trace.md: #header, #old-format-layout, #generation-format-layout, #cpu-samples).
#pragma once

#include <cstdint>
#include <span>

#include "core/profile.h"
#include "core/result.h"
#include "formats/go_trace_abi.h"
#include "formats/go_trace_profile_builder.h"
#include "formats/input_source.h"
#include "formats/profile_reader.h"

namespace gcspike {

// The minor version N of a "go 1.N trace" header padded with NUL bytes to 16 bytes, or an
// error for anything else (offset 0).
Result<int> ReadGoTraceHeader(std::span<const uint8_t> header);

// Reads a whole trace. `stats` (optional) receives the counts `gcspike trace-stats` prints.
Result<Profile> ReadGoTrace(InputSource& in, const ReadOptions& options,
                            GoTraceStats* stats = nullptr);

}  // namespace gcspike
