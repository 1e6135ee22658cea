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

struct ThreadGroup {
  std::vector<size_t> samples;  // indices into profile.samples
  int64_t total = 0;
};

std::string ThreadName(const std::string& key, const ThreadKey& k) {
  if (!k.present) return "no " + key + " label";
  return key + " " + (k.numeric ? std::to_string(k.num) : k.text);
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
  const size_t value_index = profile.DefaultValueIndex();
  const SpeedscopeUnit unit =
      profile.sample_types.empty()
          ? SpeedscopeUnit{"none", 1}
          : SpeedscopeUnitFor(profile.str(profile.sample_types[value_index].unit));

  // Frames: one per distinct (name, file, start line), speedscope's own frame identity.
  const std::vector<std::vector<ViewerFrame>> expanded = ExpandLocations(profile);
  std::vector<std::vector<uint32_t>> location_frames(expanded.size());
  std::unordered_map<std::string, uint32_t> frame_index;
  std::vector<const ViewerFrame*> frames;
  for (size_t id = 1; id < expanded.size(); ++id) {
    for (const ViewerFrame& f : expanded[id]) {
      std::string key = f.name;
      key += '\0';
      key += f.file;
      key += '\0';
      key += std::to_string(f.line);
      auto [it, inserted] = frame_index.try_emplace(std::move(key), frames.size());
      if (inserted) frames.push_back(&f);
      location_frames[id].push_back(it->second);
    }
  }

  // Group samples; zero weights are left out (they draw nothing), negative ones refused.
  const char* group_key = nullptr;
  if (!options.merge_threads) {
    for (const char* k : {"goroutine", "tid"}) {
      const StrId id = profile.strings.Find(k);
      if (id == 0) continue;
      for (const Sample& s : profile.samples) {
        if (profile.FindLabel(s, id) != nullptr) {
          group_key = k;
          break;
        }
      }
      if (group_key != nullptr) break;
    }
  }
  const StrId group_id = group_key != nullptr ? profile.strings.Find(group_key) : 0;
  std::map<ThreadKey, ThreadGroup> groups;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const Sample& s = profile.samples[i];
    const int64_t v = s.values[value_index];
    if (v < 0) {
      return MakeError("sample " + std::to_string(i) + " has negative value " + std::to_string(v) +
                       " for " + profile.str(profile.sample_types[value_index].type) +
                       ": this is a delta profile, and speedscope rejects negative weights; write pprof "
                       "(.pb.gz), which keeps negative values");
    }
    if (v == 0) continue;
    ThreadKey k;
    if (const Label* l = profile.FindLabel(s, group_id); l != nullptr) {
      k.present = true;
      k.numeric = l->numeric;
      k.num = l->num;
      if (!l->numeric) k.text = profile.str(l->str);
    }
    ThreadGroup& g = groups[k];
    g.samples.push_back(i);
    int64_t scaled = 0;  // the total in speedscope's unit must fit too
    if (__builtin_add_overflow(g.total, v, &g.total) ||
        __builtin_mul_overflow(g.total, unit.factor, &scaled)) {
      return MakeError("speedscope weights overflow int64");
    }
  }
  if (groups.empty()) groups[ThreadKey{}];  // an empty profile is still a valid file

  // Time order inside each profile where samples carry timestamps (the "Time Order" view
  // draws samples left to right in file order); samples without one keep their place at the end.
  const StrId ts_id = profile.strings.Find("timestamp_ns");
  if (ts_id != 0) {
    auto ts = [&](size_t i) {
      const Label* l = profile.FindLabel(profile.samples[i], ts_id);
      return l != nullptr && l->numeric ? l->num : std::numeric_limits<int64_t>::max();
    };
    for (auto& [k, g] : groups) {
      std::stable_sort(g.samples.begin(), g.samples.end(),
                       [&](size_t a, size_t b) { return ts(a) < ts(b); });
    }
  }

  std::string out;
  out.reserve(64 * frames.size() + 16 * profile.samples.size() + 256);
  out += "{\"$schema\":";
  AppendJsonString(out, kSchema);
  out += ",\n\"exporter\":";
  AppendJsonString(out, options.exporter);
  out += ",\n\"name\":";
  AppendJsonString(out, options.name);
  size_t active = 0, index = 0;
  int64_t heaviest = -1;
  for (const auto& [k, g] : groups) {
    if (g.total > heaviest) {
      heaviest = g.total;
      active = index;
    }
    ++index;
  }
  out += ",\n\"activeProfileIndex\":" + std::to_string(active);
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
  out += "]},\n\"profiles\":[";
  size_t written = 0;
  const size_t n = profile.samples.size();
  bool first_profile = true;
  for (const auto& [k, g] : groups) {
    out += first_profile ? "\n" : ",\n";
    first_profile = false;
    out += "{\"type\":\"sampled\",\"name\":";
    AppendJsonString(out, group_key == nullptr
                              ? (options.name.empty() ? std::string("all samples") : options.name)
                              : ThreadName(group_key, k));
    out += ",\"unit\":\"";
    out += unit.name;
    out += "\",\"startValue\":0,\"endValue\":" + std::to_string(g.total * unit.factor);
    out += ",\n\"samples\":[";
    for (size_t j = 0; j < g.samples.size(); ++j) {
      if (options.diagnostics != nullptr && (++written & 0xffff) == 0) {
        options.diagnostics->Progress("writing speedscope", written, n);
      }
      const Sample& s = profile.samples[g.samples[j]];
      if (j != 0) out += ',';
      out += '[';
      bool first_frame = true;
      for (auto it = s.location_ids.rbegin(); it != s.location_ids.rend(); ++it) {
        for (uint32_t f : location_frames[*it]) {
          if (!first_frame) out += ',';
          first_frame = false;
          out += std::to_string(f);
        }
      }
      out += ']';
    }
    out += "],\n\"weights\":[";
    for (size_t j = 0; j < g.samples.size(); ++j) {
      if (j != 0) out += ',';
      out += std::to_string(profile.samples[g.samples[j]].values[value_index] * unit.factor);
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

}  // namespace gcspike
