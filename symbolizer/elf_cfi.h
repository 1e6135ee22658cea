// Call frame information of one ELF file, as the DWARF unwinder searches it: the sources a
// binary may carry (docs/formats/elf-dwarf.md#call-frame-information) and the sorted search
// tables built over the ones that come without one. Pure functions over section bytes; the
// ElfImage finds the sections and keeps the tables.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace gcspike {

// Where the FDE that unwound a frame came from.
enum class CfiSource : int {
  kEhFrameHdr = 0,         // .eh_frame through the linker's .eh_frame_hdr table
  kEhFrame = 1,            // .eh_frame through a table we built (no usable .eh_frame_hdr)
  kDebugFrame = 2,         // .debug_frame of the binary itself
  kSeparateDebugFile = 3,  // .eh_frame or .debug_frame of its separate debug file
};
inline constexpr int kCfiSourceCount = 4;
std::string_view CfiSourceName(CfiSource source);

// One FDE of a .debug_frame section (32-bit DWARF format, 8-byte addresses): its offset, its
// CIE's offset and the code range it covers (link-time).
struct DebugFrameFde {
  uint64_t initial_location = 0;
  uint64_t address_range = 0;
  uint32_t offset = 0;
  uint32_t cie_offset = 0;
};

// The FDEs of a decompressed .debug_frame, sorted by initial_location
// (docs/formats/elf-dwarf.md#debug-frame). FDEs whose CIE does not precede them, or lies
// outside the section, and 64-bit-format entries are skipped; a length running past the end
// ends the scan.
std::vector<DebugFrameFde> IndexDebugFrame(std::span<const uint8_t> section);

// One FDE of an .eh_frame section: the code range it covers and where the FDE starts, all
// link-time addresses.
struct EhFrameFde {
  uint64_t initial_location = 0;
  uint64_t address_range = 0;
  uint64_t fde_vaddr = 0;
};

// The FDEs of an .eh_frame section loaded at `section_vaddr`, sorted by initial_location
// (docs/formats/elf-dwarf.md#eh-frame): what .eh_frame_hdr's table would hold, for binaries
// linked without one (gcc -static). FDEs whose CIE cannot be read, whose pointer encoding is
// not one an unwinder can resolve from the section alone (absolute or pc-relative), or whose
// range is empty are skipped; a length running past the end, or a zero terminator, ends it.
std::vector<EhFrameFde> IndexEhFrame(std::span<const uint8_t> section, uint64_t section_vaddr);

// The binary-search table libunwind reads for UNW_INFO_FORMAT_IP_OFFSET: {int32 start - ip_base,
// int32 FDE - segbase} pairs sorted by start, for FDEs sorted by initial_location. Entries
// whose offsets do not fit in 32 bits end the table. *ip_end gets the end of the highest range.
std::vector<uint8_t> EhFrameSearchTable(std::span<const EhFrameFde> fdes, uint64_t ip_base,
                                        uint64_t segbase, uint64_t* ip_end);

// The CFI of one file (link-time addresses; spans view the file's section data).
struct CfiTables {
  // .eh_frame_hdr with the one layout libunwind searches (version 1, 4-byte eh_frame_ptr,
  // udata4 count, datarel sdata4 table); 0 when absent or unusable.
  uint64_t eh_frame_hdr_vaddr = 0;
  uint64_t eh_frame_hdr_fde_count = 0;
  // .eh_frame (PROGBITS): its address and bytes, and, only when there is no usable
  // .eh_frame_hdr, the FDEs we indexed ourselves.
  uint64_t eh_frame_vaddr = 0;
  std::span<const uint8_t> eh_frame;
  std::vector<EhFrameFde> eh_frame_fdes;
  // .debug_frame (decompressed) and its FDEs.
  std::vector<uint8_t> debug_frame;
  std::vector<DebugFrameFde> debug_frame_fdes;

  bool empty() const {
    return eh_frame_hdr_fde_count == 0 && eh_frame_fdes.empty() && debug_frame_fdes.empty();
  }
};

}  // namespace gcspike
