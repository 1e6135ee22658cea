#include "plugin/report.h"
#include "formats/json_text.h"

#include <cstdio>

namespace gcspike {
namespace {

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Pct(double f) { return Format("%.1f%%", f * 100); }

// JSON numbers: enough digits for fractions, never NaN (fractions of empty profiles are 0).
std::string Num(double v) { return Format("%.6g", v); }

// Profile strings are untrusted bytes; the shared escaper keeps the JSON valid UTF-8.
std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

const char* Verdict(bool spike) { return spike ? "spike" : "normal"; }

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

std::string RenderReportText(const DetectionSummary& s) {
  std::string o = "gcspike report: " + s.input + "\n";
  o += "samples: " + std::to_string(s.samples) + " (" + std::to_string(s.sample_records) +
       " records); value: " + (s.value_type.empty() ? "-" : s.value_type) +
       "; Go map implementation: " + s.go_runtime + "\n\n";
  char line[200];
  std::snprintf(line, sizeof line, "%-20s %8s %8s  %-8s %s\n", "feature", "samples", "value",
                "verdict", "spike when");
  o += line;
  for (int i = 0; i < kFeatureCount; ++i) {
    const FeatureSummary& f = s.features[i];
    std::snprintf(line, sizeof line, "%-20s %8s %8s  %-8s %s\n",
                  std::string(kFeatureNames[i]).c_str(), Pct(f.fraction).c_str(),
                  Pct(f.value_fraction).c_str(), Verdict(f.spike), ThresholdText(s, i).c_str());
    o += line;
  }
  o += "\nflame graph shape:\n";
  o += "  samples with a map assign frame:                " + Pct(s.map_assign_width) + "\n";
  o += "  mallocgc self share (leaf is mallocgc*):        " + Pct(s.malloc_self_share) + "\n";
  o += "  frames from grow frame to leaf, max / median:   " +
       std::to_string(s.grow_malloc_depth_max) + " / " +
       Format("%.1f", s.grow_malloc_depth_median) + "\n";
  o += "  mark assist share / reached from map inserts:   " + Pct(s.assist_share) + " / " +
       Pct(s.assist_from_map) + "\n";
  o += "  evacuate/rehash frames in one stack, max:       " +
       std::to_string(s.key_copy_stack_max) + "\n";
  o += "  deepest stack below a map assign:               " +
       std::to_string(s.depth_below_assign_max) + "\n";
  o += "  GC work by worker: assist " + Pct(s.worker_share[1]) + ", dedicated " +
       Pct(s.worker_share[2]) + ", fractional " + Pct(s.worker_share[3]) + ", idle " +
       Pct(s.worker_share[4]) + "\n";
  o += "\ntop sites (callers of growing map inserts):\n";
  if (s.sites.empty()) o += "  (none)\n";
  for (const SiteShare& site : s.sites) {
    std::snprintf(line, sizeof line, "  %7s  %s\n", Pct(site.fraction).c_str(),
                  site.function.c_str());
    o += line;
  }
  o += "\nverdict: " + s.VerdictSentence() + "\n";
  return o;
}

std::string RenderReportJson(const DetectionSummary& s, const Profile* profile,
                             const TimeAnalysis* time) {
  const DetectionThresholds& t = s.thresholds;
  std::string o = "{";
  o += "\"input\":" + JsonString(s.input);
  o += ",\"samples\":" + std::to_string(s.samples);
  o += ",\"sample_records\":" + std::to_string(s.sample_records);
  o += ",\"value_type\":" + JsonString(s.value_type);
  o += ",\"go_runtime\":" + JsonString(s.go_runtime);
  o += ",\"features\":{";
  for (int i = 0; i < kFeatureCount; ++i) {
    const FeatureSummary& f = s.features[i];
    if (i > 0) o += ",";
    o += JsonString(std::string(kFeatureNames[i])) + ":{";
    o += "\"fraction\":" + Num(f.fraction);
    o += ",\"value_fraction\":" + Num(f.value_fraction);
    o += ",\"verdict\":" + JsonString(Verdict(f.spike));
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
        o += ",\"from_map_fraction\":" + Num(s.assist_from_map);
        o += ",\"from_map_threshold\":" + Num(t.assist_from_map);
        break;
      default:
        break;
    }
    o += "}";
  }
  if (time != nullptr) AppendPrePauseFeatureJson(o, *time);
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
    o += "{\"function\":" + JsonString(s.sites[i].function) +
         ",\"fraction\":" + Num(s.sites[i].fraction) +
         ",\"value_fraction\":" + Num(s.sites[i].value_fraction) + "}";
  }
  o += "]";
  if (time != nullptr && profile != nullptr) AppendTimeJson(o, *profile, *time);
  o += ",\"verdict\":" + JsonString(s.VerdictSentence());
  o += "}\n";
  return o;
}

}  // namespace gcspike
