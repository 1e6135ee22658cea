#include "plugin/detect/detection_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

#include "plugin/detect/perf_events.h"
#include "plugin/detect/sample_weight.h"

namespace gcspike {
namespace {

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

std::string IntervalText(const Interval& i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%.1f-%.1f%%]", i.lo * 100, i.hi * 100);
  return buf;
}

// The verdict of one comparison of a share with its threshold.
Verdict FromSide(Side side) {
  switch (side) {
    case Side::kAbove:
      return Verdict::kSpike;
    case Side::kBelow:
      return Verdict::kNormal;
    case Side::kStraddles:
      break;
  }
  return Verdict::kInconclusive;
}

void MarkBorderline(FeatureSummary& f, uint64_t n, const Interval& interval, double threshold) {
  f.verdict = Verdict::kInconclusive;
  f.cause = "borderline";
  f.reason = "borderline: the 95% interval " + IntervalText(interval) + " straddles the " +
             "threshold " + Percent(threshold) + " with " + std::to_string(n) +
             " samples; take a longer profile";
}

struct SiteSum {
  double weight = 0, value = 0;
};

// The sites of the sums by (function id, via path), by name: one function of several builds (a
// merge of a fleet's two versions, where a line moved) is several functions of the profile, but
// one site to presize. Unsorted.
std::vector<SiteShare> SitesByName(const Profile& profile, const SitePaths* site_paths,
                                   const std::map<std::pair<uint64_t, uint32_t>, SiteSum>& sums,
                                   double total_weight, double total_value) {
  std::map<std::pair<std::string, std::vector<std::string>>, SiteSum> by_name;
  for (const auto& [key, sum] : sums) {
    std::vector<std::string> via;
    if (site_paths != nullptr && key.second != 0) {
      for (uint64_t fn : site_paths->via[key.second]) {
        via.push_back(profile.str(profile.function(fn).name));
      }
    }
    SiteSum& site = by_name[{profile.str(profile.function(key.first).name), std::move(via)}];
    site.weight += sum.weight;
    site.value += sum.value;
  }
  std::vector<SiteShare> out;
  for (auto& [key, sum] : by_name) {
    SiteShare site;
    site.function = key.first;
    site.via = key.second;
    site.fraction = total_weight > 0 ? sum.weight / total_weight : 0;
    site.value_fraction = total_value > 0 ? sum.value / total_value : 0;
    site.interval = WilsonInterval(sum.weight, total_weight);
    out.push_back(std::move(site));
  }
  return out;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kSpike:
      return "spike";
    case Verdict::kInconclusive:
      return "inconclusive";
    case Verdict::kNormal:
      break;
  }
  return "normal";
}

DetectionSummary Summarize(const Profile& profile, const std::vector<StackFeatures>& features,
                           const DetectionThresholds& thresholds, const SummaryContext& context) {
  DetectionSummary out;
  out.thresholds = thresholds;
  out.sample_records = profile.SampleRecordCount();
  const size_t value_index = ReportValueIndex(profile);
  if (!profile.sample_types.empty()) {
    const ValueType& vt = profile.sample_types[value_index];
    out.value_type = profile.str(vt.type) + "/" + profile.str(vt.unit);
  }

  // Weighted sums; doubles because values may be nanoseconds summed over millions of samples.
  // Values are summed by size: a delta profile's negative samples count as much as positive ones.
  const SampleWeights weight_of(profile);
  double total_weight = 0, total_value = 0;
  std::array<double, kFeatureCount> weight{}, value{};
  double assign_w = 0, self_alloc_w = 0, assist_w = 0, assist_coupled_w = 0;
  double hmap_w = 0, swiss_w = 0;
  std::array<double, 5> worker_w{};
  std::vector<std::pair<int, uint64_t>> depths;                // depth, how many individual samples
  std::map<std::pair<uint64_t, uint32_t>, SiteSum> site_sums;  // (function, via path)

  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const Sample& s = profile.samples[i];
    const StackFeatures& f = features[i];
    const double w = weight_of(i);
    const double v =
        value_index < s.values.size() ? std::abs(static_cast<double>(s.values[value_index])) : 0;
    total_weight += w;
    total_value += v;
    for (int b = 0; b < kFeatureCount; ++b) {
      if (f.features & (1u << b)) {
        weight[b] += w;
        value[b] += v;
      }
    }
    if (f.roles & kRoleMapAssign) assign_w += w;
    if (f.leaf_is_alloc) self_alloc_w += w;
    if (f.roles & kRoleAssist) {
      assist_w += w;
      if (f.features & kFeatureAssistCoupling) assist_coupled_w += w;
    }
    worker_w[static_cast<size_t>(f.worker)] += w;
    if (f.generation == MapGeneration::kHmap) hmap_w += w;
    if (f.generation == MapGeneration::kSwiss) swiss_w += w;
    if (f.grow_subtree_depth >= 0) depths.emplace_back(f.grow_subtree_depth, profile.RecordsOf(i));
    out.key_copy_stack_max = std::max(out.key_copy_stack_max, f.key_copy_frames);
    if (f.features & kMapFeatures) {
      out.depth_below_assign_max = std::max(out.depth_below_assign_max, f.depth_below_assign);
    }
    if (f.site_function_id != 0) {
      const uint32_t via =
          context.site_paths != nullptr && i < context.site_paths->via_of_sample.size()
              ? context.site_paths->via_of_sample[i]
              : 0;
      SiteSum& site = site_sums[{f.site_function_id, via}];
      site.weight += w;
      site.value += v;
    }
  }

  out.samples = total_weight >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(total_weight + 0.5);
  const double n = total_weight;
  auto frac = [](double part, double whole) { return whole > 0 ? part / whole : 0.0; };
  for (int b = 0; b < kFeatureCount; ++b) {
    out.features[b].fraction = frac(weight[b], total_weight);
    out.features[b].value_fraction = frac(value[b], total_value);
    out.features[b].interval = WilsonInterval(weight[b], n);
  }
  out.map_assign_width = frac(assign_w, total_weight);
  out.malloc_self_share = frac(self_alloc_w, total_weight);
  out.assist_share = frac(assist_w, total_weight);
  out.assist_from_map = frac(assist_coupled_w, assist_w);
  out.assist_share_interval = WilsonInterval(assist_w, n);
  out.assist_from_map_interval = WilsonInterval(assist_coupled_w, assist_w);
  for (size_t k = 1; k < worker_w.size(); ++k) {
    out.worker_share[k] = frac(worker_w[k], total_weight);
  }
  if (!depths.empty()) {
    std::sort(depths.begin(), depths.end());
    out.grow_malloc_depth_max = depths.back().first;
    // The median over individual samples (a stack sample of a spooled profile counts as many).
    uint64_t count = 0;
    for (const auto& d : depths) count += d.second;
    auto nth = [&depths](uint64_t k) {  // the k-th smallest, 0-based
      for (const auto& [depth, c] : depths) {
        if (k < c) return depth;
        k -= c;
      }
      return depths.back().first;
    };
    out.grow_malloc_depth_median =
        count % 2 ? nth(count / 2) : (nth(count / 2 - 1) + nth(count / 2)) / 2.0;
  }
  out.go_runtime = hmap_w == 0 && swiss_w == 0 ? "unknown" : hmap_w >= swiss_w ? "hmap" : "swiss";

  // Verdicts: each share's interval against its threshold.
  const DetectionThresholds& t = thresholds;
  auto judge = [&](int b, double threshold, bool inclusive) {
    FeatureSummary& f = out.features[b];
    f.threshold = threshold;
    const Side side = CompareInterval(f.interval, threshold, inclusive);
    f.verdict = FromSide(side);
    // A zero share is never a spike, whatever a zero threshold says.
    if (f.verdict == Verdict::kSpike && f.fraction == 0) f.verdict = Verdict::kNormal;
    if (f.verdict == Verdict::kInconclusive) MarkBorderline(f, out.samples, f.interval, threshold);
  };
  judge(0, t.grow_spike, /*inclusive=*/true);
  judge(1, t.key_copy, /*inclusive=*/true);
  judge(2, t.malloc_burst, /*inclusive=*/true);
  // A burst also needs depth below the grow frame: too shallow a subtree is normal, whatever
  // its share.
  if (out.grow_malloc_depth_max < t.malloc_depth) {
    FeatureSummary& m = out.features[2];
    m.verdict = Verdict::kNormal;
    m.cause.clear();
    m.reason.clear();
  }
  {
    // assist-coupling: assists above their share AND mostly paid by map inserts; normal when
    // either part is surely below its bar, a spike when both are surely above it.
    FeatureSummary& a = out.features[3];
    a.threshold = t.assist_share;
    const Side share = CompareInterval(out.assist_share_interval, t.assist_share, false);
    const Side from_map = CompareInterval(out.assist_from_map_interval, t.assist_from_map, true);
    if (share == Side::kBelow || (assist_w > 0 && from_map == Side::kBelow) ||
        (assist_w == 0 && share != Side::kAbove)) {
      a.verdict = Verdict::kNormal;
    } else if (share == Side::kAbove && from_map == Side::kAbove) {
      a.verdict = Verdict::kSpike;
    } else {
      a.verdict = Verdict::kInconclusive;
      a.cause = "borderline";
      a.reason = "borderline: mark assists " + IntervalText(out.assist_share_interval) +
                 " of samples against " + Percent(t.assist_share) + ", paid by map inserts " +
                 IntervalText(out.assist_from_map_interval) + " against " +
                 Percent(t.assist_from_map) + ", with " + std::to_string(out.samples) +
                 " samples; take a longer profile";
    }
  }
  judge(4, t.scan_share, /*inclusive=*/false);

  // What the profile cannot show overrides what it seems to show.
  out.visibility =
      AssessVisibility(profile, out.samples, context.assists_from_timeline, context.visibility);
  const Visibility& vis = out.visibility;
  out.delta = vis.delta;
  if (vis.blind()) {
    for (FeatureSummary& f : out.features) {
      f.verdict = Verdict::kInconclusive;
      f.cause = vis.cause;
      f.reason = vis.reason;
    }
  } else if (!vis.cut_cause.empty()) {
    // Cut stacks hide map frames (missing ones any frame), never invent them: a spike seen
    // anyway stands; anything less may be the cut.
    for (int b = 0; b < kFeatureCount; ++b) {
      FeatureSummary& f = out.features[b];
      if (!vis.cut_every_feature && (kMapFeatures & (1u << b)) == 0) continue;
      f.lower_bound = true;
      if (f.spike()) continue;
      f.verdict = Verdict::kInconclusive;
      f.cause = vis.cut_cause;
      f.reason = vis.cut_reason;
    }
  }
  const bool any_inconclusive =
      std::any_of(out.features.begin(), out.features.end(),
                  [](const FeatureSummary& f) { return f.verdict == Verdict::kInconclusive; });
  out.overall = vis.blind()        ? Verdict::kInconclusive
                : out.any_spike()  ? Verdict::kSpike
                : any_inconclusive ? Verdict::kInconclusive
                                   : Verdict::kNormal;

  out.sites = SitesByName(profile, context.site_paths, site_sums, total_weight, total_value);
  std::sort(out.sites.begin(), out.sites.end(), [](const SiteShare& a, const SiteShare& b) {
    if (a.fraction != b.fraction) return a.fraction > b.fraction;
    return a.function != b.function ? a.function < b.function : a.via < b.via;
  });
  if (out.sites.size() > context.max_sites) out.sites.resize(context.max_sites);
  return out;
}

bool DetectionSummary::any_spike() const {
  return std::any_of(features.begin(), features.end(), [](const auto& f) { return f.spike(); });
}

std::string DetectionSummary::VerdictSentence() const {
  if (samples == 0 && !visibility.blind()) {
    return "The profile has no samples, so there is nothing to judge.";
  }
  if (visibility.blind()) return "Cannot judge this profile: " + visibility.reason + ".";
  return VerdictOfShares();
}

std::string DetectionSummary::VerdictOfShares() const {
  std::string where;
  if (!sites.empty()) {
    where = ", mostly called from " + sites[0].function;
    if (!sites[0].via.empty()) {
      where += " (via ";
      for (size_t i = 0; i < sites[0].via.size(); ++i) {
        where += (i ? ", " : "") + sites[0].via[i];
      }
      where += ")";
    }
  }
  std::string s;
  if (features[0].spike()) {
    s += "Maps grow while being filled: " + Percent(features[0].fraction) +
         " of samples are spent growing maps" + where +
         "; presizing those maps (make(map[K]V, n)) removes this work.";
  } else if (features[1].spike() || features[2].spike()) {
    s += "Map growth work stands out" + where + "; presizing the maps would remove it.";
  }
  if (features[3].spike()) {
    if (!s.empty()) s += " ";
    s += "Mark assists take " + Percent(assist_share) + " of samples and " +
         Percent(assist_from_map) +
         " of them are paid by map inserts: the allocation rate of map growth is pacing the GC.";
  }
  if (features[4].spike()) {
    if (!s.empty()) s += " ";
    s += "GC scanning takes " + Percent(features[4].fraction) +
         " of samples, above the background workers' 25 % budget: the live heap holds many "
         "pointers to trace.";
  }
  std::string undecided;
  for (int i = 0; i < kFeatureCount; ++i) {
    if (features[i].verdict != Verdict::kInconclusive) continue;
    undecided += (undecided.empty() ? "" : ", ") + std::string(kFeatureNames[i]);
  }
  if (!undecided.empty()) {
    if (!s.empty()) s += " ";
    s += s.empty() ? "No measure is above its threshold with confidence, but " + undecided +
                         " cannot be decided (see the reasons above)."
                   : "Undecided: " + undecided + " (see the reasons above).";
  }
  if (s.empty()) {
    s = any_spike() ? "Some GC measures are above their thresholds; see the features above."
                    : "No map-growth GC pressure: every measure is below its threshold with "
                      "95% confidence.";
  }
  return s;
}

}  // namespace gcspike
