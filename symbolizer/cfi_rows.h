// The DWARF unwinder's fast path (symbolizer/dwarf_unwinder.cc): x86-64 CFI rows computed
// from the CFI itself, with the results libunwind (Debian's 1.6.2, which remains the fallback)
// would give for the same bytes. An FDE is found in a search table, its CIE and FDE parsed, and
// the CFA program run up to an address (docs/formats/elf-dwarf.md#cfa-instructions) into a row:
// the CFA from rsp or rbp plus an offset, and where the return address and rbp are.
//
// Every construct this code does not reproduce exactly (expressions, signal frames, CIE versions
// and augmentations libunwind reads differently, CFA from other registers, ...) is
// kUnsupported: the caller then unwinds the whole sample with libunwind. kFailed is only for
// what libunwind certainly rejects (no table entry, an address outside the FDE's range, a
// zero-length FDE), so the unwind ends as libunwind's would.
//
// Bytes come from untrusted files: every read goes through CfiMemory (bounds-checked by it),
// no recursion, and programs, LEB128 numbers and the remember_state stack are capped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "symbolizer/elf_cfi.h"

namespace gcspike {

// The memory CFI is read from, as libunwind's access_mem callback serves it: aligned 8-byte
// words (libunwind reads every byte through the word that holds it).
class CfiMemory {
 public:
  virtual ~CfiMemory() = default;
  // The little-endian word at `aligned_address` (a multiple of 8); false if unreadable.
  virtual bool ReadWord(uint64_t aligned_address, uint64_t* out) = 0;
};

enum class CfiStatus { kOk, kFailed, kUnsupported };

// The largest number of CFA instructions run for one row, and of nested remember_state.
inline constexpr int kMaxCfaInstructions = 100000;
inline constexpr int kMaxRememberedStates = 64;

// The entry of a search table of {int32 start offset, int32 FDE offset} pairs sorted by start
// (.eh_frame_hdr's table, or the unwinder's own) whose start is the last one <= rel_ip:
// libunwind's binary search over `entries` pairs at `table`. kFailed when every start is above.
CfiStatus SearchCfiTable(CfiMemory& mem, uint64_t table, uint64_t entries, int32_t rel_ip,
                         int32_t* fde_offset);

// An FDE and its CIE (.eh_frame layout), as far as a row needs them (runtime addresses).
struct CfiFde {
  uint64_t start_ip = 0;
  uint64_t end_ip = 0;
  uint64_t cie_instructions = 0;  // [cie_instructions, cie_end)
  uint64_t cie_end = 0;
  uint64_t fde_instructions = 0;  // [fde_instructions, fde_end)
  uint64_t fde_end = 0;
  uint64_t code_align = 0;
  uint64_t data_align = 0;  // signed, as a two's complement 64-bit value
};

// Parses the FDE at `address` and its CIE. The FDE's range is not checked against an address.
CfiStatus ReadCfiFde(CfiMemory& mem, uint64_t address, CfiFde* fde);

// A row of the CFI table for x86-64: the registers that continue an unwind.
struct CfiRow {
  enum class Rule : uint8_t { kSame, kUndefined, kAtCfa };
  uint8_t cfa_register = 7;  // DWARF register number: 7 rsp, 6 rbp
  uint64_t cfa_offset = 0;   // added modulo 2^64
  Rule return_address = Rule::kAtCfa;
  uint64_t return_address_offset = 0;
  Rule rbp = Rule::kSame;
  uint64_t rbp_offset = 0;
};

// Runs the CIE's initial instructions, then the FDE's while the location they describe is <=
// `pc` (the sampled IP for the first frame, the return address minus one for callers).
CfiStatus EvaluateCfiRow(CfiMemory& mem, const CfiFde& fde, uint64_t pc, CfiRow* row);

// What the fast path found for one address of one binary: a row (kOk), no FDE covering it
// (kFailed: the unwind ends there), or kUnsupported (libunwind unwinds the sample).
struct CfiRowEntry {
  CfiStatus status = CfiStatus::kUnsupported;
  CfiSource source = CfiSource::kEhFrameHdr;
  const void* debug_file = nullptr;  // the separate debug file searched (an ElfImage), if any
  CfiRow row;
};

// Entries by (binary, link-time address): open addressing with linear probing, emptied when it
// is three quarters full, so memory stays bounded and a hot address costs one probe.
class CfiRowCache {
 public:
  explicit CfiRowCache(int capacity_log2 = 14);
  const CfiRowEntry* Find(const void* image, uint64_t vaddr) const;
  void Insert(const void* image, uint64_t vaddr, const CfiRowEntry& entry);
  void Clear();
  size_t size() const { return size_; }

 private:
  struct Slot {
    const void* image = nullptr;  // nullptr: empty
    uint64_t vaddr = 0;
    CfiRowEntry entry;
  };
  size_t Home(const void* image, uint64_t vaddr) const;
  std::vector<Slot> slots_;
  size_t size_ = 0;
  int shift_;
};

}  // namespace gcspike
