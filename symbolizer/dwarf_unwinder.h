// User-space stack unwinding for `perf record --call-graph dwarf` samples: the kernel copies
// the user registers (PERF_SAMPLE_REGS_USER) and the top of the user stack
// (PERF_SAMPLE_STACK_USER) into each sample, and the call chain is rebuilt offline from the
// binaries' call frame information (docs/formats/perf-data.md#sample-record-layout, #callchains).
//
// Unwinding uses libunwind's remote interface: one address space whose accessors read
// registers from the sample, memory from the captured stack bytes or from the mapped files'
// PT_LOAD contents, and CFI from every source a binary may have
// (docs/formats/elf-dwarf.md#call-frame-information): `.eh_frame` through `.eh_frame_hdr`,
// `.eh_frame` without a header (gcc -static) through a table built once per binary,
// `.debug_frame` (Go binaries carry no `.eh_frame`; theirs is usually zlib-compressed; C built
// with -fno-asynchronous-unwind-tables -g), and the same in the binary's separate debug file.
// Most samples are unwound without libunwind: the CFI rows (symbolizer/cfi_rows.h) of the
// addresses a sample passes through are computed once per binary and address and applied to
// the captured stack directly (cfi_fast_path.cc), with libunwind's results; a sample that needs
// anything the rows do not reproduce is unwound by libunwind. With GCSPIKE_CHECK_CFI_ROWS=1 in
// the environment every sample is unwound both ways and the stacks compared (a test mode).
// When CFI yields no deeper stack than the frame-pointer chain inside the captured bytes, the
// frame-pointer chain is used instead (Go on amd64 always keeps frame pointers).
//
// Everything read here comes from untrusted files: every address and length is checked, and
// broken CFI ends one sample's unwind, never the process.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"
#include "symbolizer/binary_locator.h"
#include "symbolizer/cfi_rows.h"
#include "symbolizer/elf_cfi.h"
#include "symbolizer/elf_image.h"

namespace gcspike {

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
Result<UserRegs> ReadRegsUser(ByteCursor& c, uint64_t sample_regs_user);

// Reads `u64 size; char data[size]; u64 dyn_size` (dyn_size only when size != 0, 5.4) and
// returns the valid prefix: the first dyn_size bytes, which start at the sample's SP.
Result<std::span<const uint8_t>> ReadStackUser(ByteCursor& c);

// ElfImages by the path an MMAP record names, from the BinaryLocator the symbolizer uses too
// (the same search, the same build-id check, the same open image).
class UnwindImageCache {
 public:
  explicit UnwindImageCache(BinaryLocator& locator) : locator_(locator) {}
  // The image for an MMAP record's path; nullptr when none fits or it is not a 64-bit file.
  const ElfImage* Get(const std::string& mapped_path, const RecordedFile& recorded);
  void Clear() { cache_.clear(); }

 private:
  BinaryLocator& locator_;
  std::unordered_map<std::string, std::shared_ptr<const ElfImage>> cache_;  // null: none
};

// Where an address of the sampled process is mapped: the file image and the mapping's start,
// length and file offset (from MMAP/MMAP2 records).
struct MappedImage {
  const ElfImage* image = nullptr;
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t pgoff = 0;
};
using ImageLookup = std::function<bool(uint64_t address, MappedImage* out)>;

enum class UnwindMethod { kCfi, kFramePointers, kIpOnly };

struct SampleContext;

class DwarfUnwinder {
 public:
  static constexpr size_t kMaxFrames = 256;
  // Addresses with this bit are synthetic CFI tables (never a user address): see SyntheticFor.
  static constexpr uint64_t kSyntheticBit = uint64_t{1} << 63;
  // `use_rows` false: libunwind unwinds every sample (the reference of the check mode).
  explicit DwarfUnwinder(bool use_rows = true);
  ~DwarfUnwinder();
  DwarfUnwinder(const DwarfUnwinder&) = delete;
  DwarfUnwinder& operator=(const DwarfUnwinder&) = delete;

  // Unwinds one sample. `pcs` gets the IP then the return addresses, leaf first (empty when the
  // registers lack IP). `space_key` names the address space layout (process and mapping
  // generation): libunwind's caches are flushed when it changes.
  UnwindMethod Unwind(const UserRegs& regs, std::span<const uint8_t> stack,
                      const ImageLookup& lookup, uint64_t space_key, std::vector<uint64_t>* pcs);

  // The CFI row at `pc`, an interrupted PC (not a return address) of the binary `lookup` maps
  // there, from the same sources and cache as the unwind; nullopt when no FDE covers it or the
  // rows cannot reproduce it.
  std::optional<CfiRow> RowAt(uint64_t pc, const ImageLookup& lookup);

  // The images handed out by the lookups so far are gone: forget what was cached about them.
  void ForgetImages() { rows_.Clear(); }

  // The check mode (GCSPIKE_CHECK_CFI_ROWS): samples compared, unwound from rows, differing.
  struct CheckCounts {
    uint64_t samples = 0;
    uint64_t by_rows = 0;
    uint64_t differ = 0;
  };
  const CheckCounts& check_counts() const { return check_; }
  // Turns the check mode on (the environment variable does it in the constructor).
  void EnableCheck();

  // The frame-pointer chain inside the captured stack: [bp] = caller's bp, [bp+8] = return
  // address; stops when a slot lies outside the bytes or the chain does not move up the stack.
  // Appends return addresses to `pcs` (not the IP).
  static void WalkFramePointers(uint64_t sp, uint64_t bp, std::span<const uint8_t> stack,
                                size_t max_frames, std::vector<uint64_t>* pcs);

  // How many frames of CFI-unwound samples each CFI source gave, as
  // " (frames by CFI source: N via .eh_frame_hdr, M via .eh_frame, ...)"; empty when none.
  std::string CfiSourceSuffix() const;
  uint64_t cfi_frames(CfiSource source) const { return cfi_frames_[static_cast<int>(source)]; }

  // A search table (and, for .debug_frame, the section rewritten as .eh_frame) for one CFI
  // table and load bias, served to libunwind at a synthetic (non-canonical) address: see
  // dwarf_unwinder.cc.
  struct SyntheticEhFrame {
    uint64_t base = 0;           // synthetic address of bytes[0]
    std::vector<uint8_t> bytes;  // [converted CIEs/FDEs,] the table, then 8 zero bytes
    uint64_t table_offset = 0;
    uint64_t table_count = 0;
    uint64_t segbase = 0;  // runtime address the table's FDE offsets count from
    uint64_t ip_base = 0;  // runtime address the table's start_ip_offsets count from
    uint64_t ip_end = 0;
  };
  // For `cfi`'s .debug_frame (debug_frame true) or its own .eh_frame table; nullptr when empty.
  const SyntheticEhFrame* SyntheticFor(const CfiTables& cfi, bool debug_frame, uint64_t bias);
  const SyntheticEhFrame* SyntheticAt(uint64_t address) const;

 private:
  UnwindMethod UnwindOne(const UserRegs& regs, std::span<const uint8_t> stack,
                         const ImageLookup& lookup, uint64_t space_key, std::vector<uint64_t>* pcs);
  // The fast path (cfi_fast_path.cc): false when the sample needs libunwind.
  bool UnwindRows(const UserRegs& regs, std::span<const uint8_t> stack, const ImageLookup& lookup,
                  std::vector<uint64_t>* cfi, std::array<uint64_t, kCfiSourceCount>* frames);
  // The row for link-time `vaddr` of `image` (runtime `at`, load bias `bias`), cached.
  CfiRowEntry RowFor(SampleContext& ctx, const ElfImage* image, uint64_t vaddr, uint64_t bias,
                     uint64_t at);
  void CheckAgainstReference(const UserRegs& regs, std::span<const uint8_t> stack,
                             const ImageLookup& lookup, uint64_t space_key, UnwindMethod method,
                             const std::vector<uint64_t>& pcs,
                             const std::array<uint64_t, kCfiSourceCount>& frames);
  // libunwind's steps from the sample's registers, appended to `cfi` while FDEs are found.
  void UnwindCfi(const UserRegs& regs, std::span<const uint8_t> stack, const ImageLookup& lookup,
                 std::vector<uint64_t>* cfi, std::array<uint64_t, kCfiSourceCount>* frames);
  // For a leaf in a PLT stub that has no CFI: the caller's stack, from the return address at SP.
  void UnwindFromPlt(const UserRegs& regs, std::span<const uint8_t> stack,
                     const ImageLookup& lookup, uint64_t space_key, std::vector<uint64_t>* cfi);

  void* address_space_ = nullptr;  // unw_addr_space_t
  std::vector<std::unique_ptr<SyntheticEhFrame>> synthetic_;
  std::map<std::tuple<const CfiTables*, bool, uint64_t>, size_t> synthetic_by_table_;
  std::array<uint64_t, kCfiSourceCount> cfi_frames_ = {};
  uint64_t space_key_ = 0;
  bool have_space_key_ = false;
  bool use_rows_ = true;
  bool rows_used_ = false;  // whether the last UnwindOne took its CFI stack from rows
  CfiRowCache rows_;
  std::unique_ptr<DwarfUnwinder> reference_;  // the check mode's libunwind-only unwinder
  CheckCounts check_;
};

}  // namespace gcspike
