#include "plugin/detect/statistics.h"

#include <algorithm>
#include <cmath>

namespace gcspike {

Interval WilsonInterval(double successes, double n, double z) {
  if (!(n > 0)) return {0, 1};
  const double p = std::clamp(successes / n, 0.0, 1.0);
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  // At p = 0 (or 1) the bound is exactly 0 (or 1); rounding must not push it past.
  return {p == 0 ? 0.0 : std::max(0.0, center - half), p == 1 ? 1.0 : std::min(1.0, center + half)};
}

Side CompareInterval(const Interval& interval, double threshold, bool inclusive) {
  if (inclusive ? interval.lo >= threshold : interval.lo > threshold) return Side::kAbove;
  if (inclusive ? interval.hi < threshold : interval.hi <= threshold) return Side::kBelow;
  return Side::kStraddles;
}

}  // namespace gcspike
