// DetectionSummary: the numbers behind `gcspike report` and `--fail-on`, computed from the
// per-sample classification. Fractions are of individual samples (sample_weight.h); value
// fractions use the profile's default sample type (what pprof shows).
//
// Every verdict is one of three, per feature and overall:
//   spike         the 95 % interval of the feature's share lies wholly above its threshold
//   normal        it lies wholly below
//   inconclusive  it straddles the threshold ("borderline": a longer profile decides), or the
//                 profile cannot show the feature at all (visibility.h: a memory profile, a
//                 missing binary, a recording that cuts stacks, too few samples); `cause` and
//                 `reason` say which and what to do.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/site_paths.h"
#include "plugin/detect/stack_rules.h"
#include "plugin/detect/statistics.h"
#include "plugin/detect/visibility.h"

namespace gcspike {

enum class Verdict : uint8_t { kNormal, kSpike, kInconclusive };
std::string_view VerdictName(Verdict v);  // "normal", "spike", "inconclusive"

struct DetectionThresholds {
  // grow-spike: fraction of samples below a map assign that grow the map. The fixtures
  // (fixtures/pprof/go{1.19,1.26,1.27.3}) put the grow workload at 39-44 % and the same work
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
  double fraction = 0;        // of individual samples
  double value_fraction = 0;  // of the default sample type's total
  Interval interval;          // 95 % Wilson interval of `fraction`
  Verdict verdict = Verdict::kNormal;
  // When inconclusive: "borderline" or a visibility cause, and a sentence for people.
  std::string cause;
  std::string reason;
  double threshold = 0;  // the main threshold the fraction is compared with
  // The share is only a lower bound of the true one: a map feature on stacks cut at the system
  // stack (visibility.h, recording-mode), which hide some of its samples and invent none. Its
  // spike stands; a gate or a change it does not bound is undecided (fail_on.h, profile_diff.h).
  bool lower_bound = false;
  bool spike() const { return verdict == Verdict::kSpike; }
  // The profile cannot show the feature at all (a cause other than a borderline share).
  bool blind() const { return verdict == Verdict::kInconclusive && cause != "borderline"; }
};

struct SiteShare {
  std::string function;          // the function that makes the map: presize it here
  std::vector<std::string> via;  // the map helpers between it and the insert, innermost first
  double fraction = 0;
  double value_fraction = 0;
  Interval interval;
};

struct DetectionSummary {
  std::string input;
  uint64_t samples = 0;  // individual samples: the n of every interval
  // Some sample value is negative (go tool pprof -diff_base): every weight and value is then
  // taken by its absolute value, and nothing is judged (visibility.h: delta).
  bool delta = false;
  uint64_t sample_records = 0;
  std::string value_type;  // "cpu/nanoseconds"
  std::string go_runtime;  // "hmap", "swiss" or "unknown"
  std::array<FeatureSummary, kFeatureCount> features;
  Verdict overall = Verdict::kNormal;
  Visibility visibility;
  // The fraction of the samples that count twice: inputs that hold the same samples as another
  // (plugin/pipeline.h: CountedTwice), told by LoadInputs; gates judge on the samples counted
  // once (fail_on.h). `counted_twice_what` names the first such input.
  double counted_twice = 0;
  std::string counted_twice_what;

  // Flame-graph shape measures.
  double map_assign_width = 0;    // fraction of samples with a map-assign frame
  double malloc_self_share = 0;   // fraction whose leaf is mallocgc*
  int grow_malloc_depth_max = 0;  // malloc-burst: frames from grow frame to leaf
  double grow_malloc_depth_median = 0;
  double assist_share = 0;     // fraction with a mark-assist frame
  double assist_from_map = 0;  // fraction of assist samples with a map/grow ancestor
  Interval assist_share_interval;
  Interval assist_from_map_interval;     // over the assist samples
  int key_copy_stack_max = 0;            // most key-copy (evacuate/rehash) frames in one stack
  int depth_below_assign_max = 0;        // deepest stack below a map assign
  std::array<double, 5> worker_share{};  // by GcWorkerKind (index 0 unused)

  std::vector<SiteShare> sites;  // descending; at most `max_sites`
  DetectionThresholds thresholds;

  bool any_spike() const;
  // One or two sentences in plain words.
  std::string VerdictSentence() const;

 private:
  std::string VerdictOfShares() const;
};

// What Summarize needs besides the classification. Without site paths the sites have no
// via-paths (the stack rules' sites as they are).
struct SummaryContext {
  VisibilityOptions visibility;
  bool assists_from_timeline = false;
  const SitePaths* site_paths = nullptr;
  size_t max_sites = 10;
};

DetectionSummary Summarize(const Profile& profile, const std::vector<StackFeatures>& features,
                           const DetectionThresholds& thresholds,
                           const SummaryContext& context = {});

}  // namespace gcspike
