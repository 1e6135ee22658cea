// How many individual samples one Sample of the model stands for: the "samples" sample type's
// value when the profile has one (Go CPU profiles and traces: samples/count; a row of a
// runtime/pprof profile often aggregates several); in perf.data, the "_samples" value of its
// first CPU-time event (perf_events.h: a context switch recorded beside cpu-clock is no CPU
// sample); in a CPU profile that keeps only its time (cpu/nanoseconds, no samples/count), that
// time over the sampling period (docs/formats/pprof.md#counting-samples); else the records it
// holds (a perf.data of other events only: each of its records; any other sample counts once).
// Every share the report states, and every interval, is over these counts.
#pragma once

#include <cstdlib>
#include <optional>

#include "core/profile.h"
#include "plugin/detect/perf_events.h"

namespace gcspike {

class SampleWeights {
 public:
  explicit SampleWeights(const Profile& profile) : profile_(profile) {
    for (size_t i = 0; i < profile.sample_types.size(); ++i) {
      if (profile.str(profile.sample_types[i].type) == "samples") index_ = i;
    }
    if (!index_) index_ = FindPerfEvents(profile).cpu_samples;
    if (index_ || profile.period <= 0 || profile.str(profile.period_type.type) != "cpu") return;
    for (size_t i = 0; i < profile.sample_types.size(); ++i) {
      const ValueType& vt = profile.sample_types[i];
      if (profile.str(vt.type) == "cpu" &&
          profile.str(vt.unit) == profile.str(profile.period_type.unit)) {
        index_ = i;
        per_sample_ = static_cast<double>(profile.period);
      }
    }
  }
  // Delta profiles (pprof -diff_base) carry negative counts: a sample's weight is its size.
  double operator()(size_t sample) const {
    if (index_) {
      const auto& values = profile_.samples[sample].values;
      return *index_ < values.size() ? std::abs(static_cast<double>(values[*index_])) / per_sample_
                                     : 0.0;
    }
    return static_cast<double>(profile_.RecordsOf(sample));
  }

 private:
  const Profile& profile_;
  std::optional<size_t> index_;  // the value that counts samples
  double per_sample_ = 1;        // ... in units of this (the period, when it is CPU time)
};

}  // namespace gcspike
