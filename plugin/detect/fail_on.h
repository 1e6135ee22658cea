// --fail-on expressions: "FEATURE OP NUMBER[%]", e.g. "grow-spike>10%" or
// "assist-coupling>=0.05". FEATURE is a gcspike feature name (its fraction of samples) or
// FEATURE.value (its fraction of the default sample type); OP is one of > >= < <=; a number
// with % is a percentage. A comparison no measurement can change is refused: grow-spike>1 (1 is
// 100 %, so the gate would pass on any profile; 1 % is meant) or grow-spike>=0.
//
// A gate is judged on the 95 % interval of the share, not on the point estimate: it is crossed
// when the whole interval satisfies the comparison (the command exits 1), passes when none of
// it does, and is undecided when the interval straddles the limit or when the report cannot
// judge the feature at all (a memory profile, a missing binary, ...: detection_summary.h). An
// undecided gate exits 3 unless --inconclusive says otherwise, so that CI never passes on a
// profile gcspike could not read.
//
// `gcspike diff` judges changes from the base profile to the new one instead, with a signed
// number: "grow-spike>+3pp" (the share grew by more than 3 percentage points) or
// "assist-coupling>+50%" (it grew by more than half of the base's share); "<-5pp" asks for an
// improvement. The 95 % interval is then that of the difference (profile_diff.h); a relative gate
// "+50%" is judged on the interval of new - 1.5 x base against 0 (statistics.h), which straddles
// 0 for any sample counts when neither side has a sample of the feature: undecided, and the
// reason names the gate in points instead. A side that cannot show the feature makes the gate
// undecided.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/profile_diff.h"

namespace gcspike {

struct FailOnExpr {
  enum class Op { kGreater, kGreaterEqual, kLess, kLessEqual };
  std::string text;  // as given
  int feature = 0;   // index into kFeatureNames
  bool of_value = false;
  Op op = Op::kGreater;
  double threshold = 0;  // a fraction (10% -> 0.1); for a change, signed (+3pp -> 0.03)
  // A gate of `gcspike diff`: on the change in points of share, or relative to the base's share.
  enum class Change { kNone, kPoints, kRelative };
  Change change = Change::kNone;
};

Result<FailOnExpr> ParseFailOn(std::string_view text);

struct GateResult {
  enum class Outcome { kPass, kCrossed, kUndecided };
  Outcome outcome = Outcome::kPass;
  double measured = 0;  // the share the expression names
  Interval interval;    // its 95 % interval
  std::string reason;   // kUndecided: why
};

GateResult EvaluateFailOn(const FailOnExpr& expr, const DetectionSummary& summary);

// A change gate (expr.change != kNone) on a diff: `measured` is the difference in points and
// `interval` its 95 % interval; for a relative gate, the change as a fraction of the base's share
// and the interval of new - (1 + r) x base.
GateResult EvaluateDiffFailOn(const FailOnExpr& expr, const ProfileDiff& diff);

}  // namespace gcspike
