// Flags bounding what one input may cost: --max-memory and --max-gzip-ratio (the memory bound
// they give is described in formats/profile_reader.cc and the README's "Memory" section).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "formats/profile_reader.h"

namespace gcspike::cli {

// "123", "64K", "512M", "8G", "1T" (powers of 1024; a trailing "B"/"iB" is allowed).
Result<uint64_t> ParseByteSize(const std::string& text);

// --max-memory's value, else DefaultMemoryBudget().
Result<uint64_t> MaxMemoryFromFlags();

// Copies --max-memory (default: DefaultMemoryBudget()) and --max-gzip-ratio into `options`.
Status ApplyInputLimitFlags(ReadOptions& options);

}  // namespace gcspike::cli
