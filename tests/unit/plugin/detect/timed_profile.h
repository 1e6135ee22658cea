// A hand-built profile with execution-trace labels (timestamp_ns, goroutine) for the time rules'
// tests, and the detectors run on it as `gcspike annotate` runs them.
#pragma once

#include <cstdint>
#include <vector>

#include "plugin/detect/annotator.h"
#include "plugin/detect/time_rules.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike::testing {

inline constexpr int64_t kMs = 1'000'000;
// A grow-spike stack and a plain map insert.
inline constexpr const char* kGrow =
    "main.fill > runtime.mapassign_faststr > internal/runtime/maps.(*table).grow";
inline constexpr const char* kAssign = "main.fill > runtime.mapassign_faststr";

struct TimedProfile {
  StackProfile sp;
  size_t Add(const char* stack, int64_t ts_ms, int64_t goroutine = 1) {
    const size_t i = sp.Add(stack);
    sp.profile.SetNumLabel(sp.profile.samples[i], "timestamp_ns", ts_ms * kMs, "nanoseconds");
    sp.profile.SetNumLabel(sp.profile.samples[i], "goroutine", goroutine, "goroutine");
    return i;
  }
  // A blocking event of the goroutine (Timeline::blocking, kept sorted as readers leave it).
  void Block(int64_t goroutine, int64_t ts_ms) {
    auto& v = sp.profile.timeline.blocking;
    v.push_back({goroutine, ts_ms * kMs});
    std::sort(v.begin(), v.end(), [](const BlockingEvent& a, const BlockingEvent& b) {
      return a.goroutine != b.goroutine ? a.goroutine < b.goroutine : a.ts_ns < b.ts_ns;
    });
  }
};

// Classifies, applies the time rules and writes the labels.
inline TimeAnalysis AnalyzeTimed(Profile& p, TimeRuleOptions options = {}) {
  const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  std::vector<StackFeatures> features = ClassifySamples(p, catalogue);
  TimeAnalysis a = ApplyTimeRules(p, catalogue, features, options);
  ApplyLabels(p, features, "test");
  ApplyTimeLabels(p, a);
  return a;
}

}  // namespace gcspike::testing
