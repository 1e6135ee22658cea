// The time rules' statistics (time_rules.h): density clusters and their chance baseline, the
// share of the span a set of windows covers, the binomial enrichment test; and the labels the
// analysis adds. The analysis itself is in time_analysis.cc, the mark-termination test in
// mark_termination.cc, the text and JSON reports in time_report.cc.
#include "plugin/detect/time_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "plugin/detect/annotator.h"
#include "plugin/detect/feature_format.h"
#include "plugin/detect/split_mix64.h"

namespace gcspike {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// The core points of one-dimensional DBSCAN over sorted `times` (at least `min_samples` of them,
// itself included, within eps), in order: calls on_core(i, cluster) with the cluster number,
// 1, 2, ..., that starts anew wherever a core point lies more than eps after the one before it.
// Returns the number of clusters.
template <typename T, typename OnCore>
int64_t ForEachCorePoint(const std::vector<T>& times, T eps, int min_samples, OnCore on_core) {
  const size_t n = times.size();
  size_t lo = 0, hi = 0;
  int64_t clusters = 0;
  std::optional<T> last_core;
  for (size_t i = 0; i < n; ++i) {
    while (times[i] - times[lo] > eps) ++lo;
    if (hi < i) hi = i;
    while (hi + 1 < n && times[hi + 1] - times[i] <= eps) ++hi;
    if (static_cast<int64_t>(hi - lo + 1) < min_samples) continue;
    if (!last_core || times[i] - *last_core > eps) ++clusters;
    last_core = times[i];
    on_core(i, clusters);
  }
  return clusters;
}

// How many clusters Dbscan1D finds in sorted `times` (border points never start or join
// clusters, so only core points matter).
int64_t CountClusters(const std::vector<double>& times, double eps, int min_samples) {
  return ForEachCorePoint(times, eps, min_samples, [](size_t, int64_t) {});
}

// The length of the union of closed intervals [lo, hi] (each lo <= hi) sorted by lo.
uint64_t UnionLength(const std::vector<std::pair<int64_t, int64_t>>& sorted) {
  uint64_t covered = 0;
  std::optional<std::pair<int64_t, int64_t>> run;  // the union's current interval
  for (const auto& [lo, hi] : sorted) {
    if (run && lo <= run->second) {
      run->second = std::max(run->second, hi);
      continue;
    }
    // Unsigned differences: exact for any hi >= lo, where int64_t could overflow.
    if (run) covered += static_cast<uint64_t>(run->second) - static_cast<uint64_t>(run->first);
    run.emplace(lo, hi);
  }
  if (run) covered += static_cast<uint64_t>(run->second) - static_cast<uint64_t>(run->first);
  return covered;
}

}  // namespace

std::vector<int64_t> Dbscan1D(const std::vector<int64_t>& times, int64_t eps, int min_samples) {
  const size_t n = times.size();
  std::vector<bool> core(n, false);
  std::vector<int64_t> id(n, 0);
  ForEachCorePoint(times, eps, min_samples, [&](size_t i, int64_t cluster) {
    core[i] = true;
    id[i] = cluster;
  });
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

uint64_t WindowCover(const std::vector<int64_t>& starts, int64_t window, int64_t span_start,
                     int64_t span_end) {
  if (span_end < span_start || window < 0) return 0;
  std::vector<std::pair<int64_t, int64_t>> windows;  // sorted by lo, as `starts` is
  for (int64_t s : starts) {
    int64_t lo;
    if (__builtin_sub_overflow(s, window, &lo)) lo = kMin;
    lo = std::max(lo, span_start);
    const int64_t hi = std::min(s, span_end);
    if (hi < lo) continue;  // the window lies outside the span
    windows.emplace_back(lo, hi);
  }
  return UnionLength(windows);
}

uint64_t IntervalCover(std::vector<std::pair<int64_t, int64_t>> intervals, int64_t span_start,
                       int64_t span_end) {
  if (span_end < span_start) return 0;
  for (auto& [lo, hi] : intervals) {
    lo = lo == kNoTime ? span_start : std::max(lo, span_start);
    hi = hi == kNoTime ? span_end : std::min(hi, span_end);
  }
  std::erase_if(intervals, [](const auto& iv) { return iv.second < iv.first; });
  std::sort(intervals.begin(), intervals.end());
  return UnionLength(intervals);
}

double BinomialUpperTail(int64_t n, int64_t k, double p) {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (!(p > 0)) return 0;
  if (!(p < 1)) return 1;
  const double q = 1 - p;
  const double log_p = std::log(p), log_q = std::log1p(-p);
  const double log_n1 = std::lgamma(static_cast<double>(n) + 1);
  auto log_pmf = [&](int64_t i) {
    const double di = static_cast<double>(i);
    return log_n1 - std::lgamma(di + 1) - std::lgamma(static_cast<double>(n - i) + 1) + di * log_p +
           static_cast<double>(n - i) * log_q;
  };
  // Sum the tail away from the mean, where its terms fall, relative to its first term (so no
  // term underflows before the sum is scaled), and stop when what is left cannot change the
  // sum: the binomial is log-concave, so term ratios keep falling and the rest is below
  // term * r / (1 - r). Above the mean the upper tail is summed; at or below it the lower
  // tail, which is then at most 1/2 (the median is floor or ceil of n p), so 1 - it loses
  // nothing.
  constexpr double kEpsilon = 1e-17;
  if (static_cast<double>(k) > static_cast<double>(n) * p) {
    double sum = 1, term = 1;
    for (int64_t i = k; i < n; ++i) {
      const double r = static_cast<double>(n - i) / static_cast<double>(i + 1) * (p / q);
      term *= r;
      sum += term;
      if (r < 1 && term * r / (1 - r) < sum * kEpsilon) break;
    }
    return std::min(1.0, std::exp(log_pmf(k) + std::log(sum)));
  }
  double sum = 1, term = 1;
  for (int64_t i = k - 1; i > 0; --i) {
    const double r = static_cast<double>(i) / static_cast<double>(n - i + 1) * (q / p);
    term *= r;
    sum += term;
    if (r < 1 && term * r / (1 - r) < sum * kEpsilon) break;
  }
  return std::max(0.0, 1 - std::exp(log_pmf(k - 1) + std::log(sum)));
}

EnrichmentTest JudgeEnrichment(int64_t n, int64_t hits, double expected, double min_ratio,
                               const EnrichmentWording& w) {
  EnrichmentTest t;
  t.samples = n;
  t.hits = hits;
  t.expected = expected;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.fraction = n > 0 ? static_cast<double>(hits) / static_cast<double>(n) : nan;
  t.ratio = n > 0 && expected > 0 ? t.fraction / expected : nan;
  t.p_value = BinomialUpperTail(n, hits, expected);
  t.verdict = Verdict::kInconclusive;
  const std::string samples(w.samples), short_samples(w.short_samples), sample(w.sample),
      region(w.region);
  char buf[400];
  if (n < kPrePauseMinSamples) {
    std::snprintf(buf, sizeof buf, "only %lld %s with a time (%lld needed)",
                  static_cast<long long>(n), samples.c_str(),
                  static_cast<long long>(kPrePauseMinSamples));
    t.cause = "too-few-samples";
    t.reason = buf;
  } else if (!(expected > 0)) {
    t.cause = w.no_region_cause;
    t.reason = w.no_region_reason;
  } else if (expected >= kPrePauseMaxExpected || expected * min_ratio > 1) {
    std::snprintf(buf, sizeof buf,
                  "%s cover %s of the timeline: even every %s in them would "
                  "not be %.2gx that",
                  region.c_str(), Percent(expected).c_str(), sample.c_str(), min_ratio);
    t.cause = w.cover_cause;
    t.reason = buf;
  } else if (static_cast<double>(n) * std::log(expected) >= std::log(kPrePauseAlpha)) {
    std::snprintf(buf, sizeof buf,
                  "too few %s: even all %lld in %s would not be significant "
                  "(p >= %.2g)",
                  short_samples.c_str(), static_cast<long long>(n), region.c_str(), kPrePauseAlpha);
    t.cause = "too-few-samples";
    t.reason = buf;
  } else if (t.p_value < kPrePauseAlpha && t.ratio >= min_ratio) {
    t.verdict = Verdict::kSpike;
  } else if (const Interval share =
                 WilsonInterval(static_cast<double>(hits), static_cast<double>(n));
             share.hi < expected * min_ratio) {
    // Normal only when the share surely stays below the spike's ratio: a share that is not
    // significant may still be that high when the samples are few.
    t.verdict = Verdict::kNormal;
  } else {
    std::snprintf(buf, sizeof buf,
                  "borderline: the 95%% interval [%.1f-%.1f%%] of the share of the %lld %s in "
                  "%s reaches %.2gx the share of the timeline they cover (%s): a longer trace "
                  "decides",
                  share.lo * 100, share.hi * 100, static_cast<long long>(n), samples.c_str(),
                  region.c_str(), min_ratio, Percent(expected).c_str());
    t.cause = "borderline";
    t.reason = buf;
  }
  return t;
}

EnrichmentTest JudgePrePause(int64_t n, int64_t pre_pause, double expected, double min_ratio) {
  return JudgeEnrichment(n, pre_pause, expected, min_ratio, {});
}

double ExpectedClusters(int64_t n, uint64_t span_ns, int64_t eps_ns, int min_samples,
                        int placements) {
  if (n <= 0 || placements <= 0 || n < min_samples) return 0;
  SplitMix64 rng(0x67637370696b65);  // "gcspike": any fixed seed will do
  std::vector<double> times(static_cast<size_t>(n));
  const double span = static_cast<double>(span_ns), eps = static_cast<double>(eps_ns);
  double total = 0;
  for (int k = 0; k < placements; ++k) {
    // Sorted uniform points without a sort: the partial sums of n + 1 exponential gaps, over
    // their total, are distributed as the order statistics of n uniform points.
    double sum = 0;
    for (double& t : times) {
      sum -= std::log(rng.Unit());
      t = sum;
    }
    sum -= std::log(rng.Unit());
    for (double& t : times) t = t / sum * span;
    total += static_cast<double>(CountClusters(times, eps, min_samples));
  }
  return total / placements;
}

void ApplyTimeLabels(Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) return;
  const StrId feature_key = profile.Intern(kFeatureLabelKey);
  const StrId cluster_key = profile.Intern(kClusterLabelKey);
  const StrId cluster_unit = profile.Intern("cluster");
  const StrId run_key = profile.Intern(kRunLabelKey);
  const StrId run_unit = profile.Intern("samples");
  // (label, suffix bits) -> the label with the suffixes, in the order pre-pause, map-churn,
  // mark-overlap; a sample with no stack feature gets the suffixes alone.
  std::map<std::pair<StrId, int>, StrId> with_suffix;
  auto suffixed = [&](StrId base, int bits) {
    auto [it, inserted] = with_suffix.try_emplace({base, bits}, 0);
    if (inserted) {
      std::string v = base == 0 ? std::string() : profile.str(base);
      if (bits & 1) v += "+" + std::string(kPrePauseName);
      if (bits & 4) v += "+" + std::string(kMapChurnName);
      if (bits & 2) v += "+" + std::string(kMarkOverlapName);
      it->second = profile.Intern(base == 0 ? v.substr(1) : v);
    }
    return it->second;
  };
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    Sample& s = profile.samples[i];
    std::erase_if(s.labels,
                  [&](const Label& l) { return l.key == cluster_key || l.key == run_key; });
    const bool overlap = i < a.mark_overlap.size() && a.mark_overlap[i];
    const int64_t run = i < a.churn.run.size() ? a.churn.run[i] : 0;
    const int bits = (a.pre_pause[i] ? 1 : 0) | (overlap ? 2 : 0) | (run > 0 ? 4 : 0);
    if (bits != 0) {
      bool labelled = false;
      for (Label& l : s.labels) {
        if (l.key != feature_key || l.numeric) continue;
        l.str = suffixed(l.str, bits);
        labelled = true;
      }
      if (!labelled) s.labels.push_back(Label{.key = feature_key, .str = suffixed(0, bits)});
    }
    if (a.cluster[i] != 0) {
      s.labels.push_back(Label{
          .key = cluster_key, .num = a.cluster[i], .num_unit = cluster_unit, .numeric = true});
    }
    if (run > 0) {
      s.labels.push_back(Label{.key = run_key, .num = run, .num_unit = run_unit, .numeric = true});
    }
  }
}

}  // namespace gcspike
