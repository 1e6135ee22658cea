#include "plugin/report.h"

#include <algorithm>
#include <cstdio>

#include "plugin/report_format.h"

namespace gcspike {
namespace {

using namespace report_format;

std::string SiteText(const SiteShare& site) {
  return report_format::SiteText(site.function, site.via);
}

// How each feature's threshold reads in the text report.
std::string ThresholdText(const DetectionSummary& s, int feature) {
  const DetectionThresholds& t = s.thresholds;
  switch (feature) {
    case 0:
      return ">= " + Pct(t.grow_spike);
    case 1:
      return ">= " + Pct(t.key_copy);
    case 2:
      return ">= " + Pct(t.malloc_burst) + ", depth >= " + std::to_string(t.malloc_depth);
    case 3:
      return "assist > " + Pct(t.assist_share) + ", >= " + Pct(t.assist_from_map) + " from maps";
    default:
      return "> " + Pct(t.scan_share);
  }
}

}  // namespace

std::string RenderReportText(const DetectionSummary& s, size_t width) {
  std::string o = "gcspike report: " + s.input + "\n";
  o += "samples: " + std::to_string(s.samples) + " (" + std::to_string(s.sample_records) +
       " records); value: " + (s.value_type.empty() ? "-" : s.value_type) +
       "; profile: " + std::string(ProfileKindName(s.visibility.kind)) +
       "; Go map implementation: " + s.go_runtime + "\n";
  o += "overall: " + std::string(VerdictName(s.overall)) + "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %8s  %-13s %8s  %-13s %s\n", "feature", "samples",
                "95% interval", "value", "verdict", "spike when");
  o += line;
  for (int i = 0; i < kFeatureCount; ++i) {
    const FeatureSummary& f = s.features[i];
    std::snprintf(line, sizeof line, "%-20s %8s  %-13s %8s  %-13s %s\n",
                  std::string(kFeatureNames[i]).c_str(), Pct(f.fraction).c_str(),
                  PctInterval(f.interval).c_str(), Pct(f.value_fraction).c_str(),
                  std::string(VerdictName(f.verdict)).c_str(), ThresholdText(s, i).c_str());
    o += line;
  }
  // Why a feature could not be decided, once per distinct reason.
  std::array<const std::string*, kFeatureCount> undecided{};
  for (int i = 0; i < kFeatureCount; ++i) {
    if (s.features[i].verdict == Verdict::kInconclusive) undecided[i] = &s.features[i].reason;
  }
  for (const UndecidedReason& u : UndecidedReasons(undecided)) {
    std::string which = u.features;
    if (which.find(',') != std::string::npos &&
        std::all_of(s.features.begin(), s.features.end(),
                    [&u](const FeatureSummary& g) { return g.reason == u.reason; })) {
      which = "every feature";
    }
    o += Wrap("inconclusive (" + which + "): ", u.reason, width, 2);
  }
  o += "\nflame graph shape:\n";
  o += "  samples with a map assign frame:                " + Pct(s.map_assign_width) + "\n";
  o += "  mallocgc self share (leaf is mallocgc*):        " + Pct(s.malloc_self_share) + "\n";
  o += "  frames from grow frame to leaf, max / median:   " +
       std::to_string(s.grow_malloc_depth_max) + " / " +
       Format("%.1f", s.grow_malloc_depth_median) + "\n";
  o += "  mark assist share / reached from map inserts:   " + Pct(s.assist_share) + " / " +
       Pct(s.assist_from_map) + "\n";
  o += "  evacuate/rehash frames in one stack, max:       " + std::to_string(s.key_copy_stack_max) +
       "\n";
  o += "  deepest stack below a map assign:               " +
       std::to_string(s.depth_below_assign_max) + "\n";
  o += "  GC work by worker: assist " + Pct(s.worker_share[1]) + ", dedicated " +
       Pct(s.worker_share[2]) + ", fractional " + Pct(s.worker_share[3]) + ", idle " +
       Pct(s.worker_share[4]) + "\n";
  // A site's share counts every map-feature sample it makes (key copy and assists too), so it
  // may exceed grow-spike's: the heading says so.
  o += "\ntop sites (the functions whose maps to presize, by their samples of any map feature;\n"
       "           via: the helpers that insert):\n";
  if (s.sites.empty()) o += "  (none)\n";
  for (const SiteShare& site : s.sites) {
    o += "  " + std::string(7 - std::min<size_t>(7, Pct(site.fraction).size()), ' ') +
         Pct(site.fraction) + " " + PctInterval(site.interval) + "  " + SiteText(site) + "\n";
  }
  o += "\n" + Wrap("verdict: ", s.VerdictSentence(), width, 0);
  return o;
}

std::string RenderReportJson(const DetectionSummary& s, std::string_view features_tail,
                             std::string_view tail) {
  const DetectionThresholds& t = s.thresholds;
  std::string o = "{";
  o += "\"input\":" + JsonString(s.input);
  o += ",\"samples\":" + std::to_string(s.samples);
  o += ",\"sample_records\":" + std::to_string(s.sample_records);
  o += ",\"value_type\":" + JsonString(s.value_type);
  o += ",\"go_runtime\":" + JsonString(s.go_runtime);
  o += ",\"profile_kind\":" + JsonString(ProfileKindName(s.visibility.kind));
  o += ",\"overall\":" + JsonString(VerdictName(s.overall));
  o += ",\"visibility\":{\"unsymbolized_share\":" + Num(s.visibility.unsymbolized_share) +
       ",\"truncated_share\":" + Num(s.visibility.truncated_share) +
       ",\"stackless_share\":" + Num(s.visibility.stackless_share) +
       ",\"empty_stack_share\":" + Num(s.visibility.empty_stack_share) +
       ",\"go_runtime_frames\":" + (s.visibility.has_go_runtime ? "true" : "false");
  if (s.visibility.blind()) {
    o += ",\"cause\":" + JsonString(s.visibility.cause) +
         ",\"reason\":" + JsonString(s.visibility.reason);
  }
  o += "}";
  o += ",\"features\":{";
  for (int i = 0; i < kFeatureCount; ++i) {
    const FeatureSummary& f = s.features[i];
    if (i > 0) o += ",";
    o += JsonString(std::string(kFeatureNames[i])) + ":{";
    o += "\"fraction\":" + Num(f.fraction);
    o += ",\"value_fraction\":" + Num(f.value_fraction);
    o += ",\"interval\":" + JsonInterval(f.interval);
    o += ",\"samples\":" + std::to_string(s.samples);
    o += ",\"verdict\":" + JsonString(VerdictName(f.verdict));
    if (f.verdict == Verdict::kInconclusive) {
      o += ",\"cause\":" + JsonString(f.cause);
      o += ",\"reason\":" + JsonString(f.reason);
    }
    if (f.lower_bound) o += ",\"lower_bound\":true";
    o += ",\"threshold\":" + Num(f.threshold);
    switch (i) {
      case 2:
        o += ",\"depth_threshold\":" + std::to_string(t.malloc_depth);
        o += ",\"subtree_depth_max\":" + std::to_string(s.grow_malloc_depth_max);
        o += ",\"subtree_depth_median\":" + Num(s.grow_malloc_depth_median);
        o += ",\"mallocgc_self_share\":" + Num(s.malloc_self_share);
        break;
      case 3:
        o += ",\"assist_share\":" + Num(s.assist_share);
        o += ",\"assist_share_interval\":" + JsonInterval(s.assist_share_interval);
        o += ",\"from_map_fraction\":" + Num(s.assist_from_map);
        o += ",\"from_map_interval\":" + JsonInterval(s.assist_from_map_interval);
        o += ",\"from_map_threshold\":" + Num(t.assist_from_map);
        break;
      default:
        break;
    }
    o += "}";
  }
  o += features_tail;
  o += "}";
  o += ",\"shape\":{";
  o += "\"map_assign_width\":" + Num(s.map_assign_width);
  o += ",\"mallocgc_self_share\":" + Num(s.malloc_self_share);
  o += ",\"grow_malloc_depth_max\":" + std::to_string(s.grow_malloc_depth_max);
  o += ",\"grow_malloc_depth_median\":" + Num(s.grow_malloc_depth_median);
  o += ",\"assist_share\":" + Num(s.assist_share);
  o += ",\"assist_from_map\":" + Num(s.assist_from_map);
  o += ",\"evacuate_stack_max\":" + std::to_string(s.key_copy_stack_max);
  o += ",\"depth_below_assign_max\":" + std::to_string(s.depth_below_assign_max);
  o += ",\"worker_share\":{\"assist\":" + Num(s.worker_share[1]) +
       ",\"dedicated\":" + Num(s.worker_share[2]) + ",\"fractional\":" + Num(s.worker_share[3]) +
       ",\"idle\":" + Num(s.worker_share[4]) + "}";
  o += "}";
  o += ",\"sites\":[";
  for (size_t i = 0; i < s.sites.size(); ++i) {
    if (i > 0) o += ",";
    const SiteShare& site = s.sites[i];
    o += "{\"function\":" + JsonString(site.function) + ",\"via\":[";
    for (size_t k = 0; k < site.via.size(); ++k) o += (k ? "," : "") + JsonString(site.via[k]);
    o += "],\"fraction\":" + Num(site.fraction) + ",\"interval\":" + JsonInterval(site.interval) +
         ",\"value_fraction\":" + Num(site.value_fraction) + "}";
  }
  o += "]";
  o += tail;
  o += ",\"verdict\":" + JsonString(s.VerdictSentence());
  o += "}\n";
  return o;
}

}  // namespace gcspike
