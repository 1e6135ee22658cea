#include "plugin/detect/map_churn.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>

#include "core/sample_spool.h"
#include "formats/json_text.h"
#include "plugin/detect/feature_format.h"
#include "plugin/detect/perf_events.h"
#include "plugin/detect/statistics.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {
namespace {

bool ByRunnerTime(const BlockingEvent& a, const BlockingEvent& b) {
  return a.goroutine != b.goroutine ? a.goroutine < b.goroutine : a.ts_ns < b.ts_ns;
}

// Whether a blocking event of `runner` lies in (lo, hi].
bool BlockedBetween(std::span<const BlockingEvent> blocking, int64_t runner, int64_t lo,
                    int64_t hi) {
  auto it =
      std::upper_bound(blocking.begin(), blocking.end(), BlockingEvent{runner, lo}, ByRunnerTime);
  return it != blocking.end() && it->goroutine == runner && it->ts_ns <= hi;
}

// Counts, the share with its interval and the verdict (map_churn.h's rules).
void Judge(MapChurnAnalysis& a) {
  a.fraction = a.samples > 0 ? static_cast<double>(a.churn_samples) / static_cast<double>(a.samples)
                             : std::numeric_limits<double>::quiet_NaN();
  a.interval = WilsonInterval(static_cast<double>(a.churn_samples), static_cast<double>(a.samples));
  char buf[200];
  if (a.samples < kPrePauseMinSamples) {
    std::snprintf(buf, sizeof buf, "only %lld samples with a time (%lld needed)",
                  static_cast<long long>(a.samples), static_cast<long long>(kPrePauseMinSamples));
    a.cause = "too-few-samples";
    a.reason = buf;
    return;
  }
  switch (CompareInterval(a.interval, a.options.share, /*inclusive=*/true)) {
    case Side::kAbove:
      a.verdict = Verdict::kSpike;
      return;
    case Side::kBelow:
      a.verdict = Verdict::kNormal;
      return;
    case Side::kStraddles:
      std::snprintf(buf, sizeof buf,
                    "the 95 %% interval of the share straddles the threshold %.3g %%: a longer "
                    "recording decides",
                    a.options.share * 100);
      a.cause = "borderline";
      a.reason = buf;
      return;
  }
}

// Runs, samples and the longest runs per runner, from the points' run lengths; `site_of(k)`
// names the call site of point k.
template <typename SiteOf>
void Tally(MapChurnAnalysis& a, const std::vector<ChurnPoint>& points,
           const std::vector<int64_t>& run, const SiteOf& site_of) {
  std::map<int64_t, ChurnRunner> by_runner;
  std::map<int64_t, size_t> best_point;
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return points[x].runner != points[y].runner ? points[x].runner < points[y].runner
                                                : points[x].ts_ns < points[y].ts_ns;
  });
  int64_t left = 0;  // samples left in the current run
  for (size_t k : order) {
    if (run[k] == 0) continue;
    ++a.churn_samples;
    ChurnRunner& r = by_runner[points[k].runner];
    r.id = points[k].runner;
    ++r.churn_samples;
    if (left == 0) {
      left = run[k];
      ++r.runs;
      ++a.runs;
      if (run[k] > r.longest_run) {
        r.longest_run = run[k];
        r.start_ns = points[k].ts_ns;
        best_point[r.id] = k;
      }
    }
    --left;
  }
  for (auto& [id, r] : by_runner) {
    r.site = site_of(best_point[id]);
    a.longest.push_back(std::move(r));
  }
  std::stable_sort(a.longest.begin(), a.longest.end(), [](const auto& x, const auto& y) {
    return x.longest_run != y.longest_run ? x.longest_run > y.longest_run
                                          : x.churn_samples > y.churn_samples;
  });
  if (a.longest.size() > kMaxChurnRunners) a.longest.resize(kMaxChurnRunners);
  a.samples = static_cast<int64_t>(points.size());
  Judge(a);
}

std::string SiteName(const Profile& profile, const StackClassifier& classifier,
                     std::span<const uint64_t> location_ids) {
  const uint64_t f = MapInsertCallSite(profile, classifier, location_ids);
  return f == 0 ? std::string() : profile.str(profile.function(f).name);
}

}  // namespace

uint64_t MapInsertCallSite(const Profile& profile, const StackClassifier& classifier,
                           std::span<const uint64_t> location_ids) {
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

std::vector<int64_t> FindChurnRuns(const std::vector<ChurnPoint>& points,
                                   std::span<const BlockingEvent> blocking, int run_length) {
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return points[x].runner != points[y].runner ? points[x].runner < points[y].runner
                                                : points[x].ts_ns < points[y].ts_ns;
  });
  std::vector<int64_t> run(points.size(), 0);
  size_t begin = 0;  // of the current run, in `order`
  auto close = [&](size_t end) {
    const auto len = static_cast<int64_t>(end - begin);
    if (len >= run_length) {
      for (size_t k = begin; k < end; ++k) run[order[k]] = len;
    }
  };
  for (size_t k = 0; k < order.size(); ++k) {
    const ChurnPoint& p = points[order[k]];
    if (!p.map_insert) {
      close(k);
      begin = k + 1;
      continue;
    }
    if (k > begin) {  // the previous point is in the current run
      const ChurnPoint& prev = points[order[k - 1]];
      if (prev.runner != p.runner || BlockedBetween(blocking, p.runner, prev.ts_ns, p.ts_ns)) {
        close(k);
        begin = k;
      }
    }
  }
  close(order.size());
  return run;
}

MapChurnAnalysis AnalyzeMapChurn(const Profile& profile, const StackClassifier& classifier,
                                 const std::vector<StackFeatures>& features,
                                 const std::vector<int64_t>& times,
                                 const std::vector<int64_t>& goroutines,
                                 const MapChurnOptions& options) {
  MapChurnAnalysis a;
  a.applicable = true;
  a.options = options;
  const Timeline& t = profile.timeline;
  a.blocking_events = static_cast<int64_t>(t.blocking.size()) + t.blocking_dropped;
  // Samples with no goroutine each stand alone: runner ids below any goroutine's.
  std::vector<ChurnPoint> points;
  std::vector<size_t> sample_of;
  int64_t lone = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    if (times[i] == kNoTime) continue;
    const int64_t runner = goroutines[i] > 0 ? goroutines[i] : --lone;
    points.push_back({runner, times[i], (features[i].roles & kRoleMapAssign) != 0});
    sample_of.push_back(i);
  }
  const std::vector<int64_t> run = FindChurnRuns(points, t.blocking, options.run_length);
  a.run.assign(profile.samples.size(), 0);
  for (size_t k = 0; k < points.size(); ++k) a.run[sample_of[k]] = run[k];
  Tally(a, points, run, [&](size_t k) {
    return SiteName(profile, classifier, profile.samples[sample_of[k]].location_ids);
  });
  if (t.blocking_dropped > 0 && a.verdict != Verdict::kInconclusive) {
    a.verdict = Verdict::kInconclusive;
    a.cause = "blocking-events-dropped";
    a.reason = "the trace has more blocking events than gcspike keeps (" +
               std::to_string(kMaxBlockingEvents) + "): runs may span blocking it did not see";
  }
  return a;
}

namespace {

// perf.data events by name (perf_data_reader.h: sample types "<event>_samples"): 1 an event
// sampling CPU time (perf_events.h: cpu-clock, cycles, ...), 2 a blocking tracepoint, 0 other
// (page faults are neither CPU samples nor blocking).
int PerfEventKind(std::string_view samples_type) {
  if (!samples_type.ends_with("_samples")) return 0;
  const std::string_view name = samples_type.substr(0, samples_type.size() - 8);
  if (IsCpuTimeEvent(name)) return 1;
  if (name == "sched:sched_switch" || name == "raw_syscalls:sys_enter" ||
      name.starts_with("syscalls:sys_enter_")) {
    return 2;
  }
  return 0;
}

}  // namespace

Result<MapChurnAnalysis> AnalyzePerfMapChurn(const Profile& profile,
                                             const StackClassifier& classifier,
                                             const std::vector<StackFeatures>& features,
                                             const MapChurnOptions& options) {
  MapChurnAnalysis a;
  a.unit = "thread";
  a.options = options;
  const StrId tid_key = profile.strings.Find("tid");
  const StrId ts_key = profile.strings.Find("timestamp_ns");
  if (tid_key == 0 || ts_key == 0) return a;  // not a perf.data recording with times
  std::vector<int> kind(profile.sample_types.size(), 0);
  bool can_block = false;
  for (size_t k = 0; k < kind.size(); ++k) {
    kind[k] = PerfEventKind(profile.str(profile.sample_types[k].type));
    can_block = can_block || kind[k] == 2;
  }
  if (!can_block) {
    a.cause = "no-blocking-events";
    a.reason =
        "the recording has no scheduler or syscall events, so a thread's blocking is "
        "unknown: record with perf record -e cpu-clock -e sched:sched_switch (or -e "
        "raw_syscalls:sys_enter)";
    return a;
  }
  std::vector<ChurnPoint> points;
  std::vector<uint32_t> stack_of;
  std::vector<BlockingEvent> blocking;
  a.origin_ns = std::numeric_limits<int64_t>::max();
  auto visit = [&](uint32_t stack, std::span<const int64_t> values, std::span<const Label> labels) {
    int64_t tid = 0, ts = kNoTime;
    const std::span<const Label> own(profile.samples[stack].labels);
    for (std::span<const Label> ls : {labels, own}) {
      for (const Label& l : ls) {
        if (l.numeric && l.key == tid_key && tid == 0) tid = l.num;
        if (l.numeric && l.key == ts_key && ts == kNoTime) ts = l.num;
      }
    }
    if (ts == kNoTime || tid <= 0) return;
    for (size_t k = 0; k < values.size() && k < kind.size(); ++k) {
      if (values[k] == 0 || kind[k] == 0) continue;
      if (kind[k] == 2) {
        blocking.push_back({tid, ts});
      } else {
        points.push_back({tid, ts, (features[stack].roles & kRoleMapAssign) != 0});
        stack_of.push_back(stack);
        a.origin_ns = std::min(a.origin_ns, ts);
      }
      return;
    }
  };
  if (profile.spool != nullptr) {
    GCSPIKE_RETURN_IF_ERROR(
        profile.spool->ForEach(profile.samples.size(), [&](const SampleSpool::Record& r) -> Status {
          visit(r.sample, r.values, r.labels);
          return {};
        }));
  } else {
    for (size_t i = 0; i < profile.samples.size(); ++i) {
      visit(static_cast<uint32_t>(i), profile.samples[i].values, {});
    }
  }
  std::sort(blocking.begin(), blocking.end(), ByRunnerTime);
  a.applicable = true;
  a.blocking_events = static_cast<int64_t>(blocking.size());
  const std::vector<int64_t> run = FindChurnRuns(points, blocking, options.run_length);
  Tally(a, points, run, [&](size_t k) {
    return SiteName(profile, classifier, profile.samples[stack_of[k]].location_ids);
  });
  return a;
}

void AppendMapChurnJson(std::string& out, const MapChurnAnalysis& a) {
  if (!a.applicable && a.cause.empty()) {
    AppendNoTimelineJson(out, kMapChurnName);
    return;
  }
  out += ",";
  AppendJsonString(out, kMapChurnName);
  auto number = [](double v) {
    std::string s;
    AppendJsonNumber(s, v);
    return s;
  };
  out += ":{\"fraction\":" + number(a.fraction) + ",\"interval\":[" + number(a.interval.lo) + "," +
         number(a.interval.hi) + "],\"samples\":" + std::to_string(a.samples) +
         ",\"map_churn_samples\":" + std::to_string(a.churn_samples) +
         ",\"runs\":" + std::to_string(a.runs) +
         ",\"run_length\":" + std::to_string(a.options.run_length) +
         ",\"threshold\":" + number(a.options.share) + ",\"unit\":";
  AppendJsonString(out, a.unit);
  out += ",\"blocking_events\":" + std::to_string(a.blocking_events);
  AppendVerdictJson(out, a.verdict, a.cause, a.reason);
  out += ",\"longest_runs\":[";
  for (size_t i = 0; i < a.longest.size(); ++i) {
    const ChurnRunner& r = a.longest[i];
    out += (i > 0 ? ",{\"id\":" : "{\"id\":") + std::to_string(r.id) +
           ",\"longest_run\":" + std::to_string(r.longest_run) +
           ",\"start_ns\":" + std::to_string(r.start_ns) + ",\"runs\":" + std::to_string(r.runs) +
           ",\"map_churn_samples\":" + std::to_string(r.churn_samples) + ",\"site\":";
    if (r.site.empty()) {
      out += "null";
    } else {
      AppendJsonString(out, r.site);
    }
    out += "}";
  }
  out += "]}";
}

std::string RenderMapChurnText(const MapChurnAnalysis& a) {
  const int64_t origin_ns = a.origin_ns;
  if (!a.applicable && a.cause.empty()) return "";
  const std::string unit(a.unit);
  std::string out = "  map-churn: " + std::to_string(a.churn_samples) + " of " +
                    std::to_string(a.samples) + " samples";
  char num[64];
  if (a.samples > 0) {
    std::snprintf(num, sizeof num, " (%.1f %%)", a.fraction * 100);
    out += num;
  }
  std::snprintf(num, sizeof num, "%.3g %%", a.options.share * 100);
  out += " in " + std::to_string(a.runs) + " runs of at least " +
         std::to_string(a.options.run_length) + " map-insert samples of one " + unit +
         " with no blocking or syscall between them; threshold " + num + ": " +
         std::string(VerdictName(a.verdict));
  if (a.verdict == Verdict::kInconclusive) out += " (" + a.reason + ")";
  out += "\n";
  for (const ChurnRunner& r : a.longest) {
    std::snprintf(num, sizeof num, "%.1f", static_cast<double>(r.start_ns - origin_ns) / 1e6);
    out += "    " + unit + " " + std::to_string(r.id) + ": longest run " +
           std::to_string(r.longest_run) + " samples from " + num + " ms, " +
           std::to_string(r.churn_samples) + " samples in " + std::to_string(r.runs) +
           " runs, site " + (r.site.empty() ? std::string("?") : r.site) + "\n";
  }
  return out;
}

}  // namespace gcspike
