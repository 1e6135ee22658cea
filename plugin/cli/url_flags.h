// Flags for URL inputs (formats/url_fetch.h), as go tool pprof's -seconds and -timeout.
#pragma once

#include "formats/profile_reader.h"

namespace gcspike::cli {

// Copies --seconds and --timeout into `options`.
void ApplyUrlFlags(ReadOptions& options);

}  // namespace gcspike::cli
