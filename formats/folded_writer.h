// Folded stacks, the text format Brendan Gregg's flamegraph.pl and inferno-flamegraph read (and
// speedscope imports): one line per unique stack, frames root first.
//
// Grammar of what we write (every line, LF-terminated, UTF-8 as the names are):
//   line  = frame *( ";" frame ) " " count LF
//   frame = 1*( any byte except ";" LF CR NUL )     ; never empty
//   count = %x31-39 *DIGIT                           ; decimal, no sign, no leading zeros, > 0
// i.e. each line matches ^[^;\n\r]+(;[^;\n\r]+)* [1-9][0-9]*$ . A frame may contain spaces
// (Go generics, C++ names); consumers split at the last space. Inside names ";" becomes ":",
// and CR, LF, NUL become "?". Inlined calls are separate frames. Counts are the default sample
// type's values summed per stack; stacks whose sum is 0 are left out. Lines are sorted by their
// stack text (bytewise), so the output is deterministic.
#pragma once

#include <string>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

struct FoldedWriteOptions {
  Diagnostics* diagnostics = nullptr;  // progress for large profiles
};

// Fails on a negative value in the default sample type (a count cannot be negative).
Result<std::string> EncodeFolded(const Profile& profile, const FoldedWriteOptions& options);

}  // namespace gcspike
