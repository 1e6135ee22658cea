#include "core/profile_builder.h"

#include <cstring>

namespace gcspike {
namespace {

void Append(std::string& key, uint64_t v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  key.append(buf, sizeof v);
}

}  // namespace

uint64_t ProfileBuilder::InternFunction(std::string_view name, std::string_view filename,
                                        int64_t start_line, std::string_view system_name) {
  const StrId n = p_.Intern(name);
  const StrId f = p_.Intern(filename);
  const StrId sn = p_.Intern(system_name.empty() ? name : system_name);
  std::string key;
  Append(key, n);
  Append(key, f);
  Append(key, sn);
  Append(key, static_cast<uint64_t>(start_line));
  auto [it, inserted] = functions_.try_emplace(std::move(key), p_.functions.size() + 1);
  if (inserted) {
    Function fn;
    fn.id = it->second;
    fn.name = n;
    fn.system_name = sn;
    fn.filename = f;
    fn.start_line = start_line;
    p_.functions.push_back(fn);
  }
  return it->second;
}

uint64_t ProfileBuilder::InternMapping(const Mapping& m) {
  std::string key;
  Append(key, m.memory_start);
  Append(key, m.memory_limit);
  Append(key, m.file_offset);
  Append(key, m.filename);
  Append(key, m.build_id);
  auto [it, inserted] = mappings_.try_emplace(std::move(key), p_.mappings.size() + 1);
  if (inserted) {
    Mapping copy = m;
    copy.id = it->second;
    p_.mappings.push_back(copy);
  }
  return it->second;
}

uint64_t ProfileBuilder::InternLocation(uint64_t mapping_id, uint64_t address,
                                        std::span<const Line> lines, bool is_folded) {
  std::string key;
  Append(key, mapping_id);
  Append(key, address);
  Append(key, is_folded ? 1 : 0);
  for (const Line& l : lines) {
    Append(key, l.function_id);
    Append(key, static_cast<uint64_t>(l.line));
    Append(key, static_cast<uint64_t>(l.column));
  }
  auto [it, inserted] = locations_.try_emplace(std::move(key), p_.locations.size() + 1);
  if (inserted) {
    Location loc;
    loc.id = it->second;
    loc.mapping_id = mapping_id;
    loc.address = address;
    loc.lines.assign(lines.begin(), lines.end());
    loc.is_folded = is_folded;
    p_.locations.push_back(std::move(loc));
  }
  return it->second;
}

}  // namespace gcspike
