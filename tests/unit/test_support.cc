#include "tests/unit/test_support.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

TempFile::TempFile(const std::vector<uint8_t>& bytes, const std::string& prefix) {
  path_ = "/tmp/gcspike-" + prefix + "-XXXXXX";
  const int fd = ::mkstemp(path_.data());
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

TempFile::~TempFile() { ::unlink(path_.c_str()); }

void ExpectCutToZeros(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want,
                      size_t cut) {
  ASSERT_LE(got.size(), want.size());
  ASSERT_GT(got.size(), cut);
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<ptrdiff_t>(cut), want.begin()));
  EXPECT_EQ(std::count(got.begin() + static_cast<ptrdiff_t>(cut), got.end(), 0),
            static_cast<ptrdiff_t>(got.size() - cut));
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
