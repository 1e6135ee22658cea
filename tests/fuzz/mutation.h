// What the structure-aware mutators (*_mutator.cc) share: a seeded random source, the values
// that break readers (zero, one, negative, huge, just past a limit), uvarint encoding, and the
// fall-back to libFuzzer's own byte-level mutation.
//
// Every mutator spends part of its calls on byte-level mutation, so it still finds what the
// structure walkers cannot express, and does only that when GCSPIKE_FUZZ_BYTES_ONLY=1 is set
// (scripts/fuzz --bytes-only: the baseline the custom mutators are measured against).
#pragma once

#include <cstddef>
#include <cstdint>
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

bool BytesOnly();

// libFuzzer's byte-level mutation of data[0, size) within max_size.
size_t MutateBytes(uint8_t* data, size_t size, size_t max_size);

// Copies `out` into data when it fits in max_size and returns its size; otherwise falls back to
// byte-level mutation of the original, so a mutator never returns an empty or oversized input.
size_t Emit(const std::vector<uint8_t>& out, uint8_t* data, size_t size, size_t max_size);

// For a cross-over: copies `out` when it fits and returns its size, else returns 0 (libFuzzer
// then does its own cross-over).
size_t EmitCrossOver(const std::vector<uint8_t>& bytes, uint8_t* out, size_t max_size);

// Decoding goes through core/byte_cursor.h (TryUvarint); this is the encoder.
void PutUvarint(std::vector<uint8_t>& out, uint64_t v);

}  // namespace gcspike::fuzz
