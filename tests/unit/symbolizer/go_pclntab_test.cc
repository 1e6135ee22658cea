// GoPclntab on hand-made tables: lookup by PC in both the Go 1.18+/1.20+ layout (uint32 entries
// relative to textStart) and the Go 1.16 layout (absolute pointer-sized entries), file:line from
// pc-value tables, and malformed tables (truncated header, bad magic, nfunc past the end, funcoff,
// nameoff and line tables out of range) that must give errors naming a byte offset, not crash;
// inline trees in the Go 1.16, 1.18 and 1.20+ layouts (and the Go 1.27 moduledata), and broken
// ones (a tree outside the binary, parent-pc cycles, no moduledata).
#include "symbolizer/go_pclntab.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PatchU64;
using testing::PutU32;
using testing::PutU64;

constexpr uint64_t kTextStart = 0x401000;
constexpr size_t kNfuncAt = 8;  // header word offsets with ptrSize 8 (1.18+ layout)
constexpr size_t kPclnOffAt = 8 + 7 * 8;

// Three functions: main.a [0,0x10), main.bb [0x10,0x30), runtime.c [0x30,0x38) from textStart.
std::vector<uint8_t> Go120Table(uint32_t magic = 0xfffffff1) {
  std::vector<uint8_t> b;
  PutU32(b, magic);
  b.insert(b.end(), {0, 0, 1, 8});  // pad, pad, minLC, ptrSize
  const uint64_t header_size = 8 + 8 * 8;
  const std::string names("main.a\0main.bb\0runtime.c\0", 25);
  const uint64_t funcname_off = header_size;
  const uint64_t pcln_off = funcname_off + names.size();
  PutU64(b, 3);             // nfunc
  PutU64(b, 0);             // nfiles
  PutU64(b, kTextStart);    // textStart
  PutU64(b, funcname_off);  // funcnametab
  PutU64(b, 0);             // cutab
  PutU64(b, 0);             // filetab
  PutU64(b, 0);             // pctab
  PutU64(b, pcln_off);      // functab
  b.insert(b.end(), names.begin(), names.end());
  const uint32_t functab_size = (3 * 2 + 1) * 4;
  const uint32_t entries[] = {0, 0x10, 0x30};
  const uint32_t name_offs[] = {0, 7, 15};
  for (int i = 0; i < 3; ++i) {
    PutU32(b, entries[i]);
    PutU32(b, functab_size + 8 * i);  // funcoff: the _func records follow the table
  }
  PutU32(b, 0x38);  // end of the last function
  for (int i = 0; i < 3; ++i) {
    PutU32(b, entries[i]);    // _func.entryOff
    PutU32(b, name_offs[i]);  // _func.nameOff
  }
  return b;
}

TEST(GoPclntab, LooksUpGo120Table) {
  const auto bytes = Go120Table();
  auto t = GoPclntab::Parse(bytes);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->function_count(), 3u);
  EXPECT_EQ(t->min_pc(), kTextStart);
  EXPECT_EQ(t->max_pc(), kTextStart + 0x38);
  const std::pair<uint64_t, const char*> cases[] = {{0x0, "main.a"},     {0xf, "main.a"},
                                                    {0x10, "main.bb"},   {0x2f, "main.bb"},
                                                    {0x30, "runtime.c"}, {0x37, "runtime.c"}};
  for (const auto& [off, want] : cases) {
    auto name = t->FunctionName(kTextStart + off);
    ASSERT_TRUE(name.ok()) << name.error().ToString();
    EXPECT_EQ(*name, want) << "pc offset " << off;
  }
  EXPECT_FALSE(t->FunctionName(kTextStart - 1).ok());
  EXPECT_FALSE(t->FunctionName(kTextStart + 0x38).ok());
}

TEST(GoPclntab, Go118MagicHasTheSameLayout) {
  const auto bytes = Go120Table(0xfffffff0);
  auto t = GoPclntab::Parse(bytes);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(*t->FunctionName(kTextStart + 0x12), "main.bb");
}

TEST(GoPclntab, ZeroTextStartFallsBackToTheTextSection) {
  auto bytes = Go120Table();
  PatchU64(bytes, 8 + 2 * 8, 0);  // what Go 1.26 linkers write
  auto t = GoPclntab::Parse(bytes, 0x500000);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->min_pc(), 0x500000u);
  EXPECT_EQ(*t->FunctionName(0x500010), "main.bb");
}

TEST(GoPclntab, LooksUpGo116Table) {
  // No textStart; functab fields are pointer-sized with absolute entries; _func.entry too.
  std::vector<uint8_t> b;
  PutU32(b, 0xfffffffa);
  b.insert(b.end(), {0, 0, 1, 8});
  const std::string names("f.one\0f.two\0", 12);
  const uint64_t funcname_off = 8 + 7 * 8;
  const uint64_t pcln_off = funcname_off + names.size();
  for (uint64_t v :
       {uint64_t{2}, uint64_t{0}, funcname_off, uint64_t{0}, uint64_t{0}, uint64_t{0}, pcln_off}) {
    PutU64(b, v);
  }
  b.insert(b.end(), names.begin(), names.end());
  const uint64_t functab_size = (2 * 2 + 1) * 8;
  PutU64(b, 0x1000);
  PutU64(b, functab_size);
  PutU64(b, 0x1040);
  PutU64(b, functab_size + 16);
  PutU64(b, 0x1080);
  PutU64(b, 0x1000);
  PutU32(b, 0);
  PutU32(b, 0);
  PutU64(b, 0x1040);
  PutU32(b, 6);
  PutU32(b, 0);
  auto t = GoPclntab::Parse(b);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(*t->FunctionName(0x1000), "f.one");
  EXPECT_EQ(*t->FunctionName(0x103f), "f.one");
  EXPECT_EQ(*t->FunctionName(0x1040), "f.two");
  EXPECT_FALSE(t->FunctionName(0x1080).ok());
}

// One function main.f at [textStart, +8): a.go:10 for [0,4), b.go:12 for [4,8), from pcline and
// pcfile pc-value tables (zigzag value delta, pc delta) and a two-file compile unit.
std::vector<uint8_t> LineTable(uint32_t pcln_table = 1, uint32_t cu_offset = 0,
                               uint32_t pcsp_table = 11) {
  std::vector<uint8_t> b;
  PutU32(b, 0xfffffff1);
  b.insert(b.end(), {0, 0, 1, 8});
  const std::string names("main.f\0", 7);
  const std::string files("a.go\0b.go\0", 10);
  // At 1: pcln; at 6: pcfile; at 11: pcsp, 0 for [0,1), 8 for [1,7), 0 for [7,8).
  const std::vector<uint8_t> pctab = {0, 22, 4, 4, 4, 0, 2, 4, 2, 4, 0, 2, 1, 16, 6, 15, 1, 0};
  const uint64_t funcname_off = 72, cutab_off = funcname_off + 7, filetab_off = cutab_off + 8,
                 pctab_off = filetab_off + 10, pcln_off = pctab_off + pctab.size();
  for (uint64_t v : {uint64_t{1}, uint64_t{2}, kTextStart, funcname_off, cutab_off, filetab_off,
                     pctab_off, pcln_off}) {
    PutU64(b, v);
  }
  b.insert(b.end(), names.begin(), names.end());
  PutU32(b, 0);
  PutU32(b, 5);
  b.insert(b.end(), files.begin(), files.end());
  b.insert(b.end(), pctab.begin(), pctab.end());
  PutU32(b, 0);   // functab: entry
  PutU32(b, 12);  //          funcoff
  PutU32(b, 8);   //          end
  // _func: entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset,
  // startLine, then funcID, flag, a pad byte and nfuncdata.
  for (uint32_t v : {0u, 0u, 0u, 0u, pcsp_table, 6u, pcln_table, 0u, cu_offset, 0u}) PutU32(b, v);
  b.insert(b.end(), {0, 0, 0, 0});
  return b;
}

TEST(GoPclntab, FileAndLineFromPcValueTables) {
  const auto bytes = LineTable();
  auto t = GoPclntab::Parse(bytes);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  const std::tuple<uint64_t, const char*, int64_t> cases[] = {
      {0, "a.go", 10}, {3, "a.go", 10}, {4, "b.go", 12}, {7, "b.go", 12}};
  for (const auto& [off, file, line] : cases) {
    auto where = t->SourceLine(kTextStart + off);
    ASSERT_TRUE(where.ok()) << where.error().ToString();
    EXPECT_EQ(where->file, file) << off;
    EXPECT_EQ(where->line, line) << off;
  }
  EXPECT_EQ(*t->FunctionName(kTextStart + 5), "main.f");
}

// pcsp as the table above states it: a push at the entry, a pop before the last byte.
TEST(GoPclntab, StackDeltaAndEntryFromThePcspTable) {
  const auto bytes = LineTable();
  auto t = GoPclntab::Parse(bytes);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  const std::pair<uint64_t, int64_t> cases[] = {{0, 0}, {1, 8}, {6, 8}, {7, 0}};
  for (const auto& [off, delta] : cases) {
    auto got = t->StackDelta(kTextStart + off);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(*got, delta) << off;
    EXPECT_EQ(*t->FunctionEntry(kTextStart + off), kTextStart);
  }
  EXPECT_FALSE(t->StackDelta(kTextStart + 8).ok());  // past the function
  const auto no_pcsp = LineTable(1, 0, 0);
  auto without = GoPclntab::Parse(no_pcsp);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->StackDelta(kTextStart).ok());
  const auto past_end = LineTable(1, 0, 1000);
  auto broken = GoPclntab::Parse(past_end);
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->StackDelta(kTextStart).ok());
}

TEST(GoPclntab, MalformedLineTablesAreErrors) {
  // pcln pointing past the end of the section; pcln 0 (absent); a compile unit index past cutab
  // into bytes that are not a valid filetab offset.
  for (const auto& bytes : {LineTable(1000), LineTable(0), LineTable(1, 0x40000000)}) {
    auto t = GoPclntab::Parse(bytes);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->SourceLine(kTextStart + 1).ok());
    EXPECT_EQ(*t->FunctionName(kTextStart + 1), "main.f");
  }
}

TEST(GoPclntab, AbsentLineTableNamesWhereTheTablesStart) {
  // pcln 0 names no table: the error points at the pc-value tables (LineTable's pctab_off:
  // the 72-byte header, "main.f\0", an 8-byte cutab and "a.go\0b.go\0").
  const auto bytes = LineTable(0);  // the table reads from these bytes: keep them alive
  auto t = GoPclntab::Parse(bytes);
  ASSERT_TRUE(t.ok());
  auto line = t->SourceLine(kTextStart + 1);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().offset, std::optional<uint64_t>(72 + 7 + 8 + 10));
  EXPECT_NE(line.error().message.find("pc-value table 0"), std::string::npos);
}

TEST(GoPclntab, TruncatedHeaderIsAnError) {
  const auto full = Go120Table();
  for (size_t n : {0, 3, 7, 8, 20, 71}) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    auto t = GoPclntab::Parse(cut);
    ASSERT_FALSE(t.ok()) << "length " << n;
    EXPECT_TRUE(t.error().offset.has_value()) << t.error().ToString();
  }
}

TEST(GoPclntab, BadMagicIsAnError) {
  auto t = GoPclntab::Parse(Go120Table(0xfffffffb));  // Go 1.2-1.15: not supported
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().offset, 0u);
  EXPECT_NE(t.error().message.find("magic"), std::string::npos);
}

TEST(GoPclntab, BadPointerSizeIsAnError) {
  auto bytes = Go120Table();
  bytes[7] = 3;
  auto t = GoPclntab::Parse(bytes);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().offset, 7u);
}

TEST(GoPclntab, FunctionCountPastTheEndIsAnError) {
  for (uint64_t nfunc : {uint64_t{100}, uint64_t{1} << 40, ~uint64_t{0}}) {
    auto bytes = Go120Table();
    PatchU64(bytes, kNfuncAt, nfunc);
    auto t = GoPclntab::Parse(bytes);
    ASSERT_FALSE(t.ok()) << nfunc;
    EXPECT_EQ(t.error().offset, kNfuncAt) << t.error().ToString();
  }
  auto bytes = Go120Table();
  PatchU64(bytes, kPclnOffAt, bytes.size() - 4);
  EXPECT_FALSE(GoPclntab::Parse(bytes).ok());
}

TEST(GoPclntab, FuncOffOutOfRangeIsAnErrorOnLookup) {
  auto bytes = Go120Table();
  const size_t pcln_off = 8 + 8 * 8 + 25;
  // Slot 1's funcoff (second u32 of the second pair) far past the end.
  const size_t funcoff_at = pcln_off + 3 * 4;
  for (uint32_t bad : {uint32_t{0xfffffff0}, static_cast<uint32_t>(bytes.size())}) {
    for (int i = 0; i < 4; ++i) bytes[funcoff_at + i] = static_cast<uint8_t>(bad >> (8 * i));
    auto t = GoPclntab::Parse(bytes);
    ASSERT_TRUE(t.ok());
    auto name = t->FunctionName(kTextStart + 0x10);
    ASSERT_FALSE(name.ok());
    EXPECT_TRUE(name.error().offset.has_value());
    EXPECT_EQ(*t->FunctionName(kTextStart), "main.a");  // other slots still work
  }
}

TEST(GoPclntab, NameOffOutOfRangeOrUnterminatedIsAnError) {
  auto bytes = Go120Table();
  const size_t last_name_off_at = bytes.size() - 4;
  for (uint32_t bad : {uint32_t{0x80000000}, uint32_t{100000}}) {
    for (int i = 0; i < 4; ++i) bytes[last_name_off_at + i] = static_cast<uint8_t>(bad >> (8 * i));
    auto t = GoPclntab::Parse(bytes);
    ASSERT_TRUE(t.ok());
    auto name = t->FunctionName(kTextStart + 0x30);
    ASSERT_FALSE(name.ok());
    EXPECT_EQ(name.error().offset, last_name_off_at);
  }
  // A name table with no NUL: point funcnametab at the last byte, which is not 0.
  auto unterminated = Go120Table();
  unterminated.back() = 'x';
  PatchU64(unterminated, 8 + 3 * 8, unterminated.size() - 1);
  auto t = GoPclntab::Parse(unterminated);
  ASSERT_TRUE(t.ok());
  auto name = t->FunctionName(kTextStart);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message.find("past the end"), std::string::npos);
}

TEST(GoPclntab, EveryTruncationOfAValidTableFailsCleanly) {
  const auto full = Go120Table();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    auto t = GoPclntab::Parse(cut);
    if (!t.ok()) continue;
    for (uint64_t off = 0; off < 0x40; ++off) {
      (void)t->FunctionName(kTextStart + off);
      (void)t->SourceLine(kTextStart + off);
    }
  }
}

// Inline trees. One function main.outer at [textStart, +0x30) (all in a.go):
//   [0x00,0x08) line 10, [0x08,0x10) line 11 (where main.mid is called),
//   [0x10,0x18) line 20 (main.mid, inlined), [0x18,0x20) line 21 (mid calls main.leaf),
//   [0x20,0x30) line 30 (main.leaf, inlined into mid).
// Inline tree: 0 = main.mid (parent pc 0x08), 1 = main.leaf (parent pc 0x18).
enum class Layout { kGo116, kGo118, kGo120, kGo127 };

constexpr uint64_t kPclntabVaddr = 0x500000;
constexpr uint64_t kRodataVaddr = 0x600000;
constexpr uint64_t kNoptrdataVaddr = 0x700000;
constexpr uint64_t kTreeOffset = 0x10;  // from gofunc (= .rodata's start here)

struct InlineFixture {
  std::vector<uint8_t> pclntab;
  std::vector<uint8_t> rodata;     // holds the inline tree
  std::vector<uint8_t> noptrdata;  // holds the moduledata (1.18+)
  std::vector<GoPclntab::MemoryRegion> Regions() const {
    return {{kRodataVaddr, rodata}, {kNoptrdataVaddr, noptrdata}};
  }
};

InlineFixture InlineTable(Layout layout, int32_t leaf_parent_pc = 0x18) {
  const bool go116 = layout == Layout::kGo116;
  const bool go120 = layout == Layout::kGo120 || layout == Layout::kGo127;
  InlineFixture fx;
  std::vector<uint8_t>& b = fx.pclntab;
  PutU32(b, go116 ? 0xfffffffa : layout == Layout::kGo118 ? 0xfffffff0 : 0xfffffff1);
  b.insert(b.end(), {0, 0, 1, 8});
  // Padded so the records that follow are 8-aligned, as the linker aligns them.
  const std::string names("main.outer\0main.mid\0main.leaf\0\0\0", 32);
  const std::string files("a.go\0\0\0\0", 8);
  // pc-value streams: (zigzag value delta, pc delta) pairs ending in 0; values start at -1.
  const std::vector<uint8_t> pcln = {22, 8, 2, 8, 18, 8, 2, 8, 18, 16, 0};
  const std::vector<uint8_t> pcfile = {2, 48, 0};
  const std::vector<uint8_t> inl = {0, 16, 2, 16, 2, 16, 0};
  std::vector<uint8_t> pctab = {0};  // offset 0 means "no table"
  const uint32_t pcln_at = static_cast<uint32_t>(pctab.size());
  pctab.insert(pctab.end(), pcln.begin(), pcln.end());
  const uint32_t pcfile_at = static_cast<uint32_t>(pctab.size());
  pctab.insert(pctab.end(), pcfile.begin(), pcfile.end());
  const uint32_t inl_at = static_cast<uint32_t>(pctab.size());
  pctab.insert(pctab.end(), inl.begin(), inl.end());
  pctab.resize((pctab.size() + 7) / 8 * 8);
  const uint64_t header_size = 8 + (go116 ? 7 : 8) * 8;
  const uint64_t funcname_off = header_size, cutab_off = funcname_off + names.size(),
                 filetab_off = cutab_off + 4, pctab_off = filetab_off + files.size(),
                 pcln_off = pctab_off + pctab.size();
  PutU64(b, 1);  // nfunc
  PutU64(b, 1);  // nfiles
  if (!go116) PutU64(b, kTextStart);
  for (uint64_t v : {funcname_off, cutab_off, filetab_off, pctab_off, pcln_off}) PutU64(b, v);
  b.insert(b.end(), names.begin(), names.end());
  PutU32(b, 0);
  b.insert(b.end(), files.begin(), files.end());
  b.insert(b.end(), pctab.begin(), pctab.end());
  const uint64_t field = go116 ? 8 : 4;
  auto put_field = [&](uint64_t v) { go116 ? PutU64(b, v) : PutU32(b, static_cast<uint32_t>(v)); };
  put_field(go116 ? kTextStart : 0);  // functab: entry, funcoff, end
  put_field(3 * field);
  put_field(go116 ? kTextStart + 0x30 : 0x30);
  put_field(go116 ? kTextStart : 0);  // _func.entry
  // nameOff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset
  for (uint32_t v : {0u, 0u, 0u, 0u, pcfile_at, pcln_at, 3u, 0u}) PutU32(b, v);
  if (go120) PutU32(b, 1);                           // startLine
  b.insert(b.end(), {0, 0, 0, 4});                   // funcID, flag/pad, pad, nfuncdata
  for (uint32_t v : {0u, 0u, inl_at}) PutU32(b, v);  // pcdata
  if (go116) {
    while ((kPclntabVaddr + b.size()) % 8 != 0) b.push_back(0);
    for (uint64_t v : {uint64_t{0}, uint64_t{0}, uint64_t{0}, kRodataVaddr + kTreeOffset}) {
      PutU64(b, v);
    }
  } else {
    for (uint32_t v : {0xffffffffu, 0xffffffffu, 0xffffffffu, uint32_t{kTreeOffset}}) {
      PutU32(b, v);
    }
  }
  // The tree in .rodata: 1.16-1.19 records are 20 bytes (nameOff @12, parentPc @16), 1.20+
  // records 16 bytes (nameOff @4, parentPc @8).
  fx.rodata.assign(kTreeOffset, 0);
  const std::pair<uint32_t, int32_t> calls[] = {{11, 0x08}, {20, leaf_parent_pc}};
  for (const auto& [name_off, parent_pc] : calls) {
    if (go120) {
      for (uint32_t v : {0u, name_off, static_cast<uint32_t>(parent_pc), 1u}) PutU32(fx.rodata, v);
    } else {
      for (uint32_t v : {0u, 0u, 0u, name_off, static_cast<uint32_t>(parent_pc)}) {
        PutU32(fx.rodata, v);
      }
    }
  }
  // moduledata: pcHeader @0, minpc @20, then rodata and gofunc at the version's words.
  fx.noptrdata.assign(8 * 48, 0);
  PatchU64(fx.noptrdata, 0, kPclntabVaddr);
  PatchU64(fx.noptrdata, 8 * 20, kTextStart);
  const size_t gofunc_word = layout == Layout::kGo118 ? 38 : layout == Layout::kGo120 ? 40 : 43;
  PatchU64(fx.noptrdata, 8 * (gofunc_word - 1), kRodataVaddr);
  PatchU64(fx.noptrdata, 8 * gofunc_word, kRodataVaddr);
  if (layout == Layout::kGo127) {  // etypes, itaboffset where 1.20-1.26 keep rodata, gofunc
    PatchU64(fx.noptrdata, 8 * 39, kRodataVaddr + 0x100);
    PatchU64(fx.noptrdata, 8 * 40, 0x40);
  }
  return fx;
}

std::string Describe(const std::vector<GoPclntab::Frame>& frames) {
  std::string out;
  for (const auto& f : frames) {
    out += f.function + " " + f.file + ":" + std::to_string(f.line) + "; ";
  }
  return out;
}

// The moduledata is found wherever the search starts: at its own region, at another, or in
// address order.
TEST(GoPclntab, InlineTreesInEveryLayout) {
  for (Layout layout : {Layout::kGo116, Layout::kGo118, Layout::kGo120, Layout::kGo127}) {
    for (uint64_t search_first : {uint64_t{0}, kNoptrdataVaddr, kRodataVaddr}) {
      SCOPED_TRACE(static_cast<int>(layout));
      SCOPED_TRACE(search_first);
      const InlineFixture fx = InlineTable(layout);
      auto t = GoPclntab::Parse(fx.pclntab);
      ASSERT_TRUE(t.ok()) << t.error().ToString();
      ASSERT_TRUE(t->AttachMemory(fx.Regions(), kPclntabVaddr, search_first));
      EXPECT_TRUE(t->has_inline_trees());
      const std::pair<uint64_t, const char*> cases[] = {
          {0x04, "main.outer a.go:10; "},
          {0x0c, "main.outer a.go:11; "},
          {0x12, "main.mid a.go:20; main.outer a.go:11; "},
          {0x1f, "main.mid a.go:21; main.outer a.go:11; "},
          {0x24, "main.leaf a.go:30; main.mid a.go:21; main.outer a.go:11; "},
          {0x2f, "main.leaf a.go:30; main.mid a.go:21; main.outer a.go:11; "}};
      for (const auto& [off, want] : cases) {
        auto frames = t->Frames(kTextStart + off);
        ASSERT_TRUE(frames.ok()) << frames.error().ToString();
        EXPECT_EQ(Describe(*frames), want) << "pc offset " << off;
      }
      EXPECT_FALSE(t->Frames(kTextStart + 0x30).ok());
    }
  }
}

TEST(GoPclntab, WithoutModuledataFramesArePhysicalOnly) {
  InlineFixture fx = InlineTable(Layout::kGo120);
  PatchU64(fx.noptrdata, 8 * 20, kTextStart + 4);  // minpc disagrees: not the moduledata
  auto t = GoPclntab::Parse(fx.pclntab);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->AttachMemory(fx.Regions(), kPclntabVaddr));
  auto frames = t->Frames(kTextStart + 0x24);
  ASSERT_TRUE(frames.ok()) << frames.error().ToString();
  EXPECT_EQ(Describe(*frames), "main.outer a.go:30; ");
}

TEST(GoPclntab, BrokenInlineTreesAreErrors) {
  {  // The tree lies past the end of .rodata.
    InlineFixture fx = InlineTable(Layout::kGo120);
    fx.rodata.resize(kTreeOffset + 20);  // record 1 (bytes 16..32) is cut
    auto t = GoPclntab::Parse(fx.pclntab);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->AttachMemory(fx.Regions(), kPclntabVaddr));
    EXPECT_TRUE(t->Frames(kTextStart + 0x12).ok());
    auto frames = t->Frames(kTextStart + 0x24);
    ASSERT_FALSE(frames.ok());
    EXPECT_NE(frames.error().message.find("outside"), std::string::npos);
  }
  for (int32_t parent_pc : {0x24, -4}) {  // a cycle (leaf's caller is leaf) and a negative pc
    const InlineFixture fx = InlineTable(Layout::kGo118, parent_pc);
    auto t = GoPclntab::Parse(fx.pclntab);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->AttachMemory(fx.Regions(), kPclntabVaddr));
    auto frames = t->Frames(kTextStart + 0x24);
    ASSERT_FALSE(frames.ok()) << parent_pc;
    EXPECT_TRUE(frames.error().offset.has_value());
  }
}

TEST(GoPclntab, EveryTruncationOfAnInlineTableFailsCleanly) {
  const InlineFixture fx = InlineTable(Layout::kGo120);
  for (size_t n = 0; n < fx.pclntab.size(); ++n) {
    std::vector<uint8_t> cut(fx.pclntab.begin(), fx.pclntab.begin() + static_cast<long>(n));
    auto t = GoPclntab::Parse(cut);
    if (!t.ok()) continue;
    t->AttachMemory(fx.Regions(), kPclntabVaddr);
    for (uint64_t off = 0; off < 0x34; ++off) (void)t->Frames(kTextStart + off);
  }
}

}  // namespace
}  // namespace gcspike
