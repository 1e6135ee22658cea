// Small profiles built by hand for the filter, pseudo-frame and writer tests: every label and
// frame is known, so expected results follow from the construction, not from running the code.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/profile.h"
#include "core/profile_builder.h"
#include "formats/pprof_writer.h"
#include "tests/unit/test_support.h"

namespace gcspike::testing {

// A CPU-like profile with sample types samples/count and cpu/nanoseconds.
class HandBuiltProfile {
 public:
  HandBuiltProfile() : b_(p_) {
    p_.sample_types.push_back({p_.Intern("samples"), p_.Intern("count")});
    p_.sample_types.push_back({p_.Intern("cpu"), p_.Intern("nanoseconds")});
    p_.period_type = {p_.Intern("cpu"), p_.Intern("nanoseconds")};
    p_.period = 10000000;
  }

  // A location whose lines are given innermost first, each a function name; all functions live
  // in "main.go" with start line 10 * (their index + 1).
  uint64_t Loc(std::initializer_list<const char*> lines_innermost_first, uint64_t address = 0) {
    std::vector<Line> lines;
    for (const char* name : lines_innermost_first) {
      Line l;
      l.function_id = b_.InternFunction(name, "main.go", StartLine(name));
      l.line = StartLine(name) + 1;
      lines.push_back(l);
    }
    return b_.InternLocation(0, address == 0 ? ++next_address_ : address, lines);
  }
  uint64_t UnsymbolizedLoc(uint64_t address) {
    return b_.InternLocation(0, address, std::span<const Line>());
  }

  // Adds a sample with stack `leaf_first`, count 1 and `cpu_ns`, and returns it for labelling.
  Sample& Add(std::vector<uint64_t> leaf_first, int64_t cpu_ns) {
    Sample s;
    s.location_ids = std::move(leaf_first);
    s.values = {1, cpu_ns};
    p_.samples.push_back(std::move(s));
    return p_.samples.back();
  }

  Profile& profile() { return p_; }

 private:
  int64_t StartLine(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return 10 * static_cast<int64_t>(i + 1);
    }
    names_.push_back(name);
    return 10 * static_cast<int64_t>(names_.size());
  }

  Profile p_;
  ProfileBuilder b_;
  std::vector<std::string> names_;
  uint64_t next_address_ = 0x1000;
};

inline int64_t SumValues(const Profile& p, size_t index) {
  int64_t sum = 0;
  for (const Sample& s : p.samples) sum += s.values[index];
  return sum;
}

// The profile as uncompressed pprof bytes (empty, with a test failure, when it cannot be
// written): two profiles are the same when these are.
inline std::vector<uint8_t> PprofBytes(const Profile& p) {
  PprofWriteOptions o;
  o.gzip = false;
  auto bytes = EncodePprof(p, o);
  EXPECT_OK(bytes);
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

}  // namespace gcspike::testing
