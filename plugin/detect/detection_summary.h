// DetectionSummary: the numbers behind `gcspike report` and `--fail-on`, computed from the
// per-sample classification. Fractions are of samples: a sample's weight is its value of the
// "samples" sample type when the profile has one (Go CPU profiles: samples/count), else 1 per
// sample record; value fractions use the profile's default sample type (what pprof shows).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

struct DetectionThresholds {
  // grow-spike: fraction of samples below a map assign that grow the map. The fixtures
  // (fixtures/pprof/go{1.19,1.26,1.27.3}) put the grow workload at 41-44 % and the same work
  // with presized maps, and the map-free control, at exactly 0 %; small fill loops measured
  // while writing the detector gave 23-38 %. Growth that is not a hot spot still shows a little
  // (each doubling copies every key once), so 3 % sits above that and far below real spikes.
  double grow_spike = 0.03;
  // key-copy: fraction of samples evacuating or reinserting entries: 20-31 % in the grow
  // fixtures, 0 % presized; 2 % keeps it in step with grow-spike.
  double key_copy = 0.02;
  // malloc-burst: allocator samples under a grow frame, as a share of all samples (the low end
  // of the 8-12 % mallocgc band), and the grow frame's subtree at least this deep.
  double malloc_burst = 0.08;
  int malloc_depth = 5;
  // assist-coupling: runtime.gcAssistAlloc in more than this share of samples, and at least
  // `assist_from_map` of those assists reached from a map assign or grow frame.
  double assist_share = 0.15;
  double assist_from_map = 0.5;
  // scanobject-hotspot: GC scanning above the background mark workers' 25 % CPU budget
  // (gcBackgroundUtilization in runtime/mgcpacer.go).
  double scan_share = 0.25;
};

struct FeatureSummary {
  double fraction = 0;        // of sample weight
  double value_fraction = 0;  // of the default sample type's total
  bool spike = false;
  double threshold = 0;  // the main threshold the fraction is compared with
};

struct SiteShare {
  std::string function;
  double fraction = 0;
  double value_fraction = 0;
};

struct DetectionSummary {
  std::string input;
  uint64_t samples = 0;  // total sample weight (of absolute values in a delta profile)
  // Some sample value is negative (go tool pprof -diff_base): every weight and value is then
  // taken by its absolute value, so the shares are of the absolute change.
  bool delta = false;
  uint64_t sample_records = 0;
  std::string value_type;  // "cpu/nanoseconds"
  std::string go_runtime;  // "hmap", "swiss" or "unknown"
  std::array<FeatureSummary, kFeatureCount> features;

  // Flame-graph shape measures.
  double map_assign_width = 0;        // fraction of samples with a map-assign frame
  double malloc_self_share = 0;       // fraction whose leaf is mallocgc*
  int grow_malloc_depth_max = 0;      // malloc-burst: frames from grow frame to leaf
  double grow_malloc_depth_median = 0;
  double assist_share = 0;            // fraction with a mark-assist frame
  double assist_from_map = 0;         // fraction of assist samples with a map/grow ancestor
  int key_copy_stack_max = 0;         // most key-copy (evacuate/rehash) frames in one stack
  int depth_below_assign_max = 0;     // deepest stack below the map assign
  std::array<double, 5> worker_share{};  // by GcWorkerKind (index 0 unused)

  std::vector<SiteShare> sites;  // descending; at most `max_sites`
  DetectionThresholds thresholds;

  bool any_spike() const;
  // One or two sentences in plain words.
  std::string VerdictSentence() const;

 private:
  std::string VerdictOfShares() const;
};

DetectionSummary Summarize(const Profile& profile, const std::vector<StackFeatures>& features,
                           const DetectionThresholds& thresholds, size_t max_sites = 10);

}  // namespace gcspike
