// The pieces every time feature's text and JSON share (time_rules.h, map_churn.h): shares as
// percentages, JSON numbers, a verdict with its cause, a feature that needs a timeline.
#pragma once

#include <string>
#include <string_view>

#include "plugin/detect/detection_summary.h"

namespace gcspike {

// "12.5 %": a share in [0, 1] as a percentage with one decimal.
std::string Percent(double f);

// JSON numbers: 17 significant digits (a script can recompute and compare), null for NaN and
// infinities, which JSON cannot express.
void AppendJsonNumber(std::string& out, double v);

// ,"verdict":S and, when inconclusive, ,"cause":S,"reason":S.
void AppendVerdictJson(std::string& out, Verdict verdict, std::string_view cause,
                       std::string_view reason);

// ,"NAME":{"fraction":null, "samples":0, "verdict":"inconclusive", "cause":"no-timeline",
// "reason":S}: a time feature on a profile without a timeline (time_rules.h), or with the
// cause and reason given (a trace without CPU samples: "no-samples").
void AppendNoTimelineJson(std::string& out, std::string_view name);
void AppendUnjudgedJson(std::string& out, std::string_view name, std::string_view cause,
                        std::string_view reason);

}  // namespace gcspike
