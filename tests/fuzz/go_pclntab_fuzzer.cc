// Fuzzes the .gopclntab reader: any bytes must give a table or an error naming a byte offset;
// lookups across the table's text range (names, lines, entries, pcsp deltas) must give a
// non-empty name or an error, never a crash.
// Frames (inline trees) runs once without memory and once with the input itself mapped at the
// table's address, so the moduledata scan and the inline-tree reads see fuzzed bytes.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "symbolizer/go_pclntab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  auto t = GoPclntab::Parse(std::span<const uint8_t>(data, size));
  if (!t.ok()) {
    if (!t.error().offset.has_value()) std::abort();
    return 0;
  }
  if (t->max_pc() < t->min_pc()) std::abort();
  const uint64_t span = t->max_pc() - t->min_pc();
  for (uint64_t k = 0; k <= 64; ++k) {
    const uint64_t pc = t->min_pc() + (span / 64) * k;
    auto name = t->FunctionName(pc);
    if (name.ok() && name->empty()) std::abort();
    (void)t->SourceLine(pc);
    (void)t->StackDelta(pc);
    // The entry of the function holding pc is at or below it (the search keeps entry <= pc;
    // a fuzzed table need not be sorted, so it may lie below the first entry).
    if (auto entry = t->FunctionEntry(pc); entry.ok() && *entry > pc) std::abort();
  }
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      constexpr uint64_t kVaddr = 0x1000;
      t->AttachMemory({{kVaddr, std::span<const uint8_t>(data, size)}}, kVaddr);
    }
    for (uint64_t k = 0; k <= 64; ++k) {
      auto frames = t->Frames(t->min_pc() + (span / 64) * k);
      if (frames.ok() && frames->empty()) std::abort();
    }
  }
  (void)t->FunctionName(t->min_pc() - 1);
  (void)t->FunctionName(t->max_pc());
  return 0;
}
