// Interned strings shared by everything in one Profile. Id 0 is always "" (as in profile.proto's
// string_table), so a zero StrId means "unset".
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gcspike {

using StrId = uint32_t;

class StringTable {
 public:
  StringTable() { Intern(""); }
  StringTable(const StringTable& other) { *this = other; }
  StringTable& operator=(const StringTable& other);
  StringTable(StringTable&&) = default;
  StringTable& operator=(StringTable&&) = default;

  StrId Intern(std::string_view s);
  // Id of s if it is already interned, else 0 (callers compare ids, so a missing key never
  // matches anything).
  StrId Find(std::string_view s) const;
  const std::string& operator[](StrId id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  // A deque never moves its elements, so the string_view keys stay valid.
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, StrId> index_;
};

}  // namespace gcspike
