#include "plugin/detect/profile_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace gcspike {
namespace {

std::string Points(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", f * 100);
  return buf;
}

}  // namespace

std::string_view ChangeVerdictName(ChangeVerdict v) {
  switch (v) {
    case ChangeVerdict::kRegressed:
      return "regressed";
    case ChangeVerdict::kImproved:
      return "improved";
    case ChangeVerdict::kInconclusive:
      return "inconclusive";
    case ChangeVerdict::kUnchanged:
      break;
  }
  return "unchanged";
}

ShareChange CompareShares(double base, const Interval& base_interval, double now,
                          const Interval& now_interval) {
  ShareChange c;
  c.base = base;
  c.now = now;
  c.base_interval = base_interval;
  c.now_interval = now_interval;
  c.difference = now - base;
  c.difference_interval = NewcombeDifference(now, now_interval, base, base_interval);
  return c;
}

ChangeVerdict JudgeChange(double difference, const Interval& d, double tolerance) {
  if (d.lo > 0 && difference > tolerance) return ChangeVerdict::kRegressed;
  if (d.hi < 0 && difference < -tolerance) return ChangeVerdict::kImproved;
  if (d.lo >= -tolerance && d.hi <= tolerance) return ChangeVerdict::kUnchanged;
  return d.hi - d.lo <= 2 * tolerance ? ChangeVerdict::kUnchanged : ChangeVerdict::kInconclusive;
}

namespace {

// Whether a change verdict holds when the base's or the new side's shares are only lower bounds
// (or both): a regression when only the new side is one, an improvement when only the base is.
bool BoundSupports(bool base_lower_bound, bool now_lower_bound, ChangeVerdict v) {
  if (base_lower_bound == now_lower_bound) return !base_lower_bound;
  return v == (now_lower_bound ? ChangeVerdict::kRegressed : ChangeVerdict::kImproved);
}

// A share that is a lower bound on one side or both (FeatureDiff::bound_reason): the verdict
// stands when the bound supports it, else it becomes inconclusive.
void BoundChange(const DetectionSummary& base, const DetectionSummary& now, FeatureDiff& f) {
  const std::string& base_why = base.visibility.cut_reason;
  const std::string& now_why = now.visibility.cut_reason;
  if (f.base_lower_bound && f.now_lower_bound) {
    f.bound_reason =
        "both sides' shares are only lower bounds, so their change is unknown: " + base_why +
        (now_why != base_why ? "; new: " + now_why : "");
  } else if (f.now_lower_bound) {
    f.bound_reason =
        "the new side's share is only a lower bound (the change is at least the "
        "measured one): " +
        now_why;
  } else {
    f.bound_reason =
        "the base side's share is only a lower bound (the change is at most the "
        "measured one): " +
        base_why;
  }
  if (BoundSupports(f.base_lower_bound, f.now_lower_bound, f.verdict)) return;
  f.verdict = ChangeVerdict::kInconclusive;
  f.cause = (f.now_lower_bound ? now : base).visibility.cut_cause;
  f.reason = f.bound_reason;
}

// One feature's change; inconclusive when either side cannot see the feature.
FeatureDiff DiffFeature(const FeatureSummary& b, const FeatureSummary& n, uint64_t base_samples,
                        uint64_t now_samples, double tolerance) {
  FeatureDiff f;
  f.change = CompareShares(b.fraction, b.interval, n.fraction, n.interval);
  if (b.blind() || n.blind()) {
    const bool base_blind = b.blind();
    const FeatureSummary& blind = base_blind ? b : n;
    f.verdict = ChangeVerdict::kInconclusive;
    f.cause = blind.cause;
    f.reason = std::string(base_blind ? "base" : "new") + ": " + blind.reason;
    if (base_blind && n.blind() && n.reason != b.reason) f.reason += "; new: " + n.reason;
    return f;
  }
  f.verdict = JudgeChange(f.change.difference, f.change.difference_interval, tolerance);
  if (f.verdict == ChangeVerdict::kInconclusive) {
    const Interval& d = f.change.difference_interval;
    f.cause = "too-wide";
    f.reason = "the 95% interval of the difference [" + Points(d.lo) + ", " + Points(d.hi) +
               "] points is wider than twice the tolerance (" + Points(tolerance) +
               " points) with " + std::to_string(base_samples) + " and " +
               std::to_string(now_samples) + " samples; take longer profiles";
  }
  return f;
}

// Sites: matched by function and via-path; a site missing on a side has share 0 there (its
// interval is that of 0 of the side's samples). Largest change first.
std::vector<SiteDiff> DiffSites(const DetectionSummary& base, const DetectionSummary& now,
                                double tolerance) {
  std::map<std::pair<std::string, std::vector<std::string>>,
           std::pair<const SiteShare*, const SiteShare*>>
      sites;
  for (const SiteShare& s : base.sites) sites[{s.function, s.via}].first = &s;
  for (const SiteShare& s : now.sites) sites[{s.function, s.via}].second = &s;
  std::vector<SiteDiff> out;
  for (const auto& [key, pair] : sites) {
    SiteDiff d;
    d.function = key.first;
    d.via = key.second;
    const Interval base_zero = WilsonInterval(0, static_cast<double>(base.samples));
    const Interval now_zero = WilsonInterval(0, static_cast<double>(now.samples));
    d.change = CompareShares(
        pair.first ? pair.first->fraction : 0, pair.first ? pair.first->interval : base_zero,
        pair.second ? pair.second->fraction : 0, pair.second ? pair.second->interval : now_zero);
    d.verdict = base.visibility.blind() || now.visibility.blind()
                    ? ChangeVerdict::kInconclusive
                    : JudgeChange(d.change.difference, d.change.difference_interval, tolerance);
    // A site's share is a map feature's: a lower bound on cut stacks, as in BoundChange.
    if (!BoundSupports(!base.visibility.cut_cause.empty(), !now.visibility.cut_cause.empty(),
                       d.verdict)) {
      d.verdict = ChangeVerdict::kInconclusive;
    }
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const SiteDiff& a, const SiteDiff& b) {
    return std::abs(a.change.difference) > std::abs(b.change.difference);
  });
  return out;
}

// The overall verdict: regressed if any feature is, else inconclusive, else improved.
ChangeVerdict OverallVerdict(const ProfileDiff& diff) {
  auto any = [&diff](ChangeVerdict v) {
    return std::any_of(diff.features.begin(), diff.features.end(),
                       [v](const FeatureDiff& f) { return f.verdict == v; });
  };
  return any(ChangeVerdict::kRegressed)      ? ChangeVerdict::kRegressed
         : any(ChangeVerdict::kInconclusive) ? ChangeVerdict::kInconclusive
         : any(ChangeVerdict::kImproved)     ? ChangeVerdict::kImproved
                                             : ChangeVerdict::kUnchanged;
}

}  // namespace

ProfileDiff DiffSummaries(DetectionSummary base, DetectionSummary now, double tolerance) {
  ProfileDiff out;
  out.tolerance = tolerance;
  for (int i = 0; i < kFeatureCount; ++i) {
    FeatureDiff& f = out.features[i] =
        DiffFeature(base.features[i], now.features[i], base.samples, now.samples, tolerance);
    if (f.verdict == ChangeVerdict::kInconclusive && f.cause != "too-wide") continue;  // blind
    f.base_lower_bound = base.features[i].lower_bound;
    f.now_lower_bound = now.features[i].lower_bound;
    if (f.base_lower_bound || f.now_lower_bound) BoundChange(base, now, f);
  }
  out.sites = DiffSites(base, now, tolerance);
  out.overall = OverallVerdict(out);
  if (base.go_runtime != now.go_runtime && base.go_runtime != "unknown" &&
      now.go_runtime != "unknown") {
    out.notes.push_back("the sides run different Go map implementations (base " + base.go_runtime +
                        ", new " + now.go_runtime +
                        "): growth happens in different runtime functions, with different costs "
                        "(Swiss maps grow table by table), so part of any change is the runtime's");
  }
  out.base = std::move(base);
  out.now = std::move(now);
  return out;
}

void JudgeSharedCode(ProfileDiff& diff, const UserCode& base, const UserCode& now) {
  diff.base_shared = SharedShare(base, now);
  diff.now_shared = SharedShare(now, base);
  if (!diff.base_shared || !diff.now_shared) return;
  if (*diff.base_shared >= kMinSharedCode && *diff.now_shared >= kMinSharedCode) return;
  const std::string why =
      "the sides sample mostly different code: " + Points(*diff.base_shared) +
      "% of the base's samples in user code and " + Points(*diff.now_shared) +
      "% of the new side's are in functions the other side also runs (runs and builds of one "
      "program share over " +
      Points(kMinSharedCode) +
      "%): a baseline of another program, or of this one doing other work; diff against a "
      "baseline of the same program and workload";
  MarkComparisonUndecided(diff, kDifferentPrograms, why);
}

void MarkComparisonUndecided(ProfileDiff& diff, std::string_view cause, const std::string& why) {
  for (FeatureDiff& f : diff.features) {
    f.verdict = ChangeVerdict::kInconclusive;
    f.cause = std::string(cause);
    f.reason = why;
  }
  for (SiteDiff& s : diff.sites) s.verdict = ChangeVerdict::kInconclusive;
  diff.overall = ChangeVerdict::kInconclusive;
  diff.notes.push_back(why);
}

}  // namespace gcspike
