// ElfSymbolizer (over ElfImage) on the small ELF files of the elf_symbols fuzz corpus (written by
// tests/fuzz/make_elf_symbols_corpus.py): DWARF inlined frames two levels deep in a C program
// (the same chain binutils `addr2line -i` prints), the .dynsym-only stripped copy, and the
// hand-made Go ELF files whose .gopclntab inline trees are read through .rodata/.noptrdata, in
// each layout; Open and OpenMemory agree; garbage and truncated images are errors or give no
// frames, never a crash; this process's vDSO opens from memory and names clock_gettime.
#include "symbolizer/elf_symbolizer.h"

#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

std::filesystem::path Seed(const std::string& name) {
  return testing::SourceDir() / "tests/fuzz/corpus/elf_symbols" / name;
}

// An ElfSymbolizer over an image that opened, or the image's error.
Result<std::unique_ptr<ElfSymbolizer>> Sym(Result<std::shared_ptr<ElfImage>> image) {
  if (!image.ok()) return image.error();
  return std::make_unique<ElfSymbolizer>(std::move(image).value());
}

std::string Describe(const std::vector<SourceFrame>& frames, bool with_paths = true) {
  std::string out;
  for (const SourceFrame& f : frames) {
    std::string file = f.file;
    if (!with_paths) file = file.substr(file.rfind('/') + 1);
    out += f.function + " " + file + ":" + std::to_string(f.line) + "; ";
  }
  return out;
}

TEST(ElfSymbolizer, GoInlineTreesFromGopclntabInEveryLayout) {
  for (const char* layout : {"go116", "go118", "go120", "go127"}) {
    SCOPED_TRACE(layout);
    const auto bytes = testing::ReadFileBytes(Seed(std::string(layout) + "_inline"));
    auto from_memory = Sym(ElfImage::OpenMemory(bytes));
    ASSERT_TRUE(from_memory.ok()) << from_memory.error().ToString();
    auto from_file = Sym(ElfImage::Open(Seed(std::string(layout) + "_inline")));
    ASSERT_TRUE(from_file.ok()) << from_file.error().ToString();
    for (const ElfSymbolizer* b : {from_memory->get(), from_file->get()}) {
      EXPECT_TRUE(b->has_symbols());
      EXPECT_FALSE(b->has_dwarf());
      EXPECT_EQ(Describe(b->Symbolize(0x401024)),
                "main.leaf a.go:30; main.mid a.go:21; main.outer a.go:11; ");
      EXPECT_EQ(Describe(b->Symbolize(0x401012)), "main.mid a.go:20; main.outer a.go:11; ");
      EXPECT_EQ(Describe(b->Symbolize(0x401000)), "main.outer a.go:10; ");
      EXPECT_TRUE(b->Symbolize(0x401030).empty());
      EXPECT_EQ(b->FileOffsetToVaddr(0x1024), 0x401024u);
    }
  }
}

TEST(ElfSymbolizer, DwarfInlinedFramesTwoLevelsDeep) {
  auto b = Sym(ElfImage::Open(Seed("c_inline")));
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_TRUE((*b)->has_dwarf());
  // Somewhere in outer() the code of leaf() inlined into mid() inlined into outer() runs; every
  // address of outer gives either outer alone or that chain, with lines from inl.c.
  bool saw_chain = false;
  size_t symbolized = 0;
  for (uint64_t a = 0x1000; a < 0x2000; ++a) {
    const auto frames = (*b)->Symbolize(a);
    if (frames.empty() || frames.back().function != "outer") continue;
    ++symbolized;
    const std::string d = Describe(frames, false);
    if (frames.size() == 3) {
      EXPECT_EQ(d.substr(0, d.find(' ')), "leaf") << d;
      EXPECT_EQ(frames[1].function, "mid") << d;
      EXPECT_EQ(frames[0].line, 4) << d;  // leaf's body (line 4 of the generator's source)
      EXPECT_EQ(frames[1].line, 5) << d;  // mid's call of leaf
      EXPECT_EQ(frames[2].line, 8) << d;  // outer's call of mid
      saw_chain = true;
    }
    for (const SourceFrame& f : frames) EXPECT_EQ(f.file.substr(f.file.rfind('/') + 1), "inl.c");
  }
  EXPECT_GT(symbolized, 8u);
  EXPECT_TRUE(saw_chain);
  // The stripped copy keeps only .dynsym, whose entries are all imports here: nothing is named.
  auto stripped = Sym(ElfImage::Open(Seed("c_inline_stripped")));
  ASSERT_TRUE(stripped.ok());
  EXPECT_FALSE((*stripped)->has_dwarf());
  EXPECT_FALSE((*stripped)->has_symbols());
  for (uint64_t a = 0x1000; a < 0x2000; a += 7) EXPECT_TRUE((*stripped)->Symbolize(a).empty());
}

// The functions binutils' addr2line (-i: with inlined ones, innermost first) names at each of
// `addresses`, from one run.
std::map<uint64_t, std::vector<std::string>> Addr2lineFunctions(
    const std::string& path, const std::vector<uint64_t>& addresses) {
  std::string args;
  char hex[24];
  for (uint64_t a : addresses) {
    std::snprintf(hex, sizeof hex, " 0x%llx", static_cast<unsigned long long>(a));
    args += hex;
  }
  std::map<uint64_t, std::vector<std::string>> out;
  FILE* p = ::popen(("addr2line -a -i -f -e '" + path + "'" + args).c_str(), "r");
  if (p == nullptr) return out;
  char line[4096];
  uint64_t at = 0;
  bool function_line = true;  // after an address, lines alternate: function, file:line
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    if (l.rfind("0x", 0) == 0) {
      at = std::stoull(l, nullptr, 16);
      function_line = true;
      continue;
    }
    if (function_line && l != "??") out[at].push_back(l);
    function_line = !function_line;
  }
  ::pclose(p);
  return out;
}

// Inlined frames are indexed per function, on the first lookup in it: every address gives the
// chain of functions addr2line -i gives, whatever was looked up before (addresses in ascending,
// then descending order, each from a fresh symbolizer).
TEST(ElfSymbolizer, InlinedChainsAgreeWithAddr2line) {
  const std::string path = Seed("c_inline").string();
  std::vector<uint64_t> addresses;
  for (uint64_t a = 0x1000; a < 0x1400; ++a) addresses.push_back(a);
  const auto want = Addr2lineFunctions(path, addresses);
  ASSERT_FALSE(want.empty());
  for (bool descending : {false, true}) {
    auto b = Sym(ElfImage::Open(path));
    ASSERT_TRUE(b.ok());
    size_t compared = 0, with_inlines = 0;
    for (size_t i = 0; i < addresses.size(); ++i) {
      const uint64_t a = addresses[descending ? addresses.size() - 1 - i : i];
      const std::vector<SourceFrame> frames = (*b)->Symbolize(a);
      auto w = want.find(a);
      if (frames.empty() || w == want.end()) continue;
      std::vector<std::string> got;
      for (const SourceFrame& f : frames) got.push_back(f.function);
      EXPECT_EQ(got, w->second) << std::hex << a;
      ++compared;
      with_inlines += got.size() > 1;
    }
    EXPECT_GT(compared, 100u);
    EXPECT_GT(with_inlines, 8u);
  }
}

// The section flags of an open image by section name.
std::map<std::string, uint64_t> SectionFlags(const ElfImage& image) {
  std::map<std::string, uint64_t> flags;
  Elf* elf = static_cast<Elf*>(image.elf());
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return flags;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) != nullptr)
      flags[elf_strptr(elf, shstrndx, sh.sh_name)] = sh.sh_flags;
  }
  return flags;
}

// libdw is kept from inflating the sections lookups never read (location lists here) by
// flagging them for the open: the copy with compressed DWARF (objcopy) symbolizes every address
// as the plain file does; libdw inflated .debug_info (libelf clears SHF_COMPRESSED then) but not
// .debug_loclists, and no section is left flagged. A file whose only DWARF section is one of
// those (.debug_frame) still opens with DWARF, as libdw has it.
TEST(ElfSymbolizer, CompressedDwarfAsPlainWithoutUnusedSectionsInflated) {
  char tmpl[] = "/tmp/gcspike-zdwarf-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string plain = Seed("c_inline").string();
  const std::string zlib = dir + "/c_inline_z", frame_only = dir + "/frame_only";
  ASSERT_EQ(std::system(("objcopy --compress-debug-sections=zlib-gabi '" + plain + "' '" + zlib +
                         "' && objcopy --strip-debug '" + plain + "' '" + dir +
                         "/stripped' && objcopy --dump-section .eh_frame='" + dir + "/ehf' '" +
                         dir + "/stripped' && objcopy --add-section .debug_frame='" + dir +
                         "/ehf' '" + dir + "/stripped' '" + frame_only + "'")
                            .c_str()),
            0);
  auto plain_image = ElfImage::Open(plain);
  auto zlib_image = ElfImage::Open(zlib);
  ASSERT_TRUE(plain_image.ok() && zlib_image.ok());
  EXPECT_NE(SectionFlags(**zlib_image)[".debug_info"] & SHF_COMPRESSED, 0u);
  EXPECT_NE(SectionFlags(**zlib_image)[".debug_loclists"] & SHF_COMPRESSED, 0u);
  const ElfSymbolizer p(*plain_image), z(*zlib_image);
  std::map<std::string, uint64_t> after = SectionFlags(**zlib_image);
  EXPECT_EQ(after[".debug_info"] & SHF_COMPRESSED, 0u);
  EXPECT_NE(after[".debug_loclists"] & SHF_COMPRESSED, 0u);
  for (const auto& [name, flags] : after) EXPECT_EQ(flags & SHF_GROUP, 0u) << name;
  ASSERT_TRUE(z.has_dwarf());
  size_t inlined = 0;
  for (uint64_t a = 0x1000; a < 0x2000; ++a) {
    ASSERT_EQ(Describe(z.Symbolize(a)), Describe(p.Symbolize(a))) << std::hex << a;
    inlined += p.Symbolize(a).size() > 1;
  }
  EXPECT_GT(inlined, 0u);
  auto frame_only_image = ElfImage::Open(frame_only);
  ASSERT_TRUE(frame_only_image.ok());
  EXPECT_TRUE(ElfSymbolizer(*frame_only_image).has_dwarf());
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ElfSymbolizer, GarbageAndTruncatedImages) {
  EXPECT_FALSE(ElfImage::OpenMemory({}).ok());
  const std::vector<uint8_t> garbage(100, 0x41);
  EXPECT_FALSE(ElfImage::OpenMemory(garbage).ok());
  const auto full = testing::ReadFileBytes(Seed("go120_inline"));
  for (size_t n : {size_t{4}, size_t{64}, size_t{0x1100}, size_t{0x1180}, size_t{0x2010},
                   full.size() - 100, full.size() - 1}) {
    auto b = Sym(ElfImage::OpenMemory(std::span<const uint8_t>(full.data(), n)));
    if (!b.ok()) continue;
    for (uint64_t a = 0x401000; a < 0x401034; ++a) (void)(*b)->Symbolize(a);
  }
}

TEST(ElfSymbolizer, RunningVdsoNamesClockGettime) {
  auto vdso = Sym(ElfImage::OpenRunningVdso());
  ASSERT_TRUE(vdso.ok()) << vdso.error().ToString();  // x86-64 and arm64 Linux always map one
  EXPECT_TRUE((*vdso)->has_symbols());
  bool named = false;
  for (uint64_t off = 0; off < 0x4000 && !named; ++off) {
    auto vaddr = (*vdso)->FileOffsetToVaddr(off);
    if (!vaddr.has_value()) continue;
    for (const SourceFrame& f : (*vdso)->Symbolize(*vaddr)) {
      named = named || f.function.find("clock_gettime") != std::string::npos;
    }
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace gcspike
