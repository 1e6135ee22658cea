#include "plugin/cli/group_report.h"

#include <gflags/gflags.h>

#include <cstdio>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/json_text.h"
#include "plugin/cli/detect_command.h"
#include "plugin/report.h"
#include "plugin/report_format.h"

DEFINE_string(group_by, "",
              "report: also give the verdicts per value of this string label (e.g. the key of "
              "--label-inputs), each group judged on its own samples.");

namespace gcspike::cli {

using report_format::Pct;

bool GroupByRequested() { return !FLAGS_group_by.empty(); }

Result<std::string> RenderGroupReport(Profile& profile, bool json, uint64_t max_memory) {
  GCSPIKE_RETURN_IF_ERROR(MaterializeSpool(profile, max_memory));
  const StrId key = profile.strings.Find(FLAGS_group_by);
  // Group of each sample, in order of first appearance.
  std::vector<std::string> names;
  std::unordered_map<StrId, size_t> index;
  std::vector<size_t> group_of(profile.samples.size());
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const Label* l = key == 0 ? nullptr : profile.FindLabel(profile.samples[i], key);
    const StrId value = l == nullptr || l->numeric ? 0 : l->str;
    auto [it, added] = index.emplace(value, names.size());
    if (added) names.push_back(profile.str(value));
    group_of[i] = it->second;
  }
  // A profile with every table but no samples, copied per group.
  std::vector<Sample> all = std::move(profile.samples);
  profile.samples.clear();
  std::string text, members;
  Status status;
  for (size_t g = 0; g < names.size() && status.ok(); ++g) {
    Profile part = profile;
    for (size_t i = 0; i < all.size(); ++i) {
      if (group_of[i] == g) part.samples.push_back(all[i]);
    }
    const std::string shown = names[g].empty() ? "(none)" : names[g];
    auto s = DetectOnly(part, shown);
    if (!s.ok()) {
      status = std::move(s.error());
      break;
    }
    if (json) {
      if (!members.empty()) members += ",";
      members += "{\"group\":" + JsonString(names[g]) + ",\"report\":" + RenderReportJson(*s) + "}";
      continue;
    }
    const FeatureSummary& grow = s->features[0];
    char line[160];
    std::snprintf(line, sizeof line, "  %-13s %-13s %6s [%6s, %6s] %9llu  ",
                  std::string(VerdictName(s->overall)).c_str(),
                  std::string(VerdictName(grow.verdict)).c_str(), Pct(grow.fraction).c_str(),
                  Pct(grow.interval.lo).c_str(), Pct(grow.interval.hi).c_str(),
                  static_cast<unsigned long long>(s->samples));
    text += line + shown + "\n";
  }
  profile.samples = std::move(all);
  if (!status.ok()) return status.error();
  if (json) {
    return ",\"groups\":{\"key\":" + JsonString(FLAGS_group_by) + ",\"groups\":[" + members + "]}";
  }
  return "\nBy " + FLAGS_group_by + " (" + std::to_string(names.size()) +
         (names.size() == 1 ? " group" : " groups") + ", each judged on its own samples):\n" +
         "  overall       grow-spike    share  [95% interval]   samples  group\n" + text;
}

}  // namespace gcspike::cli
