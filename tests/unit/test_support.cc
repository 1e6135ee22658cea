#include "tests/unit/test_support.h"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace gcspike::testing {

::testing::AssertionResult IsErrorAt(const std::optional<Error>& error, uint64_t offset,
                                     std::string_view substring) {
  if (!error.has_value()) {
    return ::testing::AssertionFailure() << "succeeded; want an error at byte " << offset
                                         << " containing \"" << substring << "\"";
  }
  const bool at = error->offset.has_value() && *error->offset == offset;
  const bool says = error->message.find(substring) != std::string::npos;
  if (at && says) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << "error: " << error->ToString() << "\n";
  if (!at) {
    failure << "  want byte " << offset << ", got "
            << (error->offset ? "byte " + std::to_string(*error->offset) : "no offset") << "\n";
  }
  if (!says) failure << "  want a message containing \"" << substring << "\"";
  return failure;
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/gcspike-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::filesystem::path> FixtureFiles(const std::string& sub, const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  const auto dir = FixtureDir() / sub;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gcspike::testing
