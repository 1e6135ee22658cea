// Fuzzes the DWARF unwinder's CFI rows (symbolizer/cfi_rows.h) on arbitrary section bytes: the
// search-table lookup, the FDE and CIE parse and the CFA program must return a status, never
// read outside the memory or loop without end. Input: u32 FDE offset, u32 pc delta, then the
// bytes of a CFI section loaded at kBase (seeds: tests/fuzz/make_cfi_rows_corpus.py).
#include <cstdint>
#include <cstring>
#include <span>

#include "symbolizer/cfi_rows.h"

namespace {

constexpr uint64_t kBase = 0x10000;

class SpanMemory : public gcspike::CfiMemory {
 public:
  explicit SpanMemory(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool ReadWord(uint64_t a, uint64_t* out) override {
    if (a < kBase || a - kBase > bytes_.size() || bytes_.size() - (a - kBase) < 8) return false;
    std::memcpy(out, bytes_.data() + (a - kBase), 8);
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  if (size < 8) return 0;
  uint32_t fde_offset = 0, pc_delta = 0;
  std::memcpy(&fde_offset, data, 4);
  std::memcpy(&pc_delta, data + 4, 4);
  const std::span<const uint8_t> section(data + 8, size - 8);
  SpanMemory mem(section);
  int32_t found = 0;
  (void)SearchCfiTable(mem, kBase + fde_offset % (section.size() + 1), pc_delta & 0xffff,
                       static_cast<int32_t>(pc_delta), &found);
  CfiFde fde;
  if (ReadCfiFde(mem, kBase + fde_offset, &fde) != CfiStatus::kOk) return 0;
  CfiRow row;
  CfiRowCache cache(4);
  for (const uint64_t pc : {fde.start_ip + pc_delta, fde.start_ip + pc_delta % 64, fde.end_ip}) {
    CfiRowEntry entry;
    entry.status = EvaluateCfiRow(mem, fde, pc, &row);
    entry.row = row;
    cache.Insert(&mem, pc, entry);
    if (cache.Find(&mem, pc) == nullptr) __builtin_trap();
  }
  return 0;
}
