// The `gcspike diff` output: a ProfileDiff as text for people or as JSON for scripts. The JSON
// shape is a contract (CI scripts rely on it):
//   {"base": {"inputs": [S...], "samples": N, "go_runtime": S, "profile_kind": S,
//             "overall": "spike"|"normal"|"inconclusive"},
//    "new": {...the same...},
//    "tolerance": F, "overall": "regressed"|"improved"|"unchanged"|"inconclusive",
//    "features": {"grow-spike": {"base": {"fraction": F, "samples": N, "interval": [LO, HI]},
//                                "new": {...}, "difference": D, "difference_interval": [LO, HI],
//                                "verdict": "regressed"|"improved"|"unchanged"|"inconclusive",
//                                ["cause": S, "reason": S]}, ...},
//    "sites": [{"function": S, "via": [S...], "base": {"fraction": F, "interval": [LO, HI]},
//               "new": {...}, "difference": D, "difference_interval": [LO, HI], "verdict": S}],
//    "shared_code": {"base": F|null, "new": F|null},
//    "notes": [S...]}
// shared_code: each side's share of its user-code samples in functions the other side also runs
// (shared_code.h; null for a side without user frames); under kMinSharedCode every feature is
// inconclusive with cause "different-programs"; sides that hold the same samples
// (plugin/same_samples.h) make every feature inconclusive with cause "same-samples".
// Fractions and differences are fractions (0.39, -0.39), not percent; differences are new - base.
#pragma once

#include <string>

#include "plugin/detect/profile_diff.h"

namespace gcspike {

// Text: the sides, then one table (verdict first): the features, then the ten sites that changed
// most; then the reasons for inconclusive verdicts and the notes.
std::string RenderDiffText(const ProfileDiff& diff, size_t width = 80);
std::string RenderDiffJson(const ProfileDiff& diff);

}  // namespace gcspike
