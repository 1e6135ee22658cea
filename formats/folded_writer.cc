#include "formats/folded_writer.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "formats/viewer_frames.h"

namespace gcspike {
namespace {

void AppendFrameName(std::string& out, const std::string& name) {
  for (char c : name) {
    if (c == ';') {
      out += ':';
    } else if (c == '\n' || c == '\r' || c == '\0') {
      out += '?';
    } else {
      out += c;
    }
  }
}

}  // namespace

Result<std::string> EncodeFolded(const Profile& profile, const FoldedWriteOptions& options) {
  GCSPIKE_RETURN_IF_ERROR(profile.Validate());
  // Each Location's text once: its frames outermost first, joined by ';'.
  const std::vector<std::vector<ViewerFrame>> frames = ExpandLocations(profile);
  std::vector<std::string> location_text(frames.size());
  for (size_t id = 1; id < frames.size(); ++id) {
    for (const ViewerFrame& f : frames[id]) {
      if (!location_text[id].empty()) location_text[id] += ';';
      AppendFrameName(location_text[id], f.name);
    }
  }

  std::unordered_map<std::string, int64_t> counts;
  // Each stack sample's line, found once: a spooled profile's records share their stack's.
  std::vector<int64_t*> count_of(profile.samples.size(), nullptr);
  std::string stack;
  const ViewerSampleWalk walk{.progress = "writing folded stacks",
                              .refusal = "folded stacks need non-negative counts",
                              .diagnostics = options.diagnostics};
  GCSPIKE_RETURN_IF_ERROR(
      ForEachViewerSample(profile, walk, [&](const SampleRecord& r, int64_t v) -> Status {
        int64_t*& c = count_of[static_cast<size_t>(r.stack - profile.samples.data())];
        if (c == nullptr) {
          stack.clear();
          ForEachLocationRootFirst(*r.stack, [&](uint64_t id) {
            if (!stack.empty()) stack += ';';
            stack += location_text[id];
          });
          // A sample without frames still counts; flamegraph.pl needs a frame to draw it under.
          if (stack.empty()) stack = "[no stack]";
          c = &counts[stack];
        }
        if (__builtin_add_overflow(*c, v, c)) return MakeError("folded count overflows int64");
        return {};
      }));

  std::vector<const std::pair<const std::string, int64_t>*> lines;
  lines.reserve(counts.size());
  for (const auto& kv : counts) lines.push_back(&kv);
  std::sort(lines.begin(), lines.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  for (const auto* kv : lines) {
    out += kv->first;
    out += ' ';
    out += std::to_string(kv->second);
    out += '\n';
  }
  return out;
}

}  // namespace gcspike
