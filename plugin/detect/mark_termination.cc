// The mark-termination test (time_rules.h): do the GC cycles with more grow samples in their
// mark phase end in longer mark-termination pauses? Spearman's rank correlation with a
// permutation p-value, and the ratio of the quartiles' median pauses.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "plugin/detect/split_mix64.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {
namespace {

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

double Median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? static_cast<double>(v[n / 2])
                    : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

}  // namespace

double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  return Pearson(Ranks(x), Ranks(y));
}

double SpearmanPermutationP(const std::vector<double>& x, const std::vector<double>& y,
                            int permutations) {
  const double rho = SpearmanRho(x, y);
  if (!std::isfinite(rho) || permutations <= 0) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> rx = Ranks(x);
  std::vector<double> ry = Ranks(y);
  SplitMix64 rng(0x6d61726b7465726d);  // "markterm"
  int64_t at_least = 0;
  for (int k = 0; k < permutations; ++k) {
    for (size_t i = ry.size() - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(ry[i], ry[static_cast<size_t>(rng.Next() % (i + 1))]);
    }
    at_least += Pearson(rx, ry) >= rho - 1e-12;
  }
  return static_cast<double>(at_least + 1) / (permutations + 1);
}

MarkTerminationTest JudgeMarkTermination(const std::vector<MarkTerminationCycle>& cycles,
                                         double min_ratio) {
  MarkTerminationTest t;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.cycles = static_cast<int64_t>(cycles.size());
  std::vector<double> grow, pause;
  for (const MarkTerminationCycle& c : cycles) {
    grow.push_back(static_cast<double>(c.grow_samples));
    pause.push_back(static_cast<double>(c.pause_ns));
  }
  t.rho = SpearmanRho(grow, pause);
  t.p_value = SpearmanPermutationP(grow, pause, kMarkTerminationPermutations);
  t.ratio = nan;
  const size_t q = cycles.size() / 4;
  // Quartiles by grow samples need grow samples that differ.
  const bool grow_varies =
      std::adjacent_find(grow.begin(), grow.end(), std::not_equal_to<>()) != grow.end();
  if (q > 0 && grow_varies) {
    std::vector<size_t> order(cycles.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cycles[a].grow_samples < cycles[b].grow_samples;
    });
    std::vector<int64_t> bottom, top;
    for (size_t i = 0; i < q; ++i) {
      bottom.push_back(cycles[order[i]].pause_ns);
      top.push_back(cycles[order[order.size() - 1 - i]].pause_ns);
    }
    const double b = Median(bottom);
    if (b > 0) t.ratio = Median(top) / b;
  }
  char buf[200];
  if (t.cycles < kMarkTerminationMinCycles) {
    std::snprintf(buf, sizeof buf,
                  "only %lld GC cycles with a mark phase and a mark-termination pause inside the "
                  "timeline (%lld needed)",
                  static_cast<long long>(t.cycles),
                  static_cast<long long>(kMarkTerminationMinCycles));
    t.cause = "too-few-cycles";
    t.reason = buf;
  } else if (!std::isfinite(t.rho)) {
    t.cause = "no-variation";
    t.reason =
        "every cycle has the same number of grow samples, or the same pause: no ranks "
        "to correlate";
  } else {
    t.verdict =
        t.p_value < kPrePauseAlpha && t.ratio >= min_ratio ? Verdict::kSpike : Verdict::kNormal;
  }
  return t;
}

}  // namespace gcspike
