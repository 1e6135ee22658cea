#include "symbolizer/elf_symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace gcspike {
namespace {

Elf* AsElf(void* p) { return static_cast<Elf*>(p); }
Dwarf* AsDwarf(void* p) { return static_cast<Dwarf*>(p); }

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[data[i] >> 4]);
    s.push_back(kDigits[data[i] & 15]);
  }
  return s;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The source file named by a DW_AT_call_file index in the CU's file table.
std::string CallFile(Dwarf_Die* cudie, Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(scope, DW_AT_call_file, &attr) == nullptr ||
      dwarf_formudata(&attr, &index) != 0) {
    return {};
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || index >= nfiles) return {};
  const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
  return name != nullptr ? name : "";
}

int64_t CallLine(Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(scope, DW_AT_call_line, &attr) == nullptr ||
      dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<int64_t>(line);
}

// The NT_GNU_BUILD_ID descriptor in a block of ELF notes, as hex; empty when absent.
std::string GnuBuildId(Elf_Data* data) {
  if (data == nullptr) return {};
  size_t off = 0;
  GElf_Nhdr nh;
  size_t name_off = 0, desc_off = 0;
  while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        std::memcmp(static_cast<const char*>(data->d_buf) + name_off, "GNU", 4) == 0) {
      return Hex(static_cast<const uint8_t*>(data->d_buf) + desc_off, nh.n_descsz);
    }
  }
  return {};
}

}  // namespace

Status OpenElfFile(const std::string& path, int* fd, void** elf) {
  elf_version(EV_CURRENT);
  *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (*fd < 0) return MakeError(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return MakeError(path + ": not a regular file");
  }
  *elf = elf_begin(*fd, ELF_C_READ_MMAP, nullptr);
  if (*elf == nullptr || elf_kind(AsElf(*elf)) != ELF_K_ELF) {
    return MakeError(path + ": not an ELF file");
  }
  // Symbols, .gopclntab and DWARF are all found through the section headers: a file whose
  // headers cannot be read would symbolize nothing, and say nothing about it.
  size_t shnum = 0;
  if (elf_getshdrnum(AsElf(*elf), &shnum) != 0) {
    return MakeError(path + ": its ELF section headers cannot be read (" +
                     std::string(elf_errmsg(-1)) + ")");
  }
  if (shnum == 0 || elf_nextscn(AsElf(*elf), nullptr) == nullptr) {
    return MakeError(path + ": has no readable ELF section headers (nothing to symbolize with)");
  }
  return {};
}

Result<std::unique_ptr<ElfBinary>> ElfBinary::Open(const std::string& path) {
  std::unique_ptr<ElfBinary> b(new ElfBinary());
  GCSPIKE_RETURN_IF_ERROR(OpenElfFile(path, &b->fd_, &b->elf_));
  b->Index();
  return b;
}

Result<std::unique_ptr<ElfBinary>> ElfBinary::OpenMemory(std::span<const uint8_t> image) {
  elf_version(EV_CURRENT);
  std::unique_ptr<ElfBinary> b(new ElfBinary());
  // A private copy: elf_memory may write to the image (it opens it like a private mapping).
  b->image_.assign(image.begin(), image.end());
  if (b->image_.empty()) return MakeErrorAt(0, "in-memory ELF image is empty");
  Elf* elf = elf_memory(reinterpret_cast<char*>(b->image_.data()), b->image_.size());
  b->elf_ = elf;
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    return MakeErrorAt(0, "in-memory image is not an ELF file");
  }
  b->Index();
  return b;
}

Result<std::unique_ptr<ElfBinary>> ElfBinary::OpenRunningVdso() {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return MakeError("this process has no vDSO");
  // The kernel maps the whole vDSO image, its section headers (last in the image) included;
  // its size is wherever the furthest of segments and header tables ends.
  const auto* ehdr = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64) {
    return MakeError("the vDSO is not a 64-bit ELF image");
  }
  uint64_t size = std::max<uint64_t>(ehdr->e_phoff + uint64_t{ehdr->e_phnum} * ehdr->e_phentsize,
                                     ehdr->e_shoff + uint64_t{ehdr->e_shnum} * ehdr->e_shentsize);
  const auto* phdrs = reinterpret_cast<const Elf64_Phdr*>(base + ehdr->e_phoff);
  for (size_t i = 0; i < ehdr->e_phnum; ++i) {
    size = std::max<uint64_t>(size, phdrs[i].p_offset + phdrs[i].p_filesz);
  }
  return OpenMemory(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(base), size));
}

void ElfBinary::Index() {
  Elf* elf = AsElf(elf_);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr) continue;
      if (ph.p_type == PT_LOAD) segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});

    }
  }
  build_id_ = ElfBuildId(elf);
  // Symbols: .symtab when present (full), else .dynsym (exported only).
  Elf_Scn* symtab = nullptr;
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* gopclntab = nullptr;
  uint64_t text_addr = 0;
  size_t shstrndx = 0;
  const bool have_shstrndx = elf_getshdrstrndx(elf, &shstrndx) == 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
    const char* sec_name = have_shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    if (sec_name != nullptr && std::string_view(sec_name) == ".gopclntab") gopclntab = scn;
    if (sec_name != nullptr && std::string_view(sec_name) == ".text") text_addr = sh.sh_addr;
  }
  // Stripped Go binaries keep .gopclntab (the runtime's own symbol table): use it for
  // addresses the ELF symbols miss. A malformed one is ignored, like unusable DWARF.
  if (Elf_Data* data = gopclntab != nullptr ? elf_getdata(gopclntab, nullptr) : nullptr;
      data != nullptr && data->d_buf != nullptr) {
    auto table = GoPclntab::Parse(
        std::span<const uint8_t>(static_cast<const uint8_t*>(data->d_buf), data->d_size),
        text_addr);
    if (table.ok()) {
      gopclntab_ = std::move(table).value();
      // The inline trees live in go:func.* (in .rodata, or inside .gopclntab with recent
      // linkers); the moduledata that says where is in .noptrdata.
      std::vector<GoPclntab::MemoryRegion> regions;
      for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
           scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_PROGBITS ||
            (sh.sh_flags & SHF_ALLOC) == 0) {
          continue;
        }
        Elf_Data* d = elf_getdata(scn, nullptr);
        if (d == nullptr || d->d_buf == nullptr) continue;
        regions.push_back({sh.sh_addr, std::span<const uint8_t>(
                                           static_cast<const uint8_t*>(d->d_buf), d->d_size)});
      }
      GElf_Shdr pcln_sh;
      if (gelf_getshdr(gopclntab, &pcln_sh) != nullptr) {
        gopclntab_->AttachMemory(std::move(regions), pcln_sh.sh_addr);
      }
    }
  }
  Elf_Scn* chosen = symtab != nullptr ? symtab : dynsym;
  if (chosen != nullptr) {
    GElf_Shdr sh;
    Elf_Data* data = elf_getdata(chosen, nullptr);
    if (gelf_getshdr(chosen, &sh) != nullptr && data != nullptr && sh.sh_entsize != 0) {
      const size_t count = sh.sh_size / sh.sh_entsize;
      for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
        const int type = GELF_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_NOTYPE) || sym.st_shndx == SHN_UNDEF ||
            sym.st_value == 0) {
          continue;
        }
        const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (name == nullptr || name[0] == '\0') continue;
        // STT_NOTYPE covers assembly labels; keep them only if sized, like perf does for text.
        if (type == STT_NOTYPE && sym.st_size == 0) continue;
        symbols_.push_back({sym.st_value, sym.st_size, name});
      }
      std::stable_sort(symbols_.begin(), symbols_.end(),
                       [](const Symbol& x, const Symbol& y) { return x.start < y.start; });
    }
  }
  dwarf_ = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);  // null: no (usable) DWARF
  if (dwarf_ != nullptr) {
    // Address ranges of every compile unit. dwarf_addrdie needs .debug_aranges, which the Go
    // linker does not write, so we index the CUs' DW_AT_low_pc/high_pc/ranges ourselves.
    Dwarf* dw = AsDwarf(dwarf_);
    Dwarf_Off off = 0, next = 0;
    size_t header_size = 0;
    while (dwarf_nextcu(dw, off, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cudie;
      if (dwarf_offdie(dw, off + header_size, &cudie) != nullptr) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        ptrdiff_t it = 0;
        while ((it = dwarf_ranges(&cudie, it, &base, &start, &end)) > 0) {
          if (end > start) cu_ranges_.push_back({start, end, off + header_size});
        }
      }
      off = next;
    }
    std::sort(cu_ranges_.begin(), cu_ranges_.end(),
              [](const CuRange& x, const CuRange& y) { return x.start < y.start; });
  }
}

ElfBinary::~ElfBinary() {
  if (dwarf_ != nullptr) dwarf_end(AsDwarf(dwarf_));
  if (elf_ != nullptr) elf_end(AsElf(elf_));
  if (fd_ >= 0) ::close(fd_);
}

std::optional<uint64_t> ElfBinary::FileOffsetToVaddr(uint64_t file_offset) const {
  for (const LoadSegment& s : segments_) {
    if (file_offset >= s.offset && file_offset - s.offset < s.filesz) {
      return file_offset - s.offset + s.vaddr;
    }
  }
  return std::nullopt;
}

const ElfBinary::Symbol* ElfBinary::FindSymbol(uint64_t vaddr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  if (it == symbols_.begin()) return nullptr;
  --it;
  // Zero-sized symbols cover up to the next symbol (assembly without .size).
  if (it->size != 0 && vaddr - it->start >= it->size) return nullptr;
  return &*it;
}

std::optional<uint64_t> ElfBinary::FindCu(uint64_t vaddr) const {
  auto it = std::upper_bound(cu_ranges_.begin(), cu_ranges_.end(), vaddr,
                             [](uint64_t a, const CuRange& r) { return a < r.start; });
  // Ranges of different CUs do not overlap; look back a few in case of nested starts.
  for (int back = 0; back < 4 && it != cu_ranges_.begin(); ++back) {
    --it;
    if (vaddr >= it->start && vaddr < it->end) return it->die_offset;
  }
  Dwarf_Die cudie;  // .debug_aranges, if any
  if (dwarf_addrdie(AsDwarf(dwarf_), vaddr, &cudie) == nullptr) return std::nullopt;
  return dwarf_dieoffset(&cudie);
}

namespace {

// One DW_TAG_inlined_subroutine: the inlined function and where it was called from.
struct CuInline {
  const char* name = nullptr;  // owned by the Dwarf; null when the DIE names nothing
  std::string call_file;       // empty when DW_AT_call_file is absent or out of range
  int64_t call_line = 0;
  int32_t parent = -1;  // the enclosing inlined_subroutine, -1 for none
};

}  // namespace

struct ElfBinary::CuIndex {
  bool valid = false;  // false: the CU DIE could not be read (Symbolize gives the symbol only)
  // The unit's line table in libdw's order (sorted by address), as dwarf_getsrc_die sees it.
  // libdw keeps it for the Dwarf's lifetime anyway; it is searched in place rather than copied
  // (a Go runtime unit has a few hundred thousand rows).
  Dwarf_Lines* lines = nullptr;
  size_t nlines = 0;
  std::vector<CuInline> inlines;
  // The unit's text cut into pieces that each have one innermost inlined_subroutine (-1: none);
  // a piece reaches to the next one's start.
  struct Piece {
    uint64_t start = 0;
    int32_t innermost = -1;
  };
  std::vector<Piece> pieces;
};

namespace {

// DIEs whose children can hold inlined_subroutines for a pc (what dwarf_getscopes descends).
bool IsScope(int tag) {
  switch (tag) {
    case DW_TAG_subprogram:
    case DW_TAG_lexical_block:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_namespace:
    case DW_TAG_module:
    case DW_TAG_entry_point:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
      return true;
    default:
      return false;
  }
}

struct InlineRange {
  uint64_t start = 0;
  uint64_t end = 0;
  int32_t index = 0;
  int32_t depth = 0;
};

// Adds the inlined_subroutines under `parent` (depth-first; bounded depth, so malformed DWARF
// cannot exhaust the stack).
void CollectInlines(Dwarf_Die* cudie, Dwarf_Die* parent, int32_t enclosing, int32_t depth,
                    std::vector<CuInline>& inlines,
                    std::vector<InlineRange>& ranges) {
  constexpr int32_t kMaxDepth = 256;
  Dwarf_Die child;
  if (depth > kMaxDepth || dwarf_child(parent, &child) != 0) return;
  do {
    const int tag = dwarf_tag(&child);
    int32_t inner = enclosing;
    if (tag == DW_TAG_inlined_subroutine) {
      CuInline node;
      Dwarf_Attribute attr;
      if (dwarf_attr_integrate(&child, DW_AT_name, &attr) != nullptr) {
        node.name = dwarf_formstring(&attr);
      }
      node.call_file = CallFile(cudie, &child);
      node.call_line = CallLine(&child);
      node.parent = enclosing;
      inner = static_cast<int32_t>(inlines.size());
      inlines.push_back(std::move(node));
      Dwarf_Addr base = 0, start = 0, end = 0;
      ptrdiff_t it = 0;
      while ((it = dwarf_ranges(&child, it, &base, &start, &end)) > 0) {
        if (end > start) ranges.push_back({start, end, inner, depth});
      }
    }
    if (IsScope(tag) && dwarf_haschildren(&child) > 0) {
      CollectInlines(cudie, &child, inner, depth + 1, inlines, ranges);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

}  // namespace

const ElfBinary::CuIndex& ElfBinary::IndexCu(uint64_t cu_die_offset) const {
  std::unique_ptr<CuIndex>& slot = cu_index_[cu_die_offset];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<CuIndex>();
  CuIndex& index = *slot;
  Dwarf_Die cudie;
  if (dwarf_offdie(AsDwarf(dwarf_), cu_die_offset, &cudie) == nullptr) return index;
  index.valid = true;
  Dwarf_Lines* lines = nullptr;
  size_t nlines = 0;
  if (dwarf_getsrclines(&cudie, &lines, &nlines) == 0) {
    bool readable = true;
    for (size_t i = 0; i < nlines && readable; ++i) {
      Dwarf_Line* l = dwarf_onesrcline(lines, i);
      Dwarf_Addr addr = 0;
      bool end_sequence = false;
      readable = l != nullptr && dwarf_lineaddr(l, &addr) == 0 &&
                 dwarf_lineendsequence(l, &end_sequence) == 0;
    }
    // An unreadable row: no lines for this unit, like a failed lookup.
    if (readable && nlines != 0) {
      index.lines = lines;
      index.nlines = nlines;
    }
  }
  std::vector<InlineRange> ranges;
  CollectInlines(&cudie, &cudie, -1, 0, index.inlines, ranges);
  // Flatten the nested ranges into pieces with one innermost inline each: outer ranges sort
  // before the ranges they contain (same start: longer first, then shallower), and a stack
  // holds the ranges open at the sweep position.
  std::sort(ranges.begin(), ranges.end(), [](const InlineRange& a, const InlineRange& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.end != b.end) return a.end > b.end;
    return a.depth < b.depth;
  });
  std::vector<InlineRange> open;
  uint64_t at = 0;
  auto emit = [&](uint64_t until, int32_t innermost) {
    if (until <= at) return;
    if (!index.pieces.empty() && index.pieces.back().innermost == innermost) {
      at = until;
      return;
    }
    index.pieces.push_back({at, innermost});
    at = until;
  };
  for (InlineRange r : ranges) {
    while (!open.empty() && open.back().end <= r.start) {
      emit(open.back().end, open.back().index);
      open.pop_back();
    }
    emit(r.start, open.empty() ? -1 : open.back().index);
    // Well-formed DWARF nests inlined ranges; clip one that overlaps its enclosing range.
    if (!open.empty() && r.end > open.back().end) r.end = open.back().end;
    if (r.end > r.start) open.push_back(r);
  }
  while (!open.empty()) {
    emit(open.back().end, open.back().index);
    open.pop_back();
  }
  emit(UINT64_MAX, -1);
  return index;
}

std::vector<SourceFrame> ElfBinary::Symbolize(uint64_t vaddr) const {
  std::vector<SourceFrame> frames;
  const Symbol* sym = FindSymbol(vaddr);
  if (sym == nullptr) {
    if (gopclntab_.has_value()) {
      if (auto go_frames = gopclntab_->Frames(vaddr); go_frames.ok()) {
        for (GoPclntab::Frame& f : *go_frames) {
          frames.push_back({std::move(f.function), std::move(f.file), f.line});
        }
      }
    }
    return frames;
  }
  std::optional<uint64_t> cu = dwarf_ != nullptr ? FindCu(vaddr) : std::nullopt;
  const CuIndex* index = cu.has_value() ? &IndexCu(*cu) : nullptr;
  if (index == nullptr || !index->valid) {
    // No DWARF here (a Go binary linked with -w): .gopclntab still has the lines and inlined
    // frames; the outermost frame keeps the symbol-table name, as with DWARF.
    if (gopclntab_.has_value()) {
      if (auto go_frames = gopclntab_->Frames(vaddr); go_frames.ok()) {
        for (GoPclntab::Frame& f : *go_frames) {
          frames.push_back({std::move(f.function), std::move(f.file), f.line});
        }
        frames.back().function = sym->name;
        return frames;
      }
    }
    frames.push_back({sym->name, "", 0});
    return frames;
  }
  // The line row for vaddr: the last row at or below it, unless that ends a sequence (the
  // lookup dwarf_getsrc_die does, over the same rows).
  std::string file;
  int64_t line = 0;
  if (index->nlines != 0) {
    // Every row was readable when the unit was indexed.
    auto row_addr = [index](size_t i) {
      Dwarf_Addr a = 0;
      dwarf_lineaddr(dwarf_onesrcline(index->lines, i), &a);
      return a;
    };
    size_t lo = 0, hi = index->nlines - 1;
    while (lo < hi) {
      const size_t mid = hi - (hi - lo) / 2;
      if (vaddr < row_addr(mid)) {
        hi = mid - 1;
      } else {
        lo = mid;
      }
    }
    Dwarf_Line* row = dwarf_onesrcline(index->lines, lo);
    bool end_sequence = false;
    dwarf_lineendsequence(row, &end_sequence);
    if (row_addr(lo) <= vaddr && !end_sequence) {
      if (const char* f = dwarf_linesrc(row, nullptr, nullptr); f != nullptr) file = f;
      int n = 0;
      dwarf_lineno(row, &n);
      line = n;
    }
  }
  // Inlined frames innermost first. Each is one frame whose position is the current line; its
  // call site (DW_AT_call_file/line) is the position in the next frame out.
  auto piece = std::upper_bound(index->pieces.begin(), index->pieces.end(), vaddr,
                                [](uint64_t a, const CuIndex::Piece& p) { return a < p.start; });
  int32_t inl = piece == index->pieces.begin() ? -1 : std::prev(piece)->innermost;
  for (size_t guard = 0; inl >= 0 && guard < index->inlines.size(); ++guard) {
    const CuInline& node = index->inlines[static_cast<size_t>(inl)];
    frames.push_back({node.name != nullptr ? node.name : "", file, line});
    line = node.call_line;
    if (!node.call_file.empty()) file = node.call_file;
    inl = node.parent;
  }
  frames.push_back({sym->name, std::move(file), line});
  return frames;
}

namespace {

// One kallsyms line: "ADDR TYPE NAME [module]". Only text symbols (t, T, w, W) are frames; an
// all-zero address means kptr_restrict hid it.
bool ParseKallsymsLine(std::string_view line, uint64_t* addr, std::string_view* name) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 + 3 > line.size()) return false;
  const char type = line[sp1 + 1];
  if (type != 't' && type != 'T' && type != 'w' && type != 'W') return false;
  std::string_view n = line.substr(sp1 + 3);
  n = n.substr(0, n.find_first_of("\t "));
  uint64_t a = 0;
  for (char c : line.substr(0, sp1)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    a = a << 4 | static_cast<uint64_t>(d);
  }
  if (a == 0 || n.empty()) return false;
  *addr = a;
  *name = n;
  return true;
}

// Two passes over the lines (`for_each_line(fn)` calls fn on each), so that only the symbols
// some wanted address falls in are ever held: /proc/kallsyms has 100k-200k entries, ~10 MB as
// strings, and a profile touches a few hundred of them. The first pass keeps addresses only.
template <typename ForEachLine>
std::vector<std::pair<uint64_t, std::string>> SelectKallsyms(
    const ForEachLine& for_each_line, const std::optional<std::span<const uint64_t>>& wanted) {
  std::vector<bool> keep;  // per text symbol, in file order
  if (wanted.has_value()) {
    std::vector<std::pair<uint64_t, uint32_t>> starts;  // address, ordinal
    for_each_line([&](std::string_view line) {
      uint64_t addr = 0;
      std::string_view name;
      if (ParseKallsymsLine(line, &addr, &name)) {
        starts.emplace_back(addr, static_cast<uint32_t>(starts.size()));
      }
    });
    std::stable_sort(starts.begin(), starts.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    keep.assign(starts.size(), false);
    for (uint64_t w : *wanted) {
      // The symbol Lookup would pick: the last of those starting at or below w.
      auto it = std::upper_bound(starts.begin(), starts.end(), w,
                                 [](uint64_t a, const auto& s) { return a < s.first; });
      if (it != starts.begin()) keep[std::prev(it)->second] = true;
    }
  }
  std::vector<std::pair<uint64_t, std::string>> symbols;
  size_t ordinal = 0;
  for_each_line([&](std::string_view line) {
    uint64_t addr = 0;
    std::string_view name;
    if (!ParseKallsymsLine(line, &addr, &name)) return;
    const size_t i = ordinal++;
    if (wanted.has_value() && (i >= keep.size() || !keep[i])) return;
    symbols.emplace_back(addr, std::string(name));
  });
  std::stable_sort(symbols.begin(), symbols.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return symbols;
}

}  // namespace

std::optional<KernelSymbols> KernelSymbols::Load(const std::string& path,
                                                 std::optional<std::span<const uint64_t>> wanted) {
  bool readable = true;
  auto for_each_line = [&](const auto& fn) {
    std::ifstream in(path);
    if (!in) {
      readable = false;
      return;
    }
    std::string line;
    while (std::getline(in, line)) fn(std::string_view(line));
  };
  KernelSymbols k;
  k.symbols_ = SelectKallsyms(for_each_line, wanted);
  if (!readable) return std::nullopt;
  // All addresses hidden (kptr_restrict): nothing to name frames with.
  if (k.symbols_.empty()) {
    bool any = false;
    for_each_line([&](std::string_view line) {
      uint64_t addr = 0;
      std::string_view name;
      any = any || ParseKallsymsLine(line, &addr, &name);
    });
    if (!any) return std::nullopt;
  }
  return k;
}

KernelSymbols KernelSymbols::Parse(std::string_view text,
                                   std::optional<std::span<const uint64_t>> wanted) {
  auto for_each_line = [text](const auto& fn) {
    std::string_view rest = text;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      fn(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  };
  KernelSymbols k;
  k.symbols_ = SelectKallsyms(for_each_line, wanted);
  return k;
}

std::string_view KernelSymbols::Lookup(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const auto& s) { return a < s.first; });
  if (it == symbols_.begin()) return {};
  return std::prev(it)->second;
}

std::string ElfBuildId(void* elf_handle) {
  Elf* elf = AsElf(elf_handle);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_NOTE) continue;
      std::string id = GnuBuildId(
          elf_getdata_rawchunk(elf, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_NHDR));
      if (!id.empty()) return id;
    }
  }
  // Go puts .note.gnu.build-id outside its PT_NOTE segment: look at note sections too.
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_NOTE) continue;
    std::string id = GnuBuildId(elf_getdata(scn, nullptr));
    if (!id.empty()) return id;
  }
  return {};
}

std::vector<BinaryCandidate> BinaryCandidates(const std::string& mapped_path,
                                              const std::string& recorded_build_id,
                                              const std::vector<std::string>& binaries,
                                              const std::string& symfs) {
  std::vector<BinaryCandidate> candidates;
  const std::string base = BaseName(mapped_path);
  for (const std::string& b : binaries) {
    if (BaseName(b) == base) candidates.push_back({b});
  }
  // Any other --binary may stand in when the recording names a build id to verify it by.
  if (!recorded_build_id.empty()) {
    for (const std::string& b : binaries) {
      if (BaseName(b) != base) candidates.push_back({b});
    }
  }
  // --symfs is where the binaries are: the recorded path, on this machine, is some other file.
  if (!symfs.empty()) {
    candidates.push_back({symfs + mapped_path});
    return candidates;
  }
  // The recorded path only when the user named no binaries: naming some says where they are.
  if (binaries.empty()) candidates.push_back({mapped_path, /*recorded_path=*/true});
  // perf record copies every binary it saw into its build-id cache (perf-buildid-cache(1)):
  // ~/.debug/.build-id/<first two hex digits>/<the rest>/elf, which outlives rebuilds and
  // deletions of the recorded path.
  const char* home = std::getenv("HOME");
  if (recorded_build_id.size() > 2 && home != nullptr && *home != '\0') {
    candidates.push_back({std::string(home) + "/.debug/.build-id/" +
                          recorded_build_id.substr(0, 2) + "/" + recorded_build_id.substr(2) +
                          "/elf"});
  }
  return candidates;
}

Status CheckCandidateFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(path + ": " + (errno == ELOOP ? std::string("a symlink loop")
                                                   : std::string(std::strerror(errno))));
  }
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISFIFO(st.st_mode)  ? "a FIFO"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device"
                       : S_ISDIR(st.st_mode) ? "a directory"
                                             : "a special file";
    return MakeError(path + ": not a regular file (" + what + ")");
  }
  // A recording names /proc/PID/exe for some processes; read now, that is whatever process has
  // the PID today, gcspike itself included (/proc/self/exe), whose symbols would name the
  // recorded frames wrongly. (A recorded real path of the gcspike binary is a recording of
  // gcspike, and fine.)
  struct stat self;
  if (path.rfind("/proc/", 0) == 0 && ::stat("/proc/self/exe", &self) == 0 &&
      self.st_dev == st.st_dev && self.st_ino == st.st_ino) {
    return MakeError(path + ": is this gcspike process itself, not the recorded binary");
  }
  return {};
}

Status VerifyCandidate(const BinaryCandidate& candidate, const std::string& file_build_id,
                       const RecordedFile& recorded, bool* unverified) {
  *unverified = false;
  if (!recorded.build_id.empty()) {
    if (file_build_id != recorded.build_id) {
      return MakeError(candidate.path + ": build id " +
                       (file_build_id.empty() ? "(none)" : file_build_id) +
                       " differs from the recorded " + recorded.build_id);
    }
    return {};
  }
  if (!candidate.recorded_path) return {};  // named by the user (--binary, --symfs)
  if (recorded.has_inode) {
    struct stat st;
    if (::stat(candidate.path.c_str(), &st) != 0) {
      return MakeError(candidate.path + ": " + std::strerror(errno));
    }
    // The inode decides. The device may legitimately differ: overlayfs (containers) reports
    // its own st_dev while the kernel records the underlying file system's.
    if (static_cast<uint64_t>(st.st_ino) != recorded.ino) {
      return MakeError(candidate.path + ": inode " + std::to_string(st.st_ino) +
                       " is not the recorded " + std::to_string(recorded.ino) + " (device " +
                       std::to_string(recorded.maj) + ":" + std::to_string(recorded.min) +
                       "): the file was replaced after the recording");
    }
    return {};
  }
  *unverified = true;
  return {};
}

const ElfBinary* BinaryCache::Get(const std::string& mapped_path, const RecordedFile& recorded,
                                  std::string* warning) {
  auto found = cache_.find(mapped_path);
  if (found != cache_.end()) return found->second.get();
  const std::vector<BinaryCandidate> candidates =
      BinaryCandidates(mapped_path, recorded.build_id, binaries_, symfs_);
  std::unique_ptr<ElfBinary> chosen;
  std::string chosen_path;
  std::string missing;                // the first candidate that does not exist
  std::vector<std::string> rejected;  // candidates that exist but are not usable
  bool unverified = false;
  for (const BinaryCandidate& c : candidates) {
    struct stat st;
    if (::stat(c.path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      if (missing.empty()) missing = c.path + ": " + std::strerror(errno);
      continue;  // not there (a dangling symlink included): the next candidate, quietly
    }
    if (Status ok = CheckCandidateFile(c.path); !ok.ok()) {
      rejected.push_back(ok.error().message);
      continue;
    }
    auto opened = ElfBinary::Open(c.path);
    if (!opened.ok()) {
      rejected.push_back(opened.error().message);
      continue;
    }
    if (Status ok = VerifyCandidate(c, (*opened)->build_id(), recorded, &unverified); !ok.ok()) {
      rejected.push_back(ok.error().message);
      continue;
    }
    chosen = std::move(opened).value();
    chosen_path = c.path;
    break;
  }
  std::string reasons;
  for (const std::string& r : rejected) reasons += (reasons.empty() ? "" : "; ") + r;
  if (warning != nullptr) {
    if (chosen == nullptr) {
      *warning = "no symbols for " + mapped_path + " (" +
                 (!reasons.empty() ? reasons : !missing.empty() ? missing : "no file to look in") +
                 "); its frames keep raw addresses (use --binary or --symfs)";
    } else if (!reasons.empty()) {
      *warning = "symbols for " + mapped_path + " from " + chosen_path + " (passed over: " +
                 reasons + ")";
    } else if (unverified) {
      *warning = "symbols for " + mapped_path + " from the file at that path, which could not "
                 "be verified to be the recorded one (the recording has neither a build id nor "
                 "an inode for it)";
    }
  }
  const ElfBinary* out = chosen.get();
  cache_.emplace(mapped_path, std::move(chosen));
  return out;
}

const ElfBinary* BinaryCache::RunningVdso(const std::string& recorded_build_id) {
  if (!vdso_.has_value()) {
    auto opened = ElfBinary::OpenRunningVdso();
    vdso_ = opened.ok() ? std::move(opened).value() : nullptr;
  }
  const ElfBinary* vdso = vdso_->get();
  if (vdso == nullptr || (!recorded_build_id.empty() && vdso->build_id() != recorded_build_id)) {
    return nullptr;
  }
  return vdso;
}

}  // namespace gcspike
