#include "formats/speedscope_writer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "formats/json_text.h"
#include "formats/viewer_frames.h"

namespace gcspike {
namespace {

constexpr const char* kSchema = "https://www.speedscope.app/file-format-schema.json";

// How samples are split into speedscope profiles: by goroutine, else by thread.
struct ThreadKey {
  bool present = false;
  bool numeric = false;
  int64_t num = 0;
  std::string text;
  bool operator<(const ThreadKey& o) const {
    // Samples without the label last; numbers in numeric order before texts.
    if (present != o.present) return present;
    if (numeric != o.numeric) return numeric;
    if (num != o.num) return num < o.num;
    return text < o.text;
  }
};

// One drawn sample: its stack sample, its weight and its time. A spooled profile's records are
// kept this way (24 bytes each), not as model samples.
struct DrawnSample {
  size_t stack = 0;  // index into profile.samples
  int64_t weight = 0;
  int64_t time = 0;  // timestamp_ns, or INT64_MAX without one
};

struct ThreadGroup {
  std::vector<DrawnSample> samples;
  int64_t total = 0;
};

std::string ThreadName(const std::string& key, const ThreadKey& k) {
  if (!k.present) return "no " + key + " label";
  return key + " " + (k.numeric ? std::to_string(k.num) : k.text);
}

using ThreadGroups = std::map<ThreadKey, ThreadGroup>;

// speedscope's frames: one per distinct (name, file, start line), its own frame identity, and
// each Location's frames as indices into them.
struct SpeedscopeFrames {
  std::vector<std::vector<ViewerFrame>> expanded;  // owns what `frames` points into
  std::vector<std::vector<uint32_t>> of_location;  // by location id
  std::vector<const ViewerFrame*> frames;
};

void IndexFrames(const Profile& profile, SpeedscopeFrames& sf) {
  sf.expanded = ExpandLocations(profile);
  sf.of_location.resize(sf.expanded.size());
  std::unordered_map<std::string, uint32_t> frame_index;
  for (size_t id = 1; id < sf.expanded.size(); ++id) {
    for (const ViewerFrame& f : sf.expanded[id]) {
      std::string key = f.name;
      key += '\0';
      key += f.file;
      key += '\0';
      key += std::to_string(f.line);
      auto [it, inserted] = frame_index.try_emplace(std::move(key), sf.frames.size());
      if (inserted) sf.frames.push_back(&f);
      sf.of_location[id].push_back(it->second);
    }
  }
}

// The label samples are split by: "goroutine" when any sample has it, else "tid", else none.
Result<const char*> GroupKey(const Profile& profile, bool merge_threads) {
  if (merge_threads) return nullptr;
  for (const char* k : {"goroutine", "tid"}) {
    const StrId id = profile.strings.Find(k);
    if (id == 0) continue;
    bool found = false;
    GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
      found = found || r.Find(id) != nullptr;
      return {};
    }));
    if (found) return k;
  }
  return nullptr;
}

// The samples of positive weight by their group label's value (through the viewers' one sample
// walk: zero weights are left out, negative ones refused).
Result<ThreadGroups> GroupSamples(const Profile& profile, const char* group_key,
                                  const SpeedscopeUnit& unit, Diagnostics* diagnostics) {
  const StrId group_id = group_key != nullptr ? profile.strings.Find(group_key) : 0;
  const StrId ts_id = profile.strings.Find("timestamp_ns");
  ThreadGroups groups;
  const ViewerSampleWalk walk{.progress = "writing speedscope",
                              .refusal = "speedscope rejects negative weights",
                              .diagnostics = diagnostics};
  GCSPIKE_RETURN_IF_ERROR(
      ForEachViewerSample(profile, walk, [&](const SampleRecord& r, int64_t v) -> Status {
        ThreadKey k;
        if (const Label* l = r.Find(group_id); l != nullptr) {
          k.present = true;
          k.numeric = l->numeric;
          k.num = l->num;
          if (!l->numeric) k.text = profile.str(l->str);
        }
        ThreadGroup& g = groups[k];
        const Label* ts = r.Find(ts_id);
        g.samples.push_back(
            {.stack = static_cast<size_t>(r.stack - profile.samples.data()),
             .weight = v,
             .time = ts != nullptr && ts->numeric ? ts->num : std::numeric_limits<int64_t>::max()});
        int64_t scaled = 0;  // the total in speedscope's unit must fit too
        if (__builtin_add_overflow(g.total, v, &g.total) ||
            __builtin_mul_overflow(g.total, unit.factor, &scaled)) {
          return MakeError("speedscope weights overflow int64");
        }
        return {};
      }));
  if (groups.empty()) groups[ThreadKey{}];  // an empty profile is still a valid file
  return groups;
}

// Time order inside each profile where samples carry timestamps (the "Time Order" view draws
// samples left to right in file order); samples without one keep their place at the end.
void SortByTime(const Profile& profile, ThreadGroups& groups) {
  if (profile.strings.Find("timestamp_ns") == 0) return;
  for (auto& [k, g] : groups) {
    std::stable_sort(g.samples.begin(), g.samples.end(),
                     [](const DrawnSample& a, const DrawnSample& b) { return a.time < b.time; });
  }
}

// The index of the group with the largest total (the first of equals): speedscope opens it.
size_t HeaviestGroup(const ThreadGroups& groups) {
  size_t active = 0, index = 0;
  int64_t heaviest = -1;
  for (const auto& [k, g] : groups) {
    if (g.total > heaviest) {
      heaviest = g.total;
      active = index;
    }
    ++index;
  }
  return active;
}

void AppendFrames(std::string& out, const std::vector<const ViewerFrame*>& frames) {
  out += ",\n\"shared\":{\"frames\":[";
  for (size_t i = 0; i < frames.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += "{\"name\":";
    AppendJsonString(out, frames[i]->name);
    if (!frames[i]->file.empty()) {
      out += ",\"file\":";
      AppendJsonString(out, frames[i]->file);
    }
    if (frames[i]->line > 0) out += ",\"line\":" + std::to_string(frames[i]->line);
    out += '}';
  }
  out += "]}";
}

// One "sampled" profile: its samples' frame indices root first, then their weights.
void AppendSampled(std::string& out, const Profile& profile, const std::string& name,
                   const SpeedscopeUnit& unit, const ThreadGroup& g,
                   const std::vector<std::vector<uint32_t>>& location_frames) {
  out += "{\"type\":\"sampled\",\"name\":";
  AppendJsonString(out, name);
  out += ",\"unit\":\"";
  out += unit.name;
  out += "\",\"startValue\":0,\"endValue\":" + std::to_string(g.total * unit.factor);
  out += ",\n\"samples\":[";
  for (size_t j = 0; j < g.samples.size(); ++j) {
    if (j != 0) out += ',';
    out += '[';
    bool first_frame = true;
    ForEachLocationRootFirst(profile.samples[g.samples[j].stack], [&](uint64_t id) {
      for (uint32_t f : location_frames[id]) {
        if (!first_frame) out += ',';
        first_frame = false;
        out += std::to_string(f);
      }
    });
    out += ']';
  }
  out += "],\n\"weights\":[";
  for (size_t j = 0; j < g.samples.size(); ++j) {
    if (j != 0) out += ',';
    out += std::to_string(g.samples[j].weight * unit.factor);
  }
  out += "]}";
}

}  // namespace

SpeedscopeUnit SpeedscopeUnitFor(const std::string& u) {
  if (u == "nanoseconds" || u == "microseconds" || u == "milliseconds" || u == "seconds" ||
      u == "bytes") {
    return {u == "nanoseconds"    ? "nanoseconds"
            : u == "microseconds" ? "microseconds"
            : u == "milliseconds" ? "milliseconds"
            : u == "seconds"      ? "seconds"
                                  : "bytes",
            1};
  }
  if (u == "kilobytes") return {"bytes", int64_t{1} << 10};
  if (u == "megabytes") return {"bytes", int64_t{1} << 20};
  if (u == "gigabytes") return {"bytes", int64_t{1} << 30};
  return {"none", 1};
}

Result<std::string> EncodeSpeedscope(const Profile& profile,
                                     const SpeedscopeWriteOptions& options) {
  GCSPIKE_RETURN_IF_ERROR(profile.Validate());
  const SpeedscopeUnit unit =
      profile.sample_types.empty()
          ? SpeedscopeUnit{"none", 1}
          : SpeedscopeUnitFor(profile.str(profile.sample_types[profile.DefaultValueIndex()].unit));
  SpeedscopeFrames sf;
  IndexFrames(profile, sf);
  GCSPIKE_ASSIGN_OR_RETURN(const char* group_key, GroupKey(profile, options.merge_threads));
  GCSPIKE_ASSIGN_OR_RETURN(ThreadGroups groups,
                           GroupSamples(profile, group_key, unit, options.diagnostics));
  SortByTime(profile, groups);

  std::string out;
  out.reserve(64 * sf.frames.size() + 16 * profile.SampleRecordCount() + 256);
  out += "{\"$schema\":";
  AppendJsonString(out, kSchema);
  out += ",\n\"exporter\":";
  AppendJsonString(out, options.exporter);
  out += ",\n\"name\":";
  AppendJsonString(out, options.name);
  out += ",\n\"activeProfileIndex\":" + std::to_string(HeaviestGroup(groups));
  AppendFrames(out, sf.frames);
  out += ",\n\"profiles\":[";
  bool first_profile = true;
  for (const auto& [k, g] : groups) {
    out += first_profile ? "\n" : ",\n";
    first_profile = false;
    const std::string name = group_key != nullptr   ? ThreadName(group_key, k)
                             : options.name.empty() ? std::string("all samples")
                                                    : options.name;
    AppendSampled(out, profile, name, unit, g, sf.of_location);
  }
  out += "]}\n";
  return out;
}

}  // namespace gcspike
