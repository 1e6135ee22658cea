// The frames a flame-graph viewer should show for a stack. profile.proto packs inlined calls
// into one Location (Location.lines, innermost first); viewers that keep one frame per Location
// (speedscope keeps only the last Line) lose the inlined callees, and they drop Locations that
// have no Lines at all. The text and JSON writers therefore expand every Location into one
// ViewerFrame per Line, outermost first, and name an unsymbolized Location by its address.
// The writers also share one walk over the samples (ForEachViewerSample): what a viewer weighs,
// what it skips and what it refuses is decided here once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

struct ViewerFrame {
  std::string name;
  std::string file;  // may be empty
  int64_t line = 0;  // the function's start line (0: unknown), speedscope's frame key
};

// The frames of each Location, outermost first, indexed by location id (entry 0 unused).
// Computed once per profile so writers pay for names per Location, not per sample.
std::vector<std::vector<ViewerFrame>> ExpandLocations(const Profile& profile);

// The one walk over samples the viewer writers (folded, speedscope) share: the weight a viewer
// draws is the sample's value of the default sample type. Samples of weight 0 draw nothing and
// are skipped; a negative weight (a delta profile) fails the walk with "sample N has negative
// value V for TYPE: this is a delta profile, and <refusal>; write pprof (.pb.gz), which keeps
// negative values".
struct ViewerSampleWalk {
  const char* progress;  // e.g. "writing folded stacks"
  const char* refusal;   // why this writer cannot take negative weights
  Diagnostics* diagnostics = nullptr;
};
Error NegativeWeightError(const Profile& profile, size_t sample, int64_t value,
                          const char* refusal);

// Calls visit(record, weight) -> Status for every individual sample of positive weight, in
// order: a spooled profile's records are read back from the spool one at a time (record.stack
// is the stack sample, record.Find looks its labels up), never materialized, so the walk holds
// no more than the distinct samples (docs/memory.md#outputs).
template <typename Visit>
Status ForEachViewerSample(const Profile& profile, const ViewerSampleWalk& walk, Visit&& visit) {
  const size_t value_index = profile.DefaultValueIndex();
  const uint64_t n = profile.SampleRecordCount();
  return ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    if (walk.diagnostics != nullptr && (r.index & 0xffff) == 0 && r.index != 0) {
      walk.diagnostics->Progress(walk.progress, r.index, n);
    }
    const int64_t v = r.values[value_index];
    if (v < 0) return NegativeWeightError(profile, r.index, v, walk.refusal);
    if (v == 0) return {};
    return visit(r, v);
  });
}

// Calls f(location id) for a sample's locations root first (location_ids are leaf first).
template <typename F>
void ForEachLocationRootFirst(const Sample& sample, F&& f) {
  for (auto it = sample.location_ids.rbegin(); it != sample.location_ids.rend(); ++it) f(*it);
}

}  // namespace gcspike
