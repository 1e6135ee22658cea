// The first stage every command shares: read each input and merge them into one model
// (LoadInputs). The later stages are the commands' own: the detectors (plugin/detect/), the
// filters (plugin/filter/) and a writer (plugin/output_selector.h), called in that order by
// plugin/cli/ (see CONTRIBUTING.md for the whole flow).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/profile_reader.h"

namespace gcspike {

// Reads every input (a path, "-", or an http:// or https:// URL; URLs are fetched concurrently,
// before the files are read) and merges them into one profile (core/profile_merge.h).
//
// Streaming: inputs are decoded on options.jobs worker threads (0: one per core) and merged on
// the calling thread in input order as soon as each is ready; at most `jobs` decoded profiles
// wait, and each is released once merged. Peak memory is the merged profile plus `jobs`
// decoded inputs, whatever the number of inputs, and the result does not depend on `jobs` or
// on timing. Warnings of each input are told in input order.
//
// With options.input_label_key, every sample without a label of that key gets one whose value
// is its input's name (the path, "<stdin>", or the URL as fetched); samples that already have
// one (a merge of merges) keep it.
//
// Inputs whose samples count twice are told (a warning each, at most kMaxCountedTwiceTold, then
// how many more): a file named twice, however spelled, and an input that holds the same samples
// as an earlier one (plugin/same_samples.h: a CPU profile and the trace of the same run, a copy).
// With `counted_twice`, how many of the merged samples they hold, for the gates (fail_on.h).
//
// Inputs are named as go tool pprof names them: a name that is no file but host:port[/path],
// or a URL without a path, is fetched as ResolveInputName gives it.
struct CountedTwice {
  uint64_t samples = 0;  // individual samples counted twice (those both inputs of a pair hold)
  uint64_t total = 0;    // individual samples of all inputs
  std::string first;     // the first told, in words: "B holds the same samples as A"
  double fraction() const { return total > 0 ? static_cast<double>(samples) / total : 0; }
};
inline constexpr size_t kMaxCountedTwiceTold = 5;
Result<Profile> LoadInputs(const std::vector<std::string>& inputs, const ReadOptions& options,
                           CountedTwice* counted_twice = nullptr);

// The input `input` names: itself when it is "-" or an existing file, else PprofStyleInput's
// URL for host:port[/path] and for a URL without a path (net/http/pprof's CPU profile).
std::string ResolveInputName(const std::string& input);

// The inputs listed in `path` ("-": standard input): one path or URL per line; blank lines,
// surrounding blanks and lines starting with # are ignored. Errors name the list.
Result<std::vector<std::string>> ReadInputList(const std::string& path);

}  // namespace gcspike
