// Models of GC cycles for the mark-termination coverage study (bench/mark_termination_
// coverage.cc) and its quick check (mark_termination_coverage_test.cc): each cycle's grow rate
// u is uniform in [0, 1), its grow samples Poisson(2 mean_grow u), its pause 100 us
// * (1 + beta u) * noise, the noise lognormal(sigma) or exponential, times 5 in a share
// `outliers` of the cycles. beta sets the population's quartile ratio.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "plugin/detect/time_rules.h"

namespace gcspike::testing {

struct PauseModel {
  const char* name;
  double sigma;
  double outliers = 0;
  double mean_grow = 20;
  bool exponential = false;
};

inline MarkTerminationCycle DrawCycle(std::mt19937_64& rng, const PauseModel& m, double beta) {
  const double u = std::uniform_real_distribution<>(0, 1)(rng);
  const int64_t grow = std::poisson_distribution<int64_t>(2 * m.mean_grow * u)(rng);
  double noise = m.exponential ? std::exponential_distribution<>(1)(rng)
                               : std::exp(m.sigma * std::normal_distribution<>(0, 1)(rng));
  if (std::uniform_real_distribution<>(0, 1)(rng) < m.outliers) noise *= 5;
  const double pause = 100'000 * (1 + beta * u) * noise;
  return {0, grow, std::max<int64_t>(1, std::llround(pause))};
}

// The model's quartile ratio over `population` cycles (a fixed seed).
inline double PopulationRatio(const PauseModel& m, double beta, size_t population) {
  std::mt19937_64 rng(7);
  std::vector<MarkTerminationCycle> c(population);
  for (MarkTerminationCycle& x : c) x = DrawCycle(rng, m, beta);
  return QuartileRatio(c);
}

// The beta in [0, 50] whose population ratio is `ratio`, by `steps` bisections.
inline double BetaFor(const PauseModel& m, double ratio, size_t population, int steps) {
  double lo = 0, hi = 50;
  for (int i = 0; i < steps; ++i) {
    const double mid = (lo + hi) / 2;
    (PopulationRatio(m, mid, population) < ratio ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace gcspike::testing
