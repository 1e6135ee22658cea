// Helpers shared by the unit tests: fixture paths and file reading.
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

}  // namespace gcspike::testing
