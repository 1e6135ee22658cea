// RuntimeSignatureCatalogue: which Go functions play which part in map growth and GC work, as data.
// Each signature is (role, pattern, runtime generation); a frame's roles are the union of the roles
// whose pattern matches its function name. The built-in table covers the Go runtime from 1.19 to
// 1.27 (old hash maps and Swiss tables, Green Tea GC); users append their own signatures from a
// rules file (see plugin/detect/RULES.md) without rebuilding. Names are linker symbol names, as
// pprof's Function.name and trace frame strings carry them
// (docs/formats/go-runtime.md#function-names): a push linkname shows the target's name, so
// Swiss-map assigns appear as runtime.mapassign_faststr, not
// internal/runtime/maps.runtime_mapassign_faststr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gcspike {

// What a frame does, as a bit set (a function may play several parts).
enum FrameRole : uint32_t {
  kRoleMapAssign = 1u << 0,        // inserting into a map: mapassign*, putSlot*
  kRoleGrow = 1u << 1,             // growing a map's storage: hashGrow, (*table).grow, ...
  kRoleKeyCopy = 1u << 2,          // moving entries into new storage: evacuate*, rehash
  kRoleAlloc = 1u << 3,            // the allocator: mallocgc and its variants
  kRoleAssist = 1u << 4,           // mark assist: gcAssistAlloc*, gcDrainN, gcParkAssist
  kRoleScan = 1u << 5,             // heap and root scanning: scanobject, greyobject, scanSpan
  kRoleGcWorker = 1u << 6,         // background mark worker: gcBgMarkWorker, gcDrain
  kRoleWorkerDedicated = 1u << 7,  // gcDrainMarkWorkerDedicated (Go 1.21+)
  kRoleWorkerFractional = 1u << 8,
  kRoleWorkerIdle = 1u << 9,
  kRoleRuntime = 1u << 10,  // not user code: skipped when looking for the call site
  // User code that only passes a map to the runtime (a Set[K].Add, a markSeen(m, k)): the
  // report names its caller, the function that makes the map, "via" it (site_paths.h). Found
  // from the profile's stacks; a rule can name one explicitly.
  kRoleMapHelper = 1u << 11,
};
inline constexpr int kRoleCount = 12;

// Which map implementation a signature belongs to (for report's go_runtime).
enum class MapGeneration : uint8_t { kAny, kHmap, kSwiss };

struct Signature {
  uint32_t role = 0;  // one FrameRole bit; 0 for signatures that only tell the generation
  std::string pattern;
  // The pattern ended in '*': match names starting with the rest. Any other '*' is literal, as
  // in pointer receivers: "pkg.(*T).Put".
  bool prefix = false;
  // The pattern names a generic instantiation ("pkg.Set[...].Add"): type arguments are compared
  // as "[...]" on both sides, so one rule matches runtime/pprof's spelling (main.Set[...].Add)
  // and the ELF symbols' (main.Set[go.shape.string].Add, main.Set[go.shape.string_0].Add).
  bool generic = false;
  MapGeneration generation = MapGeneration::kAny;
  std::string origin;  // "built-in" or "FILE:LINE", for messages
};

// A function name with the contents of every top-level [...] replaced by "...":
// "main.Set[go.shape.string].Add" -> "main.Set[...].Add".
std::string EraseTypeArguments(std::string_view name);

class RuntimeSignatureCatalogue {
 public:
  // The built-in signatures only.
  static RuntimeSignatureCatalogue BuiltIn();

  // Adds the signatures of a rules file's text (format in RULES.md). `name` is used in error
  // messages, which name the line and column: "rules.txt: line 3, column 7: unknown role 'x'".
  Status AddRules(std::string_view text, const std::string& name);
  Status AddRulesFile(const std::string& path);

  // Roles of a function name (union over all matching signatures), plus kRoleRuntime for names
  // in the runtime's packages or without a package (assembly such as aeshashbody).
  uint32_t RolesOf(std::string_view function_name) const;
  // The map generation a name identifies, if any signature tagged hmap or swiss matches it.
  MapGeneration GenerationOf(std::string_view function_name) const;

  const std::vector<Signature>& signatures() const { return signatures_; }

  // The signatures from rules files that match no function of `function_names`: a rule that
  // names nothing in the profile is most likely misspelled.
  std::vector<const Signature*> UnmatchedRules(
      const std::vector<std::string_view>& function_names) const;

  // Role names as the rules file spells them ("map-assign", "grow", ...); nullopt if unknown.
  static std::optional<uint32_t> RoleFromName(std::string_view name);
  static std::string_view RoleName(uint32_t role);

 private:
  void Add(uint32_t role, std::string_view pattern, MapGeneration generation, std::string origin);
  std::vector<Signature> signatures_;
};

}  // namespace gcspike
