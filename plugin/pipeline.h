// The one-way flow every command shares: read each input, merge them, then hand the model to
// the detectors and filters. Commands differ only in what they write at the end.
#pragma once

#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/profile_reader.h"

namespace gcspike {

// Reads every input (a path, "-", or an http:// or https:// URL; URLs are fetched concurrently)
// and merges them into one profile.
Result<Profile> LoadInputs(const std::vector<std::string>& inputs, const ReadOptions& options);

}  // namespace gcspike
