// --fail-on expressions: "FEATURE OP NUMBER[%]", e.g. "grow-spike>10%" or
// "assist-coupling>=0.05". FEATURE is a gcspike feature name (its fraction of samples) or
// FEATURE.value (its fraction of the default sample type); OP is one of > >= < <=; a number
// with % is a percentage. When the measured value satisfies the comparison the command exits 1.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "plugin/detect/detection_summary.h"

namespace gcspike {

struct FailOnExpr {
  enum class Op { kGreater, kGreaterEqual, kLess, kLessEqual };
  std::string text;  // as given
  int feature = 0;   // index into kFeatureNames
  bool of_value = false;
  Op op = Op::kGreater;
  double threshold = 0;  // a fraction (10% -> 0.1)
};

Result<FailOnExpr> ParseFailOn(std::string_view text);

// The measured value if the expression is crossed, else nullopt.
std::optional<double> CrossedFailOn(const FailOnExpr& expr, const DetectionSummary& summary);

}  // namespace gcspike
