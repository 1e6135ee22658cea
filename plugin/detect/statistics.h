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

// Where an interval lies relative to a threshold: wholly above it (a spike), wholly below it
// (normal), or across it (the data cannot tell). `inclusive`: the threshold itself counts as
// above (a rule written ">= t"); otherwise as below (a rule written "> t").
enum class Side { kAbove, kBelow, kStraddles };
Side CompareInterval(const Interval& interval, double threshold, bool inclusive);

}  // namespace gcspike
