#include "symbolizer/go_pclntab.h"

#include <algorithm>
#include <cstdio>

#include "core/byte_cursor.h"
#include "core/hex.h"

namespace gcspike {
namespace {

constexpr uint32_t kMagicGo116 = 0xfffffffa;
constexpr uint32_t kMagicGo118 = 0xfffffff0;
constexpr uint32_t kMagicGo120 = 0xfffffff1;

// A pointer-sized little-endian header word (ptrSize is 4 or 8).
Result<uint64_t> ReadWord(ByteCursor& c, uint8_t ptr_size) {
  if (ptr_size == 4) {
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t v, c.u32le());
    return uint64_t{v};
  }
  return c.u64le();
}

Result<uint64_t> ReadField(ByteCursor& c, uint64_t size) {
  return size == 4 ? ReadWord(c, 4) : ReadWord(c, 8);
}

}  // namespace

Result<GoPclntab> GoPclntab::Parse(std::span<const uint8_t> data, uint64_t text_section_addr) {
  GoPclntab t;
  t.data_ = data;
  GCSPIKE_ASSIGN_OR_RETURN(const HeaderOffsets at, t.ReadHeader(text_section_addr));
  GCSPIKE_RETURN_IF_ERROR(t.CheckFunctionTable(at));
  return t;
}

// The header (docs/formats/elf-dwarf.md#gopclntab): magic, pads, quantum, pointer size, then
// pointer-sized counts and table offsets.
Result<GoPclntab::HeaderOffsets> GoPclntab::ReadHeader(uint64_t text_section_addr) {
  ByteCursor c(data_);
  GCSPIKE_ASSIGN_OR_RETURN(magic_, c.u32le());
  if (magic_ != kMagicGo116 && magic_ != kMagicGo118 && magic_ != kMagicGo120) {
    return MakeErrorAt(0, "unsupported .gopclntab magic " + Hex(magic_) +
                              " (want Go 1.16+: 0xfffffffa, 0xfffffff0 or 0xfffffff1)");
  }
  GCSPIKE_RETURN_IF_ERROR(c.skip(2));  // two zero pad bytes
  GCSPIKE_ASSIGN_OR_RETURN(uint8_t min_lc, c.u8());
  const uint64_t ptr_size_at = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(ptr_size_, c.u8());
  // minLC is the instruction size quantum: 1 (x86), 2 (s390x), 4 (arm/arm64/ppc/mips/riscv).
  if (min_lc != 1 && min_lc != 2 && min_lc != 4) {
    return MakeErrorAt(6, "bad .gopclntab instruction size quantum " + std::to_string(min_lc));
  }
  min_lc_ = min_lc;
  if (ptr_size_ != 4 && ptr_size_ != 8) {
    return MakeErrorAt(ptr_size_at, "bad .gopclntab pointer size " + std::to_string(ptr_size_));
  }
  HeaderOffsets at;
  at.nfunc = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(nfunc_, ReadWord(c, ptr_size_));
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t nfiles, ReadWord(c, ptr_size_));
  (void)nfiles;
  if (magic_ != kMagicGo116) {
    GCSPIKE_ASSIGN_OR_RETURN(text_start_, ReadWord(c, ptr_size_));
    if (text_start_ == 0) text_start_ = text_section_addr;
  }
  at.funcname = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(funcname_off_, ReadWord(c, ptr_size_));
  GCSPIKE_ASSIGN_OR_RETURN(cutab_off_, ReadWord(c, ptr_size_));
  GCSPIKE_ASSIGN_OR_RETURN(filetab_off_, ReadWord(c, ptr_size_));
  GCSPIKE_ASSIGN_OR_RETURN(pctab_off_, ReadWord(c, ptr_size_));
  at.pcln = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(pcln_off_, ReadWord(c, ptr_size_));
  return at;
}

// The tables the header points at lie inside the section, and the function table's PCs rise.
Status GoPclntab::CheckFunctionTable(const HeaderOffsets& at) {
  if (funcname_off_ > data_.size()) {
    return MakeErrorAt(at.funcname, "function name table offset " + std::to_string(funcname_off_) +
                                        " lies past the end of .gopclntab (" +
                                        std::to_string(data_.size()) + " bytes)");
  }
  field_size_ = magic_ == kMagicGo116 ? ptr_size_ : 4;
  // functab: nfunc (entry, funcoff) pairs plus the end entry.
  uint64_t fields = 0, functab_size = 0, functab_end = 0;
  if (!CheckedMul(nfunc_, 2, &fields) || !CheckedAdd(fields, 1, &fields) ||
      !CheckedMul(fields, field_size_, &functab_size) ||
      !CheckedAdd(pcln_off_, functab_size, &functab_end) || functab_end > data_.size()) {
    return MakeErrorAt(at.nfunc, "function table (" + std::to_string(nfunc_) +
                                     " functions at offset " + std::to_string(pcln_off_) +
                                     ", recorded at byte " + std::to_string(at.pcln) +
                                     ") runs past the end of .gopclntab (" +
                                     std::to_string(data_.size()) + " bytes)");
  }
  if (nfunc_ == 0) return MakeErrorAt(at.nfunc, ".gopclntab lists no functions");
  GCSPIKE_ASSIGN_OR_RETURN(min_pc_, EntryAt(0));
  GCSPIKE_ASSIGN_OR_RETURN(max_pc_, EntryAt(nfunc_));
  if (max_pc_ < min_pc_) {
    return MakeErrorAt(
        pcln_off_, "function table end " + Hex(max_pc_) + " lies below its start " + Hex(min_pc_));
  }
  return {};
}

Result<uint64_t> GoPclntab::EntryAt(uint64_t i) const {
  // Slot i's entry sits at pcln_off + 2*i*field (the end marker, i == nfunc, likewise).
  ByteCursor c(data_);
  GCSPIKE_RETURN_IF_ERROR(c.seek(pcln_off_ + 2 * i * field_size_));
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t entry, ReadField(c, field_size_));
  uint64_t pc = 0;  // text_start_ is 0 for absolute (1.16) entries
  if (!CheckedAdd(entry, text_start_, &pc)) {
    return MakeErrorAt(pcln_off_ + 2 * i * field_size_,
                       "function entry overflows the address space");
  }
  return pc;
}

Result<uint64_t> GoPclntab::FuncOffAt(uint64_t i) const {
  ByteCursor c(data_);
  GCSPIKE_RETURN_IF_ERROR(c.seek(pcln_off_ + (2 * i + 1) * field_size_));
  return ReadField(c, field_size_);
}

Result<std::pair<uint64_t, uint64_t>> GoPclntab::FindFunc(uint64_t pc) const {
  if (pc < min_pc_ || pc >= max_pc_) {
    return MakeError("address " + Hex(pc) + " lies outside the Go text " + Hex(min_pc_) + "-" +
                     Hex(max_pc_));
  }
  // Binary search for the last slot whose entry <= pc. Parse checked the table's extent, so
  // EntryAt cannot fail for i <= nfunc; errors are still propagated rather than assumed away.
  uint64_t lo = 0, hi = nfunc_;  // invariant: entry(lo) <= pc < entry(hi)
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t entry, EntryAt(mid));
    if (entry <= pc) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t entry, EntryAt(lo));
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t funcoff, FuncOffAt(lo));
  // _func: entry (uint32 offset for 1.18+, uintptr for 1.16), then nameOff int32.
  uint64_t func_at = 0;
  if (!CheckedAdd(pcln_off_, funcoff, &func_at) || func_at > data_.size()) {
    return MakeErrorAt(
        pcln_off_ + (2 * lo + 1) * field_size_,
        "function record offset " + std::to_string(funcoff) + " lies past the end of .gopclntab");
  }
  return std::make_pair(func_at, entry);
}

Result<std::string> GoPclntab::FunctionName(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(auto func, FindFunc(pc));
  const uint64_t func_at = func.first;
  ByteCursor f(data_);
  GCSPIKE_RETURN_IF_ERROR(f.seek(func_at));
  GCSPIKE_RETURN_IF_ERROR(f.skip(field_size_));
  const uint64_t name_field_at = f.offset();
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t name_off_raw, f.u32le());
  return NameAt(static_cast<int32_t>(name_off_raw), name_field_at);
}

Result<uint64_t> GoPclntab::FunctionEntry(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(auto func, FindFunc(pc));
  return func.second;
}

Result<int64_t> GoPclntab::StackDelta(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(auto func, FindFunc(pc));
  ByteCursor f(data_);
  GCSPIKE_RETURN_IF_ERROR(f.seek(func.first));
  // _func: entry, nameOff, args, deferreturn, then pcsp (docs/formats/elf-dwarf.md#gopclntab).
  GCSPIKE_RETURN_IF_ERROR(f.skip(field_size_ + 3 * 4));
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t pcsp, f.u32le());
  return PcValue(pcsp, func.second, pc);
}

Result<std::string> GoPclntab::CString(uint64_t name_at) const {
  ByteCursor n(data_);
  GCSPIKE_RETURN_IF_ERROR(n.seek(name_at));
  const std::span<const uint8_t> rest = n.rest();
  for (size_t len = 0; len < rest.size(); ++len) {
    if (rest[len] == 0) {
      if (len == 0) return MakeErrorAt(name_at, "empty name");
      return std::string(reinterpret_cast<const char*>(rest.data()), len);
    }
  }
  return MakeErrorAt(name_at, "name runs past the end of .gopclntab unterminated");
}

Result<int64_t> GoPclntab::PcValue(uint64_t table, uint64_t entry, uint64_t pc) const {
  uint64_t at = 0;
  if (table == 0 || !CheckedAdd(pctab_off_, table, &at)) {
    // The reference is relative to the pc-value tables, which start at pctab_off_.
    return MakeErrorAt(pctab_off_, "function names pc-value table " + std::to_string(table) +
                                       (table == 0 ? " (none)" : " (past the end)"));
  }
  ByteCursor c(data_);
  GCSPIKE_RETURN_IF_ERROR(c.seek(at));
  // Pairs of (zigzag value delta, pc delta / minLC) varints; the value starts at -1 and the
  // stream ends with a zero value delta (except as the very first byte).
  int64_t value = -1;
  uint64_t cur = entry;
  for (bool first = true;; first = false) {
    const uint64_t delta_at = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t uvdelta, c.uvarint());
    if (uvdelta == 0 && !first) return MakeErrorAt(delta_at, "pc-value table ends before the pc");
    const int64_t vdelta = (uvdelta & 1) != 0 ? -static_cast<int64_t>(uvdelta >> 1) - 1
                                              : static_cast<int64_t>(uvdelta >> 1);
    value += vdelta;
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t pcdelta, c.uvarint());
    uint64_t step = 0;
    if (!CheckedMul(pcdelta, min_lc_, &step) || !CheckedAdd(cur, step, &cur)) {
      return MakeErrorAt(delta_at, "pc-value table overflows the address space");
    }
    if (pc < cur) return value;
  }
}

Result<GoPclntab::FileLine> GoPclntab::SourceLine(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(FuncRecord f, ReadFunc(pc));
  return FileLineAt(f, pc);
}

namespace {

// moduledata word indexes (runtime/symtab.go): pcHeader, six slices (3 words each), findfunctab,
// minpc @20, maxpc, text..enoptrbss (10 words), [covctrs, ecovctrs: Go 1.20+], end, gcdata,
// gcbss, types, [typedesclen: Go 1.27], etypes, [itaboffset, itabsize: Go 1.27], rodata, gofunc.
// The pclntab magic did not change with the Go 1.27 fields, so for it both places are tried;
// the right one holds rodata then gofunc, both addresses in the binary with rodata <= gofunc.
constexpr uint64_t kModuleMinPcWord = 20;
constexpr uint64_t kModuleGofuncWordsGo118[] = {38};
constexpr uint64_t kModuleGofuncWordsGo120[] = {40, 43};
constexpr uint32_t kPcdataInlTreeIndex = 2;
constexpr uint32_t kFuncdataInlTree = 3;
// Go bounds inlining depth far below this; a deeper chain is a cycle in malformed data.
constexpr int kMaxInlineDepth = 100;

uint64_t Word(std::span<const uint8_t> b, uint64_t at, uint8_t ptr_size) {
  uint64_t v = 0;
  for (uint8_t i = 0; i < ptr_size; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

}  // namespace

bool GoPclntab::AttachMemory(std::vector<MemoryRegion> regions, uint64_t pclntab_vaddr,
                             uint64_t search_first) {
  regions_ = std::move(regions);
  std::sort(regions_.begin(), regions_.end(),
            [](const MemoryRegion& a, const MemoryRegion& b) { return a.vaddr < b.vaddr; });
  pclntab_vaddr_ = pclntab_vaddr;
  inline_trees_ = false;
  if (magic_ == kMagicGo116) {  // absolute funcdata pointers: nothing to find
    inline_trees_ = !regions_.empty();
    return inline_trees_;
  }
  // The region at `search_first` first: the others are megabytes of code and data, every page
  // of which the word-by-word search would read in.
  for (const MemoryRegion& r : regions_) {
    if (r.vaddr == search_first && FindModuledata(r)) return true;
  }
  for (const MemoryRegion& r : regions_) {
    if (r.vaddr != search_first && FindModuledata(r)) return true;
  }
  return false;
}

bool GoPclntab::FindModuledata(const MemoryRegion& r) {
  // The moduledata starts with a pointer to the pcHeader (.gopclntab's start); confirm a
  // candidate by its minpc, then take gofunc.
  const std::span<const uint64_t> gofunc_words =
      magic_ == kMagicGo118 ? std::span<const uint64_t>(kModuleGofuncWordsGo118)
                            : std::span<const uint64_t>(kModuleGofuncWordsGo120);
  const uint64_t needed = (gofunc_words.back() + 1) * ptr_size_;
  auto mapped = [&](uint64_t vaddr) { return ReadMemory(vaddr, 1).ok(); };
  const uint64_t misalign = r.vaddr % ptr_size_;
  const uint64_t first = misalign == 0 ? 0 : ptr_size_ - misalign;
  for (uint64_t at = first; at < r.bytes.size() && r.bytes.size() - at >= needed; at += ptr_size_) {
    if (Word(r.bytes, at, ptr_size_) != pclntab_vaddr_) continue;
    if (Word(r.bytes, at + kModuleMinPcWord * ptr_size_, ptr_size_) != min_pc_) continue;
    for (uint64_t word : gofunc_words) {
      const uint64_t rodata = Word(r.bytes, at + (word - 1) * ptr_size_, ptr_size_);
      const uint64_t gofunc = Word(r.bytes, at + word * ptr_size_, ptr_size_);
      if (rodata <= gofunc && mapped(rodata) && mapped(gofunc)) {
        gofunc_ = gofunc;
        inline_trees_ = true;
        return true;
      }
    }
  }
  return false;
}

Result<std::span<const uint8_t>> GoPclntab::ReadMemory(uint64_t vaddr, uint64_t n) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), vaddr,
                             [](uint64_t a, const MemoryRegion& r) { return a < r.vaddr; });
  if (it != regions_.begin()) {
    const MemoryRegion& r = *std::prev(it);
    const uint64_t off = vaddr - r.vaddr;
    if (off <= r.bytes.size() && n <= r.bytes.size() - off) return r.bytes.subspan(off, n);
  }
  return MakeError("address " + Hex(vaddr) + " (+" + std::to_string(n) +
                   " bytes) lies outside the binary's sections");
}

Result<GoPclntab::FuncRecord> GoPclntab::ReadFunc(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(auto func, FindFunc(pc));
  FuncRecord r;
  r.at = func.first;
  r.entry = func.second;
  ByteCursor f(data_);
  GCSPIKE_RETURN_IF_ERROR(f.seek(r.at));
  GCSPIKE_RETURN_IF_ERROR(f.skip(field_size_));
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t name_off, f.u32le());
  r.name_off = static_cast<int32_t>(name_off);
  GCSPIKE_RETURN_IF_ERROR(f.skip(3 * 4));  // args, deferreturn, pcsp
  GCSPIKE_ASSIGN_OR_RETURN(r.pcfile, f.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(r.pcln, f.u32le());
  const uint64_t npcdata_at = f.offset();
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t npcdata, f.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(r.cu_offset, f.u32le());
  if (magic_ == kMagicGo120) GCSPIKE_RETURN_IF_ERROR(f.skip(4));  // startLine
  GCSPIKE_RETURN_IF_ERROR(f.skip(3));  // funcID, flag (1.18+) or pad, pad
  GCSPIKE_ASSIGN_OR_RETURN(uint8_t nfuncdata, f.u8());
  const uint64_t pcdata_at = f.offset();
  if (npcdata > kPcdataInlTreeIndex) {
    GCSPIKE_RETURN_IF_ERROR(f.skip(kPcdataInlTreeIndex * 4));
    GCSPIKE_ASSIGN_OR_RETURN(r.inl_index_table, f.u32le());
  }
  if (!inline_trees_ || nfuncdata <= kFuncdataInlTree || r.inl_index_table == 0) return r;
  uint64_t funcdata_at = 0;
  if (!CheckedMul(uint64_t{npcdata}, 4, &funcdata_at) ||
      !CheckedAdd(funcdata_at, pcdata_at, &funcdata_at)) {
    return MakeErrorAt(npcdata_at, "pcdata count " + std::to_string(npcdata) + " is too large");
  }
  ByteCursor d(data_);
  if (magic_ == kMagicGo116) {
    // Pointer-sized entries, aligned in memory (the runtime pads by 4 on 64-bit).
    if (ptr_size_ == 8 && ((pclntab_vaddr_ + funcdata_at) & 4) != 0) funcdata_at += 4;
    GCSPIKE_RETURN_IF_ERROR(d.seek(funcdata_at));
    GCSPIKE_RETURN_IF_ERROR(d.skip(uint64_t{kFuncdataInlTree} * ptr_size_));
    GCSPIKE_ASSIGN_OR_RETURN(r.inl_tree_vaddr, ReadWord(d, ptr_size_));
  } else {
    GCSPIKE_RETURN_IF_ERROR(d.seek(funcdata_at));
    GCSPIKE_RETURN_IF_ERROR(d.skip(uint64_t{kFuncdataInlTree} * 4));
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t off, d.u32le());
    if (off != 0xffffffff && !CheckedAdd(gofunc_, off, &r.inl_tree_vaddr)) {
      return MakeErrorAt(funcdata_at, "inline tree address overflows");
    }
  }
  return r;
}

Result<std::string> GoPclntab::NameAt(int32_t name_off, uint64_t field_at) const {
  uint64_t name_at = 0;
  if (name_off < 0 || !CheckedAdd(funcname_off_, static_cast<uint64_t>(name_off), &name_at) ||
      name_at >= data_.size()) {
    return MakeErrorAt(field_at,
                       "function name offset " + std::to_string(name_off) + " is out of range");
  }
  return CString(name_at);
}

Result<GoPclntab::FileLine> GoPclntab::FileLineAt(const FuncRecord& f, uint64_t pc) const {
  FileLine out;
  GCSPIKE_ASSIGN_OR_RETURN(out.line, PcValue(f.pcln, f.entry, pc));
  GCSPIKE_ASSIGN_OR_RETURN(int64_t fileno, PcValue(f.pcfile, f.entry, pc));
  if (fileno < 0) return MakeErrorAt(f.at, "negative file number");
  uint64_t slot = 0, slot_at = 0;
  if (!CheckedAdd(f.cu_offset, static_cast<uint64_t>(fileno), &slot) ||
      !CheckedMul(slot, 4, &slot) || !CheckedAdd(cutab_off_, slot, &slot_at)) {
    return MakeErrorAt(f.at, "file index out of range");
  }
  ByteCursor cu(data_);
  GCSPIKE_RETURN_IF_ERROR(cu.seek(slot_at));
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t file_off, cu.u32le());
  uint64_t file_at = 0;
  if (file_off == 0xffffffff || !CheckedAdd(filetab_off_, file_off, &file_at)) {
    return MakeErrorAt(slot_at, "no file for this compile unit slot");
  }
  GCSPIKE_ASSIGN_OR_RETURN(out.file, CString(file_at));
  return out;
}

Result<std::vector<GoPclntab::Frame>> GoPclntab::Frames(uint64_t pc) const {
  GCSPIKE_ASSIGN_OR_RETURN(FuncRecord f, ReadFunc(pc));
  std::vector<Frame> frames;
  const uint64_t record_size = magic_ == kMagicGo120 ? 16 : 20;
  const uint64_t name_at = magic_ == kMagicGo120 ? 4 : 12;
  uint64_t at_pc = pc;
  for (int depth = 0; depth <= kMaxInlineDepth; ++depth) {
    Frame frame;
    if (auto where = FileLineAt(f, at_pc); where.ok()) {
      frame.file = std::move(where->file);
      frame.line = where->line;
    }
    int64_t index = -1;
    if (f.inl_tree_vaddr != 0) {
      GCSPIKE_ASSIGN_OR_RETURN(index, PcValue(f.inl_index_table, f.entry, at_pc));
    }
    if (index < 0) {
      GCSPIKE_ASSIGN_OR_RETURN(frame.function, NameAt(f.name_off, f.at + field_size_));
      frames.push_back(std::move(frame));
      return frames;
    }
    uint64_t record_at = 0;
    if (!CheckedMul(static_cast<uint64_t>(index), record_size, &record_at) ||
        !CheckedAdd(record_at, f.inl_tree_vaddr, &record_at)) {
      return MakeErrorAt(f.at, "inline tree index " + std::to_string(index) + " is too large");
    }
    GCSPIKE_ASSIGN_OR_RETURN(auto record, ReadMemory(record_at, record_size));
    ByteCursor c(record);
    GCSPIKE_RETURN_IF_ERROR(c.skip(name_at));
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t callee_name, c.u32le());
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t parent_pc_raw, c.u32le());
    const int32_t parent_pc = static_cast<int32_t>(parent_pc_raw);
    GCSPIKE_ASSIGN_OR_RETURN(frame.function,
                             NameAt(static_cast<int32_t>(callee_name), f.at + field_size_));
    frames.push_back(std::move(frame));
    if (parent_pc < 0 || !CheckedAdd(f.entry, static_cast<uint64_t>(parent_pc), &at_pc)) {
      return MakeErrorAt(f.at, "inline tree entry " + std::to_string(index) +
                                   " has a bad parent pc " + std::to_string(parent_pc));
    }
  }
  return MakeErrorAt(f.at, "inline tree for " + Hex(pc) + " is deeper than " +
                               std::to_string(kMaxInlineDepth) + " calls (a cycle?)");
}

}  // namespace gcspike
