// Go execution trace options on the command line, and `gcspike trace-stats` (a diagnostic
// command, documented in help.cc; a test aid that prints what the trace reader counted, in the
// same form as `gocheck trace-stats`).
#pragma once

#include "formats/profile_reader.h"
#include "plugin/cli/args.h"
#include "plugin/detect/time_rules.h"

namespace gcspike::cli {

// Copies the trace flags (--assist-profile) into read options.
void ApplyTraceReadOptions(ReadOptions& options);

// --pre-pause-ms, --pre-pause-ratio, --cluster-eps-ms, --cluster-min-samples (a bad value is a
// usage error).
Result<TimeRuleOptions> TimeRuleOptionsFromFlags();

int RunTraceStats(const Args& args);

}  // namespace gcspike::cli
