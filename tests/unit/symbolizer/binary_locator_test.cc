// BinaryLocator: one image per binary for the symbolizer and the unwinder (opened once, the
// same object), and where separate debug files are looked for.
#include "symbolizer/binary_locator.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "symbolizer/dwarf_unwinder.h"
#include "symbolizer/elf_symbolizer.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

TEST(BinaryLocator, SymbolizerAndUnwinderShareOneOpenImage) {
  const std::string self = SelfPath();
  BinaryLocator locator({}, "");
  UnwindImageCache unwind(locator);
  ElfSymbolizerCache symbols(locator);
  const ElfImage* for_unwinding = unwind.Get(self, RecordedFile{});
  ASSERT_NE(for_unwinding, nullptr);
  std::string warning;
  const ElfSymbolizer* sym = symbols.Get(self, RecordedFile{}, &warning);
  ASSERT_NE(sym, nullptr);
  EXPECT_EQ(&sym->image(), for_unwinding);
  EXPECT_EQ(locator.opened(), 1u);
  // The unverified recorded path is reported to the symbolizer, though the unwinder asked first.
  EXPECT_NE(warning.find("could not be verified"), std::string::npos) << warning;
  // Once both let go, the next request opens the file again.
  unwind.Clear();
  BinaryLocator other({}, "");
  {
    ElfSymbolizerCache s1(other);
    ASSERT_NE(s1.Get(self, RecordedFile{}, nullptr), nullptr);
  }
  ElfSymbolizerCache s2(other);
  ASSERT_NE(s2.Get(self, RecordedFile{}, nullptr), nullptr);
  EXPECT_EQ(other.opened(), 2u);
}

TEST(DebugFileCandidates, BuildIdPlacesThenDebuglinkPlaces) {
  auto image = ElfImage::Open(SelfPath());
  ASSERT_TRUE(image.ok());
  const std::string id = (*image)->build_id();
  ASSERT_GT(id.size(), 2u);
  ::setenv("DEBUGINFOD_CACHE_PATH", "/cache", 1);
  const auto paths = DebugFileCandidates(**image, "/root/debug");
  ::unsetenv("DEBUGINFOD_CACHE_PATH");
  ASSERT_GE(paths.size(), 2u);
  EXPECT_EQ(paths[0], "/cache/" + id + "/debuginfo");
  EXPECT_EQ(paths[1], "/root/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug");
  // The test binary has no .gnu_debuglink, so nothing else; and no debug file is found.
  EXPECT_TRUE((*image)->debuglink().empty());
  EXPECT_EQ(paths.size(), 2u);
  auto debug = FindDebugFile(**image, "/nonexistent");
  ASSERT_OK(debug);
  EXPECT_EQ(*debug, nullptr);
}

}  // namespace
}  // namespace gcspike
