#include "tests/fuzz/mutation.h"

#include <cstdlib>
#include <cstring>

namespace gcspike::fuzz {

uint64_t Rng::Interesting(uint64_t hint) {
  static constexpr uint64_t kFixed[] = {0,
                                        1,
                                        2,
                                        0x7f,
                                        0x80,
                                        0xff,
                                        0xffff,
                                        0x7fffffff,
                                        0x80000000,
                                        0xffffffff,
                                        uint64_t{1} << 32,
                                        uint64_t{10000000},
                                        uint64_t{INT64_MAX},
                                        uint64_t{1} << 63,
                                        ~uint64_t{0},
                                        ~uint64_t{0} - 1};
  switch (Below(4)) {
    case 0:
      return kFixed[Below(std::size(kFixed))];
    case 1:
      return hint + Below(5) - 2;  // a neighbour, e.g. an off-by-one index
    case 2:
      return uint64_t{1} << Below(64);
    default:
      return static_cast<uint64_t>(-static_cast<int64_t>(Below(1000)));  // negative
  }
}

namespace {

bool BytesOnly() {
  static const bool bytes_only = [] {
    const char* v = std::getenv("GCSPIKE_FUZZ_BYTES_ONLY");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return bytes_only;
}

}  // namespace

size_t CustomMutate(uint8_t* data, size_t size, size_t max_size, unsigned seed,
                    const StructuredMutation& mutation) {
  Rng rng(seed);
  if (!BytesOnly() && rng.OneIn(2)) {
    const auto out = mutation({data, size}, rng);
    if (out.has_value() && !out->empty() && out->size() <= max_size) {
      std::memcpy(data, out->data(), out->size());
      return out->size();
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}

size_t CustomCrossOver(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t* out,
                       size_t max_size, unsigned seed, const StructuredCrossOver& cross_over) {
  if (BytesOnly()) return 0;
  Rng rng(seed);
  const auto bytes = cross_over(a, b, rng);
  if (!bytes.has_value() || bytes->size() > max_size) return 0;
  std::memcpy(out, bytes->data(), bytes->size());
  return bytes->size();
}

void PutUvarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace gcspike::fuzz
