#include "plugin/detect/feature_format.h"

#include <cmath>
#include <cstdio>

#include "formats/json_text.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", f * 100);
  return buf;
}

void AppendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out += buf;
}

void AppendVerdictJson(std::string& out, Verdict verdict, std::string_view cause,
                       std::string_view reason) {
  out += ",\"verdict\":";
  AppendJsonString(out, VerdictName(verdict));
  if (verdict == Verdict::kInconclusive) {
    out += ",\"cause\":";
    AppendJsonString(out, cause);
    out += ",\"reason\":";
    AppendJsonString(out, reason);
  }
}

void AppendUnjudgedJson(std::string& out, std::string_view name, std::string_view cause,
                        std::string_view reason) {
  out += ",";
  AppendJsonString(out, name);
  out += ":{\"fraction\":null,\"samples\":0,\"verdict\":\"inconclusive\",\"cause\":";
  AppendJsonString(out, cause);
  out += ",\"reason\":";
  AppendJsonString(out, reason);
  out += "}";
}

void AppendNoTimelineJson(std::string& out, std::string_view name) {
  AppendUnjudgedJson(out, name, kNoTimelineCause, kNoTimelineReason);
}

}  // namespace gcspike
