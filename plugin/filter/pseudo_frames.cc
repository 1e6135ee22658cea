#include "plugin/filter/pseudo_frames.h"

#include <algorithm>
#include <unordered_map>

#include "core/profile_builder.h"
#include "core/sample_spool.h"

namespace gcspike {

Result<PseudoFramePlacement> ParsePseudoFramePlacement(std::string_view text) {
  if (text == "none") return PseudoFramePlacement::kNone;
  if (text == "root") return PseudoFramePlacement::kRoot;
  if (text == "leaf") return PseudoFramePlacement::kLeaf;
  return MakeError("--pseudo-frames must be root, leaf or none, not '" + std::string(text) + "'");
}

std::string PseudoFrameName(const Profile& profile, const Label& label) {
  std::string value;
  if (label.numeric) {
    value = std::to_string(label.num);
    if (label.num_unit != 0) value += " " + profile.str(label.num_unit);
  } else {
    value = profile.str(label.str);
  }
  return "[" + profile.str(label.key) + " " + value + "]";
}

size_t AddPseudoFrames(Profile& profile, PseudoFramePlacement placement,
                       const std::vector<std::string>& keys) {
  if (placement == PseudoFramePlacement::kNone || keys.empty()) return 0;
  std::vector<StrId> key_ids;
  for (const std::string& k : keys) {
    if (const StrId id = profile.strings.Find(k); id != 0) key_ids.push_back(id);
  }
  if (key_ids.empty()) return 0;

  // The builder interns new functions and locations after the existing ones, whose ids stay.
  ProfileBuilder builder(profile);
  std::unordered_map<std::string, uint64_t> location_by_name;
  auto location_for = [&](const Label& label) {
    std::string name = PseudoFrameName(profile, label);
    auto it = location_by_name.find(name);
    if (it != location_by_name.end()) return it->second;
    Line line;
    line.function_id = builder.InternFunction(name, kPseudoFrameFile);
    const uint64_t id = builder.InternLocation(0, 0, std::span<const Line>(&line, 1));
    location_by_name.emplace(std::move(name), id);
    return id;
  };

  // A profile that already went through this (gcspike's own output read back) keeps the frames
  // it has: a frame is not added twice to one stack.
  const StrId pseudo_file = profile.strings.Find(kPseudoFrameFile);
  std::vector<bool> is_pseudo(profile.locations.size() + 1, false);
  for (const Location& loc : profile.locations) {
    is_pseudo[loc.id] = pseudo_file != 0 && loc.lines.size() == 1 &&
                        profile.function(loc.lines[0].function_id).filename == pseudo_file;
  }
  auto has_frame = [&](const Sample& s, const std::string& name) {
    for (uint64_t id : s.location_ids) {
      if (id < is_pseudo.size() && is_pseudo[id] &&
          profile.str(profile.function(profile.location(id).lines[0].function_id).name) == name) {
        return true;
      }
    }
    return false;
  };

  size_t tagged = 0;
  std::vector<uint64_t> frames;  // outermost first
  for (Sample& s : profile.samples) {
    frames.clear();
    for (StrId key : key_ids) {
      const Label* l = profile.FindLabel(s, key);
      if (l == nullptr || (pseudo_file != 0 && has_frame(s, PseudoFrameName(profile, *l)))) {
        continue;
      }
      frames.push_back(location_for(*l));
    }
    if (frames.empty()) continue;
    ++tagged;
    if (placement == PseudoFramePlacement::kRoot) {
      // location_ids is leaf first, so the outermost frame goes last.
      s.location_ids.insert(s.location_ids.end(), frames.rbegin(), frames.rend());
    } else {
      // The first key is the innermost: it becomes location_ids[0].
      s.location_ids.insert(s.location_ids.begin(), frames.begin(), frames.end());
    }
  }
  return tagged;
}

Result<bool> PseudoFramesFitStacks(const Profile& profile, const std::vector<std::string>& keys) {
  if (profile.spool == nullptr) return true;
  const std::vector<StrId> record_strings = profile.spool->UsedStrings();
  for (const std::string& k : keys) {
    const StrId id = profile.strings.Find(k);
    if (id != 0 && std::binary_search(record_strings.begin(), record_strings.end(), id)) {
      return false;
    }
  }
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    if (profile.RecordsOf(i) == 0) return false;
  }
  size_t next_new = 0;  // the stack sample the next new stack must be
  bool in_order = true;
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    const size_t stack = static_cast<size_t>(r.stack - profile.samples.data());
    if (stack > next_new) in_order = false;
    if (stack == next_new) ++next_new;
    return {};
  }));
  return in_order;
}

}  // namespace gcspike
