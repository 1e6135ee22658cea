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

// The function a range-over-func loop body belongs to: Go compiles the body of `for x := range
// seq` into a closure named after its function with "-range<N>" appended ("main.index-range1",
// nested "main.index-range1-range2"), which the iterator calls for each element. Empty when
// `name` is no such body.
std::string_view RangeBodyOwner(std::string_view name) {
  std::string_view owner = name;
  while (true) {
    const size_t at = owner.rfind("-range");
    if (at == std::string_view::npos || at + 6 >= owner.size()) break;
    const std::string_view digits = owner.substr(at + 6);
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) break;
    owner = owner.substr(0, at);
  }
  return owner.size() == name.size() ? std::string_view() : owner;
}

// Whether frame `name` is the function `owner` names. An owner inlined into another function is
// renamed after it ("main.work.Collect[...].Insert[...]" for maps.Insert inlined through
// maps.Collect into main.work), while its own frame keeps its name ("maps.Insert[...]"): then
// the owner ends with the frame's name without its package path.
bool IsOwnerFrame(std::string_view name, std::string_view owner) {
  if (name == owner) return true;
  const std::string_view head = name.substr(0, name.find('['));
  const size_t slash = head.rfind('/');
  const size_t dot = head.find('.', slash == std::string_view::npos ? 0 : slash + 1);
  if (dot == std::string_view::npos) return false;
  const std::string_view base = name.substr(dot);  // ".Insert[...]"
  return owner.size() > base.size() && owner.ends_with(base);
}

// The standard library's source directory ("/usr/local/go/src/"), from the runtime's own files
// in the profile; empty when they carry none (or are relative: -trimpath, where a standard
// package and a module without a dot in its path look alike).
std::string StandardLibraryDir(const Profile& profile) {
  for (const Function& f : profile.functions) {
    if (!StartsWith(profile.str(f.name), "runtime.")) continue;
    const std::string& file = profile.str(f.filename);
    const size_t at = file.rfind("/src/runtime/");
    if (at != std::string::npos && at > 0 && file[0] == '/') return file.substr(0, at + 5);
  }
  return "";
}

// Per function: what the site walk needs to know.
struct FunctionTables {
  std::vector<uint32_t> roles;
  std::vector<CalleeKind> kind;
  // A range-over-func loop body's owner (empty: not a body); whether the function is in the
  // standard library (maps.Collect, encoding/json: code the user cannot presize a map in, whose
  // caller can: pass a map made with a size to fill, or use make and a loop instead).
  std::vector<std::string_view> owner;
  std::vector<bool> standard;

  bool user(uint64_t fn) const { return (roles[fn] & (kRoleRuntime | kRoleMapAssign)) == 0; }
};

FunctionTables TablesOf(const Profile& profile, const RuntimeSignatureCatalogue& catalogue) {
  const size_t nf = profile.functions.size() + 1;
  FunctionTables t{std::vector<uint32_t>(nf, 0), std::vector<CalleeKind>(nf, CalleeKind::kOther),
                   std::vector<std::string_view>(nf), std::vector<bool>(nf, false)};
  const std::string std_dir = StandardLibraryDir(profile);
  for (const Function& f : profile.functions) {
    const std::string& name = profile.str(f.name);
    t.roles[f.id] = catalogue.RolesOf(name);
    t.kind[f.id] = KindOf(name, t.roles[f.id]);
    t.owner[f.id] = RangeBodyOwner(name);
    t.standard[f.id] = !std_dir.empty() && StartsWith(profile.str(f.filename), std_dir);
  }
  return t;
}

// Logical frames of a sample, leaf first (inlined callees first within a location).
void LoadFrames(const Profile& profile, const Sample& s, std::vector<uint64_t>& frames) {
  frames.clear();
  for (uint64_t id : s.location_ids) {
    for (const Line& line : profile.location(id).lines) frames.push_back(line.function_id);
  }
}

// The map helpers, by the evidence of every sample (site_paths.h) or a rule's role.
std::vector<bool> FindHelpers(const Profile& profile, const FunctionTables& t) {
  const size_t nf = t.roles.size();
  const SampleWeights weight(profile);
  std::vector<HelperEvidence> evidence(nf);
  std::vector<uint64_t> frames;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    LoadFrames(profile, profile.samples[i], frames);
    const double w = weight(i);
    for (size_t k = 0; k < frames.size(); ++k) {
      if (!t.user(frames[k])) continue;
      HelperEvidence& e = evidence[frames[k]];
      e.total += w;
      if (k == 0) continue;  // its own instructions
      const CalleeKind callee = t.kind[frames[k - 1]];
      e.inserts |= callee == CalleeKind::kMapInsert;
      e.creates |= callee == CalleeKind::kMapCreation;
      if (callee == CalleeKind::kMapInsert || callee == CalleeKind::kMapOperation) e.map_calls += w;
      if (callee == CalleeKind::kMapCreation || callee == CalleeKind::kOther ||
          callee == CalleeKind::kKeyBuilding) {
        e.other += w;
      }
    }
  }
  std::vector<bool> helper(nf, false);
  for (size_t fn = 1; fn < nf; ++fn) {
    const HelperEvidence& e = evidence[fn];
    helper[fn] = (t.roles[fn] & kRoleMapHelper) != 0 ||
                 (t.user(fn) && e.inserts && !e.creates && e.total > 0 &&
                  e.other <= kOtherCalleeTolerance * e.total && e.map_calls >= 0.5 * e.total);
  }
  return helper;
}

// From frames[k], the stack rules' site, outwards to the function to presize: past loop bodies
// to their function (rootward past the iterator that calls the body), past helpers and the
// standard library to their callers, which `via` lists. A walk that never leaves the standard
// library (a map of net/http's own, grown under its server loop) stays at its first frame there.
size_t WalkToSite(const Profile& profile, const FunctionTables& t, const std::vector<bool>& helper,
                  const std::vector<uint64_t>& frames, size_t k, std::vector<uint64_t>& via) {
  size_t std_from = frames.size(), std_via = 0;
  while (true) {
    const uint64_t fn = frames[k];
    if (!t.owner[fn].empty()) {
      size_t up = k + 1;
      while (up < frames.size() &&
             !IsOwnerFrame(profile.str(profile.function(frames[up]).name), t.owner[fn])) {
        ++up;
      }
      if (up >= frames.size()) break;
      k = up;
      continue;
    }
    if (!helper[fn] && !t.standard[fn]) break;
    if (t.standard[fn] && std_from == frames.size()) {
      std_from = k;
      std_via = via.size();
    }
    size_t up = k + 1;
    while (up < frames.size() && !t.user(frames[up])) ++up;
    if (up >= frames.size()) break;  // a helper at the root: it is the site itself
    via.push_back(fn);
    k = up;
  }
  if (t.standard[frames[k]] && std_from < frames.size()) {
    k = std_from;
    via.resize(std_via);
  }
  return k;
}

}  // namespace

SitePaths ResolveSitePaths(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                           std::vector<StackFeatures>& features) {
  SitePaths out;
  const FunctionTables t = TablesOf(profile, catalogue);
  out.helper = FindHelpers(profile, t);

  // Each sample's site: from the stack rules' site (the first user frame above the innermost
  // insert) outwards (WalkToSite).
  std::map<std::vector<uint64_t>, uint32_t> via_index;
  out.via_of_sample.assign(profile.samples.size(), 0);
  std::vector<uint64_t> frames, via;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    StackFeatures& f = features[i];
    const uint64_t site = f.site_function_id;
    if (site == 0 || (!out.helper[site] && t.owner[site].empty() && !t.standard[site])) continue;
    LoadFrames(profile, profile.samples[i], frames);
    // The innermost insert, then the stack rules' site above it.
    size_t k = 0;
    while (k < frames.size() && (t.roles[frames[k]] & kRoleMapAssign) == 0) ++k;
    while (k < frames.size() && !t.user(frames[k])) ++k;
    if (k >= frames.size() || frames[k] != site) continue;
    via.clear();
    f.site_function_id = frames[WalkToSite(profile, t, out.helper, frames, k, via)];
    if (via.empty()) continue;
    auto [it, inserted] = via_index.try_emplace(via, static_cast<uint32_t>(out.via.size()));
    if (inserted) out.via.push_back(via);
    out.via_of_sample[i] = it->second;
  }
  return out;
}

}  // namespace gcspike
