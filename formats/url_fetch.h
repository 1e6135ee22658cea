// URL inputs, as `go tool pprof` takes them (http://host:6060/debug/pprof/profile?seconds=5):
// the bytes of each URL are fetched into memory (libcurl), all URLs at once, and then read like
// a file. The size limit of the readers applies to the response, so a huge body is refused
// while it arrives instead of after.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"

namespace gcspike {

// True for inputs that are URLs (http:// or https://), not paths.
bool IsUrlInput(std::string_view input);

// The input as go tool pprof reads a name that is not a file: "host:port[/path][?query]"
// (host letters, digits, '.', '-', or a bracketed IPv6 address; port digits) is fetched over
// http://, and a URL whose path is empty or "/" means net/http/pprof's CPU profile,
// /debug/pprof/profile. Anything else (a path, a URL with a path) is returned as it is. The
// caller asks only for names that are not existing files ("a:1" may be one).
std::string PprofStyleInput(const std::string& input);

// The URL with `seconds=N` added to or replaced in its query when its path is a duration
// endpoint (ending in /profile or /trace, as net/http/pprof's CPU profile and execution trace);
// other URLs (/heap, /allocs) are returned as they are.
std::string UrlWithSeconds(const std::string& url, int seconds);

// The `seconds=N` of the URL's query, if any.
std::optional<int> SecondsInUrl(const std::string& url);

// The timeout when none is given: the profile's seconds plus room for the transfer (at least
// pprof's 1.5 x seconds, and at least seconds + 30), or 60 s for URLs without seconds.
double DefaultUrlTimeoutSeconds(const std::string& url);

struct UrlFetchOptions {
  uint64_t max_bytes = uint64_t{16} << 30;  // a response larger than this is refused
  double timeout_seconds = 0;               // per URL; 0: DefaultUrlTimeoutSeconds
  Diagnostics* diagnostics = nullptr;       // progress (bytes received); may be null
};

// Fetches every URL concurrently. The result has one entry per URL, in order: the body, or an
// error naming the URL (connection refused, an HTTP status >= 400 with the first line of the
// body, a timeout, a body over the size limit).
std::vector<Result<std::vector<uint8_t>>> FetchUrls(const std::vector<std::string>& urls,
                                                    const UrlFetchOptions& options);

}  // namespace gcspike
