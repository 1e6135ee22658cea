#include "plugin/pipeline.h"

#include <algorithm>

#include "core/profile_merge.h"

namespace gcspike {

Result<Profile> LoadInputs(const std::vector<std::string>& inputs, const ReadOptions& options) {
  if (inputs.empty()) return MakeError("no input given (a profile path, or - for stdin)");
  if (std::count(inputs.begin(), inputs.end(), "-") > 1) {
    return MakeError("standard input (-) can be named only once");
  }
  std::vector<Profile> profiles;
  std::vector<std::string> names;
  for (const std::string& path : inputs) {
    GCSPIKE_ASSIGN_OR_RETURN(Profile p, ReadProfileFile(path, options));
    profiles.push_back(std::move(p));
    names.push_back(path == "-" ? "<stdin>" : path);
  }
  return MergeProfiles(std::move(profiles), names, options.diagnostics);
}

}  // namespace gcspike
