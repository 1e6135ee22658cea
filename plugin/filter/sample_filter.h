// Selecting samples: by label (--keep/--drop and the --pid/--tid/--goroutine shorthands), by
// frame (--focus/--ignore) and by time (--from/--to). Filters run on the labelled model, after
// the detectors, so `--keep gcspike~grow-spike` sees the detectors' labels. A sample is kept
// when all of these hold:
//  - for every KEY named by --keep conditions, at least one of that KEY's conditions matches
//    (conditions on one key are alternatives; different keys must all match);
//  - no --drop condition matches;
//  - with --focus, some frame's function name (any Line of any Location, inlined ones too)
//    contains a match of the regexp; with --ignore, none does;
//  - with --from/--to, its timestamp_ns label lies in [from, to). Samples without one are
//    dropped (and counted in a warning).
// Afterwards the tables are pruned (plugin/filter/profile_pruner.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/profile_reader.h"
#include "plugin/filter/label_condition.h"
#include "plugin/filter/time_bound.h"

namespace gcspike {

struct SampleFilterSpec {
  std::vector<LabelCondition> keep;
  std::vector<LabelCondition> drop;
  std::string focus;   // regexp; empty: no focus
  std::string ignore;  // regexp; empty: nothing ignored
  std::optional<TimeBound> from;
  std::optional<TimeBound> to;
  // The memory budget (--max-memory) for expanding a spooled profile into one sample per record
  // (MaterializeSpool), which the filters need.
  uint64_t max_memory = DefaultMemoryBudget();

  bool empty() const {
    return keep.empty() && drop.empty() && focus.empty() && ignore.empty() && !from && !to;
  }
};

struct SampleFilterStats {
  size_t samples_in = 0;
  size_t samples_out = 0;
  size_t without_timestamp = 0;  // dropped by a time window for lack of timestamp_ns
  // With --from/--to: the smallest and largest timestamp_ns of the samples before filtering.
  int64_t first_ns = 0, last_ns = 0;
};

inline constexpr const char* kTimestampLabel = "timestamp_ns";

// Filters `profile` in place. Errors: a bad regexp, a time window on a profile whose samples
// carry no timestamp_ns label at all, or one whose --to is not after its --from.
Result<SampleFilterStats> FilterSamples(Profile& profile, const SampleFilterSpec& spec,
                                        Diagnostics* diagnostics);

}  // namespace gcspike
