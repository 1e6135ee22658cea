// ProfileDiff: a baseline profile against a new one (`gcspike diff`), feature by feature, on the
// two DetectionSummaries. Each feature's share changes by d = new - base percentage points, with
// the 95 % interval of that difference by Newcombe's hybrid score method (statistics.h), built
// from the two sides' Wilson intervals.
//
// Every feature gets one of four verdicts, with the tolerance t (--tolerance, the smallest change
// that matters, in points of share):
//   inconclusive  either side cannot show the feature at all (a memory profile, a missing
//                 binary, too few samples...: the side's cause other than "borderline"), or the
//                 difference interval contains 0 and is wider than 2t: no change was seen, but
//                 the profiles are too short to say that none happened (take longer profiles);
//   unchanged     the difference interval lies within [-t, +t] (any change is too small to
//                 matter), or it contains 0 and is at most 2t wide (no change was seen and one
//                 of more than 2t would have been);
//   regressed     otherwise, when the whole interval lies above 0 (the new side surely has more);
//   improved      otherwise, when the whole interval lies below 0.
// A share judged "borderline" on a side is still a measurement: the difference is judged.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/detect/detection_summary.h"
#include "plugin/detect/statistics.h"

namespace gcspike {

enum class ChangeVerdict : uint8_t { kUnchanged, kRegressed, kImproved, kInconclusive };
// "unchanged", "regressed", "improved", "inconclusive".
std::string_view ChangeVerdictName(ChangeVerdict v);

// Measured on the fixture workload (fixtures/src/workload, -mode grow -duration 3s, about 360
// samples per profile): the 95 % difference interval of two runs of the same program is about
// 14 points wide for grow-spike and scanobject-hotspot, and the runs differ by up to 4 points.
// A tolerance of 10 points makes such pairs unchanged with room for shorter or busier runs, while
// grow against presized (a 40-point drop) is improved by far.
inline constexpr double kDefaultDiffTolerance = 0.10;

struct ShareChange {
  double base = 0, now = 0;        // the shares on each side
  Interval base_interval, now_interval;  // their 95 % Wilson intervals
  double difference = 0;           // now - base
  Interval difference_interval;    // 95 % Newcombe interval of the difference
};

struct FeatureDiff {
  ShareChange change;
  ChangeVerdict verdict = ChangeVerdict::kUnchanged;
  // When inconclusive: the blind side's cause ("too-few-samples", ...) or "too-wide", and a
  // sentence for people.
  std::string cause;
  std::string reason;
};

struct SiteDiff {
  std::string function;
  std::vector<std::string> via;
  ShareChange change;
  ChangeVerdict verdict = ChangeVerdict::kUnchanged;  // the same rule as the features'
};

struct ProfileDiff {
  std::vector<std::string> base_inputs, now_inputs;  // as given ("-" is <stdin>)
  DetectionSummary base;
  DetectionSummary now;
  double tolerance = kDefaultDiffTolerance;
  std::array<FeatureDiff, kFeatureCount> features;
  // Every site of either side (the top sites each summary lists), largest change first.
  std::vector<SiteDiff> sites;
  // regressed if any feature regressed, else inconclusive if any is, else improved if any
  // improved, else unchanged.
  ChangeVerdict overall = ChangeVerdict::kUnchanged;
  // Sentences worth knowing, e.g. that the two sides run different map implementations.
  std::vector<std::string> notes;
};

// The difference of one share measured on two profiles.
ShareChange CompareShares(double base, const Interval& base_interval, double now,
                          const Interval& now_interval);

// The verdict rule above on one difference interval (sides assumed able to show the feature).
ChangeVerdict JudgeChange(const Interval& difference_interval, double tolerance);

ProfileDiff DiffSummaries(DetectionSummary base, DetectionSummary now, double tolerance);

}  // namespace gcspike
