#include "plugin/detect/stack_rules.h"

#include <algorithm>
#include <bit>
#include <string>

namespace gcspike {
namespace {

// Frame positions of one role in a stack: the one nearest the leaf and the one nearest the
// root (-1: the role does not occur).
struct RoleSpan {
  int nearest_leaf = -1;
  int nearest_root = -1;
  bool present() const { return nearest_leaf >= 0; }
};

int Bit(uint32_t role) { return std::countr_zero(role); }

using RoleSpans = std::array<RoleSpan, kRoleCount>;

// Where each role occurs in `frames` (function ids, leaf first); fills out's frames, roles,
// key_copy_frames and generation.
RoleSpans ScanRoles(const std::vector<uint64_t>& frames,
                    const std::vector<uint32_t>& function_roles,
                    const std::vector<MapGeneration>& function_generation, StackFeatures& out) {
  out.frames = static_cast<int>(frames.size());
  RoleSpans spans;
  bool hmap = false, swiss = false;
  for (int i = 0; i < out.frames; ++i) {
    const uint64_t fn = frames[i];
    uint32_t roles = function_roles[fn];
    out.roles |= roles;
    if (roles & kRoleKeyCopy) ++out.key_copy_frames;
    while (roles != 0) {
      RoleSpan& s = spans[Bit(roles)];
      if (s.nearest_leaf < 0) s.nearest_leaf = i;
      s.nearest_root = i;
      roles &= roles - 1;
    }
    hmap |= function_generation[fn] == MapGeneration::kHmap;
    swiss |= function_generation[fn] == MapGeneration::kSwiss;
  }
  out.generation = hmap    ? MapGeneration::kHmap
                   : swiss ? MapGeneration::kSwiss
                           : MapGeneration::kAny;
  return spans;
}

// The features the roles' order in the stack implies; also grow_subtree_depth and
// depth_below_assign.
void ApplyFeatureRules(const RoleSpans& spans, StackFeatures& out) {
  const RoleSpan& assign = spans[Bit(kRoleMapAssign)];
  const RoleSpan& grow = spans[Bit(kRoleGrow)];
  const RoleSpan& copy = spans[Bit(kRoleKeyCopy)];
  const RoleSpan& alloc = spans[Bit(kRoleAlloc)];
  const RoleSpan& assist = spans[Bit(kRoleAssist)];
  const RoleSpan& scan = spans[Bit(kRoleScan)];
  const RoleSpan& worker = spans[Bit(kRoleGcWorker)];

  // "Below" means nearer the leaf: a smaller index. Comparing the nearest-leaf frame of the
  // callee role with the nearest-root frame of the caller role asks "is there any pair".
  if (grow.present() && assign.present() && grow.nearest_leaf < assign.nearest_root) {
    out.features |= kFeatureGrowSpike;
  }
  if (copy.present() && !(alloc.present() && alloc.nearest_leaf < copy.nearest_leaf)) {
    out.features |= kFeatureKeyCopy;
  }
  if (alloc.present() && grow.present() && alloc.nearest_leaf < grow.nearest_root) {
    out.features |= kFeatureMallocBurst;
    out.grow_subtree_depth = grow.nearest_root;
  }
  if (assist.present() && std::max(assign.nearest_root, grow.nearest_root) > assist.nearest_leaf) {
    out.features |= kFeatureAssistCoupling;
  }
  if (scan.present() && std::max(worker.nearest_root, assist.nearest_root) > scan.nearest_leaf) {
    out.features |= kFeatureScanHotspot;
  }
  if (assign.present()) out.depth_below_assign = assign.nearest_root;
}

// The GC worker a stack's roles show, if any.
GcWorkerKind WorkerKind(uint32_t roles) {
  if (roles & kRoleWorkerDedicated) return GcWorkerKind::kDedicated;
  if (roles & kRoleWorkerFractional) return GcWorkerKind::kFractional;
  if (roles & kRoleWorkerIdle) return GcWorkerKind::kIdle;
  if (roles & kRoleAssist) return GcWorkerKind::kAssist;
  return GcWorkerKind::kNone;
}

}  // namespace

std::string FeatureLabel(uint32_t features) {
  std::string out;
  for (int i = 0; i < kFeatureCount; ++i) {
    if ((features & (1u << i)) == 0) continue;
    if (!out.empty()) out += '+';
    out += kFeatureNames[i];
  }
  return out;
}

std::string_view GcWorkerName(GcWorkerKind kind) {
  switch (kind) {
    case GcWorkerKind::kAssist:
      return "assist";
    case GcWorkerKind::kDedicated:
      return "dedicated";
    case GcWorkerKind::kFractional:
      return "fractional";
    case GcWorkerKind::kIdle:
      return "idle";
    case GcWorkerKind::kNone:
      break;
  }
  return "";
}

StackClassifier::StackClassifier(const Profile& profile, const RuntimeSignatureCatalogue& catalogue)
    : profile_(profile) {
  function_roles_.assign(profile.functions.size() + 1, 0);
  function_generation_.assign(profile.functions.size() + 1, MapGeneration::kAny);
  for (const Function& f : profile.functions) {
    const std::string& name = profile.str(f.name);
    function_roles_[f.id] = catalogue.RolesOf(name);
    function_generation_[f.id] = catalogue.GenerationOf(name);
  }
}

StackFeatures StackClassifier::Classify(std::span<const uint64_t> location_ids) {
  // Logical frames, leaf first: a Location's lines are innermost (inlined callee) first.
  frames_.clear();
  for (uint64_t id : location_ids) {
    for (const Line& line : profile_.location(id).lines) frames_.push_back(line.function_id);
  }

  StackFeatures out;
  const RoleSpans spans = ScanRoles(frames_, function_roles_, function_generation_, out);
  if (out.frames > 0) out.leaf_is_alloc = (function_roles_[frames_[0]] & kRoleAlloc) != 0;
  ApplyFeatureRules(spans, out);

  // The call site: walk up from the innermost map assign past runtime frames and further map
  // assigns (a user's wrapper declared with a map-assign rule is not the site, its caller is).
  const RoleSpan& assign = spans[Bit(kRoleMapAssign)];
  if ((out.features & kMapFeatures) != 0 && assign.present()) {
    for (int i = assign.nearest_leaf + 1; i < out.frames; ++i) {
      if ((function_roles_[frames_[i]] & (kRoleRuntime | kRoleMapAssign)) == 0) {
        out.site_function_id = frames_[i];
        break;
      }
    }
  }
  out.worker = WorkerKind(out.roles);
  return out;
}

StackFeatures ClassifyStack(const Profile& profile, std::span<const uint64_t> location_ids) {
  static const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  StackClassifier classifier(profile, catalogue);
  return classifier.Classify(location_ids);
}

}  // namespace gcspike
