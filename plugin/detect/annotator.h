// Annotator: labels every sample of a profile with what its stack says (stack_rules.h), so
// pprof's -tagfocus/-tagroot and other consumers can select and group by it:
//   gcspike         the sample's features joined by '+' ("grow-spike+malloc-burst")
//   gcspike_site    the function above the map assign (whose map should be presized)
//   gcspike_worker  assist | dedicated | fractional | idle, for GC work whose mode shows
// A sample without features gets none of them. Labels the sample already had are kept, except
// earlier gcspike labels, which are replaced so annotating twice gives the same result.
#pragma once

#include <string_view>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/runtime_signature_catalogue.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

inline constexpr std::string_view kFeatureLabelKey = "gcspike";
inline constexpr std::string_view kSiteLabelKey = "gcspike_site";
inline constexpr std::string_view kWorkerLabelKey = "gcspike_worker";

// Classifies every sample (result[i] belongs to profile.samples[i]) without changing the profile.
std::vector<StackFeatures> ClassifySamples(const Profile& profile,
                                           const RuntimeSignatureCatalogue& catalogue);

// Writes the labels of `features` (from ClassifySamples) onto the samples and adds a comment
// "annotated by <producer>: ..." (replacing an earlier gcspike comment).
void ApplyLabels(Profile& profile, const std::vector<StackFeatures>& features,
                 std::string_view producer);

}  // namespace gcspike
