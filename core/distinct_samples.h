// DistinctSamples: keeps one Sample per distinct (stack, labels) of an input that may repeat
// them (a pprof profile may list one stack millions of times) and the individual samples in a
// SampleSpool (core/sample_spool.h), so the model grows with what is distinct, not with the
// input, and the pprof writer still writes every sample as it was.
//
// The spool starts at the first repeat: until then every sample is distinct and the model is
// exactly the one-Sample-per-input-sample model (no spool at all for a profile without
// repeats). From then on each sample is a record naming its distinct sample, with its own
// values and no labels of its own (its labels are the distinct sample's), and the distinct
// sample's values are the sum of its records'.
//
// Memory is accounted as samples are added (ModelBytes), against a budget.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/profile.h"
#include "core/result.h"
#include "core/sample_spool.h"

namespace gcspike {

class DistinctSamples {
 public:
  // `spool`: false keeps one Sample per input sample (nothing is merged).
  DistinctSamples(Profile& profile, bool spool) : p_(profile), spool_samples_(spool) {}

  // Adds one input sample; `s` is left unchanged (callers reuse it). Fails when summing the
  // values of one distinct sample overflows int64.
  Status Add(const Sample& s);
  // Closes the spool (if one was started) and hands it to the profile.
  Status Finish();

  // What the samples take in memory, as estimated from their sizes: a Sample and its three
  // vectors (with their allocations), and per distinct sample the hash chain entry.
  static uint64_t SampleBytes(const Sample& s);
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  Status AddRecord(uint32_t distinct, const Sample& s);

  Profile& p_;
  const bool spool_samples_;
  std::shared_ptr<SampleSpool> spool_;
  std::unordered_map<uint64_t, uint32_t> heads_;  // hash -> first distinct sample
  std::vector<uint32_t> next_;                    // distinct sample -> next with its hash
  uint64_t bytes_ = 0;
};

}  // namespace gcspike
