#include "formats/profile_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

#include "formats/go_trace_reader.h"
#include "formats/gzip_codec.h"
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
  GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> bytes, in.Contents(options.max_input_bytes));
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

namespace {

// Memory bound. For one input of C bytes on disk that decompresses to D bytes (D = C when it
// is not gzipped), with budget B (--max-memory) and ratio R (--max-gzip-ratio):
//   - a file is checked by its size before it is read (C <= B); a pipe is read into memory
//     only while what it holds, counting the copy made when the buffer regrows, stays <= B;
//   - gzip: while decompressing, C + D + (the regrowth copy) <= B, and D <= R * C + 1 MiB;
//     the compressed bytes of a regular file are mapped, not copied;
//   - the decoders then hold D plus the model they build: for pprof a whole annotate peaks at
//     about 7 D (measured: 34 MB of raw profile.proto from gocheck pprof-synth, 248 MB RSS);
//     perf.data and Go traces are read as streams and do not hold D when not gzipped.
// So peak RSS <= B + (model), and an input that cannot fit is refused with the byte offset
// reached instead of ending in std::bad_alloc. Each input of a merge has its own budget.
Result<Profile> ReadProfileNested(InputSource& in, const ReadOptions& options, uint64_t origin) {
  GCSPIKE_ASSIGN_OR_RETURN(auto prefix, in.Peek(16));
  if (prefix.empty()) return in.ErrorAt(0, "empty input");
  if (LooksGzipped(prefix)) {
    GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> compressed,
                             in.Contents(options.max_input_bytes));
    GunzipLimits limits;
    limits.memory_budget = options.max_input_bytes;
    limits.held = compressed.size();
    limits.max_ratio = options.max_gzip_ratio;
    // gzip inside gzip: the ratio stays relative to the original input.
    limits.ratio_base = origin;
    auto raw = Gunzip(compressed, limits);
    if (!raw.ok()) return in.Annotate(std::move(raw.error()));
    const uint64_t compressed_size = compressed.size();
    in.DropContents();
    if (raw->empty()) return in.ErrorAt(0, "gzip data decompresses to nothing");
    auto inner = InputSource::FromBytes(in.name(), std::move(raw).value(), "decompressed data");
    return ReadProfileNested(*inner, options, origin != 0 ? origin : compressed_size);
  }
  // A file cut inside a magic number ("PE" of "PERFILE2") must not pass for something else:
  // "PE" is also a well-formed pprof message (field 10 = 69).
  struct Magic {
    std::string_view bytes;
    const char* format;
    const char* shown;
  };
  static constexpr Magic kMagics[] = {{"PERFILE2", "perf.data", "PERFILE2"},
                                      {"2ELIFREP", "perf.data", "2ELIFREP"},
                                      {"go 1.", "Go execution trace", "go 1."},
                                      {"\x1f\x8b", "gzip", "\\x1f\\x8b"}};
  for (const Magic& m : kMagics) {
    if (prefix.size() < m.bytes.size() &&
        std::memcmp(prefix.data(), m.bytes.data(), prefix.size()) == 0) {
      return in.ErrorAt(prefix.size(), "input ends after " + std::to_string(prefix.size()) +
                                           " bytes, inside what begins like the " + m.format +
                                           " magic \"" + m.shown + "\": truncated");
    }
  }
  const FormatReader* r = SniffFormat(prefix);
  if (r == nullptr) {
    return in.ErrorAt(0, "unrecognized input: not gzip, pprof (profile.proto), a Go execution "
                         "trace (\"go 1.N trace\") or perf.data (\"PERFILE2\")");
  }
  auto p = r->read(in, options);
  if (!p.ok()) return in.Annotate(std::move(p.error()));
  return p;
}

}  // namespace

uint64_t DefaultMemoryBudget() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  uint64_t budget = pages > 0 && page_size > 0
                        ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 2
                        : uint64_t{4} << 30;
  // A container's limit is lower than the machine's memory (cgroup v2; "max" means none).
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  uint64_t limit = 0;
  if (cgroup >> limit && limit > 0) budget = std::min(budget, limit / 2);
  return budget;
}

Result<Profile> ReadProfile(InputSource& in, const ReadOptions& options) {
  return ReadProfileNested(in, options, 0);
}

Result<Profile> ReadProfileFile(const std::string& path, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(auto in, InputSource::Open(path));
  return ReadProfile(*in, options);
}

}  // namespace gcspike
