#include "plugin/detect/detection_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

namespace gcspike {
namespace {

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

// Index of the "samples" sample type (Go CPU profiles: samples/count), if any.
std::optional<size_t> SampleCountIndex(const Profile& p) {
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    if (p.str(p.sample_types[i].type) == "samples") return i;
  }
  return std::nullopt;
}

}  // namespace

DetectionSummary Summarize(const Profile& profile, const std::vector<StackFeatures>& features,
                           const DetectionThresholds& thresholds, size_t max_sites) {
  DetectionSummary out;
  out.thresholds = thresholds;
  out.sample_records = profile.SampleRecordCount();
  const std::optional<size_t> count_index = SampleCountIndex(profile);
  const size_t value_index = profile.DefaultValueIndex();
  if (!profile.sample_types.empty()) {
    const ValueType& vt = profile.sample_types[value_index];
    out.value_type = profile.str(vt.type) + "/" + profile.str(vt.unit);
  }

  // Weighted sums; doubles because values may be nanoseconds summed over millions of samples.
  double total_weight = 0, total_value = 0;
  std::array<double, kFeatureCount> weight{}, value{};
  double assign_w = 0, self_alloc_w = 0, assist_w = 0, assist_coupled_w = 0;
  double hmap_w = 0, swiss_w = 0;
  std::array<double, 5> worker_w{};
  std::vector<std::pair<int, uint64_t>> depths;  // depth, how many individual samples
  struct SiteSum {
    double weight = 0, value = 0;
  };
  std::map<uint64_t, SiteSum> site_sums;

  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const Sample& s = profile.samples[i];
    const StackFeatures& f = features[i];
    double w = count_index ? static_cast<double>(s.values[*count_index])
                           : static_cast<double>(profile.RecordsOf(i));
    double v = value_index < s.values.size() ? static_cast<double>(s.values[value_index]) : 0;
    // A delta profile: shares of the absolute change (a signed sum could be zero or negative,
    // and a negative total converted to uint64 below is undefined behaviour).
    if (w < 0 || v < 0) out.delta = true;
    w = std::fabs(w);
    v = std::fabs(v);
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
      SiteSum& site = site_sums[f.site_function_id];
      site.weight += w;
      site.value += v;
    }
  }

  out.samples = total_weight >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(total_weight);
  auto frac = [](double part, double whole) { return whole > 0 ? part / whole : 0.0; };
  for (int b = 0; b < kFeatureCount; ++b) {
    out.features[b].fraction = frac(weight[b], total_weight);
    out.features[b].value_fraction = frac(value[b], total_value);
  }
  out.map_assign_width = frac(assign_w, total_weight);
  out.malloc_self_share = frac(self_alloc_w, total_weight);
  out.assist_share = frac(assist_w, total_weight);
  out.assist_from_map = frac(assist_coupled_w, assist_w);
  for (size_t k = 1; k < worker_w.size(); ++k) {
    out.worker_share[k] = frac(worker_w[k], total_weight);
  }
  if (!depths.empty()) {
    std::sort(depths.begin(), depths.end());
    out.grow_malloc_depth_max = depths.back().first;
    // The median over individual samples (a stack sample of a spooled profile counts as many).
    uint64_t n = 0;
    for (const auto& d : depths) n += d.second;
    auto nth = [&depths](uint64_t k) {  // the k-th smallest, 0-based
      for (const auto& [depth, count] : depths) {
        if (k < count) return depth;
        k -= count;
      }
      return depths.back().first;
    };
    out.grow_malloc_depth_median = n % 2 ? nth(n / 2) : (nth(n / 2 - 1) + nth(n / 2)) / 2.0;
  }
  out.go_runtime = hmap_w == 0 && swiss_w == 0 ? "unknown" : hmap_w >= swiss_w ? "hmap" : "swiss";

  // Verdicts.
  auto& grow = out.features[0];
  grow.threshold = thresholds.grow_spike;
  grow.spike = grow.fraction >= thresholds.grow_spike && grow.fraction > 0;
  auto& copy = out.features[1];
  copy.threshold = thresholds.key_copy;
  copy.spike = copy.fraction >= thresholds.key_copy && copy.fraction > 0;
  auto& malloc = out.features[2];
  malloc.threshold = thresholds.malloc_burst;
  malloc.spike = malloc.fraction >= thresholds.malloc_burst && malloc.fraction > 0 &&
                 out.grow_malloc_depth_max >= thresholds.malloc_depth;
  auto& assist = out.features[3];
  assist.threshold = thresholds.assist_share;
  assist.spike = out.assist_share > thresholds.assist_share &&
                 out.assist_from_map >= thresholds.assist_from_map;
  auto& scan = out.features[4];
  scan.threshold = thresholds.scan_share;
  scan.spike = scan.fraction > thresholds.scan_share;

  // Sites, largest first; ties by name so the report is deterministic.
  for (const auto& [fn, sum] : site_sums) {
    out.sites.push_back({profile.str(profile.function(fn).name), frac(sum.weight, total_weight),
                         frac(sum.value, total_value)});
  }
  std::sort(out.sites.begin(), out.sites.end(), [](const SiteShare& a, const SiteShare& b) {
    return a.fraction != b.fraction ? a.fraction > b.fraction : a.function < b.function;
  });
  if (out.sites.size() > max_sites) out.sites.resize(max_sites);
  return out;
}

bool DetectionSummary::any_spike() const {
  return std::any_of(features.begin(), features.end(), [](const auto& f) { return f.spike; });
}

std::string DetectionSummary::VerdictSentence() const {
  if (samples == 0) return "The profile has no samples, so there is nothing to judge.";
  if (delta) {
    return "This is a delta profile (it has negative values): the shares are of the absolute "
           "change. " + VerdictOfShares();
  }
  return VerdictOfShares();
}

std::string DetectionSummary::VerdictOfShares() const {
  if (!any_spike()) {
    return "No map-growth GC pressure: every measure is within its threshold.";
  }
  std::string s;
  const std::string where = sites.empty() ? "" : ", mostly called from " + sites[0].function;
  if (features[0].spike) {
    s += "Maps grow while being filled: " + Percent(features[0].fraction) +
         " of samples are spent growing maps" + where +
         "; presizing those maps (make(map[K]V, n)) removes this work.";
  } else if (features[1].spike || features[2].spike) {
    s += "Map growth work stands out" + where + "; presizing the maps would remove it.";
  }
  if (features[3].spike) {
    if (!s.empty()) s += " ";
    s += "Mark assists take " + Percent(assist_share) + " of samples and " +
         Percent(assist_from_map) +
         " of them are paid by map inserts: the allocation rate of map growth is pacing the GC.";
  }
  if (features[4].spike) {
    if (!s.empty()) s += " ";
    s += "GC scanning takes " + Percent(features[4].fraction) +
         " of samples, above the background workers' 25 % budget: the live heap holds many "
         "pointers to trace.";
  }
  if (s.empty()) s = "Some GC measures are above their thresholds; see the features above.";
  return s;
}

}  // namespace gcspike
