// Fuzzes ElfImage and ElfSymbolizer (libelf/libdw indexing, ELF symbols, DWARF lines and inlined
// frames, and the .gopclntab of stripped Go binaries with its inline trees) on in-memory ELF
// images: opening must give a binary or an error, and symbolizing addresses spread over every
// loaded segment (and a few taken from the input) must return, never crash; so must the reads
// of the frameless-caller rule (call bytes, function entries, pcsp) at those addresses.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "symbolizer/elf_symbolizer.h"
#include "symbolizer/frameless_caller.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  auto opened = ElfImage::OpenMemory(std::span<const uint8_t>(data, size));
  if (!opened.ok()) return 0;
  const ElfSymbolizer b(std::move(opened).value());
  constexpr uint64_t kSteps = 64;
  for (uint64_t k = 0; k <= kSteps; ++k) {
    const uint64_t file_offset = size / kSteps * k;
    if (auto vaddr = b.FileOffsetToVaddr(file_offset); vaddr.has_value()) {
      (void)b.Symbolize(*vaddr);
      (void)b.Symbolize(*vaddr + 1);
      // What the frameless-caller rule reads of a binary (symbolizer/frameless_caller.h).
      (void)DirectCallTarget(b.image(), *vaddr);
      (void)IsFunctionEntry(b.image(), *vaddr);
      (void)GoLeavesCallerFrame(b.image(), *vaddr);
    }
  }
  // Addresses named by the input itself (its last bytes), as a perf.data sample would.
  for (size_t at = size >= 64 ? size - 64 : 0; at + 8 <= size; at += 8) {
    uint64_t addr = 0;
    std::memcpy(&addr, data + at, 8);
    (void)b.Symbolize(addr);
  }
  return 0;
}
