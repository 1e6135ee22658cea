// Builds small profiles from readable stacks for the detector tests. A stack is written root
// first, the way people read code ("main.main > runtime.mapassign_faststr > ..."), and a
// frame "a|b" is one Location whose inlined Lines are a (innermost) inlined into b.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "core/profile_builder.h"

namespace gcspike::testing {

class StackProfile {
 public:
  StackProfile();
  // Adds a sample with `count` samples of 10 ms each; returns its index.
  size_t Add(std::string_view root_first_stack, int64_t count = 1);
  // The location ids of sample i, leaf first.
  const std::vector<uint64_t>& Stack(size_t i) const { return profile.samples[i].location_ids; }
  Profile profile;

 private:
  ProfileBuilder builder_;
  uint64_t next_address_ = 0x1000;
};

// Header-only: the unit test glob compiles *_test.cc files only.

namespace stack_builder_internal {

inline std::vector<std::string> Split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    std::string_view part = s.substr(start, at == std::string_view::npos ? s.npos : at - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (at == std::string_view::npos) break;
    start = at + sep.size();
  }
  return out;
}

}  // namespace stack_builder_internal

inline StackProfile::StackProfile() : builder_(profile) {
  profile.sample_types = {{profile.Intern("samples"), profile.Intern("count")},
                          {profile.Intern("cpu"), profile.Intern("nanoseconds")}};
  profile.period_type = profile.sample_types[1];
  profile.period = 10'000'000;
}

inline size_t StackProfile::Add(std::string_view root_first_stack, int64_t count) {
  Sample s;
  for (const std::string& frame : stack_builder_internal::Split(root_first_stack, ">")) {
    std::vector<Line> lines;
    for (const std::string& fn : stack_builder_internal::Split(frame, "|")) {
      lines.push_back(Line{builder_.InternFunction(fn, "file.go"), 1, 0});
    }
    s.location_ids.push_back(builder_.InternLocation(0, next_address_++, lines));
  }
  std::reverse(s.location_ids.begin(), s.location_ids.end());  // leaf first
  s.values = {count, count * 10'000'000};
  profile.samples.push_back(std::move(s));
  return profile.samples.size() - 1;
}

}  // namespace gcspike::testing
