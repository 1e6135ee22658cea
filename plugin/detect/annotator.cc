#include "plugin/detect/annotator.h"

#include <algorithm>
#include <array>
#include <string>

namespace gcspike {

std::vector<StackFeatures> ClassifySamples(const Profile& profile,
                                           const RuntimeSignatureCatalogue& catalogue) {
  StackClassifier classifier(profile, catalogue);
  std::vector<StackFeatures> out;
  out.reserve(profile.samples.size());
  for (const Sample& s : profile.samples) out.push_back(classifier.Classify(s.location_ids));
  return out;
}

void ApplyLabels(Profile& profile, const std::vector<StackFeatures>& features,
                 std::string_view producer) {
  const StrId feature_key = profile.Intern(kFeatureLabelKey);
  const StrId site_key = profile.Intern(kSiteLabelKey);
  const StrId worker_key = profile.Intern(kWorkerLabelKey);
  // Feature sets and worker kinds are few: intern each label value once, not per sample.
  std::array<StrId, 1u << kFeatureCount> feature_values{};
  std::array<StrId, 5> worker_values{};

  // Counted in individual samples: a stack sample of a spooled profile stands for several.
  std::array<uint64_t, kFeatureCount> counts{};
  uint64_t labelled = 0;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    Sample& s = profile.samples[i];
    const StackFeatures& f = features[i];
    std::erase_if(s.labels, [&](const Label& l) {
      return l.key == feature_key || l.key == site_key || l.key == worker_key;
    });
    if (f.features == 0) continue;
    const uint64_t records = profile.RecordsOf(i);
    labelled += records;
    for (int b = 0; b < kFeatureCount; ++b) counts[b] += ((f.features >> b) & 1u) * records;
    StrId& value = feature_values[f.features];
    if (value == 0) value = profile.Intern(FeatureLabel(f.features));
    s.labels.push_back(Label{.key = feature_key, .str = value});
    if (f.site_function_id != 0) {
      const StrId site = profile.function(f.site_function_id).name;
      if (site != 0) s.labels.push_back(Label{.key = site_key, .str = site});
    }
    if (f.worker != GcWorkerKind::kNone) {
      StrId& w = worker_values[static_cast<size_t>(f.worker)];
      if (w == 0) w = profile.Intern(GcWorkerName(f.worker));
      s.labels.push_back(Label{.key = worker_key, .str = w});
    }
  }

  std::string comment = "annotated by " + std::string(producer) + ": " + std::to_string(labelled) +
                        " of " + std::to_string(profile.SampleRecordCount()) +
                        " samples labelled gcspike";
  std::string detail;
  for (int b = 0; b < kFeatureCount; ++b) {
    if (counts[b] == 0) continue;
    detail += (detail.empty() ? " (" : ", ") + std::string(kFeatureNames[b]) + " " +
              std::to_string(counts[b]);
  }
  if (!detail.empty()) comment += detail + ")";
  const std::string prefix = "annotated by gcspike";
  std::erase_if(profile.comments, [&](StrId c) { return profile.str(c).rfind(prefix, 0) == 0; });
  profile.comments.push_back(profile.Intern(comment));
}

}  // namespace gcspike
