// Inputs that hold the same samples: a CPU profile and the Go execution trace of the same run
// (docs/formats/go-trace.md#cpu-samples: the runtime writes each sample to both), a copy of a file,
// the same profile fetched or re-gzipped twice. Merged, each of their samples counts twice, so
// every share's 95 % interval is narrower than the samples support. A file named twice is told by
// its inode (plugin/pipeline.cc); these are told by their samples.
//
// Each input leaves a small fixed-size fingerprint, made as it is read: its individual samples
// (plugin/detect/sample_weight.h) counted in kBuckets buckets by a hash of their stack's function
// names (not addresses or ids: the trace and the pprof number things differently; a root
// runtime.goexit, which traces keep and CPU profiles drop, is left out). Two inputs hold the same
// samples when their bucket counts disagree by far less than two independent recordings of the
// same program would: the disagreement D = sum |a_k - b_k| against its expectation E and
// standard deviation under independent sampling (per bucket, the difference of two independent
// Poisson counts of mean lambda(1 - lambda/n), lambda the pair's mean count: Skellam's mean
// absolute value; the factor 1 - lambda/n keeps a dominant bucket's multinomial variance).
//
// Measured on a Go 1.26 program filling map[string]bool sets, 8 independent runs (159 to 267
// samples in 3 s, 839 and 878 in 10 s; 64 to 150 stacks) each with a CPU profile and a trace:
//  - the CPU profile and the trace of one run: D = 0 ((E - D)/sd = 8.3 to 11.6), and so for a
//    copy and a re-gzipped copy; a trace started 150 ms after the CPU profile and stopped 150 ms
//    before it (24 of its 266 samples missing): D/E = 0.19, (E - D)/sd = 7.6;
//  - the 28 pairs of independent runs: D/E = 1.00 to 1.37 for runs of equal length ((E - D)/sd
//    from -3.4 to 0.0: sampling noise, a little over Poisson's), 2.7 to 3.3 for unequal ones.
// Same: D <= kMaxNoiseRatio x E and E - D >= kMinSigmas x sd; the second keeps a profile of one
// or a few stacks, or of few samples, where independent runs can agree by chance, from being
// told (its expectation is then within a few sd of 0). Not told: a trace of a shorter window
// inside the CPU profile's (/debug/pprof/trace?seconds=3 fetched during a 4 s profile: 181 of
// its 317 samples, D/E = 1.13): with that few samples a subset is not far enough from an
// independent run of that length.
//
// Bounded work for fleets: an input is compared with the earlier inputs whose totals are close
// enough for the test to hold (D >= |n_a - n_b|, E <= n_a + n_b), at most kMaxCandidates of them,
// nearest totals first; an exact copy (equal counts) is found by a hash whatever the fleet.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/profile.h"

namespace gcspike {

struct SampleFingerprint {
  static constexpr size_t kBuckets = 256;
  std::array<uint32_t, kBuckets> counts{};  // saturating
  uint64_t total = 0;                       // individual samples
  double sqrt_sum = 0;                      // sum of sqrt(counts[k]): bounds E (see .cc)
  uint64_t hash = 0;                        // of counts, for exact copies
};

// The fingerprint of a profile's samples (a spooled profile's stack samples carry their
// records' counts).
SampleFingerprint FingerprintSamples(const Profile& profile);

struct SamplesComparison {
  double disagreement = 0;  // D
  double expected = 0;      // E, under independent sampling
  double sd = 0;            // of D, under independent sampling
  double shared = 0;        // sum min(a_k, b_k): the samples both hold
  double agreeing = 0;      // shared / max(n_a, n_b): "the same samples (99%)"
  bool same = false;
};

inline constexpr double kMaxNoiseRatio = 0.25;
inline constexpr double kMinSigmas = 4;
inline constexpr size_t kMaxCandidates = 64;

SamplesComparison CompareSamples(const SampleFingerprint& a, const SampleFingerprint& b);

// E and sd of D if a and b were independent recordings (CompareSamples computes them only when
// a cheap bound does not already rule the pair out).
struct IndependentDisagreement {
  double expected = 0;
  double sd = 0;
};
IndependentDisagreement ExpectedDisagreement(const SampleFingerprint& a,
                                             const SampleFingerprint& b);

// Remembers the fingerprints of the inputs merged so far (about 1 KiB each).
class SameSamplesFinder {
 public:
  struct Match {
    size_t earlier = 0;   // index of the earlier input, in the order of Add
    uint64_t shared = 0;  // samples both hold (SamplesComparison)
    double agreeing = 0;
  };
  // Compares `f` with the earlier inputs, then keeps it; the earlier input it matches, if any.
  std::optional<Match> Add(const SampleFingerprint& f);

 private:
  std::vector<SampleFingerprint> seen_;
  std::multimap<uint64_t, size_t> by_total_;
  std::unordered_map<uint64_t, size_t> by_hash_;
};

}  // namespace gcspike
