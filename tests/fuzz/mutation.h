// What the structure-aware mutators (*_mutator.cc) share: a seeded random source, the values
// that break readers (zero, one, negative, huge, just past a limit), uvarint encoding, and the
// fall-back to libFuzzer's own byte-level mutation.
//
// Every mutator spends part of its calls on byte-level mutation (CustomMutate), so it still
// finds what the structure walkers cannot express, and does only that when
// GCSPIKE_FUZZ_BYTES_ONLY=1 is set (scripts/fuzz --bytes-only: the baseline the custom
// mutators are measured against).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace gcspike::fuzz {

class Rng {
 public:
  explicit Rng(unsigned seed) : gen_(seed) {}
  // Uniform in [0, n); 0 when n is 0.
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(gen_() % n); }
  bool OneIn(size_t n) { return Below(n) == 0; }
  // A value chosen to hit edge cases: small, negative as two's complement, powers of two
  // and their neighbours, the int64/uint64 limits, or near `hint` (an existing value).
  uint64_t Interesting(uint64_t hint = 0);

 private:
  std::minstd_rand gen_;
};

// The structure-aware part of a mutator: the new input, or nothing when `data` does not walk.
using StructuredMutation =
    std::function<std::optional<std::vector<uint8_t>>(std::span<const uint8_t> data, Rng& rng)>;
using StructuredCrossOver = std::function<std::optional<std::vector<uint8_t>>(
    std::span<const uint8_t> a, std::span<const uint8_t> b, Rng& rng)>;

// LLVMFuzzerCustomMutator around `mutation`: libFuzzer's byte-level mutation instead for half
// of the calls (cheap inputs that reach the error paths), for inputs that do not walk, for
// results over max_size, and for every call with GCSPIKE_FUZZ_BYTES_ONLY=1.
size_t CustomMutate(uint8_t* data, size_t size, size_t max_size, unsigned seed,
                    const StructuredMutation& mutation);
// LLVMFuzzerCustomCrossOver around `cross_over`: 0 (libFuzzer's own cross-over) when it gives
// nothing or too much, or with GCSPIKE_FUZZ_BYTES_ONLY=1.
size_t CustomCrossOver(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t* out,
                       size_t max_size, unsigned seed, const StructuredCrossOver& cross_over);

// Defines libFuzzer's two hooks of a target from its StructuredMutation and StructuredCrossOver.
#define GCSPIKE_FUZZ_MUTATOR(mutation, cross_over)                                                 \
  extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,           \
                                            unsigned int seed) {                                   \
    return gcspike::fuzz::CustomMutate(data, size, max_size, seed, mutation);                      \
  }                                                                                                \
  extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,                  \
                                              const uint8_t* data2, size_t size2, uint8_t* out,    \
                                              size_t max_out_size, unsigned int seed) {            \
    return gcspike::fuzz::CustomCrossOver({data1, size1}, {data2, size2}, out, max_out_size, seed, \
                                          cross_over);                                             \
  }

// Decoding goes through core/byte_cursor.h (try_uvarint); this is the encoder.
void PutUvarint(std::vector<uint8_t>& out, uint64_t v);

}  // namespace gcspike::fuzz
