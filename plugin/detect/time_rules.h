// Time rules: what an execution trace's timeline adds to the stack rules (stack_rules.h).
// They need samples with the trace reader's `timestamp_ns` and `goroutine` labels and a
// Timeline (formats/go_trace_reader.h); on other profiles they do nothing.
//
//   assist-coupling   also when a sample whose stack has a map-assign or grow frame falls
//                     inside a mark-assist interval of the same goroutine: the assist itself
//                     is often not on the sampled stack (the runtime switches to the system
// stack, docs/formats/go-trace.md#cpu-samples), but the goroutine was assisting while it inserted.
//   pre-pause         a grow-spike sample at most W before a GC stop-the-world start (sweep or
//                     mark termination; not the pauses of ReadMemStats, trace start/stop,
//                     GOMAXPROCS...): map growth that fed the allocation which ended the GC
//                     cycle. Added last to the `gcspike` label value
//                     ("grow-spike+malloc-burst+pre-pause").
//   mark-overlap      a grow-spike sample inside a GC mark phase (a GcCycle's start..end; a
//                     cycle begun before the trace or unfinished runs from/to the span's
//                     edge). Appended after pre-pause (the order is pre-pause, map-churn,
//                     mark-overlap).
//   gcspike_cluster   numeric label (unit "cluster", 1, 2, ... in time order): density
//                     clusters of grow-spike samples in time, DBSCAN in one dimension with
//                     radius eps and at least min_samples samples within it for a core sample;
//                     samples in no cluster get no label.
//
// Both are weighed against chance (the "pre-pause against chance" part below): when GC cycles
// are frequent, the windows before the pauses cover most of the trace and nearly every sample
// falls in one, which says nothing about map growth. The report compares the observed share
// with the share of the timeline the windows cover (a binomial test), and the cluster count
// with the count a random placement of the same samples gives.
//
// The span of a trace is [first, last] over its CPU samples' timestamps: the time in which a
// grow sample could have been taken at all, so the one it could have fallen anywhere in by
// chance (CPU profiling may start after the trace does, and time filters such as --from/--to
// drop samples but leave the timeline whole). Windows are clipped to it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/map_churn.h"
#include "plugin/detect/stack_rules.h"
#include "plugin/detect/statistics.h"

namespace gcspike {

inline constexpr std::string_view kClusterLabelKey = "gcspike_cluster";
inline constexpr std::string_view kPrePauseName = "pre-pause";
inline constexpr std::string_view kMarkOverlapName = "mark-overlap";
inline constexpr std::string_view kHeapStepName = "heap-step";
inline constexpr std::string_view kMarkTerminationName = "mark-termination";

struct TimeRuleOptions {
  int64_t pre_pause_ns = 50'000'000;
  int64_t cluster_eps_ns = 20'000'000;
  int cluster_min_samples = 3;
  // pre-pause is a spike only when the observed share is at least this many times the share
  // of the timeline the windows cover (and significant, kPrePauseAlpha).
  double pre_pause_min_ratio = 1.5;
  // mark-overlap is a spike only when the share of grow samples inside mark phases is at least
  // this many times the share of the span the mark phases cover (and significant).
  double mark_overlap_min_ratio = 1.5;
  // heap-step: a rise of the heap-alloc series by more than this share of the heap within
  // heap_step_within_ns; near a grow cluster when within heap_step_near_ns of it.
  double heap_step_share = 0.05;
  int64_t heap_step_within_ns = 10'000'000;
  int64_t heap_step_near_ns = 5'000'000;
  double heap_step_min_ratio = 1.5;
  // mark-termination is a spike when the rank correlation is significant and the median
  // pause of the top quartile of cycles (by grow samples) is at least this many times the
  // bottom quartile's; normal only when that ratio's 95 % bootstrap interval lies below it.
  double mark_termination_min_ratio = 1.5;
  MapChurnOptions churn;
};

// mark-termination: cycles needed, the permutations of its p-value and the resamples of its
// ratio's bootstrap interval (fixed seeds).
inline constexpr int64_t kMarkTerminationMinCycles = 8;
// Normal needs this many cycles: below it the bootstrap interval is too narrow to rule a spike
// out (mark_termination.cc has the simulation's table; tests/unit/plugin/detect/
// mark_termination_coverage_test.cc checks it).
inline constexpr int64_t kMarkTerminationNormalMinCycles = 20;
inline constexpr int kMarkTerminationPermutations = 10000;
inline constexpr int kMarkTerminationResamples = 2000;

// One GC cycle of the mark-termination test: inside the span, with both ends and a "GC mark
// termination" pause.
struct MarkTerminationCycle {
  int64_t seq = 0;
  int64_t grow_samples = 0;  // grow-spike samples in [start, end]
  int64_t pause_ns = 0;      // its mark-termination pause
};

struct MarkTerminationTest {
  int64_t cycles = 0;
  double rho = 0;      // Spearman's, NaN when either series is constant or cycles < 2
  double p_value = 1;  // one-sided (rho > 0), permutation; NaN with rho
  // Median pause of the top quartile (by grow samples) over the bottom quartile's; NaN with
  // fewer than 4 cycles, equal grow samples everywhere, or a bottom median of 0.
  double ratio = 0;
  // 95 % percentile bootstrap interval of `ratio` (QuartileRatioInterval); NaN when the test
  // stops before it (too few cycles, no variation).
  Interval ratio_interval{std::numeric_limits<double>::quiet_NaN(),
                          std::numeric_limits<double>::quiet_NaN()};
  Verdict verdict = Verdict::kInconclusive;
  std::string cause;
  std::string reason;
};

// Spearman's rank correlation (average ranks for ties): Pearson's correlation of the ranks.
double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y);
// P(rho of a random permutation of y against x >= the observed rho), (count + 1) /
// (permutations + 1), from a fixed seed.
double SpearmanPermutationP(const std::vector<double>& x, const std::vector<double>& y,
                            int permutations);
// Median pause of the quarter of the cycles with the most grow samples over the median pause of
// the quarter with the fewest (ties by grow samples kept in the cycles' order); NaN with fewer
// than 4 cycles, equal grow samples everywhere, or a bottom median of 0.
double QuartileRatio(const std::vector<MarkTerminationCycle>& cycles);
// The 95 % percentile bootstrap interval of QuartileRatio: `resamples` draws of as many cycles
// with replacement (fixed seed), the 2.5th and 97.5th percentiles of their ratios (sorted v,
// v[floor(0.025 B)] and v[ceil(0.975 B) - 1]); a draw without a ratio counts as +infinity.
Interval QuartileRatioInterval(const std::vector<MarkTerminationCycle>& cycles, int resamples);
// Inconclusive with fewer than kMarkTerminationMinCycles cycles (too-few-cycles) or a constant
// series (no-variation); spike when p < kPrePauseAlpha and ratio >= min_ratio; normal when the
// ratio's bootstrap interval lies below min_ratio (the cycles rule a spike out) over at least
// kMarkTerminationNormalMinCycles cycles (fewer: too-few-cycles); else inconclusive, cause
// borderline (more cycles decide).
MarkTerminationTest JudgeMarkTermination(const std::vector<MarkTerminationCycle>& cycles,
                                         double min_ratio);

// The pre-pause test: one-sided binomial, P(X >= pre-pause samples | n = grow samples,
// p = the windows' share of the span) must be below kPrePauseAlpha.
inline constexpr double kPrePauseAlpha = 0.01;
// Fewer grow samples than this make the test inconclusive whatever they show: a handful of
// samples from one GC cycle is an anecdote.
inline constexpr int64_t kPrePauseMinSamples = 10;
// Windows covering at least this share of the span leave no room for enrichment.
inline constexpr double kPrePauseMaxExpected = 0.95;
// Random placements that ExpectedClusters averages: kClusterPlacements, fewer for huge sample
// counts (at most kClusterSimulationPoints points over all placements, which keeps a trace
// with a million grow samples to about a tenth of a second), never below kMinClusterPlacements.
inline constexpr int kClusterPlacements = 200;
inline constexpr int64_t kClusterSimulationPoints = 20'000'000;
inline constexpr int kMinClusterPlacements = 20;

// One-dimensional DBSCAN over sorted times: a point is a core point when at least
// `min_samples` points (itself included) lie within eps of it; core points within eps of each
// other share a cluster; a non-core point within eps of a core point joins the nearest one's
// cluster; the rest is noise (0). Cluster ids are 1, 2, ... in time order.
std::vector<int64_t> Dbscan1D(const std::vector<int64_t>& times, int64_t eps, int min_samples);

// The general form of the test: n samples, `hits` of them inside a region that covers the
// share `expected` of the span; is the region enriched? (pre-pause, mark-overlap, heap-step.)
struct EnrichmentTest {
  int64_t samples = 0;  // n
  int64_t hits = 0;
  double fraction = 0;  // hits / n; NaN when n == 0
  double expected = 0;  // the region's share of the span
  double ratio = 0;     // fraction / expected; NaN when undefined
  double p_value = 1;   // P(X >= hits | n, expected)
  Verdict verdict = Verdict::kInconclusive;
  std::string cause;  // when inconclusive
  std::string reason;
};

// The words JudgeEnrichment's reasons use, and its causes.
struct EnrichmentWording {
  std::string_view samples = "grow-spike samples";  // "only 9 grow-spike samples with a time"
  std::string_view short_samples = "grow samples";  // "too few grow samples: ..."
  std::string_view sample = "grow sample";          // "even every grow sample in them"
  std::string_view region = "the windows";          // "the windows cover 70 % of ..."
  std::string_view no_region_cause = "no-window";
  std::string_view no_region_reason =
      "the windows cover none of the timeline (no GC stop-the-world pause, or a zero window)";
  std::string_view cover_cause = "windows-cover-timeline";
};

// The verdict rules of JudgePrePause (below) for any enrichment: inconclusive when n <
// kPrePauseMinSamples, when the region covers none of the span, when it covers so much that
// even every sample in it could not reach min_ratio, or when even every sample in it would not
// be significant; otherwise spike when p < kPrePauseAlpha and ratio >= min_ratio, normal when
// the 95 % Wilson interval of the fraction lies below min_ratio * expected (the samples rule a
// spike out), else inconclusive ("borderline": too few samples to tell).
EnrichmentTest JudgeEnrichment(int64_t n, int64_t hits, double expected, double min_ratio,
                               const EnrichmentWording& wording);

// A feature that needs an execution trace, on a profile without one.
inline constexpr std::string_view kNoTimelineCause = "no-timeline";
inline constexpr std::string_view kNoTimelineReason =
    "this profile has no timeline: the feature needs a Go execution trace (runtime/trace, "
    "go test -trace) with CPU samples";

struct GrowCluster {
  int64_t id = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t samples = 0;
  // The cluster ends within the pre-pause window before a GC stop-the-world start:
  // start - W <= end_ns <= start for some pause.
  bool before_pause = false;
};

// The map-insert series: samples with a map-assign frame (StackFeatures::roles &
// kRoleMapAssign) and a time, counted in windows of kAssignRateWindowNs from the span's start.
inline constexpr int64_t kAssignRateWindowNs = 10'000'000;

// A step of the heap-alloc series (Timeline::heap_alloc), from FindHeapSteps.
struct HeapStep {
  int64_t start_ns = 0;  // the point the rise starts from
  int64_t end_ns = 0;    // the first point above it by more than the share: the step's time
  uint64_t from_bytes = 0;
  uint64_t to_bytes = 0;
  int64_t cluster = 0;        // the nearest grow cluster's id; 0 when there is none
  int64_t offset_ns = 0;      // end_ns minus the nearest time of that cluster (0 inside it)
  bool near_cluster = false;  // |offset_ns| <= heap_step_near_ns
};

// Steps of a heap-alloc series sorted by time: from point i, the first later point j with
// t_j - t_i <= within_ns and bytes_j > bytes_i * (1 + share) makes a step (i, j); the search
// goes on from j. Without one it goes on from i + 1.
std::vector<HeapStep> FindHeapSteps(const std::vector<HeapPoint>& points, double share,
                                    int64_t within_ns);

struct PauseReport {
  StrId kind = 0;  // 0 when the trace did not name it
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
};

struct GcCycleReport {
  int64_t seq = 0;
  int64_t start_ns = kNoTime;
  int64_t end_ns = kNoTime;
  int64_t grow_samples_before = 0;  // grow-spike samples in [start - W, start)
  int64_t assist_ns = 0;            // mark-assist wall time overlapping the cycle
  int64_t assists = 0;
  std::vector<PauseReport> pauses;
};

struct TimeAnalysis {
  bool applicable = false;  // the profile had timestamps and a timeline
  // When not applicable, why: no timeline, or a trace's timeline without a CPU sample.
  std::string cause = std::string(kNoTimelineCause);
  std::string reason = std::string(kNoTimelineReason);
  TimeRuleOptions options;
  std::vector<bool> pre_pause;        // per sample
  std::vector<int64_t> cluster;       // per sample, 0 = none
  int64_t samples_in_assist = 0;      // samples inside a mark assist of their goroutine
  int64_t assist_coupling_added = 0;  // of those, samples that got assist-coupling from time alone
  int64_t assist_coupling_by_begin_stack = 0;  // of those, via the assist's begin stack
  int64_t assist_coupling_by_time = 0;  // samples in an assist with a map frame on either stack
  int64_t assist_coupling_by_time_and_stack = 0;  // of those, also labelled by the stack rules
  int64_t pre_pause_samples = 0;
  std::vector<GrowCluster> clusters;
  std::vector<GcCycleReport> cycles;      // their pauses are the GC's own
  std::vector<PauseReport> other_pauses;  // stop-the-world pauses that end no GC cycle
  int64_t origin_ns = 0;                  // the earliest time seen; the report counts from it
  int64_t span_start_ns = 0;              // the span (see the top of this file)
  int64_t span_end_ns = 0;
  std::vector<int64_t> grow_times;    // timestamps of the grow-spike samples, sorted
  std::vector<int64_t> pause_starts;  // the GC's stop-the-world starts, sorted
  uint64_t window_cover_ns = 0;       // of the span, inside some [start - W, start]
  EnrichmentTest pre_pause_test;
  std::vector<bool> mark_overlap;      // per sample: a grow-spike sample inside a mark phase
  uint64_t mark_cover_ns = 0;          // of the span, inside some mark phase
  std::vector<int64_t> assign_counts;  // per kAssignRateWindowNs window from span_start_ns
  std::vector<HeapStep> heap_steps;    // the steps inside the span
  uint64_t cluster_cover_ns = 0;       // of the span, within heap_step_near_ns of a cluster
  EnrichmentTest heap_step_test;       // steps near a cluster against that share
  std::vector<MarkTerminationCycle> mark_termination_cycles;
  MarkTerminationTest mark_termination_test;
  EnrichmentTest mark_overlap_test;
  MapChurnAnalysis churn;        // also on perf.data (map_churn.h), where nothing else applies
  double expected_clusters = 0;  // mean cluster count of random placements of the grow samples
  int cluster_placements = 0;    // how many placements that mean is over
};

// The length of the union of the windows [s - window, s] for s in `starts`, clipped to
// [span_start, span_end]. `starts` must be sorted.
uint64_t WindowCover(const std::vector<int64_t>& starts, int64_t window, int64_t span_start,
                     int64_t span_end);

// The length of the union of the closed intervals [lo, hi] (in any order; kNoTime as lo or
// hi stands for the span's edge), clipped to [span_start, span_end].
uint64_t IntervalCover(std::vector<std::pair<int64_t, int64_t>> intervals, int64_t span_start,
                       int64_t span_end);

// P(X >= k) for X ~ Binomial(n, p), exact up to lgamma's rounding (relative error about 1e-8
// at n = 10^6); 1 for k <= 0, 0 for k > n.
double BinomialUpperTail(int64_t n, int64_t k, double p);

// The verdict rules: inconclusive when n < kPrePauseMinSamples, when the windows cover none
// of the span, when they cover so much (expected >= kPrePauseMaxExpected, or expected *
// min_ratio > 1) that even every sample in them could not reach min_ratio, or when even every
// sample in them would not be significant (expected^n >= kPrePauseAlpha); otherwise spike when
// p < kPrePauseAlpha and ratio >= min_ratio, normal when the fraction's 95 % Wilson interval
// lies below min_ratio * expected, else inconclusive (borderline). The samples are the n
// grow-spike samples with a time, the hits the `pre_pause` of them within a window.
EnrichmentTest JudgePrePause(int64_t n, int64_t pre_pause, double expected, double min_ratio);

// The mean number of clusters (Dbscan1D's) of n points placed uniformly at random on a span of
// `span_ns`, over `placements` placements drawn from a fixed seed (deterministic).
double ExpectedClusters(int64_t n, uint64_t span_ns, int64_t eps_ns, int min_samples,
                        int placements);

// Adds the time-derived assist-coupling bit to `features` (and the call site where the stack
// rules set none) and finds pre-pause samples and clusters. Call before Summarize/ApplyLabels.
// On profiles without trace timestamps or timeline it returns at once (applicable = false).
TimeAnalysis ApplyTimeRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                            std::vector<StackFeatures>& features, const TimeRuleOptions& options);

// After ApplyLabels: appends "+pre-pause" and then "+mark-overlap" to the gcspike label of
// those samples and adds gcspike_cluster labels.
void ApplyTimeLabels(Profile& profile, const TimeAnalysis& analysis);

// The "Execution trace timeline" section of the text report; "" when not applicable.
std::string RenderTimeReport(const Profile& profile, const TimeAnalysis& analysis);

// For the JSON report (plugin/report.h); both append nothing when not applicable. Times are
// absolute, in the trace's nanoseconds; unknown times (a cycle begun before the trace) and
// undefined numbers are null.
//   ,"timeline":{"origin_ns":N, "span_ns":[S,E], "window_ns":W,
//     "gc_cycles":[{"seq":N, "start_ns":N|null, "end_ns":N|null,
//                   "pauses":[{"kind":S|null, "start_ns":N, "duration_ns":N}],
//                   "assists":N, "assist_ns":N, "grow_samples_before":N}],
//     "other_pauses":[{"kind":S|null, "start_ns":N, "duration_ns":N}] (stop-the-world pauses
//                     that end no GC cycle: ReadMemStats, trace start and stop...),
//     "clusters":[{"id":N, "start_ns":N, "end_ns":N, "samples":N, "duration_ns":N,
//                  "grow_samples":N (= samples), "before_pause":B}], "cluster_eps_ns":N,
//     "cluster_min_samples":N, "expected_clusters":F, "cluster_placements":N,
//     "assist_coupling_by_time":{"samples_in_assist":N, "by_time":N, "by_time_and_stack":N,
//                                "added":N, "by_begin_stack":N},
//     "grow_sample_times_ns":[N...], "pause_starts_ns":[N...],
//     "assign_rate":{"window_ns":N, "start_ns":N (the span's start), "counts":[N...]
//                    (map-insert samples in [start + i W, start + (i + 1) W))},
//     "heap_steps":[{"start_ns":N, "end_ns":N, "from_bytes":N, "to_bytes":N,
//                    "cluster":N|null, "offset_ns":N|null, "near_cluster":B}],
//     "heap_step_share":F, "heap_step_within_ns":N, "heap_step_near_ns":N,
//     "mark_termination":[{"seq":N, "grow_samples":N, "pause_ns":N}]}
// (after "sites"), and, inside "features":
//   ,"pre-pause":{"fraction":F|null, "interval":[LO,HI] (95 % Wilson), "samples":N (grow-spike
//     samples, the n of fraction and interval), "pre_pause_samples":N (of those, in a window),
//     "expected":F, "ratio":F|null, "p_value":F, "verdict":"spike"|"normal"|"inconclusive",
//     ["cause":S, "reason":S (only when inconclusive),] "ratio_threshold":F, "p_threshold":F}
//   ,"mark-overlap":{"fraction":F|null, "interval":[LO,HI], "samples":N (grow-spike samples),
//     "mark_overlap_samples":N (of those, inside a mark phase), "expected":F (the mark
//     phases' share of the span), "ratio":F|null, "p_value":F, "verdict":S, ["cause":S,
//     "reason":S,] "ratio_threshold":F, "p_threshold":F}
//   ,"heap-step":{"fraction":F|null, "interval":[LO,HI], "samples":N (heap steps in the span),
//     "near_cluster_steps":N (of those, within heap_step_near_ns of a grow cluster),
//     "expected":F (the span's share within that distance of a cluster), "ratio", "p_value",
//     "verdict", ["cause", "reason",] "ratio_threshold", "p_threshold"}
//   ,"mark-termination":{"rho":F|null, "p_value":F|null, "ratio":F|null,
//     "ratio_interval":[LO|null,HI|null] (95 % bootstrap; null when not computed, HI null when
//     unbounded), "cycles":N, "verdict":S, ["cause":S, "reason":S,] "ratio_threshold":F,
//     "p_threshold":F, "permutations":N, "resamples":N}
// The time features after pre-pause are there on every profile: without a timeline as
// {"fraction":null, "samples":0, "verdict":"inconclusive", "cause":"no-timeline", "reason":S},
// on a trace without CPU samples the same with "cause":"no-samples".
void AppendTimeJson(std::string& out, const Profile& profile, const TimeAnalysis& a);
void AppendPrePauseFeatureJson(std::string& out, const TimeAnalysis& a);

}  // namespace gcspike
