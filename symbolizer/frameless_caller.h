// The function a frame-pointer callchain skips when it was sampled in a function that had no
// frame at that PC (docs/formats/perf-data.md#callchains): rbp still held its caller's frame,
// so the kernel's walk went from the sampled PC straight to the caller's return address, one
// frame up. When the instruction before that return address is a direct call, its target is
// the skipped caller. x86-64 only.
//
// Whether a function has a frame at a PC comes from its CFI (the unwinder's rows: .eh_frame,
// .debug_frame, a separate debug file) or, for Go binaries without CFI, from the pcsp table of
// .gopclntab. Every byte read is bounds-checked against the file (binaries are untrusted).
#pragma once

#include <cstdint>
#include <optional>

#include "symbolizer/dwarf_unwinder.h"
#include "symbolizer/elf_image.h"

namespace gcspike {

// Which table said that the sampled function had no frame.
enum class FramelessEvidence : int { kCfi = 0, kPclntab = 1 };
inline constexpr int kFramelessEvidenceCount = 2;

struct RecoveredCaller {
  uint64_t entry = 0;  // runtime address of the skipped function's first instruction
  FramelessEvidence evidence = FramelessEvidence::kCfi;
};

// `pc`: the first user frame of a callchain (an interrupted PC, not a return address);
// `return_address`: the callchain's next entry. Both are addresses of the process `lookup`
// maps. The skipped caller when the function at `pc` has no frame there, the return address
// follows a direct call (E8 rel32) and that call's target is the first instruction of a known
// function (a symbol or a .gopclntab entry); nullopt otherwise.
std::optional<RecoveredCaller> RecoverFramelessCaller(DwarfUnwinder& unwinder,
                                                      const ImageLookup& lookup, uint64_t pc,
                                                      uint64_t return_address);

// Whether a CFI row at an interrupted PC leaves rbp the caller's: nothing pushed (CFA = rsp+8),
// or only rbp pushed and `next` (the instruction's first bytes there) is `mov %rsp,%rbp`.
bool RowLeavesCallerFrame(const CfiRow& row, const std::optional<uint32_t>& next);
// The same from .gopclntab: pcsp 0, or 8 before `mov %rsp,%rbp`. nullopt when the image has no
// .gopclntab or it does not cover `vaddr` (link-time).
std::optional<bool> GoLeavesCallerFrame(const ElfImage& image, uint64_t vaddr);
// The link-time target of a direct near call (E8 rel32) whose five bytes end at link-time
// `return_vaddr`; nullopt when the bytes are not one or lie outside the file's segments.
std::optional<uint64_t> DirectCallTarget(const ElfImage& image, uint64_t return_vaddr);
// Whether link-time `vaddr` is the first instruction of a function symbol or .gopclntab entry.
bool IsFunctionEntry(const ElfImage& image, uint64_t vaddr);

}  // namespace gcspike
