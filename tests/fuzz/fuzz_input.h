// How the whole-pipeline fuzz targets (pprof, viewer_outputs) read their input: as the bytes of
// a file named "fuzz" through ReadProfile's sniffing, with a 64 MiB input budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/profile_reader.h"

namespace gcspike::fuzz {

inline Result<Profile> ReadFuzzInput(const uint8_t* data, size_t size) {
  ReadOptions options;
  options.max_input_bytes = 64 << 20;
  auto in = InputSource::FromBytes("fuzz", std::vector<uint8_t>(data, data + size), "");
  return ReadProfile(*in, options);
}

}  // namespace gcspike::fuzz
