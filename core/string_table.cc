#include "core/string_table.h"

namespace gcspike {

StringTable& StringTable::operator=(const StringTable& other) {
  if (this == &other) return *this;
  strings_.clear();
  index_.clear();
  for (const std::string& s : other.strings_) Intern(s);
  return *this;
}

StrId StringTable::Intern(std::string_view s) {
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  const StrId id = static_cast<StrId>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(strings_.back(), id);
  return id;
}

StrId StringTable::Find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? 0 : it->second;
}

}  // namespace gcspike
