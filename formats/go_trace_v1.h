// The old Go execution trace format (Go 1.11–1.21; headers "go 1.11/1.19/1.21 trace"). Notes:
// docs/formats/go-trace.md#old-format-layout. Per-P batches of delta-timestamped events; the string
// table is interleaved and the frequency and the whole stack table come in a footer, so nothing can
// be resolved before the end. The reader makes one streaming pass, keeping only what it needs (the
// string and stack tables, GC/STW/assist/heap events, CPU samples), and resolves at the end;
// x/exp's reader instead loads the whole file and every event.
#pragma once

#include "core/result.h"
#include "formats/go_trace_profile_builder.h"
#include "formats/input_source.h"
#include "formats/profile_reader.h"

namespace gcspike {

// `in` is positioned just after the 16-byte header; `minor` is N of "go 1.N trace".
Status ReadGoTraceV1(InputSource& in, int minor, const ReadOptions& options,
                     GoTraceProfileBuilder& builder);

}  // namespace gcspike
