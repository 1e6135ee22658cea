#include "formats/profile_reader.h"

#include <cstring>

#include "formats/go_trace_reader.h"
#include "formats/gzip_codec.h"
#include "formats/input_sniff.h"
#include "formats/perf_data_reader.h"
#include "formats/pprof_reader.h"

namespace gcspike {
namespace {

bool MatchesGoTrace(std::span<const uint8_t> p) {
  static constexpr char kMagic[] = "go 1.";
  return p.size() >= 5 && std::memcmp(p.data(), kMagic, 5) == 0;
}

bool MatchesPerfData(std::span<const uint8_t> p) {
  // "PERFILE2" little-endian; the big-endian spelling is byte-reversed.
  return p.size() >= 8 && (std::memcmp(p.data(), "PERFILE2", 8) == 0 ||
                           std::memcmp(p.data(), "2ELIFREP", 8) == 0);
}

Result<Profile> ReadPprofInput(InputSource& in, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, in.ReadAll(options.max_input_bytes));
  auto p = DecodePprof(bytes, 0, options.diagnostics);
  if (!p.ok()) return in.Annotate(std::move(p.error()));
  return p;
}

Result<Profile> ReadGoTraceInput(InputSource& in, const ReadOptions& options) {
  return ReadGoTrace(in, options);
}

const FormatReader kReaders[] = {
    {"Go execution trace", MatchesGoTrace, ReadGoTraceInput},
    {"perf.data", MatchesPerfData, ReadPerfData},
    // pprof has no magic; it is the fallback when the first byte is a plausible field tag.
    {"pprof", LooksLikePprof, ReadPprofInput},
};

}  // namespace

std::span<const FormatReader> FormatReaders() { return kReaders; }

const FormatReader* SniffFormat(std::span<const uint8_t> prefix) {
  for (const FormatReader& r : kReaders) {
    if (r.matches(prefix)) return &r;
  }
  return nullptr;
}

Result<Profile> ReadProfile(InputSource& in, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(auto prefix, in.Peek(16));
  if (prefix.empty()) return in.ErrorAt(0, "empty input");
  if (LooksGzipped(prefix)) {
    GCSPIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> compressed, in.ReadAll(options.max_input_bytes));
    auto raw = Gunzip(compressed, options.max_input_bytes);
    if (!raw.ok()) return in.Annotate(std::move(raw.error()));
    compressed = {};
    if (raw->empty()) return in.ErrorAt(0, "gzip data decompresses to nothing");
    auto inner = InputSource::FromBytes(in.name(), std::move(raw).value(), "decompressed data");
    return ReadProfile(*inner, options);
  }
  const FormatReader* r = SniffFormat(prefix);
  // pprof has no magic: before taking bytes for one, rule out what they may look like instead.
  if (r == nullptr || r->read == ReadPprofInput) {
    GCSPIKE_ASSIGN_OR_RETURN(auto longer, in.Peek(kDescribePrefixBytes));
    if (auto unreadable = DescribeUnreadable(longer)) return in.ErrorAt(0, *unreadable);
  }
  if (r == nullptr) {
    const std::optional<ImplausibleField> bad = CheckPprofPrefix(prefix);
    if (bad.has_value() && bad->offset > 0) {
      return in.ErrorAt(bad->offset, "unrecognized input: starts like pprof (profile.proto) but " +
                                         bad->message);
    }
    return in.ErrorAt(0, "unrecognized input: not gzip, pprof (profile.proto), a Go execution "
                         "trace (\"go 1.N trace\") or perf.data (\"PERFILE2\")");
  }
  auto p = r->read(in, options);
  if (!p.ok()) return in.Annotate(std::move(p.error()));
  return p;
}

Result<Profile> ReadProfileFile(const std::string& path, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(auto in, InputSource::Open(path));
  return ReadProfile(*in, options);
}

}  // namespace gcspike
