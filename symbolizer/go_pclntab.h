// Function names for stripped Go binaries from the .gopclntab section, which the Go linker
// keeps even under -ldflags='-s -w' because the runtime itself needs it for tracebacks.
//
// Layout facts (Go runtime/symtab.go `pcHeader` and `_func`, debug/gosym): a header, then
// offsets (relative to the section start) to the function-name table and the function table.
// The function table is nfunc (entry, funcoff) pairs plus one final entry marking the end of
// the last function; funcoff points at a _func record whose first fields are the entry and the
// int32 offset of the NUL-terminated name in the name table.
//   Go 1.16-1.17 (magic 0xfffffffa): entries and funcoffs are pointer-sized, entries absolute.
//   Go 1.18-1.19 (0xfffffff0) and 1.20+ (0xfffffff1): a textStart field follows nfiles;
//     entries and funcoffs are uint32, entries relative to textStart.
// The section is untrusted input: Parse validates the header and the function table up front,
// names are read lazily and every read goes through ByteCursor.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

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

  uint32_t magic() const { return magic_; }
  uint64_t function_count() const { return nfunc_; }
  // [min_pc, max_pc): the text the table covers.
  uint64_t min_pc() const { return min_pc_; }
  uint64_t max_pc() const { return max_pc_; }

 private:
  // Entry PC of functab slot i (0 <= i <= nfunc; slot nfunc is the end marker).
  Result<uint64_t> EntryAt(uint64_t i) const;
  Result<uint64_t> FuncOffAt(uint64_t i) const;
  // Offset in the section of the _func record of the function containing pc, and its entry.
  Result<std::pair<uint64_t, uint64_t>> FindFunc(uint64_t pc) const;
  // The value of the pc-value table at pctab offset `table` for pc in a function at `entry`.
  Result<int64_t> PcValue(uint64_t table, uint64_t entry, uint64_t pc) const;
  Result<std::string> CString(uint64_t at) const;

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
  uint64_t pcln_off_ = 0;     // start of functab; funcoffs are relative to it
  uint64_t field_size_ = 0;   // size of one functab field: 4, or ptrSize for 1.16
  uint64_t min_pc_ = 0;
  uint64_t max_pc_ = 0;
};

}  // namespace gcspike
