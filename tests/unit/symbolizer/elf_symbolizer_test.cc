// ElfSymbolizer (over ElfImage) on the small ELF files of the elf_symbols fuzz corpus (written by
// tests/fuzz/make_elf_symbols_corpus.py): DWARF inlined frames two levels deep in a C program
// (the same chain binutils `addr2line -i` prints), the .dynsym-only stripped copy, and the
// hand-made Go ELF files whose .gopclntab inline trees are read through .rodata/.noptrdata, in
// each layout; Open and OpenMemory agree; inlined calls that lie outside the subprograms at a
// unit's top level (clang's namespaces, hand-written DWARF), against llvm-symbolizer-14 and the
// DWARF as written; garbage and truncated images are errors or give no frames, never a crash;
// this process's vDSO opens from memory and names clock_gettime.
#include "symbolizer/elf_symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
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

// The frames (innermost first) a symbolizer tool prints for each of `addresses`, from one run of
// `command`: binutils' `addr2line -a -i -f` or `llvm-symbolizer -a -i --output-style=GNU`, which
// print each address, then per frame a line with the function and one with file:line. Frames
// without a function ("??") are left out; an unknown file or line ("??", "?") is empty or 0.
std::map<uint64_t, std::vector<SourceFrame>> ToolFrames(const std::string& command,
                                                        const std::vector<uint64_t>& addresses) {
  std::string args;
  char hex[24];
  for (uint64_t a : addresses) {
    std::snprintf(hex, sizeof hex, " 0x%llx", static_cast<unsigned long long>(a));
    args += hex;
  }
  std::map<uint64_t, std::vector<SourceFrame>> out;
  FILE* p = ::popen((command + args).c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  uint64_t at = 0;
  std::string function;
  bool function_line = true;  // after an address, lines alternate: function, file:line
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    std::string l(buf);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    if (l.rfind("0x", 0) == 0) {
      at = std::stoull(l, nullptr, 16);
      function_line = true;
      continue;
    }
    if (function_line) {
      function = l;
    } else if (function != "??") {
      l = l.substr(0, l.find(" ("));  // " (discriminator N)"
      const size_t colon = l.rfind(':');
      const std::string file = l.substr(0, colon), line = l.substr(colon + 1);
      out[at].push_back({function, file == "??" ? "" : file, line == "?" ? 0 : std::stoll(line)});
    }
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
  const auto want = ToolFrames("addr2line -a -i -f -e '" + path + "'", addresses);
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
      std::vector<std::string> got, functions;
      for (const SourceFrame& f : frames) got.push_back(f.function);
      for (const SourceFrame& f : w->second) functions.push_back(f.function);
      EXPECT_EQ(got, functions) << std::hex << a;
      ++compared;
      with_inlines += got.size() > 1;
    }
    EXPECT_GT(compared, 100u);
    EXPECT_GT(with_inlines, 8u);
  }
}

// The names (DW_AT_name) of the units in which a DW_TAG_inlined_subroutine lies under one of the
// unit's DW_TAG_namespace children rather than under a subprogram at its top level, by a walk of
// the DIE tree with libdw.
std::set<std::string> UnitsWithInlinesInNamespaces(const std::string& path) {
  std::set<std::string> units;
  const int fd = ::open(path.c_str(), O_RDONLY);
  Dwarf* dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : nullptr;
  auto has_inline = [](auto& self, Dwarf_Die* parent) -> bool {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return false;
    do {
      if (dwarf_tag(&child) == DW_TAG_inlined_subroutine || self(self, &child)) return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
  };
  Dwarf_Off off = 0, next = 0;
  size_t header = 0;
  while (dw != nullptr && dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(dw, off + header, &cu) != nullptr && dwarf_child(&cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) == DW_TAG_namespace && has_inline(has_inline, &child)) {
          const char* name = dwarf_diename(&cu);
          units.insert(name != nullptr ? name : "(unnamed)");
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    off = next;
  }
  if (dw != nullptr) dwarf_end(dw);
  if (fd >= 0) ::close(fd);
  return units;
}

// Every address of the functions of `prog` (built from tests/unit/symbolizer/inline_scopes) gives
// the frames llvm-symbolizer-14 gives (names, files, lines; the outermost name is the symbol's,
// its linkage name), looked up in ascending and descending order, each from a fresh symbolizer.
// Returns the number of addresses with inlined frames, by the file name of their outer frame.
std::map<std::string, size_t> CompareWithLlvmSymbolizer(const std::string& prog) {
  std::map<std::string, size_t> inlined;
  auto image = ElfImage::Open(prog);
  EXPECT_TRUE(image.ok()) << image.error().ToString();
  if (!image.ok()) return inlined;
  std::vector<uint64_t> addresses;
  for (const ElfImage::Symbol& s : (*image)->symbols()) {
    const bool ours = s.name == "main" || s.name.find("Entry") != std::string::npos ||
                      s.name.find("Area") != std::string::npos ||
                      s.name.find("Nested") != std::string::npos;
    for (uint64_t a = s.start; ours && a < s.start + s.size; ++a) addresses.push_back(a);
  }
  const std::string tool =
      "llvm-symbolizer-14 -a -i --no-demangle --output-style=GNU --obj='" + prog + "'";
  auto want = ToolFrames(tool + " --functions=short", addresses);
  const auto linkage = ToolFrames(tool + " --functions=linkage", addresses);
  for (auto& [a, frames] : want) frames.back().function = linkage.at(a).back().function;
  EXPECT_GT(want.size(), 100u);
  for (bool descending : {false, true}) {
    const ElfSymbolizer b(*image);
    inlined.clear();
    for (size_t i = 0; i < addresses.size(); ++i) {
      const uint64_t a = addresses[descending ? addresses.size() - 1 - i : i];
      const std::vector<SourceFrame> frames = b.Symbolize(a);
      EXPECT_EQ(Describe(frames), Describe(want[a])) << std::hex << a;
      if (Describe(frames) != Describe(want[a])) return inlined;
      if (frames.size() > 1)
        ++inlined[std::filesystem::path(frames.back().file).filename().string()];
    }
  }
  return inlined;
}

// clang writes the definitions of a namespace's functions under its DW_TAG_namespace DIE, so the
// calls inlined into them lie outside the subprograms at the unit's top level, and ElfSymbolizer
// indexes that unit's inlined calls as a whole rather than per subprogram. A program of two units
// built by clang++-14 (tests/unit/symbolizer/inline_scopes: one with namespaces, one without, so
// both ways are taken in one binary), with DWARF 4 and 5, agrees with llvm-symbolizer-14, and
// both units have inlined frames. (binutils 2.40's addr2line misses inlined calls whose ranges
// are DW_FORM_rnglistx.)
TEST(ElfSymbolizer, InlinedCallsUnderANamespaceAgreeWithLlvmSymbolizer) {
  const std::string src = (testing::SourceDir() / "tests/unit/symbolizer/inline_scopes").string();
  const testing::ScratchDir dir;
  for (const char* dwarf : {"-gdwarf-4", "-gdwarf-5"}) {
    SCOPED_TRACE(dwarf);
    const std::string prog = dir.path() + "/prog" + dwarf;
    ASSERT_EQ(std::system(("cd '" + dir.path() + "' && clang++-14 -O2 " + dwarf + " '" + src +
                           "/namespaced.cc' '" + src + "/flat.cc' -o '" + prog + "'")
                              .c_str()),
              0);
    EXPECT_EQ(UnitsWithInlinesInNamespaces(prog), std::set<std::string>{src + "/namespaced.cc"});
    std::map<std::string, size_t> inlined = CompareWithLlvmSymbolizer(prog);
    EXPECT_GT(inlined["namespaced.cc"], 20u);
    EXPECT_GT(inlined["flat.cc"], 10u);
  }
}

// Compilers write a source file under the working directory relative to it (DW_AT_comp_dir),
// `src/flat.cc` for `g++ -g src/flat.cc`, and libdw returns the name as written; the frames name
// it joined to the unit's directory, whatever directory gcspike runs in, as llvm-symbolizer-14
// does: gcc and clang, DWARF 4 and 5.
TEST(ElfSymbolizer, RelativeSourceNamesJoinTheCompilationDirectory) {
  const std::string src = (testing::SourceDir() / "tests/unit/symbolizer/inline_scopes").string();
  const testing::ScratchDir dir;
  std::filesystem::create_directories(dir.path() + "/src");
  for (const char* file : {"namespaced.cc", "flat.cc"})
    std::filesystem::copy_file(src + "/" + file, dir.path() + "/src/" + file);
  for (const char* compiler : {"g++", "clang++-14"}) {
    for (const char* dwarf : {"-gdwarf-4", "-gdwarf-5"}) {
      SCOPED_TRACE(std::string(compiler) + " " + dwarf);
      const std::string prog = dir.path() + "/prog-" + compiler + dwarf;
      ASSERT_EQ(std::system(("cd '" + dir.path() + "' && " + compiler + " -O2 " + dwarf +
                             " src/namespaced.cc src/flat.cc -o '" + prog + "'")
                                .c_str()),
                0);
      std::map<std::string, size_t> inlined = CompareWithLlvmSymbolizer(prog);
      EXPECT_GT(inlined["flat.cc"], 10u);
      auto image = ElfImage::Open(prog);
      ASSERT_TRUE(image.ok());
      const ElfSymbolizer b(*image);
      size_t named = 0;
      for (const ElfImage::Symbol& s : (*image)->symbols()) {
        if (s.name != "main") continue;
        for (const SourceFrame& f : b.Symbolize(s.start)) {
          EXPECT_EQ(f.file.rfind(dir.path() + "/src/", 0), 0u) << f.file;
          ++named;
        }
      }
      EXPECT_GT(named, 0u);
    }
  }
}

// The inlined calls of tests/unit/symbolizer/inline_scopes/odd_scopes.s (hand-written DWARF 4,
// assembled and linked by gcc here) lie across two subprograms whose ranges overlap, or at a
// unit's top level, in no subprogram; ElfSymbolizer indexes such a unit's inlined calls as a
// whole. Every address of the two functions gives the frames the .s states (its DIEs and .loc
// lines; the outermost name is the symbol's). llvm-symbolizer-14 and addr2line both lose the
// outer frame or the inlined call at the unit's top level, so the .s is the reference here.
TEST(ElfSymbolizer, InlinedCallsOutsideOrAcrossSubprograms) {
  const testing::ScratchDir dir;
  const std::string prog = dir.path() + "/odd_scopes";
  const std::filesystem::path src =
      testing::SourceDir() / "tests/unit/symbolizer/inline_scopes/odd_scopes.s";
  ASSERT_EQ(std::system(("gcc '" + src.string() + "' -o '" + prog + "'").c_str()), 0);
  auto image = ElfImage::Open(prog);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  std::map<std::string, ElfImage::Symbol> symbols;
  for (const ElfImage::Symbol& s : (*image)->symbols()) symbols[s.name] = s;
  ASSERT_EQ(symbols["first"].size, 48u);
  ASSERT_EQ(symbols["second"].size, 32u);
  struct Stretch {
    const char* symbol;
    uint64_t from, to;  // offsets in the symbol
    const char* frames;
  };
  const Stretch kStated[] = {
      {"first", 0, 24, "first overlap.c:11; "},
      {"first", 24, 32, "helper overlap.c:31; first overlap.c:12; "},  // in both subprograms
      {"first", 32, 40, "first overlap.c:13; "},
      {"first", 40, 44, "other overlap.c:41; first overlap.c:14; "},  // first_part's call
      {"first", 44, 48, "first overlap.c:15; "},
      {"second", 0, 8, "second toplevel.c:21; "},
      {"second", 8, 16, "helper2 toplevel.c:51; second toplevel.c:22; "},  // in no subprogram
      {"second", 16, 32, "second toplevel.c:23; "},
  };
  const ElfSymbolizer b(*image);
  ASSERT_TRUE(b.has_dwarf());
  for (const Stretch& s : kStated) {
    for (uint64_t a = symbols[s.symbol].start + s.from; a < symbols[s.symbol].start + s.to; ++a) {
      EXPECT_EQ(Describe(b.Symbolize(a), false), s.frames) << s.symbol << std::hex << " 0x" << a;
    }
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
  const testing::ScratchDir scratch;
  const std::string& dir = scratch.path();
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
