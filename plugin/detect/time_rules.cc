#include "plugin/detect/time_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "formats/json_text.h"
#include "plugin/detect/annotator.h"

namespace gcspike {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

}  // namespace

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

namespace {

// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
// small, and its output depends on the seed alone, so the expected cluster count is the same
// from run to run and machine to machine.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform on (0, 1]: never 0, so its logarithm is finite.
  double Unit() { return static_cast<double>((Next() >> 11) + 1) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// How many clusters Dbscan1D finds in sorted `times`, counted the way it numbers them (border
// points never start or join clusters, so only core points matter).
int64_t CountClusters(const std::vector<double>& times, double eps, int min_samples) {
  const size_t n = times.size();
  size_t lo = 0, hi = 0;
  int64_t clusters = 0;
  std::optional<double> last_core;
  for (size_t i = 0; i < n; ++i) {
    while (times[i] - times[lo] > eps) ++lo;
    if (hi < i) hi = i;
    while (hi + 1 < n && times[hi + 1] - times[i] <= eps) ++hi;
    if (static_cast<int64_t>(hi - lo + 1) < min_samples) continue;
    if (!last_core || times[i] - *last_core > eps) ++clusters;
    last_core = times[i];
  }
  return clusters;
}

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", f * 100);
  return buf;
}

// JSON numbers: 17 significant digits (a script can recompute and compare), null for NaN and
// infinities, which JSON cannot express.
void AppendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out += buf;
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
  out += ",\"verdict\":";
  AppendJsonString(out, VerdictName(t.verdict));
  if (t.verdict == Verdict::kInconclusive) {
    out += ",\"cause\":";
    AppendJsonString(out, t.cause);
    out += ",\"reason\":";
    AppendJsonString(out, t.reason);
  }
  out += ",\"ratio_threshold\":";
  AppendJsonNumber(out, ratio_threshold);
  out += ",\"p_threshold\":";
  AppendJsonNumber(out, kPrePauseAlpha);
  out += "}";
}

// A time feature on a profile without a timeline.
void AppendNoTimelineJson(std::string& out, std::string_view name) {
  out += ",";
  AppendJsonString(out, name);
  out += ":{\"fraction\":null,\"samples\":0,\"verdict\":\"inconclusive\",\"cause\":";
  AppendJsonString(out, kNoTimelineCause);
  out += ",\"reason\":";
  AppendJsonString(out, kNoTimelineReason);
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

}  // namespace

uint64_t WindowCover(const std::vector<int64_t>& starts, int64_t window, int64_t span_start,
                     int64_t span_end) {
  if (span_end < span_start || window < 0) return 0;
  uint64_t covered = 0;
  std::optional<std::pair<int64_t, int64_t>> run;  // the union's current interval
  for (int64_t s : starts) {
    int64_t lo;
    if (__builtin_sub_overflow(s, window, &lo)) lo = kMin;
    lo = std::max(lo, span_start);
    const int64_t hi = std::min(s, span_end);
    if (hi < lo) continue;  // the window lies outside the span
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

uint64_t IntervalCover(std::vector<std::pair<int64_t, int64_t>> intervals, int64_t span_start,
                       int64_t span_end) {
  if (span_end < span_start) return 0;
  for (auto& [lo, hi] : intervals) {
    lo = lo == kNoTime ? span_start : std::max(lo, span_start);
    hi = hi == kNoTime ? span_end : std::min(hi, span_end);
  }
  std::erase_if(intervals, [](const auto& iv) { return iv.second < iv.first; });
  std::sort(intervals.begin(), intervals.end());
  uint64_t covered = 0;
  std::optional<std::pair<int64_t, int64_t>> run;
  for (const auto& [lo, hi] : intervals) {
    if (run && lo <= run->second) {
      run->second = std::max(run->second, hi);
      continue;
    }
    if (run) covered += static_cast<uint64_t>(run->second) - static_cast<uint64_t>(run->first);
    run.emplace(lo, hi);
  }
  if (run) covered += static_cast<uint64_t>(run->second) - static_cast<uint64_t>(run->first);
  return covered;
}

namespace {

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

double Median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? static_cast<double>(v[n / 2])
                    : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

}  // namespace

double SpearmanRho(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  return Pearson(Ranks(x), Ranks(y));
}

double SpearmanPermutationP(const std::vector<double>& x, const std::vector<double>& y,
                            int permutations) {
  const double rho = SpearmanRho(x, y);
  if (!std::isfinite(rho) || permutations <= 0) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> rx = Ranks(x);
  std::vector<double> ry = Ranks(y);
  SplitMix64 rng(0x6d61726b7465726d);  // "markterm"
  int64_t at_least = 0;
  for (int k = 0; k < permutations; ++k) {
    for (size_t i = ry.size() - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(ry[i], ry[static_cast<size_t>(rng.Next() % (i + 1))]);
    }
    at_least += Pearson(rx, ry) >= rho - 1e-12;
  }
  return static_cast<double>(at_least + 1) / (permutations + 1);
}

MarkTerminationTest JudgeMarkTermination(const std::vector<MarkTerminationCycle>& cycles,
                                         double min_ratio) {
  MarkTerminationTest t;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.cycles = static_cast<int64_t>(cycles.size());
  std::vector<double> grow, pause;
  for (const MarkTerminationCycle& c : cycles) {
    grow.push_back(static_cast<double>(c.grow_samples));
    pause.push_back(static_cast<double>(c.pause_ns));
  }
  t.rho = SpearmanRho(grow, pause);
  t.p_value = SpearmanPermutationP(grow, pause, kMarkTerminationPermutations);
  t.ratio = nan;
  const size_t q = cycles.size() / 4;
  // Quartiles by grow samples need grow samples that differ.
  const bool grow_varies =
      std::adjacent_find(grow.begin(), grow.end(), std::not_equal_to<>()) != grow.end();
  if (q > 0 && grow_varies) {
    std::vector<size_t> order(cycles.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cycles[a].grow_samples < cycles[b].grow_samples;
    });
    std::vector<int64_t> bottom, top;
    for (size_t i = 0; i < q; ++i) {
      bottom.push_back(cycles[order[i]].pause_ns);
      top.push_back(cycles[order[order.size() - 1 - i]].pause_ns);
    }
    const double b = Median(bottom);
    if (b > 0) t.ratio = Median(top) / b;
  }
  char buf[200];
  if (t.cycles < kMarkTerminationMinCycles) {
    std::snprintf(buf, sizeof buf,
                  "only %lld GC cycles with a mark phase and a mark-termination pause inside the "
                  "timeline (%lld needed)",
                  static_cast<long long>(t.cycles),
                  static_cast<long long>(kMarkTerminationMinCycles));
    t.cause = "too-few-cycles";
    t.reason = buf;
  } else if (!std::isfinite(t.rho)) {
    t.cause = "no-variation";
    t.reason =
        "every cycle has the same number of grow samples, or the same pause: no ranks "
        "to correlate";
  } else {
    t.verdict =
        t.p_value < kPrePauseAlpha && t.ratio >= min_ratio ? Verdict::kSpike : Verdict::kNormal;
  }
  return t;
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
  char buf[300];
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
  } else {
    t.verdict =
        t.p_value < kPrePauseAlpha && t.ratio >= min_ratio ? Verdict::kSpike : Verdict::kNormal;
  }
  return t;
}

PrePauseTest JudgePrePause(int64_t n, int64_t pre_pause, double expected, double min_ratio) {
  const EnrichmentTest e = JudgeEnrichment(n, pre_pause, expected, min_ratio, {});
  PrePauseTest t;
  t.grow_samples = e.samples;
  t.pre_pause = e.hits;
  t.fraction = e.fraction;
  t.expected = e.expected;
  t.ratio = e.ratio;
  t.p_value = e.p_value;
  t.verdict = e.verdict;
  t.cause = e.cause;
  t.reason = e.reason;
  return t;
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

}  // namespace

std::string RenderTimeReport(const Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) {
    // perf.data: map-churn per thread is the one time feature (map_churn.h).
    const std::string churn = RenderMapChurnText(a.churn);
    return churn.empty()
               ? ""
               : "\nThreads over time (perf.data; times in ms from the first sample)\n" + churn;
  }
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
  out +=
      "  samples inside a mark assist of their goroutine: " + std::to_string(a.samples_in_assist) +
      "; assist-coupling by time (a map insert or grow "
      "on the sample's stack or on the stack that began the assist): " +
      std::to_string(a.assist_coupling_by_time) + ", of which " +
      std::to_string(a.assist_coupling_by_time_and_stack) +
      " the stack rules also label; added by time alone: " +
      std::to_string(a.assist_coupling_added) + " (" +
      std::to_string(a.assist_coupling_by_begin_stack) + " through the assist's begin stack)\n";
  const PrePauseTest& pp = a.pre_pause_test;
  char num[64];
  out += "  pre-pause: " + std::to_string(pp.pre_pause) + " of " + std::to_string(pp.grow_samples) +
         " grow-spike samples";
  if (pp.grow_samples > 0) out += " (" + Percent(pp.fraction) + ")";
  out += " within " + dur(a.options.pre_pause_ns) +
         " before a stop-the-world pause; the windows cover " + Percent(pp.expected) +
         " of the timeline (expected by chance); ratio ";
  out += RatioAndVerdict(pp.ratio, pp.p_value, pp.verdict, pp.reason);
  out += RenderMapChurnText(a.churn);
  const EnrichmentTest& mo = a.mark_overlap_test;
  out += "  mark-overlap: " + std::to_string(mo.hits) + " of " + std::to_string(mo.samples) +
         " grow-spike samples";
  if (mo.samples > 0) out += " (" + Percent(mo.fraction) + ")";
  out += " inside a GC mark phase; the mark phases cover " + Percent(mo.expected) +
         " of the timeline (expected by chance); ratio ";
  out += RatioAndVerdict(mo.ratio, mo.p_value, mo.verdict, mo.reason);
  const EnrichmentTest& hs = a.heap_step_test;
  out += "  heap-step: " + std::to_string(hs.hits) + " of " + std::to_string(hs.samples) +
         " heap steps";
  if (hs.samples > 0) out += " (" + Percent(hs.fraction) + ")";
  std::snprintf(num, sizeof num, "%.3g %%", a.options.heap_step_share * 100);
  out += std::string(" (rises above ") + num + " of the heap within " +
         dur(a.options.heap_step_within_ns) + ") within " + dur(a.options.heap_step_near_ns) +
         " of a grow cluster; that neighbourhood covers " + Percent(hs.expected) +
         " of the timeline (expected by chance); ratio ";
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
         "; median pause of the top quartile over the bottom quartile " + fixed(mt.ratio, "%.2f") +
         ": " + std::string(VerdictName(mt.verdict));
  if (mt.verdict == Verdict::kInconclusive) out += " (" + mt.reason + ")";
  out += "\n";
  std::snprintf(num, sizeof num, "%.1f", a.expected_clusters);
  out += "  grow-spike clusters (eps " + dur(a.options.cluster_eps_ns) + ", min " +
         std::to_string(a.options.cluster_min_samples) +
         " samples): " + std::to_string(a.clusters.size()) + "; random placements of the " +
         std::to_string(pp.grow_samples) + " samples over the timeline give " + num +
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
           dur(a.options.pre_pause_ns) + " before, assists " + std::to_string(r.assists) + " (" +
           dur(r.assist_ns) + ")";
    for (const PauseReport& p : r.pauses) {
      out += ", " + (p.kind == 0 ? std::string("pause") : profile.str(p.kind)) + " " +
             dur(p.duration_ns);
    }
    out += "\n";
  }
  return out;
}

void AppendTimeJson(std::string& out, const Profile& profile, const TimeAnalysis& a) {
  if (!a.applicable) return;
  out += ",\"timeline\":{\"origin_ns\":" + std::to_string(a.origin_ns) + ",\"span_ns\":[" +
         std::to_string(a.span_start_ns) + "," + std::to_string(a.span_end_ns) +
         "],\"window_ns\":" + std::to_string(a.options.pre_pause_ns) + ",\"gc_cycles\":[";
  for (size_t i = 0; i < a.cycles.size(); ++i) {
    const GcCycleReport& r = a.cycles[i];
    out += i > 0 ? ",{" : "{";
    out += "\"seq\":" + std::to_string(r.seq) + ",\"start_ns\":";
    AppendJsonTime(out, r.start_ns);
    out += ",\"end_ns\":";
    AppendJsonTime(out, r.end_ns);
    out += ",\"pauses\":[";
    for (size_t k = 0; k < r.pauses.size(); ++k) {
      const PauseReport& p = r.pauses[k];
      out += k > 0 ? ",{\"kind\":" : "{\"kind\":";
      if (p.kind == 0) {
        out += "null";
      } else {
        AppendJsonString(out, profile.str(p.kind));
      }
      out += ",\"start_ns\":" + std::to_string(p.start_ns) +
             ",\"duration_ns\":" + std::to_string(p.duration_ns) + "}";
    }
    out += "],\"assists\":" + std::to_string(r.assists) +
           ",\"assist_ns\":" + std::to_string(r.assist_ns) +
           ",\"grow_samples_before\":" + std::to_string(r.grow_samples_before) + "}";
  }
  out += "],\"clusters\":[";
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
    AppendMapChurnJson(out, a.churn);
    AppendNoTimelineJson(out, kMarkOverlapName);
    AppendNoTimelineJson(out, kHeapStepName);
    AppendNoTimelineJson(out, kMarkTerminationName);
    return;
  }
  // Pre-pause is an enrichment test too, with its own field names.
  const PrePauseTest& pp = a.pre_pause_test;
  EnrichmentTest t;
  t.samples = pp.grow_samples;
  t.hits = pp.pre_pause;
  t.fraction = pp.fraction;
  t.expected = pp.expected;
  t.ratio = pp.ratio;
  t.p_value = pp.p_value;
  t.verdict = pp.verdict;
  t.cause = pp.cause;
  t.reason = pp.reason;
  AppendEnrichmentJson(out, kPrePauseName, "pre_pause_samples", t, a.options.pre_pause_min_ratio);
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
  out += ",\"cycles\":" + std::to_string(m.cycles) + ",\"verdict\":";
  AppendJsonString(out, VerdictName(m.verdict));
  if (m.verdict == Verdict::kInconclusive) {
    out += ",\"cause\":";
    AppendJsonString(out, m.cause);
    out += ",\"reason\":";
    AppendJsonString(out, m.reason);
  }
  out += ",\"ratio_threshold\":";
  AppendJsonNumber(out, a.options.mark_termination_min_ratio);
  out += ",\"p_threshold\":";
  AppendJsonNumber(out, kPrePauseAlpha);
  out += ",\"permutations\":" + std::to_string(kMarkTerminationPermutations) + "}";
}

}  // namespace gcspike
