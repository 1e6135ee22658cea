// The `gcspike report` output: a DetectionSummary as text for people or as JSON for scripts.
// The JSON shape is a contract (scripts rely on it):
//   {"input": S, "samples": N, "sample_records": N, "value_type": S,
//    "go_runtime": "hmap"|"swiss"|"unknown",
//    "features": {"grow-spike": {"fraction": F, "value_fraction": F, "verdict": "spike"|"normal",
//                 "threshold": F, ...}, "key-copy": ..., "malloc-burst": ...,
//                 "assist-coupling": ..., "scanobject-hotspot": ...},
//    "shape": {...}, "sites": [{"function": S, "fraction": F, "value_fraction": F}],
//    "verdict": S}
// Execution traces add "pre-pause" to "features" and "timeline" after "sites"
// (plugin/detect/time_rules.h).
#pragma once

#include <string>

#include "plugin/detect/detection_summary.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {

std::string RenderReportText(const DetectionSummary& summary);
// With `time` (execution traces): "pre-pause" in "features" and "timeline" after "sites"
// (plugin/detect/time_rules.h, AppendTimeJson); `profile` is the one `time` describes.
std::string RenderReportJson(const DetectionSummary& summary, const Profile* profile = nullptr,
                             const TimeAnalysis* time = nullptr);

}  // namespace gcspike
