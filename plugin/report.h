// The `gcspike report` output: a DetectionSummary as text for people or as JSON for scripts.
// The JSON shape is a contract (scripts rely on it):
//   {"input": S, "samples": N, "sample_records": N, "value_type": S,
//    "go_runtime": "hmap"|"swiss"|"unknown", "profile_kind": "cpu"|"heap"|"allocs"|...,
//    "overall": "spike"|"normal"|"inconclusive",
//    "visibility": {"unsymbolized_share": F, "truncated_share": F, "stackless_share": F,
//                   "empty_stack_share": F (samples with no location), "go_runtime_frames": B,
//                   ["cause": S, "reason": S]},
//    "features": {"grow-spike": {"fraction": F, "value_fraction": F, "interval": [LO, HI],
//                 "samples": N, "verdict": "spike"|"normal"|"inconclusive",
//                 ["cause": S, "reason": S,] "threshold": F, ...}, "key-copy": ...,
//                 "malloc-burst": ..., "assist-coupling": ..., "scanobject-hotspot": ...},
//    "shape": {...},
//    "sites": [{"function": S, "via": [S...], "fraction": F, "interval": [LO, HI],
//               "value_fraction": F}],
//    "verdict": S}
// "samples" is the n of every interval (individual samples); "verdict" at the top is a sentence.
#pragma once

#include <string>
#include <string_view>

#include "plugin/detect/detection_summary.h"

namespace gcspike {

// Paragraphs (the verdict, the reasons) are wrapped at `width` columns.
std::string RenderReportText(const DetectionSummary& summary, size_t width = 80);
// `features_tail` is appended inside "features" (",\"pre-pause\":{...}" for traces), `tail`
// after "sites" (",\"timeline\":{...}"); both are JSON members with a leading comma, or "".
std::string RenderReportJson(const DetectionSummary& summary, std::string_view features_tail = "",
                             std::string_view tail = "");

}  // namespace gcspike
