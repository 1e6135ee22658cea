// Site paths: which function should presize the map. The stack rules name the first user frame
// above a map insert, but in real code that frame is often a small helper that receives the map
// (`markSeen(m, k)`, a generic `Set[K].Add`), while the map is made, and should be presized, one
// or more calls further out. The report names that function and the helpers it goes through:
// "main.dedupGrowing (via main.markSeen)".
//
// A function is a map helper when, over every sample of the profile that has it on the stack:
//   - the frame directly below it (its callee) is the Go runtime: its map code (an insert, a
//     lookup, a delete, growth) or what any statement may call (a write barrier, stack growth,
//     preemption, an allocation), or nothing (its own instructions): it passes the map through.
//     Other code of the program and the runtime's building of strings and slices (a key made
//     by "a:" + b, string(buf), strconv.Itoa, append) are work of its own: at most 2 % of its
//     samples may show them (a stray sample), as a function that makes the map and fills it
//     with keys it makes itself spends a few percent there, a helper none. Its own
//     instructions tell nothing: an out-of-line helper's call overhead over a cheap insert
//     (up to 15 % of its samples) looks like a filling loop's (1-6 %);
//   - at least half of its samples are in that map code: the map operation is its main work;
//   - it has a map insert as callee in some sample, and never a map creation (runtime.makemap*:
//     a function that makes the map is the one to presize, never a helper).
// A rule with the role `map-helper` marks a function as a helper whatever its samples say. A
// helper with several callers splits its share among them: each caller is a site of its own.
// An insert in the body of a range-over-func loop (`for k := range slices.All(ks) { m[k] = true
// }`, Go 1.23+) is in a closure the compiler names "F-range1", called by the iterator, which
// F calls: the site is F, not the iterator's closure (slices.All's, which makes no map).
#pragma once

#include <cstdint>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/runtime_signature_catalogue.h"
#include "plugin/detect/stack_rules.h"

namespace gcspike {

struct SitePaths {
  // via[k]: the helpers between the insert and the site, innermost first; via[0] is empty.
  std::vector<std::vector<uint64_t>> via = {{}};
  // Per sample: the index into `via` of its site's path (0 when it has no site or no helper).
  std::vector<uint32_t> via_of_sample;
  // By function id (index 0 unused): the function was judged a map helper.
  std::vector<bool> helper;
};

// Finds the map helpers among the profile's functions and moves each sample's site
// (features[i].site_function_id) from the helper out to the function that calls it.
SitePaths ResolveSitePaths(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                           std::vector<StackFeatures>& features);

}  // namespace gcspike
