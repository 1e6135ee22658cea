// Flags for merging many inputs (a fleet): --inputs-from, --jobs, --label-inputs.
#pragma once

#include "core/result.h"
#include "formats/profile_reader.h"
#include "plugin/cli/args.h"

namespace gcspike::cli {

// Appends the inputs listed in --inputs-from FILE (one a line; - for stdin) to args.positional.
Status ExpandInputsFrom(Args& args);

// Copies --jobs and --label-inputs into `options`.
void ApplyFleetFlags(ReadOptions& options);

}  // namespace gcspike::cli
