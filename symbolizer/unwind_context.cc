#include "symbolizer/unwind_context.h"

#include <cstring>

namespace gcspike {

bool Locate(const SampleContext& ctx, uint64_t addr, const ElfImage** image, uint64_t* vaddr,
            uint64_t* bias) {
  MappedImage m;
  if ((*ctx.lookup)(addr, &m) && m.image != nullptr && addr >= m.start && addr - m.start < m.len) {
    uint64_t offset = 0;
    if (CheckedAdd(addr - m.start, m.pgoff, &offset)) {
      if (auto v = m.image->FileOffsetToVaddr(offset)) {
        *image = m.image;
        *vaddr = *v;
        *bias = addr - *v;
        return true;
      }
    }
  }
  return false;
}

bool ReadUnwindWord(SampleContext& ctx, uint64_t addr, uint64_t* out) {
  if ((addr & DwarfUnwinder::kSyntheticBit) != 0) {
    const DwarfUnwinder::SyntheticEhFrame* eh = ctx.unwinder->SyntheticAt(addr);
    if (eh == nullptr) return false;
    const uint64_t at = addr - eh->base;
    if (at > eh->bytes.size() || eh->bytes.size() - at < 8) return false;
    std::memcpy(out, eh->bytes.data() + at, 8);
    return true;
  }
  if (addr >= ctx.stack_start && addr - ctx.stack_start <= ctx.stack.size() &&
      ctx.stack.size() - (addr - ctx.stack_start) >= 8) {
    std::memcpy(out, ctx.stack.data() + (addr - ctx.stack_start), 8);
    ctx.read_stack = true;
    return true;
  }
  if (ctx.cfi_file != nullptr) {
    const CfiTables& cfi = ctx.cfi_file->Cfi();
    const uint64_t at = addr - ctx.cfi_bias - cfi.eh_frame_vaddr;
    if (at < cfi.eh_frame.size() && cfi.eh_frame.size() - at >= 8) {
      std::memcpy(out, cfi.eh_frame.data() + at, 8);
      return true;
    }
  }
  const ElfImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0;
  if (Locate(ctx, addr, &image, &vaddr, &bias)) {
    if (auto off = image->VaddrToFileOffset(vaddr); off && image->ReadFileWord(*off, out)) {
      return true;
    }
  }
  if (ctx.last_image != nullptr) {
    if (auto off = ctx.last_image->VaddrToFileOffset(addr - ctx.last_bias);
        off && ctx.last_image->ReadFileWord(*off, out)) {
      return true;
    }
  }
  return false;
}

}  // namespace gcspike
