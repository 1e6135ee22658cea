// Helpers shared by the unit tests: assertions on Result/Status that say why they failed,
// fixture paths, file reading, and little-endian writers for hand-built binary inputs.
//
//   ASSERT_OK(ReadProfile(in, options));   // on failure prints the error: "x: byte 12: ..."
//   EXPECT_OK(p.Validate()) << "after the merge";
//   EXPECT_ERROR_AT(Read(bytes), 17, "varint");  // fails unless it is an error at byte 17
//                                                 // whose message contains "varint"
// Compute the expected offset from the input the test builds (e.g. the size of the bytes before
// the bad field), never from the reader's output.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gcspike::testing {

// The Error of a failed Result<T> or Status, or nothing.
template <typename R>
std::optional<Error> ErrorOf(const R& r) {
  if (r.ok()) return std::nullopt;
  return r.error();
}

template <typename R>
::testing::AssertionResult IsOk(const R& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "error: " << r.error().ToString();
}

// Success when `r` failed at absolute byte `offset` with a message containing `substring`.
::testing::AssertionResult IsErrorAt(const std::optional<Error>& error, uint64_t offset,
                                     std::string_view substring);

template <typename R>
::testing::AssertionResult IsErrorAt(const R& r, uint64_t offset, std::string_view substring) {
  return IsErrorAt(ErrorOf(r), offset, substring);
}

inline std::filesystem::path SourceDir() { return GCSPIKE_SOURCE_DIR; }
inline std::filesystem::path FixtureDir() { return SourceDir() / "fixtures"; }

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path);

// A fresh directory under /tmp, removed with everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A file /tmp/gcspike-<prefix>-XXXXXX holding `bytes`, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::vector<uint8_t>& bytes, const std::string& prefix = "input");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The bytes of `span`, touching every page: in a mapping of a file cut short under it, those
// past the cut fault and are rescued (core/mapped_regions.h).
inline std::vector<uint8_t> Touch(std::span<const uint8_t> span) {
  return std::vector<uint8_t>(span.begin(), span.end());
}
// `got` is `want` up to `cut` and zeros from there on.
void ExpectCutToZeros(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want,
                      size_t cut);

// Every file under fixtures/<sub> whose name ends with `suffix`, sorted.
std::vector<std::filesystem::path> FixtureFiles(const std::string& sub, const std::string& suffix);

// Appends v as `bytes` little-endian bytes; PatchU64 overwrites 8 bytes at `at`.
inline void PutLe(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutU16(std::vector<uint8_t>& b, uint16_t v) { PutLe(b, v, 2); }
inline void PutU32(std::vector<uint8_t>& b, uint32_t v) { PutLe(b, v, 4); }
inline void PutU64(std::vector<uint8_t>& b, uint64_t v) { PutLe(b, v, 8); }
inline void PatchU64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace gcspike::testing

#define ASSERT_OK(expr) ASSERT_TRUE(::gcspike::testing::IsOk(expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::gcspike::testing::IsOk(expr))
#define ASSERT_ERROR_AT(expr, offset, substring) \
  ASSERT_TRUE(::gcspike::testing::IsErrorAt((expr), (offset), (substring)))
#define EXPECT_ERROR_AT(expr, offset, substring) \
  EXPECT_TRUE(::gcspike::testing::IsErrorAt((expr), (offset), (substring)))
