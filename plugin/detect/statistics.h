// The statistics behind the report's verdicts: a share measured on n individual samples is an
// estimate, and a verdict is only as good as its interval.
#pragma once

#include <cstdint>

namespace gcspike {

// The 97.5th percentile of the standard normal distribution: two-sided 95 % intervals.
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double lo = 0;
  double hi = 1;
};

// Wilson's score interval for a binomial proportion: `successes` of `n` trials. It stays
// inside [0, 1] and is honest at the small counts and extreme shares (0 %, 100 %) that profiles
// produce, where the normal approximation p ± z·sqrt(p(1-p)/n) collapses to a point. Weighted
// counts are allowed (successes need not be whole). n = 0 gives [0, 1]: nothing is known.
Interval WilsonInterval(double successes, double n, double z = kZ95);

// Newcombe's hybrid score interval for the difference of two independent proportions,
// p_new - p_base, built from each side's Wilson interval (Newcombe 1998, "Interval estimation for
// the difference between independent proportions", Statistics in Medicine 17:873-890, method
// 10): with d = p_new - p_base,
//   lo = d - sqrt((p_new - new.lo)^2 + (base.hi - p_base)^2)
//   hi = d + sqrt((new.hi - p_new)^2 + (p_base - base.lo)^2).
// Like Wilson's, it stays inside [-1, 1] and keeps its width at 0 % and 100 %, where the Wald
// interval for a difference collapses. A positive difference means the new side has more.
//
// With `base_factor` k the interval is that of p_new - k * p_base by the same construction
// (MOVER, "method of variance estimates recovery": Zou and Donner 2008, "Construction of
// confidence limits about effect measures: a general approach", Statistics in Medicine
// 27:1693-1702), the base's distances scaled by k >= 0; k = 1 is Newcombe's. A gate "grew by more
// than 50 %" asks whether p_new - 1.5 * p_base is surely above 0.
Interval NewcombeDifference(double p_new, const Interval& new_interval, double p_base,
                            const Interval& base_interval, double base_factor = 1);
// The same from counts: `new_successes` of `new_n` against `base_successes` of `base_n`.
Interval NewcombeDifference(double new_successes, double new_n, double base_successes,
                            double base_n, double z = kZ95);

// Where an interval lies relative to a threshold: wholly above it (a spike), wholly below it
// (normal), or across it (the data cannot tell). `inclusive`: the threshold itself counts as
// above (a rule written ">= t"); otherwise as below (a rule written "> t").
enum class Side { kAbove, kBelow, kStraddles };
Side CompareInterval(const Interval& interval, double threshold, bool inclusive);

}  // namespace gcspike
