#include "plugin/detect/fail_on.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace gcspike {
namespace {

Error Bad(std::string_view text, const std::string& why) {
  return MakeError("bad --fail-on expression '" + std::string(text) + "': " + why +
                   " (form: FEATURE[.value] OP NUMBER[%], e.g. grow-spike>10%)");
}

}  // namespace

Result<FailOnExpr> ParseFailOn(std::string_view text) {
  FailOnExpr e;
  e.text = std::string(text);
  const size_t op_at = text.find_first_of("<>");
  if (op_at == std::string_view::npos) return Bad(text, "no comparison (> >= < <=)");

  std::string_view name = text.substr(0, op_at);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name.size() > 6 && name.substr(name.size() - 6) == ".value") {
    e.of_value = true;
    name.remove_suffix(6);
  }
  e.feature = -1;
  for (int i = 0; i < kFeatureCount; ++i) {
    if (kFeatureNames[i] == name) e.feature = i;
  }
  if (e.feature < 0) {
    std::string known;
    for (std::string_view f : kFeatureNames) known += (known.empty() ? "" : ", ") + std::string(f);
    return Bad(text, "unknown feature '" + std::string(name) + "' (one of " + known + ")");
  }

  size_t rest_at = op_at + 1;
  const bool or_equal = rest_at < text.size() && text[rest_at] == '=';
  if (or_equal) ++rest_at;
  e.op = text[op_at] == '>' ? (or_equal ? FailOnExpr::Op::kGreaterEqual : FailOnExpr::Op::kGreater)
                            : (or_equal ? FailOnExpr::Op::kLessEqual : FailOnExpr::Op::kLess);

  std::string number(text.substr(rest_at));
  while (!number.empty() && number.front() == ' ') number.erase(0, 1);
  while (!number.empty() && number.back() == ' ') number.pop_back();
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  if (number.empty()) return Bad(text, "no number after the comparison");
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(number.c_str(), &end);
  if (errno != 0 || end != number.c_str() + number.size() || !std::isfinite(v) || v < 0) {
    return Bad(text, "'" + number + "' is not a non-negative number");
  }
  e.threshold = percent ? v / 100 : v;
  if (e.threshold > 1) {
    return Bad(text, "a fraction is at most 1 (write 10% or 0.1, not 10)");
  }
  return e;
}

std::optional<double> CrossedFailOn(const FailOnExpr& expr, const DetectionSummary& summary) {
  const FeatureSummary& f = summary.features[expr.feature];
  const double measured = expr.of_value ? f.value_fraction : f.fraction;
  bool crossed = false;
  switch (expr.op) {
    case FailOnExpr::Op::kGreater:
      crossed = measured > expr.threshold;
      break;
    case FailOnExpr::Op::kGreaterEqual:
      crossed = measured >= expr.threshold;
      break;
    case FailOnExpr::Op::kLess:
      crossed = measured < expr.threshold;
      break;
    case FailOnExpr::Op::kLessEqual:
      crossed = measured <= expr.threshold;
      break;
  }
  if (!crossed) return std::nullopt;
  return measured;
}

}  // namespace gcspike
