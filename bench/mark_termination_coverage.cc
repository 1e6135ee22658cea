// The coverage study of mark-termination's "normal" (plugin/detect/mark_termination.cc has its
// table): GC cycles drawn from models whose true quartile ratio is a given value, judged by
// JudgeMarkTermination's rule, and the share of draws it calls normal, per cycle count. Not
// built by CMake (it takes minutes); tests/unit/plugin/detect/mark_termination_coverage_test.cc
// is its quick check. Build and run from the source tree:
//
//   g++ -std=c++20 -O2 -I. bench/mark_termination_coverage.cc plugin/detect/mark_termination.cc
//       -o /tmp/mtcov    (one command line)
//   /tmp/mtcov TRUE_RATIO REPLICATES [CYCLES...]    # env MIN: the threshold (1.5),
//                                                     # MODELS: names to run (all)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "plugin/detect/time_rules.h"
#include "tests/unit/plugin/detect/mark_termination_models.h"

namespace gcspike {
namespace {

using testing::PauseModel;

const std::vector<PauseModel> kModels = {
    {"lognormal s=0.05", 0.05},
    {"lognormal s=0.2", 0.2},
    {"lognormal s=0.5", 0.5},
    {"lognormal s=1.0", 1.0},
    {"exponential", 0, 0, 20, true},
    {"outliers 15% x5", 0.1, 0.15},
    {"lognormal s=0.5, ties", 0.5, 0, 1.5},
};

double TrueRatio(const PauseModel& m, double beta) {
  return testing::PopulationRatio(m, beta, 400'000);
}

// JudgeMarkTermination's normal without the cycle minimum (so the table shows what the interval
// alone would say), with the permutation test run only when it can change the verdict.
bool IntervalSaysNormal(const std::vector<MarkTerminationCycle>& c, double min_ratio) {
  std::vector<double> g, p;
  for (const MarkTerminationCycle& x : c) {
    g.push_back(static_cast<double>(x.grow_samples));
    p.push_back(static_cast<double>(x.pause_ns));
  }
  if (c.size() < static_cast<size_t>(kMarkTerminationMinCycles)) return false;
  if (!std::isfinite(SpearmanRho(g, p))) return false;
  if (!(QuartileRatioInterval(c, kMarkTerminationResamples).hi < min_ratio)) return false;
  return !(QuartileRatio(c) >= min_ratio &&
           SpearmanPermutationP(g, p, kMarkTerminationPermutations) < kPrePauseAlpha);
}

int Run(int argc, char** argv) {
  const double target = argc > 1 ? std::atof(argv[1]) : 1.5;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 1000;
  const double min_ratio = std::getenv("MIN") ? std::atof(std::getenv("MIN")) : 1.5;
  const char* only = std::getenv("MODELS");
  std::vector<int> ns = {8, 10, 12, 14, 16, 18, 20, 24, 28, 32, 40, 48, 64};
  if (argc > 3) ns.clear();
  for (int i = 3; i < argc; ++i) ns.push_back(std::atoi(argv[i]));
  std::printf("true ratio %.2f, threshold %.2f, %d draws: %% called normal, per cycle count\n",
              target, min_ratio, reps);
  std::printf("%-24s", "model");
  for (int n : ns) std::printf("%6d", n);
  std::printf("\n");
  for (const PauseModel& m : kModels) {
    if (only != nullptr && std::strstr(only, m.name) == nullptr) continue;
    const double beta = testing::BetaFor(m, target, 400'000, 40);
    std::printf("%-24s", m.name);
    for (int n : ns) {
      std::mt19937_64 r(1000 + static_cast<uint64_t>(n));
      int normal = 0;
      for (int k = 0; k < reps; ++k) {
        std::vector<MarkTerminationCycle> c(static_cast<size_t>(n));
        for (MarkTerminationCycle& x : c) x = testing::DrawCycle(r, m, beta);
        normal += IntervalSaysNormal(c, min_ratio);
      }
      std::printf("%6.1f", 100.0 * normal / reps);
      std::fflush(stdout);
    }
    std::printf("   (beta %.3f, true ratio %.3f)\n", beta, TrueRatio(m, beta));
  }
  return 0;
}

}  // namespace
}  // namespace gcspike

int main(int argc, char** argv) { return gcspike::Run(argc, argv); }
