// One sample's unwind state and the memory it reads, shared by libunwind's accessors and the
// CFI-row fast path (symbolizer/dwarf_unwinder.cc, symbolizer/cfi_fast_path.cc): both must read
// the same bytes for the same address, or their stacks would differ.
#pragma once

#include <cstdint>
#include <span>

#include "symbolizer/dwarf_unwinder.h"

namespace gcspike {

struct SampleContext {
  SampleContext() = default;
  // The state at the start of a sample's unwind: the registers, the stack copy from their SP.
  SampleContext(const UserRegs& sample_regs, std::span<const uint8_t> sample_stack,
                const ImageLookup& images, DwarfUnwinder* owner)
      : regs(&sample_regs),
        stack(sample_stack),
        stack_start(sample_regs.values[kPerfRegSp]),
        lookup(&images),
        unwinder(owner) {}

  const UserRegs* regs = nullptr;
  std::span<const uint8_t> stack;
  uint64_t stack_start = 0;  // the SP at sample time: address of stack[0]
  const ImageLookup* lookup = nullptr;
  DwarfUnwinder* unwinder = nullptr;
  // The image and load bias of the last procedure looked up: memory of its non-executable
  // segments (.eh_frame_hdr, .eh_frame) may lie in mappings perf did not record.
  const ElfImage* last_image = nullptr;
  uint64_t last_bias = 0;
  // A separate debug file whose .eh_frame the last FDE found lies in (read from that file:
  // the binary's own bytes there are empty), and its load bias.
  const ElfImage* cfi_file = nullptr;
  uint64_t cfi_bias = 0;
  // Whether the last find_proc_info call found an FDE, and in which source.
  bool found_fde = false;
  CfiSource source = CfiSource::kEhFrameHdr;
  // Set when a read was served from the captured stack (the fast path caches only rows that
  // come from files).
  bool read_stack = false;
};

// Translates a runtime address to an image and the link-time address (`vaddr`).
bool Locate(const SampleContext& ctx, uint64_t addr, const ElfImage** image, uint64_t* vaddr,
            uint64_t* bias);

// The 8 bytes at `addr` as the unwinder sees the sampled process: a synthetic CFI table
// (dwarf_unwinder.cc), the captured stack, the separate debug file's .eh_frame, the file mapped
// there, or the last procedure's file. False when none holds all 8 bytes.
bool ReadUnwindWord(SampleContext& ctx, uint64_t addr, uint64_t* out);

}  // namespace gcspike
