// Flags for URL inputs (formats/url_fetch.h), as go tool pprof's -seconds and -timeout.
#pragma once

#include <string>

#include "formats/profile_reader.h"

namespace gcspike::cli {

// Copies --seconds and --timeout into `options`.
void ApplyUrlFlags(ReadOptions& options);

// An input as reports name it: a URL as it is fetched (ResolveInputName, --seconds applied),
// a path as it is.
std::string InputAsFetched(const std::string& input);

}  // namespace gcspike::cli
