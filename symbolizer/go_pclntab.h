// Function names for stripped Go binaries from the .gopclntab section, which the Go linker
// keeps even under -ldflags='-s -w' because the runtime itself needs it for tracebacks.
//
// Layout (docs/formats/elf-dwarf.md#gopclntab; Go's runtime/symtab.go `pcHeader` and `_func`): a
// header, then offsets (relative to the section start) to the function-name table and the function
// table. The function table is nfunc (entry, funcoff) pairs plus one final entry marking the end of
// the last function; funcoff points at a _func record whose first fields are the entry and the
// int32 offset of the NUL-terminated name in the name table.
//   Go 1.16-1.17 (magic 0xfffffffa): entries and funcoffs are pointer-sized, entries absolute.
//   Go 1.18-1.19 (0xfffffff0) and 1.20+ (0xfffffff1): a textStart field follows nfiles;
//     entries and funcoffs are uint32, entries relative to textStart.
// Inline trees (runtime/symtabinl.go, runtime/symtab.go funcdata): a _func's pcdata array
// (npcdata uint32 offsets into pctab) follows its fixed fields; pcdata[2] (PCDATA_InlTreeIndex)
// maps a pc to an index in the function's inline tree, -1 for code of the function itself.
// The tree is funcdata[3] (FUNCDATA_InlTree): an array of inlinedCall records in go:func.*,
// which is not part of the pcHeader's tables (it sits in .rodata, or after the tables inside
// the .gopclntab section with Go 1.26 linkers), so reading it needs the mapped sections:
//   Go 1.16-1.17: funcdata is [nfuncdata]uintptr of absolute addresses, 8-aligned on 64-bit.
//   Go 1.18+: funcdata is [nfuncdata]uint32 offsets from moduledata.gofunc (^0: none); the
//     moduledata is found as the word that points at .gopclntab (its first field, pcHeader).
//   inlinedCall, Go 1.16-1.19 (20 bytes): parent int16, funcID, pad, file int32, line int32,
//     nameOff int32 @12, parentPc int32 @16.  Go 1.20+ (16 bytes): funcID, pad[3],
//     nameOff int32 @4, parentPc int32 @8, startLine int32.
// The frame for an inlined pc is the tree entry's function at that pc's file:line; the next
// frame out is at entry + parentPc, looked up again, until the index is -1 (the physical
// function). The _func fixed fields: entry, nameOff, args, deferreturn, pcsp, pcfile, pcln,
// npcdata, cuOffset (uint32 each after the entry), startLine int32 (1.20+ only), then four
// bytes ending with nfuncdata.
// The section is untrusted input: Parse validates the header and the function table up front,
// names are read lazily and every read goes through ByteCursor.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace gcspike {

class GoPclntab {
 public:
  // `data` must outlive the returned table (it keeps a view, not a copy). Recent linkers (seen
  // with Go 1.26) leave the header's textStart 0 in the file, the runtime taking the text base
  // from its module data instead; `text_section_addr` (the ELF .text address, which is where
  // runtime.text sits) is used as the base then.
  static Result<GoPclntab> Parse(std::span<const uint8_t> data, uint64_t text_section_addr = 0);

  // The function containing the link-time address pc; an error when pc lies outside every
  // function or the record for it is malformed (errors name the byte offset in the section).
  Result<std::string> FunctionName(uint64_t pc) const;

  // The source file and line of pc from the function's pcfile/pcline tables (varint-delta
  // pc-value streams in pctab; the file number indexes the function's compile unit in cutab,
  // which gives an offset into filetab). An error when the tables are absent or malformed.
  struct FileLine {
    std::string file;
    int64_t line = 0;
  };
  Result<FileLine> SourceLine(uint64_t pc) const;

  // Mapped sections of the binary (link-time address and bytes), for the inline trees.
  struct MemoryRegion {
    uint64_t vaddr = 0;
    std::span<const uint8_t> bytes;  // must outlive the table
  };
  // Makes Frames report inlined calls: `regions` are the binary's loaded sections,
  // `pclntab_vaddr` the address of .gopclntab. False (and Frames gives physical functions
  // only) when the Go 1.18+ moduledata cannot be found in the regions. The region starting at
  // `search_first` (the section the Go linker puts the moduledata in) is searched first.
  bool AttachMemory(std::vector<MemoryRegion> regions, uint64_t pclntab_vaddr,
                    uint64_t search_first = 0);
  bool has_inline_trees() const { return inline_trees_; }

  // The frames at pc, innermost (inlined callee) first, the function containing pc last; each
  // with the file:line of its position (empty/0 when the line tables lack it). An error when
  // pc lies outside every function or its record is malformed.
  struct Frame {
    std::string function;
    std::string file;
    int64_t line = 0;
  };
  Result<std::vector<Frame>> Frames(uint64_t pc) const;

  // The entry of the function containing pc; an error when pc lies outside every function.
  Result<uint64_t> FunctionEntry(uint64_t pc) const;
  // The function's stack-pointer delta at pc from its pcsp table: the bytes it has pushed or
  // allocated below its return address there, 0 where it has no frame (at its entry, in a
  // function without one, after its epilogue). An error when the table is absent or malformed.
  Result<int64_t> StackDelta(uint64_t pc) const;

  uint32_t magic() const { return magic_; }
  uint64_t function_count() const { return nfunc_; }
  // [min_pc, max_pc): the text the table covers.
  uint64_t min_pc() const { return min_pc_; }
  uint64_t max_pc() const { return max_pc_; }

 private:
  // Where Parse found the header fields its errors name.
  struct HeaderOffsets {
    uint64_t nfunc = 0, funcname = 0, pcln = 0;
  };
  Result<HeaderOffsets> ReadHeader(uint64_t text_section_addr);
  Status CheckFunctionTable(const HeaderOffsets& at);
  // Entry PC of functab slot i (0 <= i <= nfunc; slot nfunc is the end marker).
  Result<uint64_t> EntryAt(uint64_t i) const;
  Result<uint64_t> FuncOffAt(uint64_t i) const;
  // Offset in the section of the _func record of the function containing pc, and its entry.
  Result<std::pair<uint64_t, uint64_t>> FindFunc(uint64_t pc) const;
  // The value of the pc-value table at pctab offset `table` for pc in a function at `entry`.
  Result<int64_t> PcValue(uint64_t table, uint64_t entry, uint64_t pc) const;
  Result<std::string> CString(uint64_t at) const;
  // The _func fields Frames needs.
  struct FuncRecord {
    uint64_t at = 0;  // offset of the _func in the section
    uint64_t entry = 0;
    int32_t name_off = 0;
    uint32_t pcfile = 0;
    uint32_t pcln = 0;
    uint32_t cu_offset = 0;
    uint32_t inl_index_table = 0;  // pcdata[PCDATA_InlTreeIndex], 0: none
    uint64_t inl_tree_vaddr = 0;   // funcdata[FUNCDATA_InlTree], 0: none
  };
  Result<FuncRecord> ReadFunc(uint64_t pc) const;
  Result<std::string> NameAt(int32_t name_off, uint64_t field_at) const;
  Result<FileLine> FileLineAt(const FuncRecord& f, uint64_t pc) const;
  // `n` bytes at link-time address vaddr from the attached regions.
  Result<std::span<const uint8_t>> ReadMemory(uint64_t vaddr, uint64_t n) const;
  // Finds the moduledata in one region (AttachMemory); sets gofunc_ and inline_trees_.
  bool FindModuledata(const MemoryRegion& r);

  std::span<const uint8_t> data_;
  uint32_t magic_ = 0;
  uint8_t ptr_size_ = 0;
  uint8_t min_lc_ = 1;
  uint64_t cutab_off_ = 0;
  uint64_t filetab_off_ = 0;
  uint64_t pctab_off_ = 0;
  uint64_t nfunc_ = 0;
  uint64_t text_start_ = 0;  // 0 for the 1.16 layout (absolute entries)
  uint64_t funcname_off_ = 0;
  uint64_t pcln_off_ = 0;    // start of functab; funcoffs are relative to it
  uint64_t field_size_ = 0;  // size of one functab field: 4, or ptrSize for 1.16
  uint64_t min_pc_ = 0;
  uint64_t max_pc_ = 0;
  std::vector<MemoryRegion> regions_;
  uint64_t pclntab_vaddr_ = 0;
  uint64_t gofunc_ = 0;  // moduledata.gofunc (1.18+)
  bool inline_trees_ = false;
};

}  // namespace gcspike
