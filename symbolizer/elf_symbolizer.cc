#include "symbolizer/elf_symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace gcspike {
namespace {

Dwarf* AsDwarf(void* p) { return static_cast<Dwarf*>(p); }

// The source file named by a DW_AT_call_file index in the CU's file table.
std::string CallFile(Dwarf_Die* cudie, Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(scope, DW_AT_call_file, &attr) == nullptr || dwarf_formudata(&attr, &index) != 0) {
    return {};
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || index >= nfiles) return {};
  const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
  return name != nullptr ? name : "";
}

// A unit's source file name as a path that does not depend on the working directory: a relative
// name joined to the unit's absolute compilation directory, as addr2line and llvm-symbolizer give
// it; absolute names, and every name when comp_dir is empty (not absolute), stay as written.
std::string InCompDir(const std::string& comp_dir, std::string file) {
  if (file.empty() || file[0] == '/' || comp_dir.empty()) return file;
  return comp_dir + (comp_dir.back() == '/' ? "" : "/") + file;
}

int64_t CallLine(Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(scope, DW_AT_call_line, &attr) == nullptr || dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<int64_t>(line);
}

// Sections libdw reads as it opens a file that the lookups here never use: location lists,
// macros, and .debug_frame (the unwinder reads its own copy through libelf).
bool UnusedDwarfSection(std::string_view name) {
  if (name.rfind(".zdebug_", 0) == 0) name.remove_prefix(2);  // GNU-compressed ".zdebug_*"
  return name == ".debug_loc" || name == ".debug_loclists" || name == ".debug_frame" ||
         name == ".debug_macinfo" || name == ".debug_macro";
}

// dwarf_begin_elf inflates every compressed DWARF section it recognizes, which for a Go binary
// (compressed DWARF) was most of the time spent opening it; but it passes over sections flagged
// SHF_GROUP when it reads a file's own debug information. The unused sections are flagged so in
// libelf's copy of their headers for the open, and restored at once. A file that holds nothing
// else libdw accepts (say .debug_frame alone) is opened again as it is, as before.
Dwarf* OpenLookupDwarf(Elf* elf) {
  std::vector<std::pair<Elf_Scn*, GElf_Shdr>> hidden;
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (gelf_getshdr(scn, &sh) == nullptr || (sh.sh_flags & SHF_GROUP) != 0) continue;
      const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
      if (name == nullptr || !UnusedDwarfSection(name)) continue;
      GElf_Shdr flagged = sh;
      flagged.sh_flags |= SHF_GROUP;
      if (gelf_update_shdr(scn, &flagged) != 0) hidden.emplace_back(scn, sh);
    }
  }
  Dwarf* dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  for (auto& [scn, sh] : hidden) gelf_update_shdr(scn, &sh);
  if (dwarf == nullptr && !hidden.empty()) dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  return dwarf;
}

}  // namespace

ElfSymbolizer::ElfSymbolizer(std::shared_ptr<const ElfImage> image) : image_(std::move(image)) {
  dwarf_ = OpenLookupDwarf(static_cast<Elf*>(image_->elf()));
  if (dwarf_ == nullptr) return;  // no (usable) DWARF
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

ElfSymbolizer::~ElfSymbolizer() {
  if (dwarf_ != nullptr) dwarf_end(AsDwarf(dwarf_));
}

std::optional<uint64_t> ElfSymbolizer::FindCu(uint64_t vaddr) const {
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

// The inlined calls of a piece of text (a unit or a subprogram), cut into pieces that each
// have one innermost inlined_subroutine (-1: none); a piece reaches to the next one's start.
struct ElfSymbolizer::InlineIndex {
  std::vector<CuInline> inlines;
  struct Piece {
    uint64_t start = 0;
    int32_t innermost = -1;
  };
  std::vector<Piece> pieces;
};

struct ElfSymbolizer::CuIndex {
  bool valid = false;  // false: the CU DIE could not be read (Symbolize gives the symbol only)
  uint64_t die_offset = 0;
  // The unit's DW_AT_comp_dir when it is absolute: compilers write the files under it relative
  // to it (`gcc -g src/a.c`), and libdw gives those names as written.
  std::string comp_dir;
  // The unit's line table in libdw's order (sorted by address), as dwarf_getsrc_die sees it.
  // libdw keeps it for the Dwarf's lifetime anyway; it is searched in place rather than copied
  // (a Go runtime unit has a few hundred thousand rows).
  Dwarf_Lines* lines = nullptr;
  size_t nlines = 0;
  // The ranges of the unit's subprograms (sorted, disjoint; the DWARF of inlined code lies in
  // its subprogram's ranges), each subprogram's inlined calls indexed on the first lookup in it:
  // a profile touches a fraction of a unit's functions, and walking a function's DIEs is most of
  // the cost of indexing. Unused when `whole` is set.
  struct Range {
    uint64_t start = 0;
    uint64_t end = 0;
    uint32_t subprogram = 0;
  };
  std::vector<Range> ranges;
  std::vector<uint64_t> subprogram_offsets;                              // DIE offsets
  mutable std::vector<std::unique_ptr<InlineIndex>> subprogram_inlines;  // built on first use
  // The whole unit's inlined calls, indexed at once: when inlined code lies outside any
  // subprogram's ranges, or the subprograms' ranges overlap.
  std::unique_ptr<InlineIndex> whole;
  InlineIndex none;  // for addresses in no subprogram
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
                    std::vector<CuInline>& inlines, std::vector<InlineRange>& ranges) {
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

// .gopclntab's frames for vaddr, innermost first; false when there are none to add.
bool AppendGoFrames(const std::optional<GoPclntab>& gopclntab, uint64_t vaddr,
                    std::vector<SourceFrame>& frames) {
  if (!gopclntab.has_value()) return false;
  auto go_frames = gopclntab->Frames(vaddr);
  if (!go_frames.ok()) return false;
  for (GoPclntab::Frame& f : *go_frames) {
    frames.push_back({std::move(f.function), std::move(f.file), f.line});
  }
  return true;
}

// The line row for vaddr: the last row at or below it, unless that ends a sequence (the
// lookup dwarf_getsrc_die does, over the same rows). Every row is readable (checked when the
// unit was indexed). Leaves file and line alone when there is no such row.
void FindLineRow(Dwarf_Lines* lines, size_t nlines, uint64_t vaddr, std::string& file,
                 int64_t& line) {
  if (nlines == 0) return;
  auto row_addr = [lines](size_t i) {
    Dwarf_Addr a = 0;
    dwarf_lineaddr(dwarf_onesrcline(lines, i), &a);
    return a;
  };
  size_t lo = 0, hi = nlines - 1;
  while (lo < hi) {
    const size_t mid = hi - (hi - lo) / 2;
    if (vaddr < row_addr(mid)) {
      hi = mid - 1;
    } else {
      lo = mid;
    }
  }
  Dwarf_Line* row = dwarf_onesrcline(lines, lo);
  bool end_sequence = false;
  dwarf_lineendsequence(row, &end_sequence);
  if (row_addr(lo) <= vaddr && !end_sequence) {
    if (const char* f = dwarf_linesrc(row, nullptr, nullptr); f != nullptr) file = f;
    int n = 0;
    dwarf_lineno(row, &n);
    line = n;
  }
}

}  // namespace

// Flattens the nested ranges into pieces with one innermost inline each: outer ranges sort
// before the ranges they contain (same start: longer first, then shallower), and a stack holds
// the ranges open at the sweep position.
void ElfSymbolizer::IndexInlines(void* cudie_handle, void* scope_handle, int32_t depth,
                                 InlineIndex& index) {
  auto* cudie = static_cast<Dwarf_Die*>(cudie_handle);
  std::vector<InlineRange> ranges;
  CollectInlines(cudie, static_cast<Dwarf_Die*>(scope_handle), -1, depth, index.inlines, ranges);
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
}

// The ranges of the subprograms among the unit's children, or false when its inlined calls must
// be indexed as a whole: some lie outside those subprograms (under a namespace, say) or two
// subprograms' ranges overlap.
bool ElfSymbolizer::IndexSubprograms(void* cudie_handle, CuIndex& index) {
  auto* cudie = static_cast<Dwarf_Die*>(cudie_handle);
  Dwarf_Die child;
  if (dwarf_child(cudie, &child) != 0) return true;
  do {
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_inlined_subroutine) return false;  // inlined into no function
    if (!IsScope(tag) || dwarf_haschildren(&child) <= 0) continue;
    const size_t before = index.ranges.size();
    if (tag == DW_TAG_subprogram) {
      const auto subprogram = static_cast<uint32_t>(index.subprogram_offsets.size());
      Dwarf_Addr base = 0, start = 0, end = 0;
      ptrdiff_t it = 0;
      while ((it = dwarf_ranges(&child, it, &base, &start, &end)) > 0) {
        if (end > start) index.ranges.push_back({start, end, subprogram});
      }
      if (index.ranges.size() != before)
        index.subprogram_offsets.push_back(dwarf_dieoffset(&child));
    }
    if (index.ranges.size() == before) {
      // A scope with no code of its own (an abstract subprogram, a namespace): any inlined
      // calls under it need the whole unit's index.
      InlineIndex elsewhere;
      IndexInlines(cudie, &child, 1, elsewhere);
      if (!elsewhere.inlines.empty()) return false;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  std::sort(index.ranges.begin(), index.ranges.end(),
            [](const CuIndex::Range& a, const CuIndex::Range& b) { return a.start < b.start; });
  for (size_t i = 1; i < index.ranges.size(); ++i) {
    if (index.ranges[i].start < index.ranges[i - 1].end) return false;
  }
  index.subprogram_inlines.resize(index.subprogram_offsets.size());
  return true;
}

const ElfSymbolizer::CuIndex& ElfSymbolizer::IndexCu(uint64_t cu_die_offset) const {
  std::unique_ptr<CuIndex>& slot = cu_index_[cu_die_offset];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<CuIndex>();
  CuIndex& index = *slot;
  index.die_offset = cu_die_offset;
  Dwarf_Die cudie;
  if (dwarf_offdie(AsDwarf(dwarf_), cu_die_offset, &cudie) == nullptr) return index;
  index.valid = true;
  Dwarf_Attribute comp_dir;
  const char* dir = dwarf_formstring(dwarf_attr(&cudie, DW_AT_comp_dir, &comp_dir));
  if (dir != nullptr && dir[0] == '/') index.comp_dir = dir;
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
  if (!IndexSubprograms(&cudie, index)) {
    index.ranges.clear();
    index.subprogram_offsets.clear();
    index.whole = std::make_unique<InlineIndex>();
    IndexInlines(&cudie, &cudie, 0, *index.whole);
  }
  return index;
}

const ElfSymbolizer::InlineIndex& ElfSymbolizer::InlinesAt(const CuIndex& index,
                                                           uint64_t vaddr) const {
  if (index.whole != nullptr) return *index.whole;
  auto range = std::upper_bound(index.ranges.begin(), index.ranges.end(), vaddr,
                                [](uint64_t a, const CuIndex::Range& r) { return a < r.start; });
  if (range == index.ranges.begin() || vaddr >= std::prev(range)->end) return index.none;
  const uint32_t subprogram = std::prev(range)->subprogram;
  std::unique_ptr<InlineIndex>& inlines = index.subprogram_inlines[subprogram];
  if (inlines == nullptr) {
    inlines = std::make_unique<InlineIndex>();
    Dwarf_Die cudie, die;
    if (dwarf_offdie(AsDwarf(dwarf_), index.die_offset, &cudie) != nullptr &&
        dwarf_offdie(AsDwarf(dwarf_), index.subprogram_offsets[subprogram], &die) != nullptr) {
      IndexInlines(&cudie, &die, 1, *inlines);
    }
  }
  return *inlines;
}

std::vector<SourceFrame> ElfSymbolizer::Symbolize(uint64_t vaddr) const {
  std::vector<SourceFrame> frames;
  const ElfImage::Symbol* sym = image_->FindSymbol(vaddr);
  const std::optional<GoPclntab>& gopclntab = image_->gopclntab();
  if (sym == nullptr) {
    AppendGoFrames(gopclntab, vaddr, frames);
    return frames;
  }
  std::optional<uint64_t> cu = dwarf_ != nullptr ? FindCu(vaddr) : std::nullopt;
  const CuIndex* index = cu.has_value() ? &IndexCu(*cu) : nullptr;
  if (index == nullptr || !index->valid) {
    // No DWARF here (a Go binary linked with -w): .gopclntab still has the lines and inlined
    // frames; the outermost frame keeps the symbol-table name, as with DWARF.
    if (AppendGoFrames(gopclntab, vaddr, frames)) {
      frames.back().function = sym->name;
      return frames;
    }
    frames.push_back({sym->name, "", 0});
    return frames;
  }
  std::string file;
  int64_t line = 0;
  FindLineRow(index->lines, index->nlines, vaddr, file, line);
  file = InCompDir(index->comp_dir, std::move(file));
  // Inlined frames innermost first. Each is one frame whose position is the current line; its
  // call site (DW_AT_call_file/line) is the position in the next frame out.
  const InlineIndex& inlines = InlinesAt(*index, vaddr);
  auto piece =
      std::upper_bound(inlines.pieces.begin(), inlines.pieces.end(), vaddr,
                       [](uint64_t a, const InlineIndex::Piece& p) { return a < p.start; });
  int32_t inl = piece == inlines.pieces.begin() ? -1 : std::prev(piece)->innermost;
  for (size_t guard = 0; inl >= 0 && guard < inlines.inlines.size(); ++guard) {
    const CuInline& node = inlines.inlines[static_cast<size_t>(inl)];
    frames.push_back({node.name != nullptr ? node.name : "", file, line});
    line = node.call_line;
    if (!node.call_file.empty()) file = InCompDir(index->comp_dir, node.call_file);
    inl = node.parent;
  }
  frames.push_back({sym->name, std::move(file), line});
  return frames;
}

const ElfSymbolizer* ElfSymbolizerCache::Get(const std::string& mapped_path,
                                             const RecordedFile& recorded, std::string* warning) {
  auto found = cache_.find(mapped_path);
  if (found != cache_.end()) return found->second.get();
  std::shared_ptr<ElfImage> image = locator_.Find(mapped_path, recorded, warning);
  auto& slot = cache_[mapped_path];
  if (image != nullptr) slot = std::make_unique<ElfSymbolizer>(std::move(image));
  return slot.get();
}

const ElfSymbolizer* ElfSymbolizerCache::RunningVdso(const std::string& recorded_build_id) {
  if (!vdso_.has_value()) {
    auto opened = ElfImage::OpenRunningVdso();
    vdso_ = opened.ok() ? std::make_unique<ElfSymbolizer>(std::move(opened).value()) : nullptr;
  }
  const ElfSymbolizer* vdso = vdso_->get();
  if (vdso == nullptr ||
      (!recorded_build_id.empty() && vdso->image().build_id() != recorded_build_id)) {
    return nullptr;
  }
  return vdso;
}

}  // namespace gcspike
