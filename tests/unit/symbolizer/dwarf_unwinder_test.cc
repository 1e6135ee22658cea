// DwarfUnwinder pieces: the REGS_USER / STACK_USER sample blocks (values by perf register
// number, malformed sizes -> errors naming the byte offset), the frame-pointer walk over
// synthetic stacks (chain, loop, out-of-range), the .debug_frame index over a hand-built
// section, and one real libunwind remote unwind of this test's own stack through the
// binaries' .eh_frame_hdr (registers from getcontext, memory copied like perf copies it).
#include "symbolizer/dwarf_unwinder.h"

#include <gtest/gtest.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PatchU64;
using testing::PutU32;
using testing::PutU64;

constexpr uint64_t kBase = 1000;  // absolute offset of the test bytes in a pretend file

// A sample block as little-endian u64 words.
std::vector<uint8_t> Words(std::initializer_list<uint64_t> words) {
  std::vector<uint8_t> b;
  for (uint64_t w : words) PutU64(b, w);
  return b;
}

TEST(ReadRegsUser, ValuesByPerfRegisterNumber) {
  // BX, BP, SP, IP and bit 30 (not an x86_64 user register we use: read and dropped).
  const uint64_t mask = (1u << kPerfRegBx) | (1u << kPerfRegBp) | (1u << kPerfRegSp) |
                        (1u << kPerfRegIp) | (uint64_t{1} << 30);
  // PERF_SAMPLE_REGS_ABI_64, the five values, then the next field.
  const std::vector<uint8_t> b = Words({2, 11, 66, 77, 88, 300, 0xabcdef});
  ByteCursor c(b, kBase);
  auto regs = ReadRegsUser(c, mask);
  ASSERT_OK(regs);
  EXPECT_EQ(regs->values[kPerfRegBx], 11u);
  EXPECT_EQ(regs->values[kPerfRegBp], 66u);
  EXPECT_EQ(regs->values[kPerfRegSp], 77u);
  EXPECT_EQ(regs->values[kPerfRegIp], 88u);
  EXPECT_TRUE(regs->Has(kPerfRegIp));
  EXPECT_FALSE(regs->Has(kPerfRegAx));
  EXPECT_EQ(*c.u64le(), 0xabcdefu);
}

TEST(ReadRegsUser, AbiNoneHasNoRegisters) {
  const std::vector<uint8_t> b = Words({0, 42});
  ByteCursor c(b, kBase);
  auto regs = ReadRegsUser(c, 0xff0fff);
  ASSERT_OK(regs);
  EXPECT_EQ(regs->mask, 0u);
  EXPECT_EQ(*c.u64le(), 42u);
}

TEST(ReadRegsUser, TruncatedNamesOffset) {
  const std::vector<uint8_t> b = Words({2, 1});  // one of three registers
  ByteCursor c(b, kBase);
  EXPECT_ERROR_AT(ReadRegsUser(c, 0x7), kBase + 8, "REGS_USER");
}

TEST(ReadStackUser, ValidPrefixIsDynSize) {
  std::vector<uint8_t> b = Words({16});
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<uint8_t>(i));
  PutU64(b, 8);  // dyn_size
  PutU64(b, 5);  // the next field
  ByteCursor c(b, kBase);
  auto stack = ReadStackUser(c);
  ASSERT_OK(stack);
  ASSERT_EQ(stack->size(), 8u);
  EXPECT_EQ((*stack)[7], 7);
  EXPECT_EQ(*c.u64le(), 5u);
}

TEST(ReadStackUser, SizeZeroHasNoDynSize) {
  const std::vector<uint8_t> b = Words({0, 9});
  ByteCursor c(b, kBase);
  auto stack = ReadStackUser(c);
  ASSERT_OK(stack);
  EXPECT_TRUE(stack->empty());
  EXPECT_EQ(*c.u64le(), 9u);
}

TEST(ReadStackUser, MalformedSizesNameOffsets) {
  const std::vector<uint8_t> too_big = Words({1u << 20, 0});  // more bytes than the record holds
  const std::vector<uint8_t> no_dyn_size = Words({8, 0});
  const std::vector<uint8_t> dyn_past_size = Words({8, 0, 9});  // dyn_size > size
  ByteCursor c1(too_big, kBase), c2(no_dyn_size, kBase), c3(dyn_past_size, kBase);
  EXPECT_ERROR_AT(ReadStackUser(c1), kBase, "");
  EXPECT_ERROR_AT(ReadStackUser(c2), kBase, "");
  EXPECT_ERROR_AT(ReadStackUser(c3), kBase + 16, "dyn_size");
}

// A synthetic stack at address kSp: frames at +0x10, +0x40 and +0x80.
constexpr uint64_t kSp = 0x7ff000;
std::vector<uint8_t> ChainStack() {
  std::vector<uint8_t> s(0xa0, 0);
  PatchU64(s, 0x10, kSp + 0x40);
  PatchU64(s, 0x18, 0x401111);
  PatchU64(s, 0x40, kSp + 0x80);
  PatchU64(s, 0x48, 0x402222);
  PatchU64(s, 0x80, 0);  // outermost frame: saved bp 0
  PatchU64(s, 0x88, 0x403333);
  return s;
}

TEST(WalkFramePointers, FollowsChainUntilItStopsRising) {
  const auto s = ChainStack();
  std::vector<uint64_t> pcs;
  DwarfUnwinder::WalkFramePointers(kSp, kSp + 0x10, s, 64, &pcs);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{0x401111, 0x402222, 0x403333}));
}

TEST(WalkFramePointers, StopsOnLoopsAndOutsideTheCopy) {
  auto s = ChainStack();
  PatchU64(s, 0x40, kSp + 0x10);  // points back down: a loop
  std::vector<uint64_t> pcs;
  DwarfUnwinder::WalkFramePointers(kSp, kSp + 0x10, s, 64, &pcs);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{0x401111, 0x402222}));

  pcs.clear();
  DwarfUnwinder::WalkFramePointers(kSp, kSp - 8, s, 64, &pcs);  // below SP
  EXPECT_TRUE(pcs.empty());
  DwarfUnwinder::WalkFramePointers(kSp, kSp + 0x98, s, 64, &pcs);  // slot runs past the copy
  EXPECT_TRUE(pcs.empty());
  DwarfUnwinder::WalkFramePointers(kSp, ~uint64_t{0} - 4, s, 64, &pcs);  // wraps around
  EXPECT_TRUE(pcs.empty());
  DwarfUnwinder::WalkFramePointers(kSp, kSp + 0x10, s, 2, &pcs);  // frame limit
  EXPECT_EQ(pcs.size(), 2u);
}

TEST(DwarfUnwinder, WithoutCfiFallsBackToFramePointers) {
  const auto s = ChainStack();
  UserRegs regs;
  regs.mask = (1u << kPerfRegIp) | (1u << kPerfRegSp) | (1u << kPerfRegBp);
  regs.values[kPerfRegIp] = 0x400abc;
  regs.values[kPerfRegSp] = kSp;
  regs.values[kPerfRegBp] = kSp + 0x10;
  const ImageLookup no_images = [](uint64_t, MappedImage*) { return false; };
  DwarfUnwinder unwinder;
  std::vector<uint64_t> pcs;
  EXPECT_EQ(unwinder.Unwind(regs, s, no_images, 1, &pcs), UnwindMethod::kFramePointers);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{0x400abc, 0x401111, 0x402222, 0x403333}));

  // No stack copy: the IP alone. No IP: nothing.
  EXPECT_EQ(unwinder.Unwind(regs, {}, no_images, 1, &pcs), UnwindMethod::kIpOnly);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{0x400abc}));
  regs.mask = 0;
  EXPECT_EQ(unwinder.Unwind(regs, s, no_images, 1, &pcs), UnwindMethod::kIpOnly);
  EXPECT_TRUE(pcs.empty());
}

// .debug_frame (DWARF 4 section 6.4.1): a CIE, then FDEs pointing back at it.
TEST(IndexDebugFrame, SortedFdesSkippingCiesAndBrokenEntries) {
  std::vector<uint8_t> s;
  PutU32(s, 12);  // CIE: length
  PutU32(s, 0xffffffffu);
  s.insert(s.end(), {3, 0, 1, 0x7c, 16, 0, 0, 0});  // version 3, "", align 1/-4, ra 16, nops
  auto fde = [&](uint32_t cie, uint64_t loc, uint64_t range) {
    const size_t at = s.size();
    PutU32(s, 20);
    PutU32(s, cie);  // CIE_pointer: section offset
    PutU64(s, loc);
    PutU64(s, range);
    return static_cast<uint32_t>(at);
  };
  const uint32_t a = fde(0, 0x402000, 0x10);
  const uint32_t b = fde(0, 0x401000, 0x20);
  fde(a, 0x403000, 0x10);  // CIE_pointer names an FDE, not a CIE: skipped
  fde(0, 0x404000, 0);     // empty range: skipped
  PutU32(s, 100);          // an entry running past the end: ends the scan
  PutU32(s, 0);
  auto fdes = IndexDebugFrame(s);
  ASSERT_EQ(fdes.size(), 2u);
  EXPECT_EQ(fdes[0].initial_location, 0x401000u);
  EXPECT_EQ(fdes[0].address_range, 0x20u);
  EXPECT_EQ(fdes[0].offset, b);
  EXPECT_EQ(fdes[0].cie_offset, 0u);
  EXPECT_EQ(fdes[1].initial_location, 0x402000u);
  EXPECT_EQ(fdes[1].offset, a);
  // Garbage never crashes and gives no entries.
  std::vector<uint8_t> junk(64, 0xff);
  EXPECT_TRUE(IndexDebugFrame(junk).empty());
  std::vector<uint8_t> fde_first(s.begin() + 16, s.end());  // FDEs whose CIE is gone
  EXPECT_TRUE(IndexDebugFrame(fde_first).empty());
}

// A real remote unwind of this process: registers from getcontext, the stack copied from SP up
// (at most 8 KB, perf's default), memory and CFI from the mapped files in /proc/self/maps.
struct SelfMapping {
  uint64_t start, end, pgoff;
  std::string path;
};

std::vector<SelfMapping> ReadSelfMaps(uint64_t* stack_end) {
  std::vector<SelfMapping> maps;
  std::ifstream in("/proc/self/maps");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string range, perms, offset, dev, inode, path;
    ls >> range >> perms >> offset >> dev >> inode >> path;
    const size_t dash = range.find('-');
    SelfMapping m{std::stoull(range.substr(0, dash), nullptr, 16),
                  std::stoull(range.substr(dash + 1), nullptr, 16),
                  std::stoull(offset, nullptr, 16), path};
    if (path == "[stack]") *stack_end = m.end;
    if (!path.empty() && path[0] == '/') maps.push_back(m);
  }
  return maps;
}

struct Captured {
  UserRegs regs;
  std::vector<uint8_t> stack;
  uint64_t caller = 0;  // the return address into the test body
};

// The raw bytes above our own stack pointer, as perf copies them: they include other frames'
// locals, which AddressSanitizer guards with poisoned red zones, so this copy is not
// instrumented (and reads through volatile, so it does not become an intercepted memcpy).
__attribute__((no_sanitize("address"))) void CopyRawStack(uint8_t* to, uint64_t from, size_t n) {
  const volatile uint8_t* p = reinterpret_cast<const volatile uint8_t*>(from);
  for (size_t i = 0; i < n; ++i) to[i] = p[i];
}

__attribute__((noinline)) void CaptureOwnStack(Captured* out) {
  ucontext_t uc;
  getcontext(&uc);
  const greg_t* g = uc.uc_mcontext.gregs;
  const std::pair<int, int> regs[] = {
      {kPerfRegAx, REG_RAX}, {kPerfRegBx, REG_RBX}, {kPerfRegCx, REG_RCX}, {kPerfRegDx, REG_RDX},
      {kPerfRegSi, REG_RSI}, {kPerfRegDi, REG_RDI}, {kPerfRegBp, REG_RBP}, {kPerfRegSp, REG_RSP},
      {kPerfRegIp, REG_RIP}, {16, REG_R8},          {17, REG_R9},          {18, REG_R10},
      {19, REG_R11},         {20, REG_R12},         {21, REG_R13},         {22, REG_R14},
      {23, REG_R15}};
  for (auto [perf, greg] : regs) {
    out->regs.values[perf] = static_cast<uint64_t>(g[greg]);
    out->regs.mask |= uint64_t{1} << perf;
  }
  uint64_t stack_end = 0;
  ReadSelfMaps(&stack_end);
  const uint64_t sp = out->regs.values[kPerfRegSp];
  const uint64_t n = stack_end > sp ? std::min<uint64_t>(65536, stack_end - sp) : 0;
  out->stack.resize(n);
  CopyRawStack(out->stack.data(), sp, n);
  out->caller = reinterpret_cast<uint64_t>(__builtin_return_address(0));
}

TEST(DwarfUnwinder, UnwindsOwnStackWithEhFrame) {
  Captured cap;
  CaptureOwnStack(&cap);
  ASSERT_FALSE(cap.stack.empty());
  uint64_t stack_end = 0;
  const auto maps = ReadSelfMaps(&stack_end);
  BinaryLocator locator({}, "");
  UnwindImageCache images(locator);
  const ImageLookup lookup = [&](uint64_t addr, MappedImage* out) {
    for (const SelfMapping& m : maps) {
      if (addr < m.start || addr >= m.end) continue;
      out->image = images.Get(m.path, RecordedFile{});
      out->start = m.start;
      out->len = m.end - m.start;
      out->pgoff = m.pgoff;
      return out->image != nullptr;
    }
    return false;
  };
  DwarfUnwinder unwinder;
  std::vector<uint64_t> pcs;
  // A cleared frame pointer makes the frame-pointer chain useless: only CFI can get far. That
  // holds for optimized code, whose CFA rules are based on rsp; unoptimized code (the sanitizer
  // build is a Debug build) sets up rbp and bases its CFA on it, so there rbp stays, the two
  // ways reach the same depth and CFI wins the tie.
  Captured no_fp = cap;
#ifdef __OPTIMIZE__
  no_fp.regs.values[kPerfRegBp] = 0;
#endif
  EXPECT_EQ(unwinder.Unwind(no_fp.regs, no_fp.stack, lookup, 7, &pcs), UnwindMethod::kCfi);
  ASSERT_GE(pcs.size(), 3u);
  EXPECT_EQ(pcs[0], cap.regs.values[kPerfRegIp]);
  EXPECT_EQ(pcs[1], cap.caller);  // CaptureOwnStack's return address, found through its FDE

  // The CFI rows give libunwind's stacks, frame by frame (the check mode compares them).
  DwarfUnwinder checked;
  checked.EnableCheck();
  std::vector<uint64_t> checked_pcs;
  EXPECT_EQ(checked.Unwind(no_fp.regs, no_fp.stack, lookup, 7, &checked_pcs), UnwindMethod::kCfi);
  EXPECT_EQ(checked_pcs, pcs);
  checked.Unwind(cap.regs, cap.stack, lookup, 7, &checked_pcs);
  // Registers that do not fit the IP (another function's SP and rbp): whatever the steps
  // give, both ways give the same.
  Captured upper = no_fp;
  upper.regs.values[kPerfRegIp] = cap.caller;
  checked.Unwind(upper.regs, upper.stack, lookup, 7, &checked_pcs);
  EXPECT_EQ(checked.check_counts().samples, 3u);
  EXPECT_EQ(checked.check_counts().by_rows, 3u);
  EXPECT_EQ(checked.check_counts().differ, 0u);
}

// The unwinder opens what the symbolizer would (BinaryCandidates) and, like it, refuses a file
// whose build id is not the recorded one.
TEST(UnwindImageCache, ChecksTheRecordedBuildId) {
  // The test binary by its real path: /proc/self/exe itself is refused (it is whatever
  // process reads it, see CheckCandidateFile).
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  const std::string self(buf, static_cast<size_t>(n));
  auto opened = ElfImage::Open(self);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  const std::string id = (*opened)->build_id();
  ASSERT_FALSE(id.empty()) << "the test binary has no build id";
  auto rec = [](std::string build_id) {
    RecordedFile r;
    r.build_id = std::move(build_id);
    return r;
  };
  BinaryLocator l1({}, ""), l2({}, ""), l3({}, ""), l4({}, ""), l5({self}, "");
  UnwindImageCache right(l1), wrong(l2), none(l3), proc(l4);
  EXPECT_NE(right.Get(self, rec(id)), nullptr);
  EXPECT_EQ(wrong.Get(self, rec(std::string(id.size(), '0'))), nullptr);
  EXPECT_NE(none.Get(self, rec("")), nullptr);  // nothing recorded: nothing to check
  EXPECT_EQ(proc.Get("/proc/self/exe", rec(id)), nullptr);
  // --binary under another name stands in only by build id.
  UnwindImageCache by_binary(l5);
  EXPECT_NE(by_binary.Get("/nonexistent/elsewhere", rec(id)), nullptr);
  EXPECT_EQ(by_binary.Get("/nonexistent/other", rec("")), nullptr);
}

}  // namespace
}  // namespace gcspike
