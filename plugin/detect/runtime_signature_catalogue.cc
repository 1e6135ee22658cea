#include "plugin/detect/runtime_signature_catalogue.h"

#include <array>
#include <fstream>
#include <sstream>

namespace gcspike {
namespace {

struct BuiltInSignature {
  uint32_t role;
  const char* pattern;  // trailing '*': prefix match
  MapGeneration generation;
};

constexpr MapGeneration kAny = MapGeneration::kAny;
constexpr MapGeneration kHmap = MapGeneration::kHmap;
constexpr MapGeneration kSwiss = MapGeneration::kSwiss;

// Sources: docs/formats/go-runtime.md#function-names (Go source files) and the frames of real
// CPU profiles written by Go 1.19, 1.26 and 1.27.3 (fixtures/pprof/go*/).
constexpr BuiltInSignature kBuiltIn[] = {
    // Map assignment. runtime.mapassign{,_fast32,_fast32ptr,_fast64,_fast64ptr,_faststr} exist
    // in every generation: Swiss maps (1.24+) keep the names through push linknames
    // (internal/runtime/maps/runtime_faststr.go). reflect's entry points are linknamed the same
    // way (reflect.mapassign, reflect.mapassign_faststr).
    {kRoleMapAssign, "runtime.mapassign*", kAny},
    {kRoleMapAssign, "reflect.mapassign*", kAny},
    {kRoleMapAssign, "internal/runtime/maps.runtime_mapassign*", kSwiss},
    {kRoleMapAssign, "internal/runtime/maps.(*Map).PutSlot", kSwiss},
    {kRoleMapAssign, "internal/runtime/maps.(*Map).putSlotSmall*", kSwiss},

    // Old hash map growth (runtime/map.go, map_fast*.go; Go <= 1.23, and 1.24-1.25 with
    // GOEXPERIMENT=noswissmap). hashGrow allocates the new bucket array; growWork/evacuate move
    // old buckets incrementally on later writes. makeBucketArray and (*hmap).newoverflow are
    // not growth by themselves: makemap presizes through makeBucketArray, and overflow buckets
    // fill in any map; under hashGrow they count through it.
    {kRoleGrow, "runtime.hashGrow", kHmap},
    {kRoleGrow, "runtime.growWork", kHmap},
    {kRoleGrow, "runtime.growWork_fast32", kHmap},
    {kRoleGrow, "runtime.growWork_fast64", kHmap},
    {kRoleGrow, "runtime.growWork_faststr", kHmap},
    {kRoleGrow, "runtime.evacuate", kHmap},
    {kRoleGrow, "runtime.evacuate_fast32", kHmap},
    {kRoleGrow, "runtime.evacuate_fast64", kHmap},
    {kRoleGrow, "runtime.evacuate_faststr", kHmap},
    {kRoleGrow, "runtime.advanceEvacuationMark", kHmap},
    {kRoleKeyCopy, "runtime.growWork", kHmap},
    {kRoleKeyCopy, "runtime.growWork_fast32", kHmap},
    {kRoleKeyCopy, "runtime.growWork_fast64", kHmap},
    {kRoleKeyCopy, "runtime.growWork_faststr", kHmap},
    {kRoleKeyCopy, "runtime.evacuate", kHmap},
    {kRoleKeyCopy, "runtime.evacuate_fast32", kHmap},
    {kRoleKeyCopy, "runtime.evacuate_fast64", kHmap},
    {kRoleKeyCopy, "runtime.evacuate_faststr", kHmap},
    {kRoleKeyCopy, "runtime.advanceEvacuationMark", kHmap},

    // Old hash map internals that only identify the implementation (role 0): a presized map
    // shows these but no growth.
    {0, "runtime.makeBucketArray", kHmap},
    {0, "runtime.(*hmap).*", kHmap},
    {0, "runtime.(*bmap).*", kHmap},
    {0, "runtime.evacuated", kHmap},
    {0, "runtime.overLoadFactor", kHmap},
    {0, "runtime.tooManyOverflowBuckets", kHmap},

    // Swiss table growth (internal/runtime/maps/map.go, table.go; Go 1.24+). growToSmall makes
    // the first group, growToTable turns a small map into a table, rehash picks grow (2x, up to
    // 1024 slots) or split (two 1024-slot tables). newTable is left out: NewMap (makemap with a
    // size hint) calls it too, and growth always has one of these frames above it.
    {kRoleGrow, "internal/runtime/maps.(*Map).growToSmall", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*Map).growToTable", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*table).rehash", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*table).grow", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*table).split", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*Map).installTableSplit", kSwiss},
    {kRoleGrow, "internal/runtime/maps.(*Map).replaceTable", kSwiss},
    // The copying loops: grow and split reinsert every slot with uncheckedPutSlot, growToTable
    // copies the small group's slots.
    {kRoleKeyCopy, "internal/runtime/maps.(*table).grow", kSwiss},
    {kRoleKeyCopy, "internal/runtime/maps.(*table).split", kSwiss},
    {kRoleKeyCopy, "internal/runtime/maps.(*Map).growToTable", kSwiss},
    {kRoleKeyCopy, "internal/runtime/maps.(*table).uncheckedPutSlot", kSwiss},

    // The allocator (runtime/malloc.go). From 1.24 mallocgc dispatches to mallocgcTiny,
    // mallocgcSmallNoscan, mallocgcSmallScan{NoHeader,Header}, mallocgcLarge; size-specialized
    // variants (mallocgcTinySC2, ...) are the default in 1.27.
    {kRoleAlloc, "runtime.mallocgc*", kAny},

    // Mark assist (runtime/mgcmark.go): gcAssistAlloc, its system-stack closures
    // (.func1 <= 1.24, .func2 later) and gcAssistAlloc1, which drains with gcDrainN.
    {kRoleAssist, "runtime.gcAssistAlloc*", kAny},
    {kRoleAssist, "runtime.gcDrainN", kAny},
    {kRoleAssist, "runtime.gcParkAssist", kAny},

    // Background mark workers (runtime/mgc.go, mgcmark.go). The gcDrainMarkWorker* wrappers
    // exist since Go 1.21 "to better account mark time in profiles"; before that a worker's
    // mode is not visible in its stack.
    {kRoleGcWorker, "runtime.gcBgMarkWorker*", kAny},
    {kRoleGcWorker, "runtime.gcDrain", kAny},
    {kRoleGcWorker, "runtime.gcDrainMarkWorker*", kAny},
    {kRoleWorkerDedicated, "runtime.gcDrainMarkWorkerDedicated", kAny},
    {kRoleWorkerFractional, "runtime.gcDrainMarkWorkerFractional", kAny},
    {kRoleWorkerIdle, "runtime.gcDrainMarkWorkerIdle", kAny},

    // Scanning (runtime/mgcmark.go, mgcmark_greenteagc.go, mbitmap.go). scanobject became
    // scanObject in 1.26; Green Tea GC (default in 1.26) scans small objects per span
    // (scanSpan, scanObjectsSmall, tryDeferToSpanScan) and with AVX-512 in
    // internal/runtime/gc/scan. Pointer iteration: heapBits.* (<= 1.21), typePointers.* (1.22+).
    {kRoleScan, "runtime.scanobject", kAny},
    {kRoleScan, "runtime.scanObject", kAny},
    {kRoleScan, "runtime.greyobject", kAny},
    {kRoleScan, "runtime.findObject", kAny},
    {kRoleScan, "runtime.scanblock", kAny},
    {kRoleScan, "runtime.scanstack", kAny},
    {kRoleScan, "runtime.scanframeworker", kAny},
    {kRoleScan, "runtime.scanConservative", kAny},
    {kRoleScan, "runtime.markroot*", kAny},
    {kRoleScan, "runtime.markBits.*", kAny},
    {kRoleScan, "runtime.heapBits.*", kAny},
    {kRoleScan, "runtime.heapBitsForAddr", kAny},
    {kRoleScan, "runtime.typePointers.*", kAny},
    {kRoleScan, "runtime.(*mspan).typePointersOfUnchecked", kAny},
    {kRoleScan, "runtime.scanSpan", kAny},
    {kRoleScan, "runtime.scanObjectsSmall", kAny},
    {kRoleScan, "runtime.scanObjectSmall", kAny},
    {kRoleScan, "runtime.tryDeferToSpanScan", kAny},
    {kRoleScan, "internal/runtime/gc/scan.*", kAny},
};

struct NamedRole {
  uint32_t role;
  std::string_view name;
};
constexpr std::array<NamedRole, kRoleCount> kRoleNames = {{
    {kRoleMapAssign, "map-assign"},
    {kRoleGrow, "grow"},
    {kRoleKeyCopy, "key-copy"},
    {kRoleAlloc, "alloc"},
    {kRoleAssist, "assist"},
    {kRoleScan, "scan"},
    {kRoleGcWorker, "gc-worker"},
    {kRoleWorkerDedicated, "worker-dedicated"},
    {kRoleWorkerFractional, "worker-fractional"},
    {kRoleWorkerIdle, "worker-idle"},
    {kRoleRuntime, "runtime"},
    {kRoleMapHelper, "map-helper"},
}};

bool Matches(const Signature& s, std::string_view name) {
  std::string erased;
  if (s.generic) {
    erased = EraseTypeArguments(name);
    name = erased;
  }
  if (s.prefix) return name.substr(0, s.pattern.size()) == s.pattern;
  return name == s.pattern;
}

// Runtime code by package: runtime, its internal packages, and symbols without a package
// (assembly routines such as aeshashbody, memeqbody).
bool IsRuntimePackage(std::string_view name) {
  for (std::string_view p : {"runtime.", "internal/runtime/", "runtime/internal/"}) {
    if (name.substr(0, p.size()) == p) return true;
  }
  return name.find('.') == std::string_view::npos;
}

// "NAME: line L, column C: message" once Error::ToString adds the file name.
Error LineError(const std::string& name, size_t line, size_t column, const std::string& m) {
  Error e =
      MakeError("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + m);
  e.file = name;
  return e;
}

Error FileError(const std::string& path, const std::string& m) {
  Error e = MakeError(m);
  e.file = path;
  return e;
}

}  // namespace

std::string EraseTypeArguments(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  int depth = 0;
  for (char c : name) {
    if (c == '[') {
      if (depth++ == 0) out += "[...";
      continue;
    }
    if (c == ']' && depth > 0) {
      if (--depth == 0) out += ']';
      continue;
    }
    if (depth == 0) out += c;
  }
  if (depth > 0) out += ']';  // an unterminated list still compares as one
  return out;
}

RuntimeSignatureCatalogue RuntimeSignatureCatalogue::BuiltIn() {
  RuntimeSignatureCatalogue c;
  for (const BuiltInSignature& b : kBuiltIn) c.Add(b.role, b.pattern, b.generation, "built-in");
  return c;
}

void RuntimeSignatureCatalogue::Add(uint32_t role, std::string_view pattern,
                                    MapGeneration generation, std::string origin) {
  Signature s;
  s.role = role;
  s.prefix = !pattern.empty() && pattern.back() == '*';
  s.pattern = std::string(s.prefix ? pattern.substr(0, pattern.size() - 1) : pattern);
  if (s.pattern.find('[') != std::string::npos) {
    s.generic = true;
    s.pattern = EraseTypeArguments(s.pattern);
    // A prefix pattern cut inside the brackets ("pkg.F[*") keeps its open bracket.
    if (s.prefix && s.pattern.size() >= 5 && s.pattern.ends_with("[...]") &&
        !pattern.substr(0, pattern.size() - 1).ends_with("]")) {
      s.pattern.resize(s.pattern.size() - 4);
    }
  }
  s.generation = generation;
  s.origin = std::move(origin);
  signatures_.push_back(std::move(s));
}

std::optional<uint32_t> RuntimeSignatureCatalogue::RoleFromName(std::string_view name) {
  for (const NamedRole& r : kRoleNames) {
    if (r.name == name) return r.role;
  }
  return std::nullopt;
}

std::string_view RuntimeSignatureCatalogue::RoleName(uint32_t role) {
  for (const NamedRole& r : kRoleNames) {
    if (r.role == role) return r.name;
  }
  return "?";
}

namespace {

struct RuleField {
  std::string_view text;
  size_t column;  // 1-based, for messages
};

// The fields of a rules line, separated by blanks; a '#' starts a comment.
std::vector<RuleField> RuleFields(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
    line = line.substr(0, hash);
  }
  std::vector<RuleField> fields;
  for (size_t i = 0; i < line.size();) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    fields.push_back({line.substr(b, i - b), b + 1});
  }
  return fields;
}

// The map generation a rule's optional third field names; kAny without one.
Result<MapGeneration> RuleGeneration(const std::vector<RuleField>& fields, const std::string& name,
                                     size_t line_no) {
  if (fields.size() < 3) return MapGeneration::kAny;
  if (fields[2].text == "hmap") return MapGeneration::kHmap;
  if (fields[2].text == "swiss") return MapGeneration::kSwiss;
  return LineError(
      name, line_no, fields[2].column,
      "expected 'hmap' or 'swiss' after the pattern, got '" + std::string(fields[2].text) + "'");
}

}  // namespace

Status RuntimeSignatureCatalogue::AddRules(std::string_view text, const std::string& name) {
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::vector<RuleField> fields = RuleFields(text.substr(start, end - start));
    ++line_no;
    start = end + 1;
    if (fields.empty()) {
      if (end == text.size()) break;
      continue;
    }
    const auto role = RoleFromName(fields[0].text);
    if (!role) {
      return LineError(name, line_no, fields[0].column,
                       "unknown role '" + std::string(fields[0].text) +
                           "' (one of map-assign, grow, key-copy, alloc, assist, scan, "
                           "gc-worker, worker-dedicated, worker-fractional, "
                           "worker-idle, runtime, map-helper)");
    }
    if (fields.size() < 2) {
      return LineError(name, line_no, fields[0].column + fields[0].text.size(),
                       "missing function pattern after '" + std::string(fields[0].text) + "'");
    }
    const RuleField& pattern = fields[1];
    if (pattern.text == "*") {
      return LineError(name, line_no, pattern.column, "pattern '*' would match every function");
    }
    GCSPIKE_ASSIGN_OR_RETURN(MapGeneration generation, RuleGeneration(fields, name, line_no));
    if (fields.size() > 3) {
      return LineError(name, line_no, fields[3].column,
                       "unexpected '" + std::string(fields[3].text) +
                           "' (a rule is: ROLE PATTERN [hmap|swiss])");
    }
    Add(*role, pattern.text, generation, name + ":" + std::to_string(line_no));
    if (end == text.size()) break;
  }
  return {};
}

Status RuntimeSignatureCatalogue::AddRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError(path, "cannot open the rules file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return FileError(path, "cannot read the rules file");
  return AddRules(text.str(), path);
}

std::vector<const Signature*> RuntimeSignatureCatalogue::UnmatchedRules(
    const std::vector<std::string_view>& function_names) const {
  std::vector<const Signature*> out;
  for (const Signature& s : signatures_) {
    if (s.origin == "built-in") continue;
    bool matched = false;
    for (std::string_view name : function_names) {
      if (Matches(s, name)) {
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(&s);
  }
  return out;
}

uint32_t RuntimeSignatureCatalogue::RolesOf(std::string_view function_name) const {
  uint32_t roles = IsRuntimePackage(function_name) ? uint32_t{kRoleRuntime} : 0;
  for (const Signature& s : signatures_) {
    if (Matches(s, function_name)) roles |= s.role;
  }
  return roles;
}

MapGeneration RuntimeSignatureCatalogue::GenerationOf(std::string_view function_name) const {
  // Every function of the Swiss-table package identifies the generation, growth or not
  // (presized maps still show internal/runtime/maps.ctrlGroup.matchH2 and friends).
  if (function_name.substr(0, 22) == "internal/runtime/maps.") return MapGeneration::kSwiss;
  for (const Signature& s : signatures_) {
    if (s.generation != MapGeneration::kAny && Matches(s, function_name)) return s.generation;
  }
  return MapGeneration::kAny;
}

}  // namespace gcspike
