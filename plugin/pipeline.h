// The first stage every command shares: read each input and merge them into one model
// (LoadInputs). The later stages are the commands' own: the detectors (plugin/detect/), the
// filters (plugin/filter/) and a writer (plugin/output_selector.h), called in that order by
// plugin/cli/ (see CONTRIBUTING.md for the whole flow).
#pragma once

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
// Inputs are named as go tool pprof names them: a name that is no file but host:port[/path],
// or a URL without a path, is fetched as ResolveInputName gives it.
Result<Profile> LoadInputs(const std::vector<std::string>& inputs, const ReadOptions& options);

// The input `input` names: itself when it is "-" or an existing file, else PprofStyleInput's
// URL for host:port[/path] and for a URL without a path (net/http/pprof's CPU profile).
std::string ResolveInputName(const std::string& input);

// The inputs listed in `path` ("-": standard input): one path or URL per line; blank lines,
// surrounding blanks and lines starting with # are ignored. Errors name the list.
Result<std::vector<std::string>> ReadInputList(const std::string& path);

}  // namespace gcspike
