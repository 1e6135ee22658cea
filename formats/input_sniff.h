// What an input looks like when no reader takes it: the legacy profile formats gcspike does not
// read (and how to convert them), text, and where a would-be profile.proto stops being one. The
// messages are for `unrecognized input` / `unsupported` errors, so a user sees what was seen
// instead of a wire-type error a few bytes in.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace gcspike {

// How many leading bytes DescribeUnreadable looks at (more than sniffing needs: it quotes the
// first line of a text file).
inline constexpr size_t kDescribePrefixBytes = 64;

// A sentence for an input the readers do not take, from its first bytes:
//   legacy text heap/contention/mutex/threadcreate/goroutine profiles and the legacy binary CPU
//   format (gperftools, Go before 1.9):
//       "unsupported: legacy ... profile; convert it with go tool pprof -proto"
//   perf.data version 1 ("PERFFILE"): "unsupported: perf.data version 1 ..."
//   other UTF-8 text: "unrecognized input: looks like text ("first line")"
// nullopt when the bytes are none of these.
std::optional<std::string> DescribeUnreadable(std::span<const uint8_t> prefix);

// Where the first bytes stop looking like a profile.proto message: every field that starts in
// `prefix` must be one of profile.proto's top-level fields (1..14) with its wire type (a length
// running past the prefix ends the check). nullopt when they are plausible.
struct ImplausibleField {
  uint64_t offset;      // of the field's tag
  std::string message;  // what is wrong there
};
std::optional<ImplausibleField> CheckPprofPrefix(std::span<const uint8_t> prefix);

}  // namespace gcspike
