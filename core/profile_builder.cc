#include "core/profile_builder.h"

#include <array>

namespace gcspike {

uint64_t ProfileBuilder::InternFunction(std::string_view name, std::string_view filename,
                                        int64_t start_line, std::string_view system_name) {
  const StrId n = p_.Intern(name);
  const StrId f = p_.Intern(filename);
  const StrId sn = p_.Intern(system_name.empty() ? name : system_name);
  const std::array<uint64_t, 4> key = {n, f, sn, static_cast<uint64_t>(start_line)};
  const auto [id, inserted] = functions_.Insert(key, p_.functions.size() + 1);
  if (inserted) {
    Function fn;
    fn.id = id;
    fn.name = n;
    fn.system_name = sn;
    fn.filename = f;
    fn.start_line = start_line;
    p_.functions.push_back(fn);
  }
  return id;
}

uint64_t ProfileBuilder::InternMapping(const Mapping& m) {
  const std::array<uint64_t, 5> key = {m.memory_start, m.memory_limit, m.file_offset, m.filename,
                                       m.build_id};
  const auto [id, inserted] = mappings_.Insert(key, p_.mappings.size() + 1);
  if (inserted) {
    Mapping copy = m;
    copy.id = id;
    p_.mappings.push_back(copy);
  }
  return id;
}

uint64_t ProfileBuilder::InternLocation(uint64_t mapping_id, uint64_t address,
                                        std::span<const Line> lines, bool is_folded) {
  std::vector<uint64_t>& key = location_key_;
  key.assign({mapping_id, address, uint64_t{is_folded}});
  for (const Line& l : lines) {
    key.insert(key.end(),
               {l.function_id, static_cast<uint64_t>(l.line), static_cast<uint64_t>(l.column)});
  }
  const auto [id, inserted] = locations_.Insert(key, p_.locations.size() + 1);
  if (inserted) {
    Location loc;
    loc.id = id;
    loc.mapping_id = mapping_id;
    loc.address = address;
    loc.lines.assign(lines.begin(), lines.end());
    loc.is_folded = is_folded;
    p_.locations.push_back(std::move(loc));
  }
  return id;
}

}  // namespace gcspike
