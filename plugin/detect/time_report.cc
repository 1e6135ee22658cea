// The time rules' reports (time_rules.h): the "Execution trace timeline" section of the text
// report, the "timeline" object of the JSON report and the time features inside "features".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "formats/json_text.h"
#include "plugin/detect/feature_format.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {
namespace {

// "1.05, p = 0.53: normal" (and the reason when inconclusive), ending the line of an
// enrichment test in the text report.
std::string RatioAndVerdict(double ratio, double p_value, Verdict verdict,
                            const std::string& reason) {
  char num[64];
  std::string out;
  if (std::isfinite(ratio)) {
    std::snprintf(num, sizeof num, "%.2f", ratio);
    out += num;
  } else {
    out += "-";
  }
  std::snprintf(num, sizeof num, "%.2g", p_value);
  out += std::string(", p = ") + num + ": " + std::string(VerdictName(verdict));
  if (verdict == Verdict::kInconclusive) out += " (" + reason + ")";
  return out + "\n";
}

// "8 of 100 grow-spike samples (8.0 %)": an enrichment test's hits of its samples.
std::string HitsOf(const EnrichmentTest& t, std::string_view what) {
  std::string out =
      std::to_string(t.hits) + " of " + std::to_string(t.samples) + " " + std::string(what);
  if (t.samples > 0) out += " (" + Percent(t.fraction) + ")";
  return out;
}

void AppendJsonTime(std::string& out, int64_t t) {
  out += t == kNoTime ? std::string("null") : std::to_string(t);
}

// A feature judged by JudgeEnrichment, inside "features" (time_rules.h has the keys).
void AppendEnrichmentJson(std::string& out, std::string_view name, std::string_view hits_key,
                          const EnrichmentTest& t, double ratio_threshold) {
  out += ",";
  AppendJsonString(out, name);
  out += ":{\"fraction\":";
  AppendJsonNumber(out, t.fraction);
  const Interval interval =
      WilsonInterval(static_cast<double>(t.hits), static_cast<double>(t.samples));
  out += ",\"interval\":[";
  AppendJsonNumber(out, interval.lo);
  out += ",";
  AppendJsonNumber(out, interval.hi);
  out += "],\"samples\":" + std::to_string(t.samples) + ",";
  AppendJsonString(out, hits_key);
  out += ":" + std::to_string(t.hits) + ",\"expected\":";
  AppendJsonNumber(out, t.expected);
  out += ",\"ratio\":";
  AppendJsonNumber(out, t.ratio);
  out += ",\"p_value\":";
  AppendJsonNumber(out, t.p_value);
  AppendVerdictJson(out, t.verdict, t.cause, t.reason);
  out += ",\"ratio_threshold\":";
  AppendJsonNumber(out, ratio_threshold);
  out += ",\"p_threshold\":";
  AppendJsonNumber(out, kPrePauseAlpha);
  out += "}";
}

void AppendJsonTimes(std::string& out, const std::vector<int64_t>& times) {
  out += '[';
  for (size_t i = 0; i < times.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(times[i]);
  }
  out += ']';
}

// "12.345 ms".
std::string Duration(int64_t d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(d) / 1e6);
  return std::string(buf);
}

// The feature lines of the text report: assist-coupling by time, then each enrichment test and
// mark-termination.
std::string FeatureLines(const TimeAnalysis& a) {
  std::string out =
      "  samples inside a mark assist of their goroutine: " + std::to_string(a.samples_in_assist) +
      "; assist-coupling by time (a map insert or grow "
      "on the sample's stack or on the stack that began the assist): " +
      std::to_string(a.assist_coupling_by_time) + ", of which " +
      std::to_string(a.assist_coupling_by_time_and_stack) +
      " the stack rules also label; added by time alone: " +
      std::to_string(a.assist_coupling_added) + " (" +
      std::to_string(a.assist_coupling_by_begin_stack) + " through the assist's begin stack)\n";
  const EnrichmentTest& pp = a.pre_pause_test;
  char num[64];
  out += "  pre-pause: " + HitsOf(pp, "grow-spike samples") + " within " +
         Duration(a.options.pre_pause_ns) +
         " before a GC stop-the-world pause; the windows cover " + Percent(pp.expected) +
         " of the timeline (expected by chance); ratio ";
  out += RatioAndVerdict(pp.ratio, pp.p_value, pp.verdict, pp.reason);
  out += RenderMapChurnText(a.churn);
  const EnrichmentTest& mo = a.mark_overlap_test;
  out += "  mark-overlap: " + HitsOf(mo, "grow-spike samples") +
         " inside a GC mark phase; the mark phases cover " + Percent(mo.expected) +
         " of the timeline (expected by chance); ratio ";
  out += RatioAndVerdict(mo.ratio, mo.p_value, mo.verdict, mo.reason);
  const EnrichmentTest& hs = a.heap_step_test;
  out += "  heap-step: " + HitsOf(hs, "heap steps");
  std::snprintf(num, sizeof num, "%.3g %%", a.options.heap_step_share * 100);
  out += std::string(" (rises above ") + num + " of the heap within " +
         Duration(a.options.heap_step_within_ns) + ") within " +
         Duration(a.options.heap_step_near_ns) + " of a grow cluster; that neighbourhood covers " +
         Percent(hs.expected) + " of the timeline (expected by chance); ratio ";
  out += RatioAndVerdict(hs.ratio, hs.p_value, hs.verdict, hs.reason);
  const MarkTerminationTest& mt = a.mark_termination_test;
  out += "  mark-termination: " + std::to_string(mt.cycles) +
         " GC cycles; rank correlation of grow samples in the mark phase with the "
         "mark-termination pause: rho ";
  auto fixed = [&](double v, const char* fmt) {
    if (!std::isfinite(v)) return std::string("-");
    std::snprintf(num, sizeof num, fmt, v);
    return std::string(num);
  };
  out += fixed(mt.rho, "%.2f") + ", p = " + fixed(mt.p_value, "%.2g") +
         "; median pause of the top quartile over the bottom quartile " + fixed(mt.ratio, "%.2f");
  if (!std::isnan(mt.ratio_interval.lo)) {
    const double hi = mt.ratio_interval.hi;
    out += " [95% " + fixed(mt.ratio_interval.lo, "%.2f") + "-" +
           (std::isinf(hi) ? std::string("inf") : fixed(hi, "%.2f")) + "]";
  }
  out += ": " + std::string(VerdictName(mt.verdict));
  if (mt.verdict == Verdict::kInconclusive) out += " (" + mt.reason + ")";
  out += "\n";
  return out;
}

// "other stop-the-world pauses: 3 (ReadMemStats 2, start trace 1), 41us in all": the pauses
// that end no GC cycle, by kind in the order first seen; "" when there are none.
std::string OtherPausesLine(const Profile& profile, const std::vector<PauseReport>& pauses) {
  if (pauses.empty()) return "";
  std::vector<std::pair<StrId, int64_t>> kinds;
  int64_t total_ns = 0;
  for (const PauseReport& p : pauses) {
    total_ns += p.duration_ns;
    auto it =
        std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == p.kind; });
    if (it == kinds.end()) {
      kinds.emplace_back(p.kind, 1);
    } else {
      ++it->second;
    }
  }
  std::string out =
      "  other stop-the-world pauses (no GC cycle's): " + std::to_string(pauses.size()) + " (";
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) out += ", ";
    out += (kinds[i].first == 0 ? std::string("pause") : profile.str(kinds[i].first)) + " " +
           std::to_string(kinds[i].second);
  }
  return out + "), " + Duration(total_ns) + " in all\n";
}

// The grow-spike clusters and the GC cycles of the text report, times in ms from the origin.
std::string ClusterAndCycleLines(const Profile& profile, const TimeAnalysis& a) {
  auto ms = [&](int64_t t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(t - a.origin_ns) / 1e6);
    return std::string(buf);
  };
  char num[64];
  std::string out;
  std::snprintf(num, sizeof num, "%.1f", a.expected_clusters);
  out += "  grow-spike clusters (eps " + Duration(a.options.cluster_eps_ns) + ", min " +
         std::to_string(a.options.cluster_min_samples) +
         " samples): " + std::to_string(a.clusters.size()) + "; random placements of the " +
         std::to_string(a.pre_pause_test.samples) + " samples over the timeline give " + num +
         " on average\n";
  if (!a.clusters.empty()) {
    out += "    cluster  start ms  duration ms  grow samples  before pause\n";
  }
  for (const GrowCluster& c : a.clusters) {
    char row[128];
    std::snprintf(row, sizeof row, "    %7lld  %8s  %11.3f  %12lld  %s\n",
                  static_cast<long long>(c.id), ms(c.start_ns).c_str(),
                  static_cast<double>(c.end_ns - c.start_ns) / 1e6,
                  static_cast<long long>(c.samples), c.before_pause ? "yes" : "no");
    out += row;
  }
  out += "  GC cycles: " + std::to_string(a.cycles.size()) + "\n";
  int ordinal = 0;
  for (const GcCycleReport& r : a.cycles) {
    // Numbered like the gc_cycle label: cycles begun in the trace count from 1.
    const std::string name =
        r.start_ns == kNoTime ? "GC (begun before the trace)" : "GC " + std::to_string(++ordinal);
    out += "    " + name + ": " +
           (r.start_ns == kNoTime ? std::string("(before trace)") : ms(r.start_ns)) + " .. " +
           (r.end_ns == kNoTime ? std::string("(after trace)") : ms(r.end_ns)) + ", " +
           std::to_string(r.grow_samples_before) + " grow samples in the " +
           Duration(a.options.pre_pause_ns) + " before, assists " + std::to_string(r.assists) +
           " (" + Duration(r.assist_ns) + ")";
    for (const PauseReport& p : r.pauses) {
      out += ", " + (p.kind == 0 ? std::string("pause") : profile.str(p.kind)) + " " +
             Duration(p.duration_ns);
    }
    out += "\n";
  }
  out += OtherPausesLine(profile, a.other_pauses);
  return out;
}

// A "pauses" or "other_pauses" array (time_rules.h has the keys).
void AppendPausesJson(std::string& out, const Profile& profile,
                      const std::vector<PauseReport>& pauses) {
  out += "[";
  for (size_t k = 0; k < pauses.size(); ++k) {
    const PauseReport& p = pauses[k];
    out += k > 0 ? ",{\"kind\":" : "{\"kind\":";
    if (p.kind == 0) {
      out += "null";
    } else {
      AppendJsonString(out, profile.str(p.kind));
    }
    out += ",\"start_ns\":" + std::to_string(p.start_ns) +
           ",\"duration_ns\":" + std::to_string(p.duration_ns) + "}";
  }
  out += "]";
}

// The "gc_cycles" array's items (time_rules.h has the keys).
void AppendCyclesJson(std::string& out, const Profile& profile,
                      const std::vector<GcCycleReport>& cycles) {
  for (size_t i = 0; i < cycles.size(); ++i) {
    const GcCycleReport& r = cycles[i];
    out += i > 0 ? ",{" : "{";
    out += "\"seq\":" + std::to_string(r.seq) + ",\"start_ns\":";
    AppendJsonTime(out, r.start_ns);
    out += ",\"end_ns\":";
    AppendJsonTime(out, r.end_ns);
    out += ",\"pauses\":";
    AppendPausesJson(out, profile, r.pauses);
    out += ",\"assists\":" + std::to_string(r.assists) +
           ",\"assist_ns\":" + std::to_string(r.assist_ns) +
           ",\"grow_samples_before\":" + std::to_string(r.grow_samples_before) + "}";
  }
}

}  // namespace

std::string RenderTimeReport(const Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) {
    // perf.data: map-churn per thread is the one time feature (map_churn.h).
    const std::string churn = RenderMapChurnText(a.churn);
    return churn.empty()
               ? ""
               : "\nThreads over time (perf.data; times in ms from the first sample)\n" + churn;
  }
  return "\nExecution trace timeline (times in ms from the first event)\n" + FeatureLines(a) +
         ClusterAndCycleLines(profile, a);
}

void AppendTimeJson(std::string& out, const Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) return;
  out += ",\"timeline\":{\"origin_ns\":" + std::to_string(a.origin_ns) + ",\"span_ns\":[" +
         std::to_string(a.span_start_ns) + "," + std::to_string(a.span_end_ns) +
         "],\"window_ns\":" + std::to_string(a.options.pre_pause_ns) + ",\"gc_cycles\":[";
  AppendCyclesJson(out, profile, a.cycles);
  out += "],\"other_pauses\":";
  AppendPausesJson(out, profile, a.other_pauses);
  out += ",\"clusters\":[";
  for (size_t i = 0; i < a.clusters.size(); ++i) {
    const GrowCluster& c = a.clusters[i];
    out += (i > 0 ? ",{\"id\":" : "{\"id\":") + std::to_string(c.id) +
           ",\"start_ns\":" + std::to_string(c.start_ns) +
           ",\"end_ns\":" + std::to_string(c.end_ns) + ",\"samples\":" + std::to_string(c.samples) +
           ",\"duration_ns\":" + std::to_string(c.end_ns - c.start_ns) +
           ",\"grow_samples\":" + std::to_string(c.samples) +
           ",\"before_pause\":" + (c.before_pause ? "true" : "false") + "}";
  }
  out += "],\"cluster_eps_ns\":" + std::to_string(a.options.cluster_eps_ns) +
         ",\"cluster_min_samples\":" + std::to_string(a.options.cluster_min_samples) +
         ",\"expected_clusters\":";
  AppendJsonNumber(out, a.expected_clusters);
  out += ",\"cluster_placements\":" + std::to_string(a.cluster_placements);
  out +=
      ",\"assist_coupling_by_time\":{\"samples_in_assist\":" + std::to_string(a.samples_in_assist) +
      ",\"by_time\":" + std::to_string(a.assist_coupling_by_time) +
      ",\"by_time_and_stack\":" + std::to_string(a.assist_coupling_by_time_and_stack) +
      ",\"added\":" + std::to_string(a.assist_coupling_added) +
      ",\"by_begin_stack\":" + std::to_string(a.assist_coupling_by_begin_stack) + "}";
  out += ",\"grow_sample_times_ns\":";
  AppendJsonTimes(out, a.grow_times);
  out += ",\"pause_starts_ns\":";
  AppendJsonTimes(out, a.pause_starts);
  out += ",\"assign_rate\":{\"window_ns\":" + std::to_string(kAssignRateWindowNs) +
         ",\"start_ns\":" + std::to_string(a.span_start_ns) + ",\"counts\":";
  AppendJsonTimes(out, a.assign_counts);
  out += "},\"heap_steps\":[";
  for (size_t i = 0; i < a.heap_steps.size(); ++i) {
    const HeapStep& st = a.heap_steps[i];
    out += i > 0 ? ",{" : "{";
    out +=
        "\"start_ns\":" + std::to_string(st.start_ns) + ",\"end_ns\":" + std::to_string(st.end_ns) +
        ",\"from_bytes\":" + std::to_string(st.from_bytes) +
        ",\"to_bytes\":" + std::to_string(st.to_bytes) +
        ",\"cluster\":" + (st.cluster == 0 ? std::string("null") : std::to_string(st.cluster)) +
        ",\"offset_ns\":" + (st.cluster == 0 ? std::string("null") : std::to_string(st.offset_ns)) +
        ",\"near_cluster\":" + (st.near_cluster ? "true" : "false") + "}";
  }
  out += "],\"heap_step_share\":";
  AppendJsonNumber(out, a.options.heap_step_share);
  out += ",\"heap_step_within_ns\":" + std::to_string(a.options.heap_step_within_ns) +
         ",\"heap_step_near_ns\":" + std::to_string(a.options.heap_step_near_ns) +
         ",\"mark_termination\":[";
  for (size_t i = 0; i < a.mark_termination_cycles.size(); ++i) {
    const MarkTerminationCycle& m = a.mark_termination_cycles[i];
    out += (i > 0 ? ",{\"seq\":" : "{\"seq\":") + std::to_string(m.seq) +
           ",\"grow_samples\":" + std::to_string(m.grow_samples) +
           ",\"pause_ns\":" + std::to_string(m.pause_ns) + "}";
  }
  out += "]}";
}

void AppendPrePauseFeatureJson(std::string& out, const TimeAnalysis& a) {
  if (!a.applicable) {
    // perf.data has map-churn of its own (map_churn.h); nothing else has any time feature.
    if (a.churn.applicable || !a.churn.cause.empty()) {
      AppendMapChurnJson(out, a.churn);
    } else {
      AppendUnjudgedJson(out, kMapChurnName, a.cause, a.reason);
    }
    for (std::string_view name : {kMarkOverlapName, kHeapStepName, kMarkTerminationName}) {
      AppendUnjudgedJson(out, name, a.cause, a.reason);
    }
    return;
  }
  AppendEnrichmentJson(out, kPrePauseName, "pre_pause_samples", a.pre_pause_test,
                       a.options.pre_pause_min_ratio);
  AppendMapChurnJson(out, a.churn);
  AppendEnrichmentJson(out, kMarkOverlapName, "mark_overlap_samples", a.mark_overlap_test,
                       a.options.mark_overlap_min_ratio);
  AppendEnrichmentJson(out, kHeapStepName, "near_cluster_steps", a.heap_step_test,
                       a.options.heap_step_min_ratio);
  const MarkTerminationTest& m = a.mark_termination_test;
  out += ",";
  AppendJsonString(out, kMarkTerminationName);
  out += ":{\"rho\":";
  AppendJsonNumber(out, m.rho);
  out += ",\"p_value\":";
  AppendJsonNumber(out, m.p_value);
  out += ",\"ratio\":";
  AppendJsonNumber(out, m.ratio);
  out += ",\"ratio_interval\":[";
  AppendJsonNumber(out, m.ratio_interval.lo);
  out += ",";
  AppendJsonNumber(out, m.ratio_interval.hi);
  out += "],\"cycles\":" + std::to_string(m.cycles);
  AppendVerdictJson(out, m.verdict, m.cause, m.reason);
  out += ",\"ratio_threshold\":";
  AppendJsonNumber(out, a.options.mark_termination_min_ratio);
  out += ",\"p_threshold\":";
  AppendJsonNumber(out, kPrePauseAlpha);
  out += ",\"permutations\":" + std::to_string(kMarkTerminationPermutations) +
         ",\"resamples\":" + std::to_string(kMarkTerminationResamples) + "}";
}

}  // namespace gcspike
