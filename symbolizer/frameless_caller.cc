#include "symbolizer/frameless_caller.h"

#include <gelf.h>

#include <array>
#include <cstring>

#include "symbolizer/unwind_context.h"

namespace gcspike {
namespace {

// `mov %rsp,%rbp` (REX.W 89 /r), the instruction after `push %rbp` in a frame's prologue.
constexpr std::array<uint8_t, 3> kMovRspToRbp = {0x48, 0x89, 0xe5};
constexpr uint8_t kCallRel32 = 0xe8;

// `n` bytes of the file at link-time `vaddr`, all inside one segment's file contents.
bool ReadText(const ElfImage& image, uint64_t vaddr, uint8_t* out, size_t n) {
  uint64_t last = 0;
  if (n == 0 || !CheckedAdd(vaddr, n - 1, &last)) return false;
  const std::optional<uint64_t> first_at = image.VaddrToFileOffset(vaddr);
  const std::optional<uint64_t> last_at = image.VaddrToFileOffset(last);
  if (!first_at || !last_at || *last_at - *first_at != n - 1) return false;
  const std::span<const uint8_t> file = image.file();
  if (*first_at > file.size() || file.size() - *first_at < n) return false;
  std::memcpy(out, file.data() + *first_at, n);
  return true;
}

// The first three bytes of the instruction at link-time `vaddr`, little-endian in a word.
std::optional<uint32_t> NextBytes(const ElfImage& image, uint64_t vaddr) {
  std::array<uint8_t, 3> b;
  if (!ReadText(image, vaddr, b.data(), b.size())) return std::nullopt;
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16;
}

constexpr uint32_t kMovRspToRbpWord =
    uint32_t{kMovRspToRbp[0]} | uint32_t{kMovRspToRbp[1]} << 8 | uint32_t{kMovRspToRbp[2]} << 16;

bool IsX86_64(const ElfImage& image) {
  GElf_Ehdr ehdr;
  return gelf_getehdr(static_cast<Elf*>(image.elf()), &ehdr) != nullptr &&
         ehdr.e_machine == EM_X86_64;
}

// The image and link-time address of runtime `addr`, on x86-64 binaries only.
bool LocateX86_64(const ImageLookup& lookup, uint64_t addr, const ElfImage** image,
                  uint64_t* vaddr) {
  SampleContext probe;
  probe.lookup = &lookup;
  uint64_t bias = 0;
  return Locate(probe, addr, image, vaddr, &bias) && IsX86_64(**image);
}

}  // namespace

bool RowLeavesCallerFrame(const CfiRow& row, const std::optional<uint32_t>& next) {
  if (row.cfa_register != 7) return false;  // a CFA from rbp: the frame is set up
  if (row.cfa_offset == 8) return true;
  return row.cfa_offset == 16 && next == kMovRspToRbpWord;
}

std::optional<bool> GoLeavesCallerFrame(const ElfImage& image, uint64_t vaddr) {
  if (!image.gopclntab().has_value()) return std::nullopt;
  const Result<int64_t> delta = image.gopclntab()->StackDelta(vaddr);
  if (!delta.ok()) return std::nullopt;
  if (*delta == 0) return true;
  return *delta == 8 && NextBytes(image, vaddr) == kMovRspToRbpWord;
}

std::optional<uint64_t> DirectCallTarget(const ElfImage& image, uint64_t return_vaddr) {
  std::array<uint8_t, 5> call;
  if (return_vaddr < call.size() ||
      !ReadText(image, return_vaddr - call.size(), call.data(), call.size()) ||
      call[0] != kCallRel32) {
    return std::nullopt;
  }
  int32_t rel = 0;
  std::memcpy(&rel, call.data() + 1, 4);
  return return_vaddr + static_cast<uint64_t>(int64_t{rel});  // modulo 2^64, as the CPU adds
}

bool IsFunctionEntry(const ElfImage& image, uint64_t vaddr) {
  if (const ElfImage::Symbol* s = image.FindSymbol(vaddr); s != nullptr && s->start == vaddr) {
    return true;
  }
  if (!image.gopclntab().has_value()) return false;
  const Result<uint64_t> entry = image.gopclntab()->FunctionEntry(vaddr);
  return entry.ok() && *entry == vaddr;
}

std::optional<RecoveredCaller> RecoverFramelessCaller(DwarfUnwinder& unwinder,
                                                      const ImageLookup& lookup, uint64_t pc,
                                                      uint64_t return_address) {
  const ElfImage* leaf = nullptr;
  const ElfImage* caller = nullptr;
  uint64_t leaf_vaddr = 0, return_vaddr = 0;
  if (!LocateX86_64(lookup, pc, &leaf, &leaf_vaddr) ||
      !LocateX86_64(lookup, return_address, &caller, &return_vaddr)) {
    return std::nullopt;
  }
  RecoveredCaller out;
  bool frameless = false;
  if (const std::optional<CfiRow> row = unwinder.RowAt(pc, lookup); row.has_value()) {
    frameless = RowLeavesCallerFrame(*row, NextBytes(*leaf, leaf_vaddr));
  } else if (const std::optional<bool> go = GoLeavesCallerFrame(*leaf, leaf_vaddr)) {
    out.evidence = FramelessEvidence::kPclntab;
    frameless = *go;
  }
  if (!frameless) return std::nullopt;
  const std::optional<uint64_t> target = DirectCallTarget(*caller, return_vaddr);
  if (!target.has_value()) return std::nullopt;
  // The same displacement at runtime: the call and its target move together.
  out.entry = return_address + (*target - return_vaddr);
  const ElfImage* callee = nullptr;
  uint64_t callee_vaddr = 0;
  if (!LocateX86_64(lookup, out.entry, &callee, &callee_vaddr) ||
      !IsFunctionEntry(*callee, callee_vaddr)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace gcspike
