// Reading any supported input into the core model: sniff the format from magic bytes (never the
// file name), undo gzip, and hand the bytes to the reader for that format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/input_source.h"

namespace gcspike {

// Half the physical memory (sysconf), or less when a cgroup v2 memory.max is lower: the
// budget when none is given.
uint64_t DefaultMemoryBudget();

struct ReadOptions {
  Diagnostics* diagnostics = nullptr;  // may be null: warnings are dropped
  // Memory budget for the bytes of one input held at once (see "Memory bound" in
  // profile_reader.cc): a larger file, or gzip data decompressing past it, is refused with an
  // error naming the offset reached. Default: DefaultMemoryBudget().
  uint64_t max_input_bytes = DefaultMemoryBudget();
  // gzip inputs may expand at most this many times (output bytes per compressed byte; 0: no
  // limit). Deflate's own maximum is ~1032, reached only by runs of one byte: bombs.
  double max_gzip_ratio = 1000;
  // Go execution traces: add a second sample type with mark-assist wall time.
  bool assist_profile = false;
  // perf.data: where to find binaries for symbolization.
  std::vector<std::string> binaries;
  std::string symfs;
  // Kernel symbols for recordings made on the running kernel; empty: kernel frames stay
  // "[kernel]" (the perf.data fuzzer, which is not about this machine's kernel).
  std::string kallsyms = "/proc/kallsyms";
  // Readers of inputs with one sample per record (perf.data) may keep the records in a
  // SampleSpool (core/sample_spool.h) and give the profile one sample per distinct stack, so
  // memory does not grow with the input. Set by commands whose every consumer handles a spool.
  bool spool_samples = false;
  // URL inputs (formats/url_fetch.h): seconds=N for /profile and /trace URLs (0: as the URL
  // says), and the timeout of each fetch in seconds (0: DefaultUrlTimeoutSeconds).
  int url_seconds = 0;
  double url_timeout_seconds = 0;
  // Several inputs (plugin/pipeline.h): how many are decoded at once on worker threads (at most
  // this many decoded profiles wait to be merged; 0: one per core), and the key of a string
  // label naming each sample's input (empty: none).
  int jobs = 1;
  std::string input_label_key;
};

// One entry per input format. `matches` sees at most the first 16 bytes.
struct FormatReader {
  const char* name;
  bool (*matches)(std::span<const uint8_t> prefix);
  Result<Profile> (*read)(InputSource& in, const ReadOptions& options);
};

// Name of the format the prefix belongs to, or nullptr.
const FormatReader* SniffFormat(std::span<const uint8_t> prefix);

Result<Profile> ReadProfile(InputSource& in, const ReadOptions& options);
Result<Profile> ReadProfileFile(const std::string& path, const ReadOptions& options);

}  // namespace gcspike
