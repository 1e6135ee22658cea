#include "plugin/cli/url_flags.h"

#include <gflags/gflags.h>

#include "formats/url_fetch.h"
#include "plugin/pipeline.h"

DEFINE_int32(seconds, 0,
             "URL inputs: the duration of CPU profiles and execution traces, in seconds (sets "
             "seconds=N in /profile and /trace URLs; 0: as the URL says).");
DEFINE_double(timeout, 0,
              "URL inputs: give up on a fetch after this many seconds (0: the URL's seconds plus "
              "30, at least 1.5 times them, or 60 without seconds).");

namespace {

bool NonNegativeInt(const char*, int32_t v) { return v >= 0; }
bool NonNegativeDouble(const char*, double v) { return v >= 0; }

}  // namespace

DEFINE_validator(seconds, &NonNegativeInt);
DEFINE_validator(timeout, &NonNegativeDouble);

namespace gcspike::cli {

void ApplyUrlFlags(ReadOptions& options) {
  options.url_seconds = FLAGS_seconds;
  options.url_timeout_seconds = FLAGS_timeout;
}

std::string InputAsFetched(const std::string& named) {
  const std::string input = ResolveInputName(named);
  return IsUrlInput(input) && FLAGS_seconds > 0 ? UrlWithSeconds(input, FLAGS_seconds) : input;
}

}  // namespace gcspike::cli
