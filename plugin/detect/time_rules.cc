#include "plugin/detect/time_rules.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "plugin/detect/annotator.h"

namespace gcspike {
namespace {

// Labels the execution-trace reader puts on every CPU sample (formats/go_trace_profile_builder).
constexpr std::string_view kTimestampKey = "timestamp_ns";
constexpr std::string_view kGoroutineKey = "goroutine";

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t StartOrMin(int64_t t) { return t == kNoTime ? kMin : t; }
int64_t EndOrMax(int64_t t) { return t == kNoTime ? kMax : t; }

// The first frame above the innermost map assign that is neither runtime nor a map assign (the
// stack rules' call site, for samples that get a map feature only from time).
uint64_t CallSite(const Profile& profile, const StackClassifier& classifier,
                  const std::vector<uint64_t>& location_ids) {
  bool above_assign = false;
  for (uint64_t id : location_ids) {
    for (const Line& line : profile.location(id).lines) {
      const uint32_t roles = classifier.RolesOfFunction(line.function_id);
      if (roles & kRoleMapAssign) {
        above_assign = true;
      } else if (above_assign && (roles & kRoleRuntime) == 0) {
        return line.function_id;
      }
    }
  }
  return 0;
}

// One-dimensional DBSCAN over sorted times: a point is a core point when at least
// `min_samples` points (itself included) lie within eps of it; core points within eps of each
// other share a cluster; a non-core point within eps of a core point joins the nearest one's
// cluster; the rest is noise (0). Cluster ids are 1, 2, ... in time order.
std::vector<int64_t> Dbscan1D(const std::vector<int64_t>& times, int64_t eps, int min_samples) {
  const size_t n = times.size();
  std::vector<bool> core(n, false);
  size_t lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    while (times[i] - times[lo] > eps) ++lo;
    if (hi < i) hi = i;
    while (hi + 1 < n && times[hi + 1] - times[i] <= eps) ++hi;
    core[i] = static_cast<int64_t>(hi - lo + 1) >= min_samples;
  }
  std::vector<int64_t> id(n, 0);
  int64_t next = 0;
  std::optional<size_t> last_core;
  for (size_t i = 0; i < n; ++i) {
    if (!core[i]) continue;
    if (!last_core || times[i] - times[*last_core] > eps) ++next;
    id[i] = next;
    last_core = i;
  }
  // Border points: the cluster of the nearest core point within eps.
  for (size_t i = 0; i < n; ++i) {
    if (core[i]) continue;
    int64_t best = eps + 1;
    for (size_t j = i; j-- > 0 && times[i] - times[j] <= eps;) {
      if (core[j]) {
        best = times[i] - times[j];
        id[i] = id[j];
        break;
      }
    }
    for (size_t j = i + 1; j < n && times[j] - times[i] <= eps; ++j) {
      if (core[j]) {
        if (times[j] - times[i] < best) id[i] = id[j];
        break;
      }
    }
  }
  return id;
}

}  // namespace

TimeAnalysis ApplyTimeRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                            std::vector<StackFeatures>& features, const TimeRuleOptions& options) {
  TimeAnalysis a;
  a.options = options;
  const Timeline& t = profile.timeline;
  const StrId ts_key = profile.strings.Find(kTimestampKey);
  const StrId g_key = profile.strings.Find(kGoroutineKey);
  // A spooled profile's samples are stacks whose records carry the timestamps; no reader that
  // spools has a timeline, and the time rules would need the records.
  if (ts_key == 0 || t.empty() || profile.spool != nullptr) return a;
  const size_t n = profile.samples.size();
  std::vector<std::optional<int64_t>> ts(n);
  std::vector<int64_t> goroutine(n, -1);
  bool any = false;
  a.origin_ns = kMax;
  for (size_t i = 0; i < n; ++i) {
    const Sample& s = profile.samples[i];
    for (const Label& l : s.labels) {
      if (!l.numeric) continue;
      if (l.key == ts_key) ts[i] = l.num;
      if (l.key == g_key) goroutine[i] = l.num;
    }
    if (ts[i]) {
      any = true;
      a.origin_ns = std::min(a.origin_ns, *ts[i]);
    }
  }
  if (!any) return a;
  a.applicable = true;
  const StackClassifier classifier(profile, catalogue);  // roles per function, for call sites
  for (const GcCycle& c : t.gc_cycles) {
    if (c.start_ns != kNoTime) a.origin_ns = std::min(a.origin_ns, c.start_ns);
  }
  a.pre_pause.assign(n, false);
  a.cluster.assign(n, 0);

  // assist-coupling from time: per goroutine, its assist intervals sorted by start, each with
  // whether the allocation that began it was a map insert or grow (its begin stack). A CPU
  // sample taken during the assist often shows only the GC work (the traceback stops at
  // runtime.systemstack), so the begin stack is what ties that time to the map.
  struct Interval {
    int64_t start, end;
    bool paid_by_map;
    size_t index;  // into t.assists
  };
  std::map<int64_t, std::vector<Interval>> assists;
  StackClassifier begin_classifier(profile, catalogue);
  for (size_t k = 0; k < t.assists.size(); ++k) {
    const AssistInterval& iv = t.assists[k];
    const bool paid_by_map =
        (begin_classifier.Classify(iv.stack).roles & (kRoleMapAssign | kRoleGrow)) != 0;
    assists[iv.goroutine].push_back({StartOrMin(iv.start_ns), EndOrMax(iv.end_ns), paid_by_map, k});
  }
  for (auto& [g, v] : assists) {
    std::sort(v.begin(), v.end(), [](const Interval& x, const Interval& y) { return x.start < y.start; });
  }
  for (size_t i = 0; i < n; ++i) {
    StackFeatures& f = features[i];
    if (!ts[i] || goroutine[i] <= 0) continue;
    auto it = assists.find(goroutine[i]);
    if (it == assists.end()) continue;
    // Assists of one goroutine do not overlap: the last one starting at or before ts decides.
    const auto& v = it->second;
    auto after = std::upper_bound(v.begin(), v.end(), *ts[i],
                                  [](int64_t x, const Interval& iv) { return x < iv.start; });
    if (after == v.begin() || std::prev(after)->end < *ts[i]) continue;
    const Interval& in = *std::prev(after);
    ++a.samples_in_assist;
    const bool map_on_stack = (f.roles & (kRoleMapAssign | kRoleGrow)) != 0;
    if (!map_on_stack && !in.paid_by_map) continue;
    // Coupled by time. Where the stack rules already said so, the two agree.
    ++a.assist_coupling_by_time;
    if ((f.features & kFeatureAssistCoupling) != 0) {
      ++a.assist_coupling_by_time_and_stack;
      continue;
    }
    f.features |= kFeatureAssistCoupling;
    if (f.site_function_id == 0) {
      f.site_function_id = CallSite(profile, classifier, map_on_stack
                                                             ? profile.samples[i].location_ids
                                                             : t.assists[in.index].stack);
    }
    ++a.assist_coupling_added;
    if (!map_on_stack) ++a.assist_coupling_by_begin_stack;
  }

  // pre-pause: a grow-spike sample at most W before some stop-the-world start.
  std::vector<int64_t> pause_starts;
  for (const StwPause& p : t.pauses) {
    if (p.start_ns != kNoTime) pause_starts.push_back(p.start_ns);
  }
  std::sort(pause_starts.begin(), pause_starts.end());
  std::vector<int64_t> grow_times;
  std::vector<size_t> grow_index;
  for (size_t i = 0; i < n; ++i) {
    if (!ts[i] || (features[i].features & kFeatureGrowSpike) == 0) continue;
    auto next = std::lower_bound(pause_starts.begin(), pause_starts.end(), *ts[i]);
    if (next != pause_starts.end() && *next - *ts[i] <= options.pre_pause_ns) {
      a.pre_pause[i] = true;
      ++a.pre_pause_samples;
    }
    grow_times.push_back(*ts[i]);
    grow_index.push_back(i);
  }

  // Clusters of grow-spike samples in time.
  std::vector<size_t> order(grow_times.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return grow_times[x] < grow_times[y]; });
  std::vector<int64_t> sorted_times;
  for (size_t k : order) sorted_times.push_back(grow_times[k]);
  const std::vector<int64_t> ids =
      Dbscan1D(sorted_times, options.cluster_eps_ns, std::max(1, options.cluster_min_samples));
  for (size_t k = 0; k < order.size(); ++k) {
    if (ids[k] == 0) continue;
    a.cluster[grow_index[order[k]]] = ids[k];
    if (a.clusters.size() < static_cast<size_t>(ids[k])) {
      a.clusters.push_back(GrowCluster{ids[k], sorted_times[k], sorted_times[k], 0});
    }
    GrowCluster& c = a.clusters[static_cast<size_t>(ids[k] - 1)];
    c.start_ns = std::min(c.start_ns, sorted_times[k]);
    c.end_ns = std::max(c.end_ns, sorted_times[k]);
    ++c.samples;
  }

  // Per GC cycle: grow samples in the window before it, assist time, pauses.
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
      for (int64_t g : grow_times) {
        r.grow_samples_before += g < c.start_ns && c.start_ns - g <= options.pre_pause_ns;
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
  // A pause belongs to the first cycle that ends at or after it begins (sweep termination
  // stops the world just before a cycle's mark phase, mark termination just before its end).
  for (const StwPause& p : t.pauses) {
    if (p.start_ns == kNoTime || p.end_ns == kNoTime) continue;
    for (GcCycleReport& r : a.cycles) {
      if (r.end_ns != kNoTime && r.end_ns >= p.start_ns) {
        r.pauses.emplace_back(p.kind, p.end_ns - p.start_ns);
        break;
      }
    }
  }
  return a;
}

void ApplyTimeLabels(Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) return;
  const StrId feature_key = profile.Intern(kFeatureLabelKey);
  const StrId cluster_key = profile.Intern(kClusterLabelKey);
  const StrId cluster_unit = profile.Intern("cluster");
  std::map<StrId, StrId> with_pre_pause;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    Sample& s = profile.samples[i];
    std::erase_if(s.labels, [&](const Label& l) { return l.key == cluster_key; });
    if (a.pre_pause[i]) {
      for (Label& l : s.labels) {
        if (l.key != feature_key || l.numeric) continue;
        auto [it, inserted] = with_pre_pause.try_emplace(l.str, 0);
        if (inserted) {
          it->second = profile.Intern(profile.str(l.str) + "+" + std::string(kPrePauseName));
        }
        l.str = it->second;
      }
    }
    if (a.cluster[i] != 0) {
      s.labels.push_back(Label{
          .key = cluster_key, .num = a.cluster[i], .num_unit = cluster_unit, .numeric = true});
    }
  }
}

std::string RenderTimeReport(const Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) return "";
  auto ms = [&](int64_t t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(t - a.origin_ns) / 1e6);
    return std::string(buf);
  };
  auto dur = [](int64_t d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(d) / 1e6);
    return std::string(buf);
  };
  std::string out = "\nExecution trace timeline (times in ms from the first event)\n";
  out += "  samples inside a mark assist of their goroutine: " +
         std::to_string(a.samples_in_assist) + "; assist-coupling by time (a map insert or grow "
         "on the sample's stack or on the stack that began the assist): " +
         std::to_string(a.assist_coupling_by_time) + ", of which " +
         std::to_string(a.assist_coupling_by_time_and_stack) +
         " the stack rules also label; added by time alone: " +
         std::to_string(a.assist_coupling_added) + " (" +
         std::to_string(a.assist_coupling_by_begin_stack) +
         " through the assist's begin stack)\n";
  out += "  pre-pause: " + std::to_string(a.pre_pause_samples) +
         " grow-spike samples within " + dur(a.options.pre_pause_ns) +
         " before a stop-the-world pause\n";
  out += "  grow-spike clusters (eps " + dur(a.options.cluster_eps_ns) + ", min " +
         std::to_string(a.options.cluster_min_samples) +
         " samples): " + std::to_string(a.clusters.size()) + "\n";
  for (const GrowCluster& c : a.clusters) {
    out += "    cluster " + std::to_string(c.id) + ": " + ms(c.start_ns) + " .. " + ms(c.end_ns) +
           ", " + std::to_string(c.samples) + " samples\n";
  }
  out += "  GC cycles: " + std::to_string(a.cycles.size()) + "\n";
  int ordinal = 0;
  for (const GcCycleReport& r : a.cycles) {
    // Numbered like the gc_cycle label: cycles begun in the trace count from 1.
    const std::string name = r.start_ns == kNoTime ? "GC (begun before the trace)"
                                                   : "GC " + std::to_string(++ordinal);
    out += "    " + name + ": " +
           (r.start_ns == kNoTime ? std::string("(before trace)") : ms(r.start_ns)) + " .. " +
           (r.end_ns == kNoTime ? std::string("(after trace)") : ms(r.end_ns)) + ", " +
           std::to_string(r.grow_samples_before) + " grow samples in the " +
           dur(a.options.pre_pause_ns) + " before, assists " + std::to_string(r.assists) +
           " (" + dur(r.assist_ns) + ")";
    for (const auto& [kind, d] : r.pauses) {
      out += ", " + (kind == 0 ? std::string("pause") : profile.str(kind)) + " " + dur(d);
    }
    out += "\n";
  }
  return out;
}

}  // namespace gcspike
