// One ELF file (executable, shared library, vDSO or separate debug file), opened and indexed
// once: its PT_LOAD segments, GNU build id, symbols, Go .gopclntab, .gnu_debuglink and, on first
// use, its call frame information. The symbolizer (ElfSymbolizer) and the DWARF unwinder both
// work on it; BinaryLocator finds it.
//
// Everything read here comes from untrusted files: every offset and length is checked.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "symbolizer/elf_cfi.h"
#include "symbolizer/go_pclntab.h"

namespace gcspike {

class ElfImage {
 public:
  // Opens and indexes `path`: only regular files (a FIFO would block, /dev/zero never ends),
  // mapped privately by a mapping registered against SIGBUS (core/mapped_regions.h). Errors
  // name the file (the caller turns them into warnings), except a file cut short while it was
  // opened: FileShrankError, at the cut (the caller fails the read, see CheckNotShrunk).
  static Result<std::shared_ptr<ElfImage>> Open(const std::string& path);
  // The same for an ELF image in memory (copied; fuzzing, the vDSO).
  static Result<std::shared_ptr<ElfImage>> OpenMemory(std::span<const uint8_t> image);
  // This process's vDSO (getauxval(AT_SYSINFO_EHDR)): the running kernel's.
  static Result<std::shared_ptr<ElfImage>> OpenRunningVdso();
  ~ElfImage();
  ElfImage(const ElfImage&) = delete;
  ElfImage& operator=(const ElfImage&) = delete;

  const std::string& path() const { return path_; }  // empty for in-memory images

  // Ok, or FileShrankError when this file, or its separate debug file (or a candidate for it),
  // was found cut short by another process while it was mapped: the bytes past the cut read as
  // zeros, so anything made of them may be wrong. Whoever used the image asks before trusting
  // what it made (BinaryLocator::CheckNotShrunk).
  Status CheckNotShrunk() const;
  void* elf() const { return elf_; }  // Elf*, owned
  // Lower-case hex of the NT_GNU_BUILD_ID note, empty when the binary has none.
  const std::string& build_id() const { return build_id_; }

  struct Symbol {
    uint64_t start = 0;
    uint64_t size = 0;
    std::string name;
  };
  // Function symbols of .symtab, else .dynsym (what `perf script` shows), sorted by start.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  // The symbol covering a link-time address (a zero-sized one reaches to the next).
  const Symbol* FindSymbol(uint64_t vaddr) const;
  const std::optional<GoPclntab>& gopclntab() const { return gopclntab_; }

  // Link-time address <-> file offset through the PT_LOAD segments.
  std::optional<uint64_t> FileOffsetToVaddr(uint64_t offset) const;
  std::optional<uint64_t> VaddrToFileOffset(uint64_t vaddr) const;
  std::span<const uint8_t> file() const { return file_; }  // the whole file, mapped
  // 8 bytes of the file at `offset` (little-endian); false when they are not all in the file.
  bool ReadFileWord(uint64_t offset, uint64_t* out) const;

  // Whether a link-time address lies in one of the Go runtime functions that switch stacks or
  // start one (runtime.systemstack, mcall, morestack, mstart, rt0_go, goexit; found by name in
  // .symtab). CFI for such a frame describes the other stack, which perf did not copy.
  bool IsStackBoundary(uint64_t vaddr) const;

  // Whether a link-time address lies in a PLT section (.plt, .iplt, .plt.sec, .plt.got): stubs
  // that jump on without touching the stack, which static links leave without CFI.
  bool IsPlt(uint64_t vaddr) const;

  // The call frame information, indexed on the first call (the unwinder's; the symbolizer
  // never needs it): .eh_frame_hdr, .eh_frame with our own table when there is no usable
  // header, and .debug_frame (decompressed).
  const CfiTables& Cfi() const;

  // .gnu_debuglink: the debug file's name and the CRC-32 of its contents (empty: none).
  const std::string& debuglink() const { return debuglink_; }
  uint32_t debuglink_crc() const { return debuglink_crc_; }
  // The separate debug file holding what this one was stripped of, found and checked on the
  // first call by FindDebugFile (binary_locator.h) under `debug_root` (set by the locator);
  // nullptr when there is none.
  const ElfImage* DebugFile() const;
  void set_debug_root(std::string root) { debug_root_ = std::move(root); }

 private:
  ElfImage() = default;
  // Opens path_, maps it (map_, region_) and hands the mapping to libelf (elf_).
  Status OpenFile();
  // Reads the program headers, build id, symbols, .gopclntab and .gnu_debuglink of elf_.
  void Index();
  void IndexSymbols(void* symtab_scn);
  void IndexGopclntab(void* gopclntab_scn, uint64_t text_addr, uint64_t moduledata_section);
  void IndexCfi(CfiTables& cfi) const;

  struct Segment {
    uint64_t offset = 0;
    uint64_t filesz = 0;
    uint64_t vaddr = 0;
  };
  std::string path_;
  int fd_ = -1;
  void* map_ = nullptr;  // the file, when mapped here and registered (region_)
  size_t map_len_ = 0;   // the file's size when it was opened
  int region_ = -1;
  std::vector<uint8_t> image_;  // OpenMemory's copy, which elf_ reads
  void* elf_ = nullptr;         // Elf*
  std::span<const uint8_t> file_;
  std::string build_id_;
  std::vector<Segment> segments_;
  std::vector<Symbol> symbols_;
  std::optional<GoPclntab> gopclntab_;                           // views section data owned by elf_
  std::vector<std::pair<uint64_t, uint64_t>> stack_boundaries_;  // [start, end) link-time
  std::vector<std::pair<uint64_t, uint64_t>> plt_;               // [start, end) link-time
  std::string debuglink_;
  uint32_t debuglink_crc_ = 0;
  std::string debug_root_ = "/usr/lib/debug";
  // Built lazily by const accessors: an ElfImage is not safe to share between threads.
  mutable std::unique_ptr<CfiTables> cfi_;
  mutable std::optional<std::shared_ptr<ElfImage>> debug_file_;
  mutable std::optional<Error> debug_cut_;  // a debug file candidate found cut short
};

// The GNU build id of an open ELF (an Elf*), lower-case hex, empty when it has none: from the
// PT_NOTE segments, else from note sections (Go puts its note outside PT_NOTE).
std::string ElfBuildId(void* elf);

}  // namespace gcspike
