#include "formats/go_trace_reader.h"

#include <string>

#include "formats/go_trace_v1.h"
#include "formats/go_trace_v2.h"

namespace gcspike {

Result<int> ReadGoTraceHeader(std::span<const uint8_t> header) {
  // Layout (runtime/trace.go, internal/trace/version): "go 1." digits " trace", then NULs up
  // to 16 bytes (docs/formats/go-trace.md#header). Anything else is not a trace we know.
  const std::string_view prefix = go_trace::kHeaderPrefix;
  const std::string_view suffix = go_trace::kHeaderSuffix;
  auto bad = [] {
    return MakeErrorAt(0,
                       "not a Go execution trace header (want \"go 1.N trace\" padded with "
                       "NUL bytes to 16 bytes)");
  };
  if (header.size() < go_trace::kHeaderSize) {
    return MakeErrorAt(0, "truncated Go execution trace header: " + std::to_string(header.size()) +
                              " of 16 bytes");
  }
  std::string_view h(reinterpret_cast<const char*>(header.data()), go_trace::kHeaderSize);
  if (h.substr(0, prefix.size()) != prefix) return bad();
  size_t i = prefix.size();
  int minor = 0;
  const size_t digits_start = i;
  while (i < h.size() && h[i] >= '0' && h[i] <= '9' && i - digits_start < 3) {
    minor = minor * 10 + (h[i] - '0');
    ++i;
  }
  if (i == digits_start || h.substr(i, suffix.size()) != suffix) return bad();
  for (i += suffix.size(); i < h.size(); ++i) {
    if (h[i] != '\0') return bad();
  }
  return minor;
}

Result<Profile> ReadGoTrace(InputSource& in, const ReadOptions& options, GoTraceStats* stats) {
  uint8_t header[go_trace::kHeaderSize];
  GCSPIKE_ASSIGN_OR_RETURN(auto peek, in.Peek(go_trace::kHeaderSize));
  GCSPIKE_ASSIGN_OR_RETURN(const int minor, ReadGoTraceHeader(peek));
  GCSPIKE_RETURN_IF_ERROR(in.ReadExact(header, sizeof header));

  Profile profile;
  GoTraceProfileBuilder::Options bo;
  bo.assist_profile = options.assist_profile;
  GoTraceProfileBuilder builder(profile, bo);
  builder.stats().header = "go 1." + std::to_string(minor) + " trace";

  // The versions golang.org/x/exp/trace accepts (tests/gocheck/README.md): 1.11 is written by
  // Go 1.11–1.18, 1.19 by 1.19–1.20, 1.23 by 1.23–1.24, 1.26 by 1.26 and 1.27. No released Go
  // writes the other numbers; 1.5–1.10 use an older event layout we do not read.
  switch (minor) {
    case 11:
    case 19:
    case 21:
      GCSPIKE_RETURN_IF_ERROR(ReadGoTraceV1(in, minor, options, builder));
      break;
    case 22:
    case 23:
    case 25:
    case 26:
      GCSPIKE_RETURN_IF_ERROR(ReadGoTraceV2(in, minor, options, builder));
      break;
    default:
      return MakeErrorAt(0, "unsupported Go execution trace version \"go 1." +
                                std::to_string(minor) +
                                " trace\" (supported: 1.11, 1.19, 1.21, 1.22, 1.23, 1.25, 1.26)");
  }
  GCSPIKE_RETURN_IF_ERROR(profile.Validate());
  if (stats != nullptr) *stats = builder.stats();
  return profile;
}

}  // namespace gcspike
