// Merging several profiles of the same kind into one (a fleet's profiles, or several runs).
//
// What a merge keeps: every sample as it is (values, stack, labels; not summed, so labels and
// per-sample statistics survive), every distinct function, mapping and location once (mapping
// has_* flags or-ed), the first input's sample types, period type, drop/keep frames, default
// sample type and doc url, the comments of all inputs once each, the largest period (a
// different period is warned about), the earliest non-zero time and the sum of the durations
// (as google/pprof's Merge, which `go tool pprof -proto a b c` uses, except that a zero time
// means unknown), and
// the execution-trace timelines concatenated.
//
// Canonical order, so that merging is associative: the merged tables (mappings, functions,
// locations, samples, comments) are in order of first appearance in input order, and the
// string table is in order of first use by a fixed walk of the merged model (CanonicalizeStrings).
// Hence merge(merge(a, b), merge(c, d)) and merge(a, b, c, d) are the same model and write the
// same bytes; a different input order gives the same profile up to the order of its tables.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

class ProfileBuilder;

// Merges profiles one at a time, so that only the merged profile and the input being added are
// in memory (a fleet's thousands of inputs are read, added and released one by one).
class ProfileMerger {
 public:
  // `max_memory` bounds what expanding a spooled input into samples may take (MaterializeSpool).
  explicit ProfileMerger(Diagnostics* diagnostics = nullptr, uint64_t max_memory = UINT64_MAX);
  ~ProfileMerger();
  ProfileMerger(const ProfileMerger&) = delete;
  ProfileMerger& operator=(const ProfileMerger&) = delete;

  // Adds one input; `name` names it in messages. Errors (different sample types) name it.
  Status Add(Profile input, const std::string& name);
  size_t count() const { return count_; }
  // The merged profile. A single input is returned as it was read (a spool stays a spool).
  Result<Profile> Finish();

 private:
  Status Start(const Profile& first);
  Status Import(Profile& p, const std::string& name);

  Diagnostics* diagnostics_;
  uint64_t max_memory_;
  size_t count_ = 0;
  std::optional<Profile> first_;  // held until a second input arrives
  std::string first_name_;
  std::unique_ptr<Profile> out_;
  std::unique_ptr<ProfileBuilder> builder_;
  std::vector<std::pair<std::string, std::string>> first_types_;
  int64_t first_period_ = 0;
  int64_t start_ = 0;
  int64_t duration_ = 0;
  std::unordered_set<std::string> seen_comments_;
};

// "samples/count, cpu/nanoseconds": a profile's sample types as messages name them; profiles
// merge only when these are the same.
std::string SampleTypesString(const Profile& p);

// All inputs must have the same sample types (names and units, in order). Functions, mappings
// and locations that are equal are stored once; samples are kept as they are (not summed), so
// their labels survive. `names` are the inputs' names, for messages.
Result<Profile> MergeProfiles(std::vector<Profile> inputs, const std::vector<std::string>& names,
                              Diagnostics* diagnostics);

// Renumbers the string table in order of first use by a fixed walk of the model: sample types,
// samples' labels, mappings, functions, drop/keep frames, period type, comments, default sample
// type, doc url, timeline pause kinds; unused strings are dropped. Spooled profiles are left
// alone (their records name strings too).
void CanonicalizeStrings(Profile& p);

}  // namespace gcspike
