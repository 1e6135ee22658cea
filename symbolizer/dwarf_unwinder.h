// User-space stack unwinding for `perf record --call-graph dwarf` samples: the kernel copies
// the user registers (PERF_SAMPLE_REGS_USER) and the top of the user stack
// (PERF_SAMPLE_STACK_USER) into each sample, and the call chain is rebuilt offline from the
// binaries' call frame information (docs/formats/perf-data.md#sample-record-layout, #callchains).
//
// Unwinding uses libunwind's remote interface: one address space whose accessors read
// registers from the sample, memory from the captured stack bytes or from the mapped files'
// PT_LOAD contents, and CFI from `.eh_frame_hdr`/`.eh_frame` (C code) or `.debug_frame` (Go
// binaries carry no `.eh_frame`; their `.debug_frame` is usually zlib-compressed). When CFI
// yields no deeper stack than the frame-pointer chain inside the captured bytes, the
// frame-pointer chain is used instead (Go on amd64 always keeps frame pointers).
//
// Everything read here comes from untrusted files: every address and length is checked, and
// broken CFI ends one sample's unwind, never the process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike {

struct RecordedFile;  // symbolizer/elf_symbolizer.h

// perf's x86_64 register numbering (uapi asm/perf_regs.h): bit i of attr.sample_regs_user.
enum PerfRegX86 : int {
  kPerfRegAx = 0,
  kPerfRegBx = 1,
  kPerfRegCx = 2,
  kPerfRegDx = 3,
  kPerfRegSi = 4,
  kPerfRegDi = 5,
  kPerfRegBp = 6,
  kPerfRegSp = 7,
  kPerfRegIp = 8,
  kPerfRegR8 = 16,
  kPerfRegR15 = 23,
  kPerfRegCount = 24,
};

// The PERF_SAMPLE_REGS_USER block of one sample, indexed by perf register number.
struct UserRegs {
  uint64_t mask = 0;  // registers present (empty: abi NONE, e.g. a kernel thread)
  uint64_t values[kPerfRegCount] = {};
  bool Has(int reg) const { return reg >= 0 && reg < kPerfRegCount && ((mask >> reg) & 1) != 0; }
};

// Reads `u64 abi; u64 regs[popcount(sample_regs_user)]`
// (docs/formats/perf-data.md#sample-record-layout). Registers above the ones this unwinder knows (>
// R15) are read and dropped.
Result<UserRegs> ParseRegsUser(ByteCursor& c, uint64_t sample_regs_user);

// Reads `u64 size; char data[size]; u64 dyn_size` (dyn_size only when size != 0, 5.4) and
// returns the valid prefix: the first dyn_size bytes, which start at the sample's SP.
Result<std::span<const uint8_t>> ParseStackUser(ByteCursor& c);

// One mapped ELF file as the unwinder needs it: file contents (for memory reads), PT_LOAD
// segments, the `.eh_frame_hdr` search table and a sorted index over `.debug_frame`.
class UnwindImage {
 public:
  // Errors name the file; a file without any CFI still opens (frame pointers work without).
  static Result<std::unique_ptr<UnwindImage>> Open(const std::string& path);
  ~UnwindImage();
  UnwindImage(const UnwindImage&) = delete;
  UnwindImage& operator=(const UnwindImage&) = delete;

  std::optional<uint64_t> FileOffsetToVaddr(uint64_t offset) const;
  std::optional<uint64_t> VaddrToFileOffset(uint64_t vaddr) const;
  const std::string& build_id() const { return build_id_; }
  // 8 bytes of the file at `offset` (little-endian); false when they are not all in the file.
  bool ReadFileWord(uint64_t offset, uint64_t* out) const;
  bool has_eh_frame_hdr() const { return eh_frame_hdr_fde_count_ != 0; }
  bool has_debug_frame() const { return !debug_frame_fdes_.empty(); }
  uint64_t eh_frame_hdr_vaddr() const { return eh_frame_hdr_vaddr_; }
  uint64_t eh_frame_hdr_fde_count() const { return eh_frame_hdr_fde_count_; }

  // One FDE of a .debug_frame section (DWARF 4 section 6.4.1, 32-bit DWARF format, 8-byte
  // addresses): its offset, its CIE's offset and the code range it covers (link-time).
  struct DebugFrameFde {
    uint64_t initial_location = 0;
    uint64_t address_range = 0;
    uint32_t offset = 0;
    uint32_t cie_offset = 0;
  };
  // The FDEs of a decompressed .debug_frame, sorted by initial_location. FDEs whose CIE does not
  // precede them, or lies outside the section, and 64-bit-format entries are skipped; a length
  // running past the end ends the scan. Exposed for tests.
  static std::vector<DebugFrameFde> IndexDebugFrame(std::span<const uint8_t> section);
  std::span<const uint8_t> debug_frame() const { return debug_frame_; }
  // Whether a link-time address lies in one of the Go runtime functions that switch stacks or
  // start one (runtime.systemstack, mcall, morestack, mstart, rt0_go, goexit; found by name in
  // .symtab). CFI for such a frame describes the other stack, which perf did not copy.
  bool IsStackBoundary(uint64_t vaddr) const;
  const std::vector<DebugFrameFde>& debug_frame_fdes() const { return debug_frame_fdes_; }

 private:
  UnwindImage() = default;
  std::string build_id_;
  struct Segment {
    uint64_t offset = 0;
    uint64_t filesz = 0;
    uint64_t vaddr = 0;
  };
  int fd_ = -1;
  void* elf_ = nullptr;  // Elf*
  std::span<const uint8_t> file_;
  std::vector<Segment> segments_;
  uint64_t eh_frame_hdr_vaddr_ = 0;
  uint64_t eh_frame_hdr_fde_count_ = 0;
  std::vector<uint8_t> debug_frame_;  // decompressed
  std::vector<DebugFrameFde> debug_frame_fdes_;
  std::vector<std::pair<uint64_t, uint64_t>> stack_boundaries_;  // [start, end) link-time
};

// UnwindImages by the path an MMAP record names, found like BinaryCache finds symbol files
// (--binary by base name, then <symfs>/<path>, then the path); null entries remember failures.
class UnwindImageCache {
 public:
  UnwindImageCache(std::vector<std::string> binaries, std::string symfs)
      : binaries_(std::move(binaries)), symfs_(std::move(symfs)) {}
  // The image for an MMAP record's path, searched like the symbolizer's BinaryCache
  // (BinaryCandidates) and with the same build-id check; nullptr when none fits.
  const UnwindImage* Get(const std::string& mapped_path, const RecordedFile& recorded);
  void Clear() { cache_.clear(); }

 private:
  std::vector<std::string> binaries_;
  std::string symfs_;
  std::unordered_map<std::string, std::unique_ptr<UnwindImage>> cache_;
};

// Where an address of the sampled process is mapped: the file image and the mapping's start,
// length and file offset (from MMAP/MMAP2 records).
struct MappedImage {
  const UnwindImage* image = nullptr;
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t pgoff = 0;
};
using ImageLookup = std::function<bool(uint64_t address, MappedImage* out)>;

enum class UnwindMethod { kCfi, kFramePointers, kIpOnly };

class DwarfUnwinder {
 public:
  static constexpr size_t kMaxFrames = 256;
  DwarfUnwinder();
  ~DwarfUnwinder();
  DwarfUnwinder(const DwarfUnwinder&) = delete;
  DwarfUnwinder& operator=(const DwarfUnwinder&) = delete;

  // Unwinds one sample. `pcs` gets the IP then the return addresses, leaf first (empty when the
  // registers lack IP). `space_key` names the address space layout (process and mapping
  // generation): libunwind's caches are flushed when it changes.
  UnwindMethod Unwind(const UserRegs& regs, std::span<const uint8_t> stack,
                      const ImageLookup& lookup, uint64_t space_key, std::vector<uint64_t>* pcs);

  // The frame-pointer chain inside the captured stack: [bp] = caller's bp, [bp+8] = return
  // address; stops when a slot lies outside the bytes or the chain does not move up the stack.
  // Appends return addresses to `pcs` (not the IP).
  static void WalkFramePointers(uint64_t sp, uint64_t bp, std::span<const uint8_t> stack,
                                size_t max_frames, std::vector<uint64_t>* pcs);

  // A .debug_frame rewritten as .eh_frame for one load bias, with its search table, served to
  // libunwind at a synthetic (non-canonical) address: see dwarf_unwinder.cc.
  struct SyntheticEhFrame {
    uint64_t base = 0;            // synthetic address of bytes[0]
    std::vector<uint8_t> bytes;   // converted CIEs/FDEs, then the table, then 8 zero bytes
    uint64_t table_offset = 0;
    uint64_t table_count = 0;
    uint64_t ip_base = 0;         // runtime address the table's start_ip_offsets count from
    uint64_t ip_end = 0;
  };
  const SyntheticEhFrame* SyntheticFor(const UnwindImage* image, uint64_t bias);
  const SyntheticEhFrame* SyntheticAt(uint64_t address) const;

 private:
  void* address_space_ = nullptr;  // unw_addr_space_t
  std::vector<std::unique_ptr<SyntheticEhFrame>> synthetic_;
  std::unordered_map<const UnwindImage*, std::vector<std::pair<uint64_t, size_t>>> synthetic_by_image_;
  uint64_t space_key_ = 0;
  bool have_space_key_ = false;
};

}  // namespace gcspike
