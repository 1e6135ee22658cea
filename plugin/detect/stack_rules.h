// Stack rules: what one call stack says about map growth and GC work. A stack is walked leaf
// first, every inlined Line of a Location counting as its own frame (innermost first, as in
// profile.proto), and the catalogue's roles of those frames are combined by position:
//
//   grow-spike          a grow frame below (nearer the leaf than) a map-assign frame
//   key-copy            a key-copy frame (evacuate*, (*table).grow/split, uncheckedPutSlot)
//                       with no allocator frame below it: the time goes into moving entries
//   malloc-burst        an allocator frame below a grow frame: bucket, group or table storage
//   assist-coupling     a mark-assist frame below a map-assign or grow frame
//   scanobject-hotspot  a scan frame below a GC worker or mark-assist frame
//
// The execution-trace reader uses the same rules for event stacks (assist begin, GC begin),
// so they take a Profile and location ids, nothing sample-specific.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/runtime_signature_catalogue.h"

namespace gcspike {

enum Feature : uint32_t {
  kFeatureGrowSpike = 1u << 0,
  kFeatureKeyCopy = 1u << 1,
  kFeatureMallocBurst = 1u << 2,
  kFeatureAssistCoupling = 1u << 3,
  kFeatureScanHotspot = 1u << 4,
};
inline constexpr int kFeatureCount = 5;
// In the fixed order of the gcspike label value ("grow-spike+malloc-burst").
inline constexpr std::array<std::string_view, kFeatureCount> kFeatureNames = {
    "grow-spike", "key-copy", "malloc-burst", "assist-coupling", "scanobject-hotspot"};
inline constexpr uint32_t kMapFeatures =
    kFeatureGrowSpike | kFeatureKeyCopy | kFeatureMallocBurst | kFeatureAssistCoupling;

// The features joined by '+' in kFeatureNames order; "" for none.
std::string FeatureLabel(uint32_t features);

enum class GcWorkerKind : uint8_t { kNone, kAssist, kDedicated, kFractional, kIdle };
std::string_view GcWorkerName(GcWorkerKind kind);  // "" for kNone

struct StackFeatures {
  uint32_t features = 0;  // Feature bits
  uint32_t roles = 0;     // union of the FrameRoles of all frames
  // The first frame above the map assign that is neither runtime nor a map assign: the code
  // whose map should be presized. Set when a map feature applies; 0 otherwise.
  uint64_t site_function_id = 0;
  GcWorkerKind worker = GcWorkerKind::kNone;
  MapGeneration generation = MapGeneration::kAny;  // from the frames' names
  int frames = 0;  // stack depth in logical (inline-expanded) frames
  // Shape measures for the report (-1: not applicable):
  int grow_subtree_depth = -1;  // malloc-burst: frames from the outermost grow frame to the leaf
  int key_copy_frames = 0;      // number of evacuate/rehash (key-copy) frames
  int depth_below_assign = -1;  // frames from the outermost map-assign frame to the leaf
  bool leaf_is_alloc = false;   // the leaf frame itself is an allocator frame (mallocgc* self)
};

// Classifies stacks of one profile. Roles are computed once per function; a stack costs one
// pass over its frames.
class StackClassifier {
 public:
  StackClassifier(const Profile& profile, const RuntimeSignatureCatalogue& catalogue);

  StackFeatures Classify(std::span<const uint64_t> location_ids);

  uint32_t RolesOfFunction(uint64_t function_id) const { return function_roles_[function_id]; }

 private:
  const Profile& profile_;
  std::vector<uint32_t> function_roles_;  // by function id (index 0 unused)
  std::vector<MapGeneration> function_generation_;
  std::vector<uint64_t> frames_;  // reused: function ids of the current stack, leaf first
};

// One-off classification with the built-in catalogue (builds the per-function cache each call;
// use StackClassifier for many stacks).
StackFeatures ClassifyStack(const Profile& profile, std::span<const uint64_t> location_ids);

}  // namespace gcspike
