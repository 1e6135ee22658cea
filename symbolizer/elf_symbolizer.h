// Addresses to function names and source lines for one ELF binary (executable or shared
// library), and kernel addresses via /proc/kallsyms. Used by the perf.data reader, which only
// has raw instruction addresses plus the MMAP records saying which file was mapped where.
//
// Names come from the ELF symbol tables (.symtab, else .dynsym: what `perf script` shows);
// file:line and inlined frames come from DWARF (libdw). Go binaries built without -ldflags=-s
// carry both.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "symbolizer/go_pclntab.h"

namespace gcspike {

// One source-level frame; a machine address yields several when code was inlined.
struct SourceFrame {
  std::string function;
  std::string file;  // empty when DWARF has no line for the address
  int64_t line = 0;
};

class ElfBinary {
 public:
  // Opens and indexes `path`. Errors name the file (the caller turns them into warnings).
  static Result<std::unique_ptr<ElfBinary>> Open(const std::string& path);
  // The same for an ELF image in memory (copied; fuzzing, the vDSO).
  static Result<std::unique_ptr<ElfBinary>> OpenMemory(std::span<const uint8_t> image);
  // This process's vDSO (getauxval(AT_SYSINFO_EHDR)): the running kernel's.
  static Result<std::unique_ptr<ElfBinary>> OpenRunningVdso();
  ~ElfBinary();
  ElfBinary(const ElfBinary&) = delete;
  ElfBinary& operator=(const ElfBinary&) = delete;

  // Lower-case hex of the NT_GNU_BUILD_ID note, empty when the binary has none.
  const std::string& build_id() const { return build_id_; }
  bool has_symbols() const { return !symbols_.empty() || gopclntab_.has_value(); }
  bool has_dwarf() const { return dwarf_ != nullptr; }

  // The link-time virtual address of a file offset, via the PT_LOAD program header containing
  // it (the MMAP record gives addr/pgoff, so runtime address -> file offset -> this).
  std::optional<uint64_t> FileOffsetToVaddr(uint64_t file_offset) const;

  // Frames for a link-time address, innermost (inlined callee) first; empty when no symbol
  // covers the address. The outermost frame's name is the symbol-table name; for addresses no
  // ELF symbol covers (stripped Go binaries) the frames come from .gopclntab: names, file:line
  // from its pc-value tables, inlined frames from its inline trees; so do the file:line and
  // inlined frames of Go binaries with symbols but no DWARF (-ldflags=-w).
  std::vector<SourceFrame> Symbolize(uint64_t vaddr) const;

 private:
  ElfBinary() = default;
  // Reads the program headers, symbols, .gopclntab and the DWARF unit ranges of elf_.
  void Index();
  struct Symbol {
    uint64_t start = 0;
    uint64_t size = 0;
    std::string name;
  };
  struct LoadSegment {
    uint64_t offset = 0;
    uint64_t filesz = 0;
    uint64_t vaddr = 0;
  };
  struct CuRange {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t die_offset = 0;
  };
  // What Symbolize needs of one compile unit, extracted on the first lookup in it: walking the
  // DIE tree (dwarf_getscopes does that per address) costs a scan of the whole unit, and the Go
  // runtime is one unit of several MB, so per-address walks dominated symbolization.
  struct CuIndex;
  const Symbol* FindSymbol(uint64_t vaddr) const;
  // The DIE offset of the compile unit whose ranges contain vaddr; nullopt when none does.
  std::optional<uint64_t> FindCu(uint64_t vaddr) const;
  const CuIndex& IndexCu(uint64_t cu_die_offset) const;

  int fd_ = -1;
  std::vector<uint8_t> image_;  // OpenMemory's copy, which elf_ reads
  void* elf_ = nullptr;    // Elf*
  void* dwarf_ = nullptr;  // Dwarf*
  std::string build_id_;
  std::vector<Symbol> symbols_;  // sorted by start
  std::vector<LoadSegment> segments_;
  std::vector<CuRange> cu_ranges_;  // sorted by start
  std::optional<GoPclntab> gopclntab_;  // views section data owned by elf_
  // Built lazily by the const Symbolize: an ElfBinary is not safe to share between threads.
  mutable std::unordered_map<uint64_t, std::unique_ptr<CuIndex>> cu_index_;  // by CU DIE offset
};

// Kernel symbols from a kallsyms-format text ("ADDR TYPE NAME [module]" lines).
class KernelSymbols {
 public:
  // nullopt when the file is unreadable or all addresses are hidden (kptr_restrict). With
  // `wanted`, only the symbols those addresses fall in are kept (Lookup of a wanted address
  // gives what it gives with the whole table; other addresses may get a wrong name).
  static std::optional<KernelSymbols> Load(
      const std::string& path, std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  static KernelSymbols Parse(std::string_view text,
                             std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  // The symbol at or below addr, empty when addr lies below the first one.
  std::string_view Lookup(uint64_t addr) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<std::pair<uint64_t, std::string>> symbols_;  // sorted by address
};

// Opens a binary whose path came from the input, for libelf: only regular files (a FIFO would
// block, /dev/zero never ends), mapped with ELF_C_READ_MMAP. *fd and *elf (an Elf*) are set as
// soon as they exist, so the caller releases them (elf_end, close) on error too.
Status OpenElfFile(const std::string& path, int* fd, void** elf);

// The GNU build id of an open ELF (an Elf*), lower-case hex, empty when it has none: from the
// PT_NOTE segments, else from note sections (Go puts its note outside PT_NOTE).
std::string ElfBuildId(void* elf);

// What a recording says about the file behind a mapping, so a file found at the recorded path
// can be checked to be that file rather than a later build or something else by that name.
struct RecordedFile {
  std::string build_id;  // GNU build id (MMAP2 with a build id, or a BUILD_ID record); may be empty
  // MMAP2 without a build id: the device and inode the kernel mapped.
  bool has_inode = false;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0, ino_generation = 0;
};

struct BinaryCandidate {
  std::string path;
  bool recorded_path = false;  // the path the recording names (verified before use)
};

// The files that may hold the binary an MMAP record names, in the order they are tried: the
// --binary files whose base name matches (any --binary when a build id was recorded: it is
// checked); with --symfs, <symfs>/<path> and nothing else; with neither, the recorded path
// itself; and, with a recorded build id and no --symfs, perf's build-id cache
// ~/.debug/.build-id/xx/yyyy.../elf (perf-buildid-cache(1)).
std::vector<BinaryCandidate> BinaryCandidates(const std::string& mapped_path,
                                              const std::string& recorded_build_id,
                                              const std::vector<std::string>& binaries,
                                              const std::string& symfs);

// Checks, before opening it, that a candidate is a file we may read as a binary: a regular
// file (not a FIFO or /dev/zero), no symlink loop, and not a /proc path resolving to this
// gcspike process itself (a recorded /proc/PID/exe, read now, may be any process). The error
// is a sentence naming it.
Status CheckCandidateFile(const std::string& path);

// Whether an opened candidate whose GNU build id is `file_build_id` stands for the recorded
// file: the build ids must agree when one was recorded; otherwise the recorded path must be
// the recorded inode when the recording has one (MMAP2). *unverified is set when the recorded
// path is accepted with nothing to compare. The error is a sentence naming the file.
Status VerifyCandidate(const BinaryCandidate& candidate, const std::string& file_build_id,
                       const RecordedFile& recorded, bool* unverified);

// Finds and caches the binary for a path named in an MMAP record (BinaryCandidates,
// CheckCandidateFile, VerifyCandidate). A candidate that exists but is rejected is never passed
// over in silence: the warning names it and why; so does a recorded path used unverified.
class BinaryCache {
 public:
  BinaryCache(std::vector<std::string> binaries, std::string symfs)
      : binaries_(std::move(binaries)), symfs_(std::move(symfs)) {}
  // nullptr when no usable binary was found; `warning` gets a sentence the first time.
  const ElfBinary* Get(const std::string& mapped_path, const RecordedFile& recorded,
                       std::string* warning);
  // The running kernel's vDSO, for a "[vdso]" mapping recorded with `recorded_build_id`
  // (empty: unknown, the caller vouches for the kernel); nullptr when unavailable or when the
  // build ids differ.
  const ElfBinary* RunningVdso(const std::string& recorded_build_id);

 private:
  std::vector<std::string> binaries_;
  std::string symfs_;
  std::unordered_map<std::string, std::unique_ptr<ElfBinary>> cache_;  // null entry: failed
  std::optional<std::unique_ptr<ElfBinary>> vdso_;  // set on first use; null: none
};

}  // namespace gcspike
