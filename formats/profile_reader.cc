#include "formats/profile_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

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
  return p.size() >= 8 &&
         (std::memcmp(p.data(), "PERFILE2", 8) == 0 || std::memcmp(p.data(), "2ELIFREP", 8) == 0);
}

Result<Profile> ReadPprofInput(InputSource& in, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> bytes, in.Contents(options.max_input_bytes));
  PprofReadOptions pprof;
  pprof.diagnostics = options.diagnostics;
  pprof.spool_samples = options.spool_samples;
  pprof.max_model_bytes = options.max_input_bytes;
  auto p = ReadPprofMessage(bytes, 0, pprof);
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

const FormatReader* SniffFormat(std::span<const uint8_t> prefix) {
  for (const FormatReader& r : kReaders) {
    if (r.matches(prefix)) return &r;
  }
  return nullptr;
}

namespace {

// Memory bound. For one input of C bytes on disk that decompresses to D bytes (D = C when it
// is not gzipped), with budget B (--max-memory) and ratio R (--max-gzip-ratio):
//   - gzip is decompressed as it is read (InputSource::Gunzipping), never held compressed,
//     and may expand at most R times: D <= R * C + 1 MiB (kGunzipRatioSlack);
//   - pprof is decoded from memory: a regular file of C <= B bytes is mapped (page cache,
//     not process memory), and anything else (stdin, decompressed data) is read into a buffer
//     only while it, with the copy made when the buffer regrows, stays <= B; a larger file
//     is refused by its size before it is read;
//   - perf.data and Go traces are read as streams (perf.data samples go to a spool file):
//     their bytes are not held, gzipped or not;
//   - then the decoders add the model, which they account as they build it and refuse past B
//     (pprof: one sample per distinct stack and labels, repeats spooled; traces: a
//     generation's batches and events spill to temporary files). docs/memory.md has the
//     formula per input kind.
// So peak RSS <= B + B + fixed buffers, and an input that cannot fit is refused with the byte
// offset reached instead of ending in std::bad_alloc. Each input of a merge has its own budget.
Result<Profile> ReadProfileNested(InputSource& in, const ReadOptions& options, uint64_t origin) {
  GCSPIKE_ASSIGN_OR_RETURN(auto prefix, in.Peek(16));
  if (prefix.empty()) return in.ErrorAt(0, "empty input");
  if (LooksGzipped(prefix)) {
    // Decompressed as it is read: perf.data and traces stream through; pprof, which is
    // decoded from memory, holds the decompressed bytes within the budget (ReadAll).
    // The ratio is of the compressed bytes consumed so far (a bomb is stopped early); for gzip
    // inside gzip, of the original input's size when it is known, so nesting gains nothing.
    auto inner = InputSource::Gunzipping(in, options.max_gzip_ratio, origin);
    GCSPIKE_ASSIGN_OR_RETURN(auto inner_prefix, inner->Peek(16));
    if (inner_prefix.empty()) return in.ErrorAt(0, "gzip data decompresses to nothing");
    return ReadProfileNested(*inner, options, origin != 0 ? origin : in.size_hint());
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
  // pprof has no magic: before taking bytes for one, rule out what they may look like instead.
  if (r == nullptr || r->read == ReadPprofInput) {
    GCSPIKE_ASSIGN_OR_RETURN(auto longer, in.Peek(kDescribePrefixBytes));
    if (auto unreadable = DescribeUnreadable(longer)) return in.ErrorAt(0, *unreadable);
  }
  if (r == nullptr) {
    const std::optional<ImplausibleField> bad = CheckPprofPrefix(prefix);
    if (bad.has_value() && bad->offset > 0) {
      return in.ErrorAt(
          bad->offset, "unrecognized input: starts like pprof (profile.proto) but " + bad->message);
    }
    return in.ErrorAt(0,
                      "unrecognized input: not gzip, pprof (profile.proto), a Go execution "
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
  Result<Profile> p = ReadProfileNested(in, options, 0);
  // Every reader's result passes here: a file cut short by another process while it was read
  // fails at the cut, whatever the reader made of the zeros or the early end it met there.
  if (Status s = in.CheckNotShrunk(); !s.ok()) return s.error();
  return p;
}

Result<Profile> ReadProfileFile(const std::string& path, const ReadOptions& options) {
  GCSPIKE_ASSIGN_OR_RETURN(auto in, InputSource::Open(path));
  return ReadProfile(*in, options);
}

}  // namespace gcspike
