#include "plugin/filter/profile_pruner.h"

#include <vector>

namespace gcspike {
namespace {

// new_ids[old_id] = new id (0: dropped), for tables whose ids are dense (index + 1).
std::vector<uint64_t> DenseIds(const std::vector<bool>& used) {
  std::vector<uint64_t> new_ids(used.size(), 0);
  uint64_t next = 1;
  for (size_t id = 1; id < used.size(); ++id) {
    if (used[id]) new_ids[id] = next++;
  }
  return new_ids;
}

template <typename T>
size_t Compact(std::vector<T>& table, const std::vector<uint64_t>& new_ids) {
  size_t kept = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    const uint64_t id = new_ids[i + 1];
    if (id == 0) continue;
    if (kept != i) table[kept] = std::move(table[i]);
    table[kept].id = id;
    ++kept;
  }
  const size_t dropped = table.size() - kept;
  table.resize(kept);
  return dropped;
}

}  // namespace

PruneCounts PruneUnreferenced(Profile& profile) {
  std::vector<bool> location_used(profile.locations.size() + 1, false);
  for (const Sample& s : profile.samples) {
    for (uint64_t id : s.location_ids) location_used[id] = true;
  }
  for (const AssistInterval& a : profile.timeline.assists) {
    for (uint64_t id : a.stack) location_used[id] = true;
  }
  std::vector<bool> function_used(profile.functions.size() + 1, false);
  std::vector<bool> mapping_used(profile.mappings.size() + 1, false);
  for (const Location& loc : profile.locations) {
    if (!location_used[loc.id]) continue;
    mapping_used[loc.mapping_id] = true;
    for (const Line& ln : loc.lines) function_used[ln.function_id] = true;
  }
  mapping_used[0] = false;

  const std::vector<uint64_t> location_ids = DenseIds(location_used);
  const std::vector<uint64_t> function_ids = DenseIds(function_used);
  const std::vector<uint64_t> mapping_ids = DenseIds(mapping_used);

  PruneCounts counts;
  counts.locations_dropped = Compact(profile.locations, location_ids);
  counts.functions_dropped = Compact(profile.functions, function_ids);
  counts.mappings_dropped = Compact(profile.mappings, mapping_ids);
  for (Location& loc : profile.locations) {
    loc.mapping_id = mapping_ids[loc.mapping_id];
    for (Line& ln : loc.lines) ln.function_id = function_ids[ln.function_id];
  }
  for (Sample& s : profile.samples) {
    for (uint64_t& id : s.location_ids) id = location_ids[id];
  }
  for (AssistInterval& a : profile.timeline.assists) {
    for (uint64_t& id : a.stack) id = location_ids[id];
  }
  return counts;
}

}  // namespace gcspike
