// Fuzzes the Go execution trace readers (both format generations) and the pprof writer on what
// they produce. Any input must give a profile or an error naming a byte offset; a profile must
// pass Validate (the readers call it) and encode.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "formats/go_trace_reader.h"
#include "formats/pprof_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  ReadOptions options;
  options.max_input_bytes = 64 << 20;
  options.assist_profile = size % 2 == 0;  // exercise both output shapes
  auto in = InputSource::FromBytes("fuzz", std::vector<uint8_t>(data, data + size), "");
  GoTraceStats stats;
  auto p = ReadGoTrace(*in, options, &stats);
  if (!p.ok()) {
    if (!p.error().offset.has_value() || *p.error().offset > size) std::abort();
    return 0;
  }
  if (static_cast<int64_t>(p->samples.size()) < stats.cpu_samples) std::abort();
  PprofWriteOptions w;
  w.gzip = false;
  auto out = EncodePprof(*p, w);
  (void)out;  // negative label values etc. may be refused by design; it must not crash
  return 0;
}
