// ProfileBuilder: interning for readers that synthesize a profile from raw events (execution
// traces, perf.data): the same function, mapping or location is stored once and referred to by
// its dense id.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "core/word_key_index.h"

namespace gcspike {

class ProfileBuilder {
 public:
  explicit ProfileBuilder(Profile& profile) : p_(profile) {}

  uint64_t InternFunction(std::string_view name, std::string_view filename, int64_t start_line = 0,
                          std::string_view system_name = {});
  uint64_t InternMapping(const Mapping& m);  // m.id is ignored
  // lines innermost first, as in Location.
  uint64_t InternLocation(uint64_t mapping_id, uint64_t address, std::span<const Line> lines,
                          bool is_folded = false);

  Profile& profile() { return p_; }

 private:
  Profile& p_;
  WordKeyIndex functions_;  // (name, filename, system name, start line)
  WordKeyIndex mappings_;   // (start, limit, offset, filename, build id)
  WordKeyIndex locations_;  // (mapping, address, folded, then (function, line, column) per line)
  std::vector<uint64_t> location_key_;  // reused
};

}  // namespace gcspike
