// How many individual samples one Sample of the model stands for: the "samples" sample type's
// value when the profile has one (Go CPU profiles and traces: samples/count; a row of a
// runtime/pprof profile often aggregates several); in perf.data, the "_samples" value of its
// first CPU-time event (perf_events.h: a context switch recorded beside cpu-clock is no CPU
// sample); else the records it holds (a perf.data of other events only: each of its records;
// any other sample counts once). Every share the report states, and every interval, is over
// these counts.
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
      if (profile.str(profile.sample_types[i].type) == "samples") count_index_ = i;
    }
    if (!count_index_) count_index_ = FindPerfEvents(profile).cpu_samples;
  }
  // Delta profiles (pprof -diff_base) carry negative counts: a sample's weight is its size.
  double operator()(size_t sample) const {
    if (count_index_) {
      const auto& values = profile_.samples[sample].values;
      return *count_index_ < values.size() ? std::abs(static_cast<double>(values[*count_index_]))
                                           : 0.0;
    }
    return static_cast<double>(profile_.RecordsOf(sample));
  }

 private:
  const Profile& profile_;
  std::optional<size_t> count_index_;
};

}  // namespace gcspike
