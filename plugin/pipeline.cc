#include "plugin/pipeline.h"

#include <algorithm>

#include "core/profile_merge.h"
#include "formats/url_fetch.h"

namespace gcspike {
namespace {

// The URLs among the inputs (http:// or https://), as they are fetched (--seconds applied), all
// at once: a fleet's profiles take as long as the slowest one, not their sum.
struct FetchedUrls {
  std::vector<std::string> urls;
  std::vector<Result<std::vector<uint8_t>>> bodies;
};

FetchedUrls FetchUrlInputs(const std::vector<std::string>& inputs, const ReadOptions& options) {
  FetchedUrls f;
  for (const std::string& input : inputs) {
    if (!IsUrlInput(input)) continue;
    f.urls.push_back(options.url_seconds > 0 ? UrlWithSeconds(input, options.url_seconds)
                                             : input);
  }
  if (f.urls.empty()) return f;
  UrlFetchOptions fetch;
  fetch.max_bytes = options.max_input_bytes;
  fetch.timeout_seconds = options.url_timeout_seconds;
  fetch.diagnostics = options.diagnostics;
  f.bodies = FetchUrls(f.urls, fetch);
  if (options.diagnostics != nullptr) options.diagnostics->ProgressDone();
  return f;
}

}  // namespace

Result<Profile> LoadInputs(const std::vector<std::string>& inputs, const ReadOptions& options) {
  if (inputs.empty()) return MakeError("no input given (a profile path, or - for stdin)");
  if (std::count(inputs.begin(), inputs.end(), "-") > 1) {
    return MakeError("standard input (-) can be named only once");
  }
  FetchedUrls fetched = FetchUrlInputs(inputs, options);
  size_t next_url = 0;
  std::vector<Profile> profiles;
  std::vector<std::string> names;
  for (const std::string& path : inputs) {
    if (IsUrlInput(path)) {
      const std::string& url = fetched.urls[next_url];
      Result<std::vector<uint8_t>>& body = fetched.bodies[next_url++];
      if (!body.ok()) return std::move(body.error());
      auto in = InputSource::FromBytes(url, std::move(body).value(), "");
      GCSPIKE_ASSIGN_OR_RETURN(Profile p, ReadProfile(*in, options));
      profiles.push_back(std::move(p));
      names.push_back(url);
      continue;
    }
    GCSPIKE_ASSIGN_OR_RETURN(Profile p, ReadProfileFile(path, options));
    profiles.push_back(std::move(p));
    names.push_back(path == "-" ? "<stdin>" : path);
  }
  return MergeProfiles(std::move(profiles), names, options.diagnostics);
}

}  // namespace gcspike
