// Helpers shared by the unit tests: fixture paths, file reading, and little-endian writers for
// hand-built binary inputs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gcspike::testing {

inline std::filesystem::path SourceDir() { return GCSPIKE_SOURCE_DIR; }
inline std::filesystem::path FixtureDir() { return SourceDir() / "fixtures"; }

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path);

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
