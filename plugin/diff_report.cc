#include "plugin/diff_report.h"

#include <algorithm>
#include <cstdio>

#include "plugin/report_format.h"

namespace gcspike {
namespace {

using namespace report_format;

std::string PointsInterval(const Interval& i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%+.1f, %+.1f]", i.lo * 100, i.hi * 100);
  return buf;
}

std::string SiteText(const SiteDiff& site) {
  return report_format::SiteText(site.function, site.via);
}

std::string Wrap(std::string_view first, std::string_view text, size_t width) {
  return report_format::Wrap(first, text, width, 2);
}

std::string Row(std::string_view verdict, const ShareChange& c, const std::string& what) {
  char line[512];
  std::snprintf(line, sizeof line, "%-13s %8s  %-15s %6s  %-12s %6s  %-12s  %s\n",
                std::string(verdict).c_str(), Format("%+.1fpp", c.difference * 100).c_str(),
                PointsInterval(c.difference_interval).c_str(), Pct(c.base).c_str(),
                PctInterval(c.base_interval).c_str(), Pct(c.now).c_str(),
                PctInterval(c.now_interval).c_str(), what.c_str());
  return line;
}

std::string SideLine(const char* name, const DetectionSummary& s) {
  return std::string(name) + ": " + s.input + " (" + std::to_string(s.samples) +
         " samples; Go map implementation: " + s.go_runtime + "; overall " +
         std::string(VerdictName(s.overall)) + ")\n";
}

std::string SideJson(const std::vector<std::string>& inputs, const DetectionSummary& s) {
  std::string o = "{\"inputs\":[";
  for (size_t i = 0; i < inputs.size(); ++i) o += (i ? "," : "") + JsonString(inputs[i]);
  o += "],\"samples\":" + std::to_string(s.samples);
  o += ",\"go_runtime\":" + JsonString(s.go_runtime);
  o += ",\"profile_kind\":" + JsonString(ProfileKindName(s.visibility.kind));
  o += ",\"overall\":" + JsonString(VerdictName(s.overall)) + "}";
  return o;
}

std::string ChangeJson(const ShareChange& c, uint64_t base_samples, uint64_t now_samples,
                       bool with_samples) {
  auto side = [&](double f, const Interval& i, uint64_t n) {
    std::string o = "{\"fraction\":" + Num(f);
    if (with_samples) o += ",\"samples\":" + std::to_string(n);
    return o + ",\"interval\":" + JsonInterval(i) + "}";
  };
  return "\"base\":" + side(c.base, c.base_interval, base_samples) +
         ",\"new\":" + side(c.now, c.now_interval, now_samples) +
         ",\"difference\":" + Num(c.difference) +
         ",\"difference_interval\":" + JsonInterval(c.difference_interval);
}

}  // namespace

std::string RenderDiffText(const ProfileDiff& d, size_t width) {
  std::string o = "gcspike diff\n";
  o += SideLine("base", d.base);
  o += SideLine("new ", d.now);
  o += "overall: " + std::string(ChangeVerdictName(d.overall)) + " (tolerance " +
       Format("%.1f", d.tolerance * 100) + " points)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-13s %8s  %-15s %6s  %-12s %6s  %-12s  %s\n", "verdict",
                "change", "95% interval", "base", "95% interval", "new", "95% interval",
                "feature / site");
  o += line;
  for (int i = 0; i < kFeatureCount; ++i) {
    o += Row(ChangeVerdictName(d.features[i].verdict), d.features[i].change,
             std::string(kFeatureNames[i]));
  }
  // The ten sites that changed most (the JSON has every one).
  for (size_t i = 0; i < d.sites.size() && i < 10; ++i) {
    const SiteDiff& s = d.sites[i];
    o += Row(ChangeVerdictName(s.verdict), s.change, "site " + SiteText(s));
  }
  // Why a feature could not be decided, once per distinct reason.
  std::array<const std::string*, kFeatureCount> undecided{};
  for (int i = 0; i < kFeatureCount; ++i) {
    if (d.features[i].verdict == ChangeVerdict::kInconclusive) undecided[i] = &d.features[i].reason;
  }
  std::string after;
  for (const UndecidedReason& u : UndecidedReasons(undecided)) {
    // A reason that is also a note (different programs) is said once, as the note.
    if (std::find(d.notes.begin(), d.notes.end(), u.reason) != d.notes.end()) continue;
    after += Wrap("inconclusive (" + u.features + "): ", u.reason, width);
  }
  for (const std::string& note : d.notes) after += Wrap("note: ", note, width);
  if (!after.empty()) o += "\n" + after;
  return o;
}

std::string RenderDiffJson(const ProfileDiff& d) {
  std::string o = "{\"base\":" + SideJson(d.base_inputs, d.base);
  o += ",\"new\":" + SideJson(d.now_inputs, d.now);
  o += ",\"tolerance\":" + Num(d.tolerance);
  o += ",\"overall\":" + JsonString(ChangeVerdictName(d.overall));
  o += ",\"features\":{";
  for (int i = 0; i < kFeatureCount; ++i) {
    const FeatureDiff& f = d.features[i];
    if (i > 0) o += ",";
    o += JsonString(kFeatureNames[i]) + ":{" +
         ChangeJson(f.change, d.base.samples, d.now.samples, true);
    o += ",\"verdict\":" + JsonString(ChangeVerdictName(f.verdict));
    if (f.verdict == ChangeVerdict::kInconclusive) {
      o += ",\"cause\":" + JsonString(f.cause) + ",\"reason\":" + JsonString(f.reason);
    }
    o += "}";
  }
  o += "},\"sites\":[";
  for (size_t i = 0; i < d.sites.size(); ++i) {
    const SiteDiff& s = d.sites[i];
    if (i > 0) o += ",";
    o += "{\"function\":" + JsonString(s.function) + ",\"via\":[";
    for (size_t k = 0; k < s.via.size(); ++k) o += (k ? "," : "") + JsonString(s.via[k]);
    o += "]," + ChangeJson(s.change, d.base.samples, d.now.samples, false);
    o += ",\"verdict\":" + JsonString(ChangeVerdictName(s.verdict)) + "}";
  }
  o += "],\"shared_code\":{\"base\":" + (d.base_shared ? Num(*d.base_shared) : "null") +
       ",\"new\":" + (d.now_shared ? Num(*d.now_shared) : "null") + "}";
  o += ",\"notes\":[";
  for (size_t i = 0; i < d.notes.size(); ++i) o += (i ? "," : "") + JsonString(d.notes[i]);
  o += "]}\n";
  return o;
}

}  // namespace gcspike
