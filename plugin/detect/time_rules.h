// Time rules: what an execution trace's timeline adds to the stack rules (stack_rules.h).
// They need samples with the trace reader's `timestamp_ns` and `goroutine` labels and a
// Timeline (formats/go_trace_reader.h); on other profiles they do nothing.
//
//   assist-coupling   also when a sample whose stack has a map-assign or grow frame falls
//                     inside a mark-assist interval of the same goroutine: the assist itself
//                     is often not on the sampled stack (the runtime switches to the system
//                     stack, notes §B), but the goroutine was assisting while it inserted.
//   pre-pause         a grow-spike sample at most W before a stop-the-world start: map growth
//                     that fed the allocation which ended the GC cycle. Added last to the
//                     `gcspike` label value ("grow-spike+malloc-burst+pre-pause").
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
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

inline constexpr std::string_view kClusterLabelKey = "gcspike_cluster";
inline constexpr std::string_view kPrePauseName = "pre-pause";

struct TimeRuleOptions {
  int64_t pre_pause_ns = 50'000'000;
  int64_t cluster_eps_ns = 20'000'000;
  int cluster_min_samples = 3;
  // pre-pause is a spike only when the observed share is at least this many times the share
  // of the timeline the windows cover (and significant, kPrePauseAlpha).
  double pre_pause_min_ratio = 1.5;
};

// The pre-pause test: one-sided binomial, P(X >= pre-pause samples | n = grow samples,
// p = the windows' share of the span) must be below kPrePauseAlpha.
inline constexpr double kPrePauseAlpha = 0.01;
// Fewer grow samples than this make the test inconclusive whatever they show: a handful of
// samples from one GC cycle is an anecdote.
inline constexpr int64_t kPrePauseMinSamples = 10;
// Windows covering at least this share of the span leave no room for enrichment.
inline constexpr double kPrePauseMaxExpected = 0.95;
// Random placements that ExpectedClusters averages (fewer for huge sample counts, see there).
inline constexpr int kClusterPlacements = 200;

struct PrePauseTest {
  int64_t grow_samples = 0;  // n: grow-spike samples with a timestamp
  int64_t pre_pause = 0;     // of those, within a window
  double fraction = 0;       // pre_pause / n; NaN when n == 0
  double expected = 0;       // the windows' share of the span (the chance of a random sample)
  double ratio = 0;          // fraction / expected; NaN when either is undefined or expected 0
  double p_value = 1;        // P(X >= pre_pause | n, expected)
  Verdict verdict = Verdict::kInconclusive;  // detection_summary.h's three
  // When inconclusive: "too-few-samples", "no-window" or "windows-cover-timeline", and a
  // sentence for people.
  std::string cause;
  std::string reason;
};

struct GrowCluster {
  int64_t id = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t samples = 0;
};

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
  std::vector<GcCycleReport> cycles;
  int64_t origin_ns = 0;  // the earliest time seen; the report counts from it
  int64_t span_start_ns = 0;  // the span (see the top of this file)
  int64_t span_end_ns = 0;
  std::vector<int64_t> grow_times;    // timestamps of the grow-spike samples, sorted
  std::vector<int64_t> pause_starts;  // stop-the-world starts, sorted
  uint64_t window_cover_ns = 0;       // of the span, inside some [start - W, start]
  PrePauseTest pre_pause_test;
  double expected_clusters = 0;  // mean cluster count of random placements of the grow samples
  int cluster_placements = 0;    // how many placements that mean is over
};

// The length of the union of the windows [s - window, s] for s in `starts`, clipped to
// [span_start, span_end]. `starts` must be sorted.
uint64_t WindowCover(const std::vector<int64_t>& starts, int64_t window, int64_t span_start,
                     int64_t span_end);

// P(X >= k) for X ~ Binomial(n, p), exact up to lgamma's rounding (relative error about 1e-8
// at n = 10^6); 1 for k <= 0, 0 for k > n.
double BinomialUpperTail(int64_t n, int64_t k, double p);

// The verdict rules: inconclusive when n < kPrePauseMinSamples, when the windows cover none
// of the span, when they cover so much (expected >= kPrePauseMaxExpected, or expected *
// min_ratio > 1) that even every sample in them could not reach min_ratio, or when even every
// sample in them would not be significant (expected^n >= kPrePauseAlpha); otherwise spike when
// p < kPrePauseAlpha and ratio >= min_ratio, else normal.
PrePauseTest JudgePrePause(int64_t n, int64_t pre_pause, double expected, double min_ratio);

// The mean number of clusters (Dbscan1D's) of n points placed uniformly at random on a span of
// `span_ns`, over `placements` placements drawn from a fixed seed (deterministic).
double ExpectedClusters(int64_t n, uint64_t span_ns, int64_t eps_ns, int min_samples,
                        int placements);

// Adds the time-derived assist-coupling bit to `features` (and the call site where the stack
// rules set none) and finds pre-pause samples and clusters. Call before Summarize/ApplyLabels.
// On profiles without trace timestamps or timeline it returns at once (applicable = false).
TimeAnalysis ApplyTimeRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                            std::vector<StackFeatures>& features, const TimeRuleOptions& options);

// After ApplyLabels: appends "+pre-pause" to the gcspike label of pre-pause samples and adds
// gcspike_cluster labels.
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
//     "clusters":[{"id":N, "start_ns":N, "end_ns":N, "samples":N}], "cluster_eps_ns":N,
//     "cluster_min_samples":N, "expected_clusters":F, "cluster_placements":N,
//     "assist_coupling_by_time":{"samples_in_assist":N, "by_time":N, "by_time_and_stack":N,
//                                "added":N, "by_begin_stack":N},
//     "grow_sample_times_ns":[N...], "pause_starts_ns":[N...]}
// (after "sites"), and, inside "features":
//   ,"pre-pause":{"fraction":F|null, "interval":[LO,HI] (95 % Wilson), "samples":N (grow-spike
//     samples, the n of fraction and interval), "pre_pause_samples":N (of those, in a window),
//     "expected":F, "ratio":F|null, "p_value":F, "verdict":"spike"|"normal"|"inconclusive",
//     ["cause":S, "reason":S (only when inconclusive),] "ratio_threshold":F, "p_threshold":F}
void AppendTimeJson(std::string& out, const Profile& profile, const TimeAnalysis& a);
void AppendPrePauseFeatureJson(std::string& out, const TimeAnalysis& a);

}  // namespace gcspike
