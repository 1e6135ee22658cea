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

Interval NewcombeDifference(double p_new, const Interval& new_interval, double p_base,
                            const Interval& base_interval, double base_factor) {
  const double k = base_factor;
  const double d = p_new - k * p_base;
  const double below_new = p_new - new_interval.lo, above_new = new_interval.hi - p_new;
  const double below_base = k * (p_base - base_interval.lo);
  const double above_base = k * (base_interval.hi - p_base);
  return {std::max(-k, d - std::sqrt(below_new * below_new + above_base * above_base)),
          std::min(1.0, d + std::sqrt(above_new * above_new + below_base * below_base))};
}

Interval NewcombeDifference(double new_successes, double new_n, double base_successes,
                            double base_n, double z) {
  auto share = [](double x, double n) { return n > 0 ? std::clamp(x / n, 0.0, 1.0) : 0.0; };
  return NewcombeDifference(share(new_successes, new_n), WilsonInterval(new_successes, new_n, z),
                            share(base_successes, base_n),
                            WilsonInterval(base_successes, base_n, z));
}

Side CompareInterval(const Interval& interval, double threshold, bool inclusive) {
  if (inclusive ? interval.lo >= threshold : interval.lo > threshold) return Side::kAbove;
  if (inclusive ? interval.hi < threshold : interval.hi <= threshold) return Side::kBelow;
  return Side::kStraddles;
}

}  // namespace gcspike
