// The CFI tables gcspike builds itself: IndexEhFrame over this test binary's real .eh_frame
// gives exactly the table the linker wrote into its .eh_frame_hdr (an independent index of the
// same FDEs); a hand-built .eh_frame with the encodings compilers emit and ones we must skip;
// truncated sections never crash; EhFrameSearchTable's offsets; CfiSourceName.
#include "symbolizer/elf_cfi.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "symbolizer/elf_image.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PutU32;
using testing::PutU64;

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The {initial_location, FDE address} pairs of an .eh_frame_hdr (datarel sdata4 table).
std::vector<std::pair<uint64_t, uint64_t>> HeaderTable(const ElfImage& image,
                                                       const CfiTables& cfi) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  auto off = image.VaddrToFileOffset(cfi.eh_frame_hdr_vaddr);
  if (!off.has_value()) return out;
  const uint8_t* table = image.file().data() + *off + 12;
  for (uint64_t i = 0; i < cfi.eh_frame_hdr_fde_count; ++i) {
    int32_t start = 0, fde = 0;
    std::memcpy(&start, table + i * 8, 4);
    std::memcpy(&fde, table + i * 8 + 4, 4);
    out.emplace_back(cfi.eh_frame_hdr_vaddr + static_cast<int64_t>(start),
                     cfi.eh_frame_hdr_vaddr + static_cast<int64_t>(fde));
  }
  return out;
}

TEST(IndexEhFrame, AgreesWithTheLinkersHeaderOnARealBinary) {
  auto image = ElfImage::Open(SelfPath());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  const CfiTables& cfi = (*image)->Cfi();
  ASSERT_GT(cfi.eh_frame_hdr_fde_count, 100u) << "the test binary has no .eh_frame_hdr";
  ASSERT_FALSE(cfi.eh_frame.empty());
  EXPECT_TRUE(cfi.eh_frame_fdes.empty());  // with a usable header, no table of our own
  const auto ours = IndexEhFrame(cfi.eh_frame, cfi.eh_frame_vaddr);
  const auto theirs = HeaderTable(**image, cfi);
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].initial_location, theirs[i].first) << i;
    ASSERT_EQ(ours[i].fde_vaddr, theirs[i].second) << i;
    ASSERT_GT(ours[i].address_range, 0u);
  }
  // Every prefix of the section (a truncated file) gives a prefix of the FDEs, never a crash.
  for (size_t n = 0; n < cfi.eh_frame.size(); n += cfi.eh_frame.size() / 97 + 1) {
    const auto part = IndexEhFrame(cfi.eh_frame.first(n), cfi.eh_frame_vaddr);
    ASSERT_LE(part.size(), ours.size());
  }
}

// A CIE (version 1, augmentation `aug`, code 1, data -8, ra 16, then aug data) at the end of s.
size_t PutCie(std::vector<uint8_t>& s, const std::string& aug, std::vector<uint8_t> aug_data) {
  const size_t at = s.size();
  std::vector<uint8_t> body = {0, 0, 0, 0, 1};  // CIE id 0, version 1
  body.insert(body.end(), aug.begin(), aug.end());
  body.insert(body.end(), {0, 1, 0x78, 16});
  if (!aug.empty() && aug[0] == 'z') body.push_back(static_cast<uint8_t>(aug_data.size()));
  body.insert(body.end(), aug_data.begin(), aug_data.end());
  while ((body.size() + 4) % 4 != 0) body.push_back(0);  // DW_CFA_nop
  PutU32(s, static_cast<uint32_t>(body.size()));
  s.insert(s.end(), body.begin(), body.end());
  return at;
}

TEST(IndexEhFrame, EncodingsItResolvesAndOnesItSkips) {
  constexpr uint64_t kVaddr = 0x10000;
  std::vector<uint8_t> s;
  const size_t pcrel = PutCie(s, "zR", {0x1b});  // pcrel | sdata4
  const size_t abs8 = PutCie(s, "zPLR", {0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x1b, 0x04});
  const size_t datarel = PutCie(s, "zR", {0x3b});  // datarel: needs a header base, skipped
  const size_t odd = PutCie(s, "zXR", {0x1b});     // unknown letter before R: skipped
  auto fde = [&](size_t cie, bool eight, uint64_t begin_vaddr, uint64_t range) {
    const size_t at = s.size();
    PutU32(s, eight ? 20 : 12);
    PutU32(s, static_cast<uint32_t>(s.size() - cie));  // distance back to the CIE
    if (eight) {
      PutU64(s, begin_vaddr);
      PutU64(s, range);
    } else {
      const uint64_t field = kVaddr + s.size();
      PutU32(s, static_cast<uint32_t>(begin_vaddr - field));
      PutU32(s, static_cast<uint32_t>(range));
    }
    return kVaddr + at;
  };
  const uint64_t a = fde(pcrel, false, 0x401200, 0x40);
  const uint64_t b = fde(abs8, true, 0x401000, 0x100);
  fde(datarel, false, 0x402000, 0x10);
  fde(odd, false, 0x403000, 0x10);
  fde(pcrel, false, 0x404000, 0);  // empty range
  PutU32(s, 0);                    // terminator: what follows is not read
  fde(pcrel, false, 0x405000, 0x10);
  const auto fdes = IndexEhFrame(s, kVaddr);
  ASSERT_EQ(fdes.size(), 2u);
  EXPECT_EQ(fdes[0].initial_location, 0x401000u);
  EXPECT_EQ(fdes[0].address_range, 0x100u);
  EXPECT_EQ(fdes[0].fde_vaddr, b);
  EXPECT_EQ(fdes[1].initial_location, 0x401200u);
  EXPECT_EQ(fdes[1].address_range, 0x40u);
  EXPECT_EQ(fdes[1].fde_vaddr, a);
  // Garbage: no entries, no crash.
  EXPECT_TRUE(IndexEhFrame(std::vector<uint8_t>(64, 0xff), kVaddr).empty());
  EXPECT_TRUE(IndexEhFrame({}, kVaddr).empty());
}

TEST(EhFrameSearchTable, OffsetsFromTheBases) {
  const std::vector<EhFrameFde> fdes = {{0x1000, 0x10, 0x9000}, {0x1010, 0x30, 0x9020}};
  uint64_t end = 0;
  const auto table = EhFrameSearchTable(fdes, 0x1000, 0x8ff0, &end);
  ASSERT_EQ(table.size(), 16u);
  int32_t v[4];
  std::memcpy(v, table.data(), 16);
  EXPECT_EQ(v[0], 0);
  EXPECT_EQ(v[1], 0x10);
  EXPECT_EQ(v[2], 0x10);
  EXPECT_EQ(v[3], 0x30);
  EXPECT_EQ(end, 0x1040u);
}

TEST(CfiSourceName, NamesEachSource) {
  EXPECT_EQ(CfiSourceName(CfiSource::kEhFrameHdr), ".eh_frame_hdr");
  EXPECT_EQ(CfiSourceName(CfiSource::kEhFrame), ".eh_frame");
  EXPECT_EQ(CfiSourceName(CfiSource::kDebugFrame), ".debug_frame");
  EXPECT_EQ(CfiSourceName(CfiSource::kSeparateDebugFile), "separate debug file");
}

}  // namespace
}  // namespace gcspike
