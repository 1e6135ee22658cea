// `gcspike diff`: a baseline against a new profile, with change gates for CI.
#pragma once

#include "plugin/cli/args.h"

namespace gcspike::cli {

// Registers --base as repeatable; main() calls it before parsing.
void RegisterDiffFlags();

// `gcspike diff [flags] BASE NEW` or `gcspike diff --base BASE [--base BASE]... NEW...`.
int RunDiff(const Args& args);

}  // namespace gcspike::cli
