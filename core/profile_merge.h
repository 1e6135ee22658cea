// Merging several profiles of the same kind into one (a fleet's profiles, or several runs).
#pragma once

#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

// All inputs must have the same sample types (names and units, in order). Functions, mappings
// and locations that are equal are stored once; samples are kept as they are (not summed), so
// their labels survive. `names` are the inputs' names, for messages.
Result<Profile> MergeProfiles(std::vector<Profile> inputs, const std::vector<std::string>& names,
                              Diagnostics* diagnostics);

}  // namespace gcspike
