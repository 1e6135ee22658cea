// The new Go execution trace format (Go 1.22+; headers "go 1.22/1.23/1.25/1.26 trace"). Notes:
// docs/formats/go-trace.md#generation-format-layout. The trace is a sequence of generations, each
// with its own string and stack tables, CPU samples and clock frequency; it is read one generation
// at a time from the stream, its event batches and range events spilled to temporary files past
// fixed buffers (go_trace_v2_spill.h), so memory is the generation's tables plus the profile
// being built (docs/memory.md).
#pragma once

#include "core/result.h"
#include "formats/go_trace_profile_builder.h"
#include "formats/input_source.h"
#include "formats/profile_reader.h"

namespace gcspike {

// `in` is positioned just after the 16-byte header; `minor` is N of "go 1.N trace".
Status ReadGoTraceV2(InputSource& in, int minor, const ReadOptions& options,
                     GoTraceProfileBuilder& builder);

}  // namespace gcspike
