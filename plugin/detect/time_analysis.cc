// ApplyTimeRules (time_rules.h) in phases: the samples' times first, then each time feature
// from them, all with one StackClassifier.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "plugin/detect/map_churn.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {
namespace {

// Labels the execution-trace reader puts on every CPU sample (formats/go_trace_profile_builder).
constexpr std::string_view kTimestampKey = "timestamp_ns";
constexpr std::string_view kGoroutineKey = "goroutine";

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t StartOrMin(int64_t t) { return t == kNoTime ? kMin : t; }
int64_t EndOrMax(int64_t t) { return t == kNoTime ? kMax : t; }

// What every phase reads.
struct TimeInputs {
  TimeInputs(const Profile& p, const TimeRuleOptions& o, StackClassifier& c)
      : profile(p), options(o), classifier(c) {}
  const Profile& profile;
  const TimeRuleOptions& options;
  StackClassifier& classifier;
  std::vector<int64_t> ts;         // per sample; kNoTime without one
  std::vector<int64_t> goroutine;  // per sample; -1 without one
  int64_t first = kMax;            // the span (time_rules.h)
  int64_t last = kMin;
  uint64_t span = 0;
  std::vector<int64_t> grow_times;  // grow-spike samples with a time, in sample order
  std::vector<size_t> grow_index;   // their sample indices

  const Timeline& timeline() const { return profile.timeline; }
  // The share of the span `covered` is.
  double Share(uint64_t covered) const {
    return span == 0 ? 0 : static_cast<double>(covered) / static_cast<double>(span);
  }
};

// The samples' times and goroutines and the span; false when no sample has a time.
bool ReadSampleTimes(TimeInputs& in) {
  const Profile& profile = in.profile;
  const StrId ts_key = profile.strings.Find(kTimestampKey);
  const StrId g_key = profile.strings.Find(kGoroutineKey);
  if (ts_key == 0) return false;
  const size_t n = profile.samples.size();
  in.ts.assign(n, kNoTime);
  in.goroutine.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    for (const Label& l : profile.samples[i].labels) {
      if (!l.numeric) continue;
      if (l.key == ts_key) in.ts[i] = l.num;
      if (l.key == g_key) in.goroutine[i] = l.num;
    }
    if (in.ts[i] == kNoTime) continue;
    in.first = std::min(in.first, in.ts[i]);
    in.last = std::max(in.last, in.ts[i]);
  }
  if (in.first > in.last) return false;
  in.span = static_cast<uint64_t>(in.last) - static_cast<uint64_t>(in.first);
  return true;
}

// assist-coupling from time: per goroutine, its assist intervals sorted by start, each with
// whether the allocation that began it was a map insert or grow (its begin stack). A CPU
// sample taken during the assist often shows only the GC work (the traceback stops at
// runtime.systemstack), so the begin stack is what ties that time to the map.
void CoupleAssistsByTime(TimeInputs& in, std::vector<StackFeatures>& features, TimeAnalysis& a) {
  const Timeline& t = in.timeline();
  struct Interval {
    int64_t start, end;
    bool paid_by_map;
    size_t index;  // into t.assists
  };
  std::map<int64_t, std::vector<Interval>> assists;
  for (size_t k = 0; k < t.assists.size(); ++k) {
    const AssistInterval& iv = t.assists[k];
    const bool paid_by_map =
        (in.classifier.Classify(iv.stack).roles & (kRoleMapAssign | kRoleGrow)) != 0;
    assists[iv.goroutine].push_back({StartOrMin(iv.start_ns), EndOrMax(iv.end_ns), paid_by_map, k});
  }
  for (auto& [g, v] : assists) {
    std::sort(v.begin(), v.end(),
              [](const Interval& x, const Interval& y) { return x.start < y.start; });
  }
  for (size_t i = 0; i < features.size(); ++i) {
    StackFeatures& f = features[i];
    if (in.ts[i] == kNoTime || in.goroutine[i] <= 0) continue;
    auto it = assists.find(in.goroutine[i]);
    if (it == assists.end()) continue;
    // Assists of one goroutine do not overlap: the last one starting at or before ts decides.
    const auto& v = it->second;
    auto after = std::upper_bound(v.begin(), v.end(), in.ts[i],
                                  [](int64_t x, const Interval& iv) { return x < iv.start; });
    if (after == v.begin() || std::prev(after)->end < in.ts[i]) continue;
    const Interval& inside = *std::prev(after);
    ++a.samples_in_assist;
    const bool map_on_stack = (f.roles & (kRoleMapAssign | kRoleGrow)) != 0;
    if (!map_on_stack && !inside.paid_by_map) continue;
    // Coupled by time. Where the stack rules already said so, the two agree.
    ++a.assist_coupling_by_time;
    if ((f.features & kFeatureAssistCoupling) != 0) {
      ++a.assist_coupling_by_time_and_stack;
      continue;
    }
    f.features |= kFeatureAssistCoupling;
    if (f.site_function_id == 0) {
      f.site_function_id = MapInsertCallSite(
          in.profile, in.classifier,
          map_on_stack ? in.profile.samples[i].location_ids : t.assists[inside.index].stack);
    }
    ++a.assist_coupling_added;
    if (!map_on_stack) ++a.assist_coupling_by_begin_stack;
  }
}

// A pause of the GC: the runtime names its two "GC sweep termination" and "GC mark
// termination"; the generation format also records the pauses of ReadMemStats, trace start and
// stop, GOMAXPROCS and goroutine profiles (docs/formats/go-trace.md#stop-the-world-reasons),
// which end no GC cycle. An unnamed pause counts.
bool IsGcPause(const Profile& profile, const StwPause& p) {
  return p.kind == 0 || profile.str(p.kind).starts_with("GC ");
}

// pre-pause (a grow-spike sample at most W before some GC stop-the-world start) and the grow
// clusters, each against chance.
void FindPrePauseAndClusters(TimeInputs& in, const std::vector<StackFeatures>& features,
                             TimeAnalysis& a) {
  const TimeRuleOptions& options = in.options;
  for (const StwPause& p : in.timeline().pauses) {
    if (p.start_ns != kNoTime && IsGcPause(in.profile, p)) a.pause_starts.push_back(p.start_ns);
  }
  std::sort(a.pause_starts.begin(), a.pause_starts.end());
  const std::vector<int64_t>& pause_starts = a.pause_starts;
  a.pre_pause.assign(features.size(), false);
  for (size_t i = 0; i < features.size(); ++i) {
    if (in.ts[i] == kNoTime || (features[i].features & kFeatureGrowSpike) == 0) continue;
    auto next = std::lower_bound(pause_starts.begin(), pause_starts.end(), in.ts[i]);
    if (next != pause_starts.end() && *next - in.ts[i] <= options.pre_pause_ns) {
      a.pre_pause[i] = true;
      ++a.pre_pause_samples;
    }
    in.grow_times.push_back(in.ts[i]);
    in.grow_index.push_back(i);
  }
  // Clusters of grow-spike samples in time.
  std::vector<size_t> order(in.grow_times.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return in.grow_times[x] < in.grow_times[y]; });
  for (size_t k : order) a.grow_times.push_back(in.grow_times[k]);
  const std::vector<int64_t>& sorted = a.grow_times;
  const int min_samples = std::max(1, options.cluster_min_samples);
  const std::vector<int64_t> ids = Dbscan1D(sorted, options.cluster_eps_ns, min_samples);
  a.cluster.assign(features.size(), 0);
  for (size_t k = 0; k < order.size(); ++k) {
    if (ids[k] == 0) continue;
    a.cluster[in.grow_index[order[k]]] = ids[k];
    if (a.clusters.size() < static_cast<size_t>(ids[k])) {
      a.clusters.push_back(GrowCluster{ids[k], sorted[k], sorted[k], 0});
    }
    GrowCluster& c = a.clusters[static_cast<size_t>(ids[k] - 1)];
    c.start_ns = std::min(c.start_ns, sorted[k]);
    c.end_ns = std::max(c.end_ns, sorted[k]);
    ++c.samples;
  }
  for (GrowCluster& c : a.clusters) {
    auto next = std::lower_bound(pause_starts.begin(), pause_starts.end(), c.end_ns);
    c.before_pause = next != pause_starts.end() && *next - c.end_ns <= options.pre_pause_ns;
  }
  a.window_cover_ns = WindowCover(pause_starts, options.pre_pause_ns, in.first, in.last);
  const auto grow_n = static_cast<int64_t>(sorted.size());
  a.pre_pause_test = JudgePrePause(grow_n, a.pre_pause_samples, in.Share(a.window_cover_ns),
                                   options.pre_pause_min_ratio);
  // Fewer samples than a cluster needs make none, wherever they fall: nothing to simulate.
  a.cluster_placements =
      grow_n < min_samples
          ? 0
          : static_cast<int>(std::clamp<int64_t>(kClusterSimulationPoints / grow_n,
                                                 kMinClusterPlacements, kClusterPlacements));
  a.expected_clusters =
      ExpectedClusters(grow_n, in.span, options.cluster_eps_ns, min_samples, a.cluster_placements);
}

// mark-overlap: a grow-spike sample inside a mark phase, against the mark phases' share of the
// span. A phase with an unknown end runs to the span's edge.
void JudgeMarkOverlap(const TimeInputs& in, TimeAnalysis& a) {
  std::vector<std::pair<int64_t, int64_t>> phases;
  for (const GcCycle& c : in.timeline().gc_cycles) {
    phases.emplace_back(c.start_ns == kNoTime ? in.first : c.start_ns,
                        c.end_ns == kNoTime ? in.last : c.end_ns);
  }
  // Their union, sorted and disjoint: a time is inside when the last run starting at or before
  // it ends at or after it.
  std::vector<std::pair<int64_t, int64_t>> runs = phases;
  std::sort(runs.begin(), runs.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& r : runs) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  a.mark_overlap.assign(in.ts.size(), false);
  int64_t inside = 0;
  for (size_t k = 0; k < in.grow_index.size(); ++k) {
    const int64_t g = in.grow_times[k];
    auto after = std::upper_bound(merged.begin(), merged.end(), g,
                                  [](int64_t x, const auto& r) { return x < r.first; });
    if (after != merged.begin() && g <= std::prev(after)->second) {
      a.mark_overlap[in.grow_index[k]] = true;
      ++inside;
    }
  }
  a.mark_cover_ns = IntervalCover(std::move(phases), in.first, in.last);
  a.mark_overlap_test = JudgeEnrichment(
      static_cast<int64_t>(in.grow_times.size()), inside, in.Share(a.mark_cover_ns),
      in.options.mark_overlap_min_ratio,
      EnrichmentWording{.region = "the mark phases",
                        .no_region_cause = "no-mark-phase",
                        .no_region_reason = "the mark phases cover none of the timeline (no GC "
                                            "cycle within the span)",
                        .cover_cause = "mark-phases-cover-timeline"});
}

// The map-insert series over the span.
void CountAssignRate(const TimeInputs& in, const std::vector<StackFeatures>& features,
                     TimeAnalysis& a) {
  a.assign_counts.assign(static_cast<size_t>(in.span / kAssignRateWindowNs) + 1, 0);
  for (size_t i = 0; i < features.size(); ++i) {
    if (in.ts[i] == kNoTime || (features[i].roles & kRoleMapAssign) == 0) continue;
    const uint64_t offset = static_cast<uint64_t>(in.ts[i]) - static_cast<uint64_t>(in.first);
    ++a.assign_counts[static_cast<size_t>(offset / kAssignRateWindowNs)];
  }
}

// heap-step: steps of the heap inside the span, against the share of the span within
// heap_step_near_ns of a grow cluster. Without any cluster (a program whose heap grows by
// append alone, or whose map growth is too sparse to cluster) the test has no region: the
// steps are listed, none near a cluster, and the verdict is inconclusive, cause no-cluster,
// not normal: too sparse a map growth can still make steps.
void FindHeapStepsNearClusters(const TimeInputs& in, TimeAnalysis& a) {
  const TimeRuleOptions& options = in.options;
  std::vector<HeapPoint> heap = in.timeline().heap_alloc;
  std::stable_sort(heap.begin(), heap.end(),
                   [](const HeapPoint& x, const HeapPoint& y) { return x.ts_ns < y.ts_ns; });
  const int64_t near = options.heap_step_near_ns;
  std::vector<std::pair<int64_t, int64_t>> around;
  for (const GrowCluster& c : a.clusters) around.emplace_back(c.start_ns - near, c.end_ns + near);
  a.cluster_cover_ns = IntervalCover(around, in.first, in.last);
  int64_t near_steps = 0;
  for (HeapStep& st : FindHeapSteps(heap, options.heap_step_share, options.heap_step_within_ns)) {
    if (st.end_ns < in.first || st.end_ns > in.last) continue;
    int64_t best = kMax;
    for (const GrowCluster& c : a.clusters) {
      const int64_t off = st.end_ns < c.start_ns ? st.end_ns - c.start_ns
                          : st.end_ns > c.end_ns ? st.end_ns - c.end_ns
                                                 : 0;
      if (std::abs(off) < best) {
        best = std::abs(off);
        st.cluster = c.id;
        st.offset_ns = off;
      }
    }
    st.near_cluster = st.cluster != 0 && best <= near;
    near_steps += st.near_cluster;
    a.heap_steps.push_back(st);
  }
  a.heap_step_test = JudgeEnrichment(
      static_cast<int64_t>(a.heap_steps.size()), near_steps, in.Share(a.cluster_cover_ns),
      options.heap_step_min_ratio,
      EnrichmentWording{.samples = "heap steps",
                        .short_samples = "heap steps",
                        .sample = "heap step",
                        .region = "the neighbourhoods of the grow clusters",
                        .no_region_cause = "no-cluster",
                        .no_region_reason = "no grow-spike cluster in the timeline: no heap "
                                            "step can line up with one, and there is no "
                                            "neighbourhood to weigh the steps against",
                        .cover_cause = "clusters-cover-timeline"});
}

// Per GC cycle: grow samples in the window before it, assist time, pauses; then the
// mark-termination test over the cycles wholly inside the span.
void ReportCycles(const TimeInputs& in, TimeAnalysis& a) {
  const Timeline& t = in.timeline();
  std::vector<GcCycle> cycles = t.gc_cycles;
  std::sort(cycles.begin(), cycles.end(), [](const GcCycle& x, const GcCycle& y) {
    return StartOrMin(x.start_ns) < StartOrMin(y.start_ns);
  });
  for (const GcCycle& c : cycles) {
    GcCycleReport r;
    r.seq = c.seq;
    r.start_ns = c.start_ns;
    r.end_ns = c.end_ns;
    if (c.start_ns != kNoTime) {
      for (int64_t g : a.grow_times) {
        r.grow_samples_before += g < c.start_ns && c.start_ns - g <= in.options.pre_pause_ns;
      }
    }
    const int64_t lo = StartOrMin(c.start_ns), hi = EndOrMax(c.end_ns);
    for (const AssistInterval& iv : t.assists) {
      const int64_t s = std::max(lo, StartOrMin(iv.start_ns));
      const int64_t e = std::min(hi, EndOrMax(iv.end_ns));
      if (e < s || s == kMin || e == kMax) continue;
      r.assist_ns += e - s;
      ++r.assists;
    }
    a.cycles.push_back(std::move(r));
  }
  // A GC pause belongs to the first cycle that ends at or after it begins (sweep termination
  // stops the world just before a cycle's mark phase, mark termination just before its end);
  // the others (ReadMemStats, trace start and stop...) end no cycle and are listed apart.
  for (const StwPause& p : t.pauses) {
    if (p.start_ns == kNoTime || p.end_ns == kNoTime) continue;
    if (!IsGcPause(in.profile, p)) {
      a.other_pauses.push_back(PauseReport{p.kind, p.start_ns, p.end_ns - p.start_ns});
      continue;
    }
    for (GcCycleReport& r : a.cycles) {
      if (r.end_ns != kNoTime && r.end_ns >= p.start_ns) {
        r.pauses.push_back(PauseReport{p.kind, p.start_ns, p.end_ns - p.start_ns});
        break;
      }
    }
  }
  const StrId mark_termination = in.profile.strings.Find("GC mark termination");
  for (const GcCycleReport& r : a.cycles) {
    if (mark_termination == 0 || r.start_ns == kNoTime || r.end_ns == kNoTime ||
        r.start_ns < in.first || r.end_ns > in.last) {
      continue;
    }
    for (const PauseReport& p : r.pauses) {
      if (p.kind != mark_termination) continue;
      MarkTerminationCycle m{.seq = r.seq, .pause_ns = p.duration_ns};
      for (int64_t g : a.grow_times) m.grow_samples += r.start_ns <= g && g <= r.end_ns;
      a.mark_termination_cycles.push_back(m);
      break;
    }
  }
  a.mark_termination_test =
      JudgeMarkTermination(a.mark_termination_cycles, in.options.mark_termination_min_ratio);
}

}  // namespace

TimeAnalysis ApplyTimeRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                            std::vector<StackFeatures>& features, const TimeRuleOptions& options) {
  TimeAnalysis a;
  a.options = options;
  // A spooled profile's samples are stacks whose records carry the timestamps; no reader that
  // spools has a timeline, and the time rules would need the records.
  StackClassifier classifier(profile, catalogue);  // roles per function, for every phase
  if (profile.timeline.empty() || profile.spool != nullptr) {
    // perf.data: map-churn per thread, nothing else (map_churn.h).
    auto churn = AnalyzePerfMapChurn(profile, classifier, features, options.churn);
    if (churn.ok()) {
      a.churn = std::move(*churn);
    } else {
      a.churn.cause = "unreadable-records";
      a.churn.reason = "the recording's samples could not be read back: " + churn.error().message;
    }
    return a;
  }
  TimeInputs in(profile, options, classifier);
  if (!ReadSampleTimes(in)) {
    a.cause = kNoCpuSamplesCause;  // a trace taken without CPU profiling
    a.reason = kNoCpuSamplesReason;
    return a;
  }
  a.applicable = true;
  a.origin_ns = in.first;
  for (const GcCycle& c : profile.timeline.gc_cycles) {
    if (c.start_ns != kNoTime) a.origin_ns = std::min(a.origin_ns, c.start_ns);
  }
  a.span_start_ns = in.first;
  a.span_end_ns = in.last;
  CoupleAssistsByTime(in, features, a);
  FindPrePauseAndClusters(in, features, a);
  a.churn = AnalyzeMapChurn(profile, classifier, features, in.ts, in.goroutine, options.churn);
  a.churn.origin_ns = a.origin_ns;
  JudgeMarkOverlap(in, a);
  CountAssignRate(in, features, a);
  FindHeapStepsNearClusters(in, a);
  ReportCycles(in, a);
  return a;
}

}  // namespace gcspike
