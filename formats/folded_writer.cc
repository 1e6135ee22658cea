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

  const size_t value_index = profile.DefaultValueIndex();
  std::unordered_map<std::string, int64_t> counts;
  std::string stack;
  const size_t n = profile.samples.size();
  for (size_t i = 0; i < n; ++i) {
    if (options.diagnostics != nullptr && (i & 0xffff) == 0 && i != 0) {
      options.diagnostics->Progress("writing folded stacks", i, n);
    }
    const Sample& s = profile.samples[i];
    const int64_t v = s.values[value_index];
    if (v < 0) {
      return MakeError("sample " + std::to_string(i) + " has negative value " + std::to_string(v) +
                       " for " + profile.str(profile.sample_types[value_index].type) +
                       ": this is a delta profile, and folded stacks need non-negative counts; write "
                       "pprof (.pb.gz), which keeps negative values");
    }
    if (v == 0) continue;
    stack.clear();
    // location_ids is leaf first; folded stacks are root first.
    for (auto it = s.location_ids.rbegin(); it != s.location_ids.rend(); ++it) {
      if (!stack.empty()) stack += ';';
      stack += location_text[*it];
    }
    // A sample without frames still counts; flamegraph.pl needs a frame to draw it under.
    if (stack.empty()) stack = "[no stack]";
    int64_t& c = counts[stack];
    if (__builtin_add_overflow(c, v, &c)) return MakeError("folded count overflows int64");
  }

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
