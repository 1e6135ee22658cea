// After filters drop samples, the tables still hold every location, function and mapping of the
// input. PruneUnreferenced keeps only what the remaining samples (and the timeline's assist
// stacks) refer to and renumbers the survivors densely, in their original order, so the model's
// id == index + 1 invariant (core/profile.h) holds and outputs stay small.
#pragma once

#include "core/profile.h"

namespace gcspike {

struct PruneCounts {
  size_t locations_dropped = 0;
  size_t functions_dropped = 0;
  size_t mappings_dropped = 0;
};

PruneCounts PruneUnreferenced(Profile& profile);

}  // namespace gcspike
