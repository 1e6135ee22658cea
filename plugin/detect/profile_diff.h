// ProfileDiff: a baseline profile against a new one (`gcspike diff`), feature by feature, on the
// two DetectionSummaries. Each feature's share changes by d = new - base percentage points, with
// the 95 % interval of that difference by Newcombe's hybrid score method (statistics.h), built
// from the two sides' Wilson intervals.
//
// Every feature gets one of four verdicts, with the tolerance t (--tolerance: the smallest change
// of a share that matters, in points):
//   inconclusive  either side cannot show the feature at all (a memory profile, a missing
//                 binary, too few samples...: the side's cause other than "borderline"); or a
//                 side's share is a lower bound that cannot support the change (a recording
//                 that cuts stacks: FeatureDiff::bound_reason); or no
//                 material change is shown and the interval is wider than 2t: the profiles are
//                 too short to tell (take longer profiles);
//   regressed     the whole interval lies above 0 (the new side surely has more) and the
//                 difference d is more than t (the best estimate of the change matters);
//   improved      the whole interval lies below 0 and d is less than -t;
//   unchanged     otherwise: no change, or one estimated smaller than the tolerance, with an
//                 interval at most 2t wide (or wholly within [-t, +t]).
// Significance alone is not enough: a long profile makes a 1-point shift significant, and two
// runs of one program on a machine under different load differ by several points (measured
// below), which is not a regression of the program. Gates (fail_on.h) are the precise tool: they
// judge the interval against the limit they name.
// A share judged "borderline" on a side is still a measurement: the difference is judged.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/detect/detection_summary.h"
#include "plugin/detect/shared_code.h"
#include "plugin/detect/statistics.h"

namespace gcspike {

enum class ChangeVerdict : uint8_t { kUnchanged, kRegressed, kImproved, kInconclusive };
// "unchanged", "regressed", "improved", "inconclusive".
std::string_view ChangeVerdictName(ChangeVerdict v);

// Measured on the fixture workload (fixtures/src/workload -mode grow -workers 3, GOMAXPROCS=2,
// 300-360 samples per profile, on a shared machine at load average 9-12): runs recorded back to
// back differ by up to 4.7 points in grow-spike and 3.6 in the other features (difference
// intervals 14-16 points wide), all unchanged at 10 points. The load itself moves the shares:
// against the committed go1.26 fixture (39.0 %, recorded on an idle machine) the same runs have
// grow-spike 45-50 %, +4.5 to +11 points, and that is a real change of the profile (the GC's
// idle workers get less CPU), which a 10-point tolerance only partly absorbs: compare profiles
// taken under the same conditions. Grow against presized is -39 to -42 points in grow-spike on
// every fixture Go version: improved by far. Profiles of under ~250 samples are too short for
// 10 points (their difference interval is wider than 20).
inline constexpr double kDefaultDiffTolerance = 0.10;

struct ShareChange {
  double base = 0, now = 0;              // the shares on each side
  Interval base_interval, now_interval;  // their 95 % Wilson intervals
  double difference = 0;                 // now - base
  Interval difference_interval;          // 95 % Newcombe interval of the difference
};

struct FeatureDiff {
  ShareChange change;
  ChangeVerdict verdict = ChangeVerdict::kUnchanged;
  // When inconclusive: the blind side's cause ("too-few-samples", ...) or "too-wide", and a
  // sentence for people.
  std::string cause;
  std::string reason;
  // A side's share is only a lower bound (FeatureSummary::lower_bound, stacks cut by the
  // recording): the true change is then at least the measured one (new side) or at most it
  // (base side), or unknown (both). Only a change the bound supports stands (regressed with a
  // cut new side, improved with a cut base side); otherwise the verdict is inconclusive, and
  // bound_reason says why.
  bool base_lower_bound = false, now_lower_bound = false;
  std::string bound_reason;
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
  // Every site of either side (as many as the summaries list), largest change first.
  std::vector<SiteDiff> sites;
  // regressed if any feature regressed, else inconclusive if any is, else improved if any
  // improved, else unchanged.
  ChangeVerdict overall = ChangeVerdict::kUnchanged;
  // Sentences worth knowing, e.g. that the two sides run different map implementations.
  std::vector<std::string> notes;
  // Each side's share of user-frame samples whose innermost user function the other side has
  // (shared_code.h); unset when the side has no user frame.
  std::optional<double> base_shared, now_shared;
};

// The difference of one share measured on two profiles.
ShareChange CompareShares(double base, const Interval& base_interval, double now,
                          const Interval& now_interval);

// The verdict rule above on one difference (sides assumed able to show the feature).
ChangeVerdict JudgeChange(double difference, const Interval& difference_interval, double tolerance);

ProfileDiff DiffSummaries(DetectionSummary base, DetectionSummary now, double tolerance);

// The sides' shared user code (shared_code.h). Below kMinSharedCode on either side the two
// profiles sample different code: every feature becomes inconclusive (cause
// "different-programs"), so gates are undecided (a wrong baseline must not pass in silence),
// and a note says so. Measured (Go CPU profiles, 120-480 samples a side): two runs of the
// fixture workload 0.99 and 1.00; a build with every line moved 0.99/0.99; the workload built
// by Go 1.19 against Go 1.26 1.00/1.00, and the fixtures of 1.19 against 1.26 and 1.27.3
// 0.98-1.00; grow against presized, one program in two modes, 1.00/0.80 (go1.26) and 1.00/0.88
// (go1.19); a 4-sample profile against a full one 1.00/0.82; the go1.26 fixture against perf
// record -g of the workload 1.00/0.89. Different programs (the workload
// against two fresh ones, and those two against each other): 0.00 every time. In between, one
// binary doing other work (the workload's grow mode against its control mode, which share only
// the key maker) 0.18/0.32: little of the code is common, and the comparison is undecided too.
inline constexpr double kMinSharedCode = 0.5;
inline constexpr std::string_view kDifferentPrograms = "different-programs";
void JudgeSharedCode(ProfileDiff& diff, const UserCode& base, const UserCode& now);

// When the comparison itself cannot tell a change (the sides are different programs, or hold
// the same samples): every feature and site inconclusive for `cause`, the overall verdict too,
// and `why` among the notes, so gates are undecided.
void MarkComparisonUndecided(ProfileDiff& diff, std::string_view cause, const std::string& why);
// Base and new hold the same samples (plugin/same_samples.h: a profile against itself or a
// copy, a CPU profile against the trace of the same run): no change shows whatever the program
// did, and a regression gate would pass on a comparison of nothing.
inline constexpr std::string_view kSameSamples = "same-samples";

}  // namespace gcspike
