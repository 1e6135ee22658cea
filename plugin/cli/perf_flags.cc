#include "plugin/cli/perf_flags.h"

#include <gflags/gflags.h>

DEFINE_string(binary, "",
              "perf.data: a binary to symbolize with instead of the path its MMAP record names "
              "(matched by base name; its build id must match the recorded one). Repeatable; "
              "comma-separated.");
DEFINE_string(symfs, "",
              "perf.data: look for the mapped binaries under this directory, and only there (like "
              "perf --symfs).");

namespace gcspike::cli {
namespace {

const bool kRegistered = [] {
  RegisterRepeatableFlag("binary");
  return true;
}();

}  // namespace

void ApplyPerfFlags(const Args& args, ReadOptions& options) {
  std::vector<std::string> values;
  auto it = args.repeated.find("binary");
  if (it != args.repeated.end()) values = it->second;
  if (values.empty() && !FLAGS_binary.empty()) values.push_back(FLAGS_binary);
  for (const std::string& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      const size_t comma = v.find(',', start);
      const size_t end = comma == std::string::npos ? v.size() : comma;
      if (end > start) options.binaries.push_back(v.substr(start, end - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  options.symfs = FLAGS_symfs;
}

}  // namespace gcspike::cli
