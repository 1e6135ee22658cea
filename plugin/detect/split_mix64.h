// The seeded random numbers of the time rules' chance baselines (ExpectedClusters, the
// mark-termination permutation test): deterministic, so a report is the same on every run.
#pragma once

#include <cstdint>

namespace gcspike {

// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
// small, and its output depends on the seed alone, so the expected cluster count is the same
// from run to run and machine to machine.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform on (0, 1]: never 0, so its logarithm is finite.
  double Unit() { return static_cast<double>((Next() >> 11) + 1) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace gcspike
