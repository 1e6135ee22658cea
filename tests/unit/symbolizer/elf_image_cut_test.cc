// A binary or separate debug file truncated by another process while the symbolizer or the
// unwinder reads it (core/mapped_regions.h): the pages past the cut read as zeros instead of
// killing the process with SIGBUS, libelf and libdw make what they can of them without a crash,
// and the image, its debug file's owner and the BinaryLocator that found it all report the cut
// at the byte where the file now ends, naming the file. The binary is the C seed of the
// elf_symbols fuzz corpus (DWARF, .eh_frame, .symtab; section headers last).
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "symbolizer/binary_locator.h"
#include "symbolizer/elf_image.h"
#include "symbolizer/elf_symbolizer.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::ExpectCutToZeros;
using testing::TempFile;
using testing::Touch;

constexpr std::string_view kShrank = "the file shrank while it was being read";

std::vector<uint8_t> SeedBytes(const std::string& name) {
  return testing::ReadFileBytes(testing::SourceDir() / "tests/fuzz/corpus/elf_symbols" / name);
}

bool Cut(const std::string& path, uint64_t at) {
  return ::truncate(path.c_str(), static_cast<off_t>(at)) == 0;
}

// Everything the symbolizer and the unwinder read of an image: DWARF lines and inlined frames
// at every address of .text, the CFI tables, and every byte of the file.
std::vector<uint8_t> ReadAllOf(const std::shared_ptr<ElfImage>& image) {
  ElfSymbolizer symbolizer(image);  // opens the DWARF (and writes section headers in place)
  for (uint64_t a = 0x1000; a < 0x2000; ++a) (void)symbolizer.Symbolize(a);
  (void)image->Cfi();
  return Touch(image->file());
}

TEST(ElfImageCut, BinaryCutUnderTheSymbolizerReadsZerosAndFailsAtTheCut) {
  const std::vector<uint8_t> bytes = SeedBytes("c_inline");
  ASSERT_GT(bytes.size(), 0x3000u);
  // Inside a page past .text (DWARF, .symtab and the section headers gone), on a page
  // boundary, and at nothing at all.
  for (const uint64_t cut : {uint64_t{0x2000 + 123}, uint64_t{0x3000}, uint64_t{0}}) {
    SCOPED_TRACE(cut);
    TempFile binary(bytes, "binary");
    auto image = ElfImage::Open(binary.path());
    ASSERT_OK(image);
    {
      ElfSymbolizer before(*image);
      ASSERT_TRUE(before.has_dwarf());
      ASSERT_FALSE(before.Symbolize(0x1190).empty());
    }
    EXPECT_OK((*image)->CheckNotShrunk());
    Elf_Scn* first = elf_getscn(static_cast<Elf*>((*image)->elf()), 1);
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(Cut(binary.path(), cut));
    // libelf writes section headers where they are mapped (elf_symbolizer.cc OpenLookupDwarf):
    // a write past the cut is rescued by zero pages it can write to (zeros, as they read).
    GElf_Shdr zeros{};
    EXPECT_NE(gelf_update_shdr(first, &zeros), 0);
    // Without the SIGBUS handler this kills the test: the pages past the new end are gone.
    ExpectCutToZeros(ReadAllOf(*image), bytes, cut);
    const Status status = (*image)->CheckNotShrunk();
    EXPECT_ERROR_AT(status, cut, kShrank);
    if (!status.ok()) {
      EXPECT_EQ(status.error().file, binary.path());
    }
  }
}

TEST(ElfImageCut, LocatorReportsABinaryCutAfterItWasFound) {
  const std::vector<uint8_t> bytes = SeedBytes("c_inline");
  TempFile binary(bytes, "binary");
  BinaryLocator locator({}, "");
  ElfSymbolizerCache symbolizers(locator);
  std::string warning;
  const ElfSymbolizer* s = symbolizers.Get(binary.path(), RecordedFile{}, &warning);
  ASSERT_NE(s, nullptr) << warning;
  EXPECT_OK(locator.CheckNotShrunk());
  const uint64_t cut = 0x1000 + 5;
  ASSERT_TRUE(Cut(binary.path(), cut));
  for (uint64_t a = 0x1000; a < 0x2000; ++a) (void)s->Symbolize(a);
  const Status status = locator.CheckNotShrunk();
  EXPECT_ERROR_AT(status, cut, kShrank);
  if (!status.ok()) {
    EXPECT_EQ(status.error().file, binary.path());
  }
}

// A stripped binary whose debug file (the same build id) is under <root>/.build-id: the
// unwinder reads its CFI there; cut short, it is reported by the binary's image.
TEST(ElfImageCut, DebugFileCutUnderTheUnwinderIsReportedByTheBinary) {
  const std::vector<uint8_t> full = SeedBytes("c_inline");
  TempFile binary(SeedBytes("c_inline_stripped"), "binary");
  auto image = ElfImage::Open(binary.path());
  ASSERT_OK(image);
  const std::string id = (*image)->build_id();
  ASSERT_GT(id.size(), 2u);
  char root_template[] = "/tmp/gcspike-debug-XXXXXX";
  ASSERT_NE(::mkdtemp(root_template), nullptr);
  const std::filesystem::path root = root_template;
  const std::filesystem::path dir = root / ".build-id" / id.substr(0, 2);
  std::filesystem::create_directories(dir);
  const std::string debug_path = dir / (id.substr(2) + ".debug");
  {
    TempFile debug_bytes(full, "debug");
    std::filesystem::copy_file(debug_bytes.path(), debug_path);
  }
  (*image)->set_debug_root(root);
  const ElfImage* debug = (*image)->DebugFile();
  ASSERT_NE(debug, nullptr);
  EXPECT_OK((*image)->CheckNotShrunk());
  const uint64_t cut = 0x2000 + 77;
  ASSERT_TRUE(Cut(debug_path, cut));
  (void)debug->Cfi();
  ExpectCutToZeros(Touch(debug->file()), full, cut);
  const Status status = (*image)->CheckNotShrunk();
  EXPECT_ERROR_AT(status, cut, kShrank);
  if (!status.ok()) {
    EXPECT_EQ(status.error().file, debug_path);
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace gcspike
