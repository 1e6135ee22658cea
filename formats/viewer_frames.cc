#include "formats/viewer_frames.h"

#include <cstdio>
#include <string>

namespace gcspike {

std::vector<std::vector<ViewerFrame>> ExpandLocations(const Profile& profile) {
  std::vector<std::vector<ViewerFrame>> out(profile.locations.size() + 1);
  for (const Location& loc : profile.locations) {
    std::vector<ViewerFrame>& frames = out[loc.id];
    if (loc.lines.empty()) {
      // Unsymbolized: the address is all there is (perf's "[unknown]" would merge every such
      // frame into one); the mapping's file tells which binary it belongs to.
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(loc.address));
      ViewerFrame f;
      f.name = buf;
      if (loc.mapping_id != 0) f.file = profile.str(profile.mapping(loc.mapping_id).filename);
      frames.push_back(std::move(f));
      continue;
    }
    for (auto it = loc.lines.rbegin(); it != loc.lines.rend(); ++it) {
      const Function& fn = profile.function(it->function_id);
      ViewerFrame f;
      f.name = profile.str(fn.name);
      if (f.name.empty()) f.name = profile.str(fn.system_name);
      if (f.name.empty()) f.name = "[unknown]";
      f.file = profile.str(fn.filename);
      f.line = fn.start_line;
      frames.push_back(std::move(f));
    }
  }
  return out;
}

Error NegativeWeightError(const Profile& profile, size_t sample, int64_t value,
                          const char* refusal) {
  const size_t value_index = profile.DefaultValueIndex();
  return MakeError("sample " + std::to_string(sample) + " has negative value " +
                   std::to_string(value) + " for " +
                   profile.str(profile.sample_types[value_index].type) +
                   ": this is a delta profile, and " + refusal +
                   "; write pprof (.pb.gz), which keeps negative values");
}

}  // namespace gcspike
