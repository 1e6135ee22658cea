#include "plugin/cli/input_limit_flags.h"

#include <gflags/gflags.h>

#include <cctype>
#include <cmath>

DEFINE_string(max_memory, "",
              "Memory budget for one input (e.g. 512M, 8G), for its bytes held and, separately, "
              "for the model built from it (docs/memory.md): a larger file, gzip data that "
              "decompresses past it, or an input whose samples, stacks and timeline would take "
              "more is refused with an error (exit 2) instead of exhausting memory. Default: "
              "half the physical memory (or of the cgroup limit).");
DEFINE_double(max_gzip_ratio, 1000,
              "Refuse gzip input, or perf.data's zstd-compressed records, that expands more "
              "than this many times its compressed size (a decompression bomb; real profiles "
              "expand 3-20 times). 0: no limit.");

namespace gcspike::cli {

Result<uint64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return MakeError("--max-memory '" + text + "' is too large");
    n = n * 10 + d;
    ++i;
  }
  if (i == 0) return MakeError("--max-memory '" + text + "' is not a size (e.g. 512M, 8G)");
  std::string unit = text.substr(i);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "IB")
    unit.resize(unit.size() - 2);
  else if (unit.size() >= 2 && unit.back() == 'B')
    unit.pop_back();
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K")
    shift = 10;
  else if (unit == "M")
    shift = 20;
  else if (unit == "G")
    shift = 30;
  else if (unit == "T")
    shift = 40;
  else
    return MakeError("--max-memory '" + text + "' has an unknown unit (use K, M, G or T)");
  if (shift > 0 && n > (UINT64_MAX >> shift)) {
    return MakeError("--max-memory '" + text + "' is too large");
  }
  return n << shift;
}

Result<uint64_t> MaxMemoryFromFlags() {
  if (FLAGS_max_memory.empty()) return DefaultMemoryBudget();
  return ParseByteSize(FLAGS_max_memory);
}

Status ApplyInputLimitFlags(ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(options.max_input_bytes, MaxMemoryFromFlags());
  if (!(FLAGS_max_gzip_ratio >= 0) || std::isinf(FLAGS_max_gzip_ratio)) {
    return MakeError("--max-gzip-ratio must be a number >= 0 (0: no limit)");
  }
  options.max_gzip_ratio = FLAGS_max_gzip_ratio;
  return {};
}

}  // namespace gcspike::cli
