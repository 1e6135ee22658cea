// Fuzzes the detectors on whatever profile decodes: classification, the summary and labelling
// must accept any valid profile (deep stacks, inlined lines, missing sample types) and leave it
// valid; annotating twice must give the same labels.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "formats/pprof_reader.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  auto p = ReadPprofMessage(std::span<const uint8_t>(data, size));
  if (!p.ok() || !p->Validate().ok()) return 0;
  static const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  const auto features = ClassifySamples(*p, catalogue);
  const DetectionSummary s = Summarize(*p, features, DetectionThresholds{});
  for (const FeatureSummary& f : s.features) {
    if (!(f.fraction >= 0 && f.fraction <= 1.000001)) std::abort();
  }
  ApplyLabels(*p, features, "gcspike 0.1.0");
  if (!p->Validate().ok()) std::abort();
  const auto labels = p->samples.empty() ? std::vector<Label>{} : p->samples[0].labels;
  ApplyLabels(*p, ClassifySamples(*p, catalogue), "gcspike 0.1.0");
  if (!p->samples.empty() && p->samples[0].labels.size() != labels.size()) std::abort();
  return 0;
}
