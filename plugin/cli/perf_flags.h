// Flags for perf.data input: where the binaries named by its MMAP records are found.
#pragma once

#include "formats/profile_reader.h"
#include "plugin/cli/args.h"

namespace gcspike::cli {

// Copies --binary (repeatable, comma-separated) and --symfs into `options`.
void ApplyPerfFlags(const Args& args, ReadOptions& options);

}  // namespace gcspike::cli
