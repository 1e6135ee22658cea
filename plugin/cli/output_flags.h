// The flags that choose what a command writes (--output-format, --pseudo-frames, ...) and which
// samples it keeps (--keep, --drop, --focus, --ignore, --from, --to, --pid, --tid,
// --goroutine), turned into the plugin's option structs.
#pragma once

#include <string>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "plugin/cli/args.h"
#include "plugin/filter/sample_filter.h"
#include "plugin/output_selector.h"

namespace gcspike::cli {

Result<SampleFilterSpec> FilterSpecFromFlags(const Args& args);

// Runs the sample filters the flags ask for on the labelled profile; returns how many samples
// (counted as the report counts them) the input had when the filters dropped any, else 0.
Result<uint64_t> ApplyFilterFlags(const Args& args, Profile& profile, Diagnostics* diagnostics);

// output_path: the -o value ("" for stdout).
Result<OutputOptions> OutputOptionsFromFlags(const Args& args, const std::string& output_path);

}  // namespace gcspike::cli
