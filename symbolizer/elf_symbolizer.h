// Addresses to function names and source lines for one ELF binary (executable, shared library
// or vDSO), a view of its ElfImage. Used by the perf.data reader, which only has raw
// instruction addresses plus the MMAP records saying which file was mapped where.
//
// Names come from the ELF symbol tables (.symtab, else .dynsym: what `perf script` shows);
// file:line and inlined frames come from DWARF (libdw). Go binaries built without -ldflags=-s
// carry both.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolizer/binary_locator.h"
#include "symbolizer/elf_image.h"

namespace gcspike {

// One source-level frame; a machine address yields several when code was inlined.
struct SourceFrame {
  std::string function;
  std::string file;  // empty when DWARF has no line for the address
  int64_t line = 0;
};

class ElfSymbolizer {
 public:
  explicit ElfSymbolizer(std::shared_ptr<const ElfImage> image);
  ~ElfSymbolizer();
  ElfSymbolizer(const ElfSymbolizer&) = delete;
  ElfSymbolizer& operator=(const ElfSymbolizer&) = delete;

  const ElfImage& image() const { return *image_; }
  bool has_symbols() const { return !image_->symbols().empty() || image_->gopclntab().has_value(); }
  bool has_dwarf() const { return dwarf_ != nullptr; }
  // The link-time virtual address of a file offset, via the PT_LOAD program header containing
  // it (the MMAP record gives addr/pgoff, so runtime address -> file offset -> this).
  std::optional<uint64_t> FileOffsetToVaddr(uint64_t file_offset) const {
    return image_->FileOffsetToVaddr(file_offset);
  }

  // Frames for a link-time address, innermost (inlined callee) first; empty when no symbol
  // covers the address. The outermost frame's name is the symbol-table name; for addresses no
  // ELF symbol covers (stripped Go binaries) the frames come from .gopclntab: names, file:line
  // from its pc-value tables, inlined frames from its inline trees; so do the file:line and
  // inlined frames of Go binaries with symbols but no DWARF (-ldflags=-w).
  std::vector<SourceFrame> Symbolize(uint64_t vaddr) const;

 private:
  struct CuRange {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t die_offset = 0;
  };
  // What Symbolize needs of one compile unit, extracted on the first lookup in it: walking the
  // DIE tree (dwarf_getscopes does that per address) costs a scan of the whole unit, and the Go
  // runtime is one unit of several MB, so per-address walks dominated symbolization.
  struct CuIndex;
  struct InlineIndex;
  // The DIE offset of the compile unit whose ranges contain vaddr; nullopt when none does.
  std::optional<uint64_t> FindCu(uint64_t vaddr) const;
  const CuIndex& IndexCu(uint64_t cu_die_offset) const;
  // The inlined calls under `scope` (a Dwarf_Die*, in the unit `cudie`), its children at
  // `depth`.
  static void IndexInlines(void* cudie, void* scope, int32_t depth, InlineIndex& index);
  static bool IndexSubprograms(void* cudie, CuIndex& index);
  // The index of the inlined calls that may cover vaddr, built on first use.
  const InlineIndex& InlinesAt(const CuIndex& index, uint64_t vaddr) const;

  std::shared_ptr<const ElfImage> image_;
  void* dwarf_ = nullptr;           // Dwarf* over image_'s Elf
  std::vector<CuRange> cu_ranges_;  // sorted by start
  // Built lazily by the const Symbolize: an ElfSymbolizer is not safe to share between threads.
  mutable std::unordered_map<uint64_t, std::unique_ptr<CuIndex>> cu_index_;  // by CU DIE offset
};

// ElfSymbolizers by the path an MMAP record names, over the images a BinaryLocator finds.
class ElfSymbolizerCache {
 public:
  explicit ElfSymbolizerCache(BinaryLocator& locator) : locator_(locator) {}
  // nullptr when no usable binary was found; `warning` gets the locator's sentence the first
  // time a path is asked for.
  const ElfSymbolizer* Get(const std::string& mapped_path, const RecordedFile& recorded,
                           std::string* warning);
  // The running kernel's vDSO, for a "[vdso]" mapping recorded with `recorded_build_id`
  // (empty: unknown, the caller vouches for the kernel); nullptr when unavailable or when the
  // build ids differ.
  const ElfSymbolizer* RunningVdso(const std::string& recorded_build_id);

 private:
  BinaryLocator& locator_;
  std::unordered_map<std::string, std::unique_ptr<ElfSymbolizer>> cache_;  // null: failed
  std::optional<std::unique_ptr<ElfSymbolizer>> vdso_;  // set on first use; null: none
};

}  // namespace gcspike
