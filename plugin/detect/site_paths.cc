#include "plugin/detect/site_paths.h"

#include <map>
#include <string_view>

#include "plugin/detect/sample_weight.h"

namespace gcspike {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// What a frame directly below a user function does, as far as helpers are concerned.
enum class CalleeKind : uint8_t {
  kOther,
  kRuntime,
  kKeyBuilding,
  kMapOperation,
  kMapInsert,
  kMapCreation
};

// The runtime's functions that build a new string or slice: the work of making a key
// ("tenant:" + id, string(buf), append), not part of storing one into a map.
bool BuildsAValue(std::string_view name) {
  for (std::string_view p :
       {"runtime.concatstring", "runtime.concatbyte", "runtime.slicebytetostring",
        "runtime.slicerunetostring", "runtime.intstring", "runtime.stringtoslice",
        "runtime.growslice", "runtime.makeslice"}) {
    if (StartsWith(name, p)) return true;
  }
  return false;
}

CalleeKind KindOf(std::string_view name, uint32_t roles) {
  // Creation first: runtime.makemap* (and Swiss maps' NewMap behind it) are map code too.
  if (StartsWith(name, "runtime.makemap") || StartsWith(name, "reflect.makemap") ||
      StartsWith(name, "internal/runtime/maps.NewMap") ||
      StartsWith(name, "internal/runtime/maps.NewEmptyMap")) {
    return CalleeKind::kMapCreation;
  }
  if (roles & kRoleMapAssign) return CalleeKind::kMapInsert;
  // runtime.mapaccess*, mapdelete*, mapiter*, mapclear: the map calls a helper makes besides
  // the insert (markSeen looks the key up first). Growth frames appear below an insert only.
  if ((roles & (kRoleGrow | kRoleKeyCopy)) != 0 || StartsWith(name, "runtime.map") ||
      StartsWith(name, "reflect.map") || StartsWith(name, "internal/runtime/maps.")) {
    return CalleeKind::kMapOperation;
  }
  if ((roles & kRoleRuntime) != 0 && BuildsAValue(name)) return CalleeKind::kKeyBuilding;
  // The runtime's part of any statement: the write barrier when a pointer is stored into the
  // map's slot (gcWriteBarrier*), stack growth, preemption, allocating the value. Not other work.
  if (roles & kRoleRuntime) return CalleeKind::kRuntime;
  return CalleeKind::kOther;
}

struct HelperEvidence {
  double total = 0;      // samples with the function on the stack (each occurrence)
  double map_calls = 0;  // ... whose callee is map code (an insert or another map operation)
  double other = 0;      // ... whose callee is user code, key building or a map creation
  bool inserts = false;  // a map insert was a direct callee
  bool creates = false;  // a map creation was a direct callee
};

// Work of its own a helper may show besides its map calls, as a share of its samples: room for
// a stray sample, not for making keys. A function that makes the map and fills it with keys it
// formats spends a few percent on them (strconv.Itoa 4.6 %, "tenant:"+id 5-30 % of the filling
// function in the fixtures' fill mode); a helper that only passes the map on, none.
constexpr double kOtherCalleeTolerance = 0.02;

}  // namespace

SitePaths ResolveSitePaths(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                           std::vector<StackFeatures>& features) {
  SitePaths out;
  const size_t nf = profile.functions.size() + 1;
  std::vector<uint32_t> roles(nf, 0);
  std::vector<CalleeKind> kind(nf, CalleeKind::kOther);
  for (const Function& f : profile.functions) {
    const std::string& name = profile.str(f.name);
    roles[f.id] = catalogue.RolesOf(name);
    kind[f.id] = KindOf(name, roles[f.id]);
  }
  auto user = [&](uint64_t fn) { return (roles[fn] & (kRoleRuntime | kRoleMapAssign)) == 0; };

  // Logical frames of a sample, leaf first (inlined callees first within a location).
  std::vector<uint64_t> frames;
  auto load = [&](const Sample& s) {
    frames.clear();
    for (uint64_t id : s.location_ids) {
      for (const Line& line : profile.location(id).lines) frames.push_back(line.function_id);
    }
  };

  // Evidence per user function, over every sample.
  const SampleWeights weight(profile);
  std::vector<HelperEvidence> evidence(nf);
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    load(profile.samples[i]);
    const double w = weight(i);
    for (size_t k = 0; k < frames.size(); ++k) {
      const uint64_t fn = frames[k];
      if (!user(fn)) continue;
      HelperEvidence& e = evidence[fn];
      e.total += w;
      if (k == 0) continue;  // its own instructions
      switch (kind[frames[k - 1]]) {
        case CalleeKind::kMapInsert:
          e.inserts = true;
          e.map_calls += w;
          break;
        case CalleeKind::kMapOperation:
          e.map_calls += w;
          break;
        case CalleeKind::kMapCreation:
          e.creates = true;
          e.other += w;
          break;
        case CalleeKind::kOther:
        case CalleeKind::kKeyBuilding:
          e.other += w;
          break;
        case CalleeKind::kRuntime:
          break;
      }
    }
  }
  out.helper.assign(nf, false);
  for (size_t fn = 1; fn < nf; ++fn) {
    if (roles[fn] & kRoleMapHelper) {
      out.helper[fn] = true;
      continue;
    }
    const HelperEvidence& e = evidence[fn];
    out.helper[fn] = user(fn) && e.inserts && !e.creates && e.total > 0 &&
                     e.other <= kOtherCalleeTolerance * e.total && e.map_calls >= 0.5 * e.total;
  }

  // Each sample's site: from the stack rules' site (the first user frame above the innermost
  // insert) outwards past helpers, to the first caller that is not one.
  std::map<std::vector<uint64_t>, uint32_t> via_index;
  out.via_of_sample.assign(profile.samples.size(), 0);
  std::vector<uint64_t> via;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    StackFeatures& f = features[i];
    if (f.site_function_id == 0 || !out.helper[f.site_function_id]) continue;
    load(profile.samples[i]);
    // The innermost insert, then the stack rules' site above it.
    size_t k = 0;
    while (k < frames.size() && (roles[frames[k]] & kRoleMapAssign) == 0) ++k;
    while (k < frames.size() && !user(frames[k])) ++k;
    if (k >= frames.size() || frames[k] != f.site_function_id) continue;
    via.clear();
    while (out.helper[frames[k]]) {
      size_t up = k + 1;
      while (up < frames.size() && !user(frames[up])) ++up;
      if (up >= frames.size()) break;  // a helper at the root: it is the site itself
      via.push_back(frames[k]);
      k = up;
    }
    if (via.empty()) continue;
    f.site_function_id = frames[k];
    auto [it, inserted] = via_index.try_emplace(via, static_cast<uint32_t>(out.via.size()));
    if (inserted) out.via.push_back(via);
    out.via_of_sample[i] = it->second;
  }
  return out;
}

}  // namespace gcspike
