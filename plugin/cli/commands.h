// The gcspike commands. Each returns the process exit status: 0 ok, 1 a --fail-on threshold was
// crossed, 2 bad usage or bad input, 3 a --fail-on gate could not be decided (the feature is
// inconclusive: see plugin/detect/fail_on.h).
#pragma once

#include "core/diagnostics.h"
#include "core/result.h"
#include "formats/profile_reader.h"
#include "plugin/cli/args.h"

namespace gcspike::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitThreshold = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitUndecided = 3;

int RunAnnotate(const Args& args);
// gcspike merge: annotate --no-detect (read, merge, filter, write; no gcspike labels).
int RunMerge(const Args& args);
int RunPprof(const Args& args);

// How every command reads its inputs, from its flags: traces (--assist-profile), perf.data,
// URLs, fleet jobs, --max-memory and the input limits, sample spooling (--in-memory).
Result<ReadOptions> ReadOptionsFromFlags(const Args& args, Diagnostics* diagnostics);

// Prints an error line ("gcspike: FILE: byte N: message") and returns kExitBadInput.
int Fail(const Error& e);

}  // namespace gcspike::cli
