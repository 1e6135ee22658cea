// Fuzzes the pprof path end to end: sniffing, gunzip, decoding, and re-encoding whatever
// decodes. Any input must give a result or an error with an offset; a decoded profile must
// re-encode and decode again to the same sample count.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/pprof_reader.h"
#include "formats/pprof_writer.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  auto p = fuzz::ReadFuzzInput(data, size);
  if (!p.ok()) {
    if (!p.error().offset.has_value() &&
        p.error().message.find("cannot read") == std::string::npos) {
      std::abort();  // every reader error must say where
    }
    return 0;
  }
  PprofWriteOptions w;
  w.gzip = false;
  auto out = EncodePprof(*p, w);
  if (!out.ok()) return 0;  // e.g. negative values, refused by design
  auto again = ReadPprofMessage(*out);
  if (!again.ok() || again->samples.size() != p->samples.size()) std::abort();
  return 0;
}
