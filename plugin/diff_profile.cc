#include "plugin/diff_profile.h"

#include <cmath>
#include <utility>
#include <vector>

#include "core/profile_merge.h"

namespace gcspike {
namespace {

// profile.ScaleN: values at a ratio other than 1 are multiplied and rounded; a sample is kept
// when one of those is non-zero. All ratios 1: nothing changes.
void ScaleValues(Profile& p, const std::vector<double>& ratios) {
  bool all_ones = true;
  for (double r : ratios) all_ones = all_ones && r == 1;
  if (all_ones) return;
  std::vector<Sample> kept;
  kept.reserve(p.samples.size());
  for (Sample& s : p.samples) {
    bool keep = false;
    for (size_t i = 0; i < s.values.size() && i < ratios.size(); ++i) {
      if (ratios[i] == 1) continue;
      s.values[i] = static_cast<int64_t>(std::round(static_cast<double>(s.values[i]) * ratios[i]));
      keep = keep || s.values[i] != 0;
    }
    if (keep) kept.push_back(std::move(s));
  }
  p.samples = std::move(kept);
}

std::vector<double> Totals(const Profile& p) {
  std::vector<double> totals(p.sample_types.size(), 0);
  for (const Sample& s : p.samples) {
    for (size_t i = 0; i < s.values.size() && i < totals.size(); ++i) {
      totals[i] += static_cast<double>(s.values[i]);
    }
  }
  return totals;
}

}  // namespace

Result<Profile> BuildDiffProfile(Profile base, Profile now, bool normalize,
                                 Diagnostics* diagnostics) {
  if (base.spool != nullptr || now.spool != nullptr) {
    return MakeError("a diff profile needs its samples in memory (internal: read without spool)");
  }
  // A merge of unlike sample types would fail naming neither the cause nor a way out: pprof and
  // perf.data (or two perf events) count different things, and the report's shares, which are
  // of each side's own samples, compare them all the same.
  if (SampleTypesString(base) != SampleTypesString(now)) {
    return MakeError(
        "-o: a diff profile subtracts the base's values from the new side's, so both "
        "need the same sample types, but base has [" +
        SampleTypesString(base) + "] and new [" + SampleTypesString(now) +
        "] (a Go pprof profile and perf.data, or two perf events, count different "
        "things); drop -o to compare their shares, or record both sides the same "
        "way");
  }
  const Label base_label{base.Intern("pprof::base"), base.Intern("true"), 0, 0, false};
  for (Sample& s : base.samples) s.labels.push_back(base_label);
  if (normalize && base.sample_types.size() == now.sample_types.size()) {
    const std::vector<double> base_totals = Totals(base), now_totals = Totals(now);
    std::vector<double> ratios(base_totals.size(), 0);
    for (size_t i = 0; i < ratios.size(); ++i) {
      ratios[i] = now_totals[i] == 0 ? 0.0 : base_totals[i] / now_totals[i];
    }
    ScaleValues(now, ratios);
  }
  ScaleValues(base, std::vector<double>(base.sample_types.size(), -1));
  std::vector<Profile> sides;
  sides.push_back(std::move(now));
  sides.push_back(std::move(base));
  return MergeProfiles(std::move(sides), {"new", "base"}, diagnostics);
}

}  // namespace gcspike
