// The frames a flame-graph viewer should show for a stack. profile.proto packs inlined calls
// into one Location (Location.lines, innermost first); viewers that keep one frame per Location
// (speedscope keeps only the last Line) lose the inlined callees, and they drop Locations that
// have no Lines at all. The text and JSON writers therefore expand every Location into one
// ViewerFrame per Line, outermost first, and name an unsymbolized Location by its address.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/profile.h"

namespace gcspike {

struct ViewerFrame {
  std::string name;
  std::string file;     // may be empty
  int64_t line = 0;     // the function's start line (0: unknown), speedscope's frame key
};

// The frames of each Location, outermost first, indexed by location id (entry 0 unused).
// Computed once per profile so writers pay for names per Location, not per sample.
std::vector<std::vector<ViewerFrame>> ExpandLocations(const Profile& profile);

// The default sample type's value of a sample: what the viewers weigh.
inline int64_t ViewerWeight(const Profile& profile, const Sample& sample) {
  return sample.values.empty() ? 0 : sample.values[profile.DefaultValueIndex()];
}

}  // namespace gcspike
