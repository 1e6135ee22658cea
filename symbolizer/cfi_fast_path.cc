// DwarfUnwinder's fast path: the steps libunwind takes for a sample (dwarf_unwinder.cc's
// UnwindCfi loop), taken with CFI rows (cfi_rows.h) cached per binary and address.
//
// An FDE is searched in the same tables, in the same order, through the same memory reads as
// the accessors serve libunwind (SearchTables in dwarf_unwinder.cc); a row is applied as
// libunwind applies a register state: the CFA from rsp (the previous CFA) or rbp (its value
// where the last rule left it), the return address read at CFA + offset, rbp's new location,
// and the unwind ends where libunwind's ends (no FDE, undefined return address or rbp, a read
// that fails, a step that changes neither IP nor CFA). Reads of the captured stack go straight
// to its bytes; anything else goes through the accessors' memory (unwind_context.h).
//
// One known way for the two to part: libunwind caches register states by the IP alone, while
// the row of a return address is the row of the address before it. If a sampled IP is also a
// return address (after a call that does not return, at the start of the next function) and
// the two rows differ, libunwind reuses whichever it computed first; the rows here do not
// depend on the order of samples. The check mode (GCSPIKE_CHECK_CFI_ROWS) finds no such sample
// on the test and benchmark recordings.
#include <cstring>

#include "symbolizer/dwarf_unwinder.h"
#include "symbolizer/unwind_context.h"

namespace gcspike {
namespace {

class ContextMemory : public CfiMemory {
 public:
  explicit ContextMemory(SampleContext& ctx) : ctx_(ctx) {}
  bool ReadWord(uint64_t address, uint64_t* out) override {
    return ReadUnwindWord(ctx_, address, out);
  }

 private:
  SampleContext& ctx_;
};

// One table as libunwind's dwarf_search_unwind_table searches it: the last start <= ip, its
// FDE, and ip inside the FDE's range.
CfiStatus SearchTable(CfiMemory& mem, uint64_t ip, uint64_t table, uint64_t entries,
                      uint64_t ip_base, uint64_t segbase, CfiFde* fde) {
  int32_t offset = 0;
  if (const CfiStatus s =
          SearchCfiTable(mem, table, entries, static_cast<int32_t>(ip - ip_base), &offset);
      s != CfiStatus::kOk) {
    return s;
  }
  if (const CfiStatus s = ReadCfiFde(mem, segbase + static_cast<uint64_t>(int64_t{offset}), fde);
      s != CfiStatus::kOk) {
    return s;
  }
  return ip < fde->start_ip || ip >= fde->end_ip ? CfiStatus::kFailed : CfiStatus::kOk;
}

CfiStatus SearchSynthetic(CfiMemory& mem, uint64_t ip, const DwarfUnwinder::SyntheticEhFrame* eh,
                          CfiFde* fde) {
  if (eh == nullptr || ip < eh->ip_base || ip >= eh->ip_end) return CfiStatus::kFailed;
  return SearchTable(mem, ip, eh->base + eh->table_offset, eh->table_count, eh->ip_base,
                     eh->segbase, fde);
}

// dwarf_unwinder.cc's SearchFile: .eh_frame_hdr, else our .eh_frame table, then .debug_frame.
CfiStatus SearchFile(DwarfUnwinder& unwinder, CfiMemory& mem, uint64_t ip, const CfiTables& cfi,
                     uint64_t bias, CfiSource* source, CfiFde* fde) {
  CfiStatus s = CfiStatus::kFailed;
  if (cfi.eh_frame_hdr_fde_count != 0) {
    *source = CfiSource::kEhFrameHdr;
    const uint64_t hdr = cfi.eh_frame_hdr_vaddr + bias;
    s = SearchTable(mem, ip, hdr + 12, cfi.eh_frame_hdr_fde_count, hdr, hdr, fde);
  } else if (!cfi.eh_frame_fdes.empty()) {
    *source = CfiSource::kEhFrame;
    s = SearchSynthetic(mem, ip, unwinder.SyntheticFor(cfi, false, bias), fde);
  }
  if (s != CfiStatus::kFailed || cfi.debug_frame_fdes.empty()) return s;
  *source = CfiSource::kDebugFrame;
  return SearchSynthetic(mem, ip, unwinder.SyntheticFor(cfi, true, bias), fde);
}

// dwarf_unwinder.cc's SearchTables, after Locate: the binary, then its separate debug file.
CfiStatus SearchTables(DwarfUnwinder& unwinder, SampleContext& ctx, uint64_t ip,
                       const ElfImage* image, uint64_t bias, CfiSource* source, CfiFde* fde) {
  ctx.last_image = image;
  ctx.last_bias = bias;
  ctx.cfi_file = nullptr;
  ContextMemory mem(ctx);
  CfiStatus s = SearchFile(unwinder, mem, ip, image->Cfi(), bias, source, fde);
  if (s != CfiStatus::kFailed) return s;
  const ElfImage* debug = image->DebugFile();
  if (debug == nullptr) return s;
  const CfiTables& cfi = debug->Cfi();
  ctx.cfi_file = debug;
  ctx.cfi_bias = bias;
  CfiSource ignored;
  if (cfi.eh_frame_hdr_fde_count == 0) {
    s = SearchFile(unwinder, mem, ip, cfi, bias, &ignored, fde);
  } else if (!cfi.debug_frame_fdes.empty()) {
    s = SearchSynthetic(mem, ip, unwinder.SyntheticFor(cfi, true, bias), fde);
  }
  *source = CfiSource::kSeparateDebugFile;
  return s;
}

// A word of the sampled process: the captured stack directly, else as libunwind reads it.
bool ReadWord(SampleContext& ctx, uint64_t addr, uint64_t* out) {
  if ((addr & DwarfUnwinder::kSyntheticBit) == 0 && addr >= ctx.stack_start &&
      LoadU64le(ctx.stack, addr - ctx.stack_start, out)) {
    return true;
  }
  return ReadUnwindWord(ctx, addr, out);
}

}  // namespace

CfiRowEntry DwarfUnwinder::RowFor(SampleContext& ctx, const ElfImage* image, uint64_t vaddr,
                                  uint64_t bias, uint64_t at) {
  if (const CfiRowEntry* cached = rows_.Find(image, vaddr)) return *cached;
  CfiRowEntry entry;
  CfiFde fde;
  ctx.read_stack = false;
  entry.status = SearchTables(*this, ctx, at, image, bias, &entry.source, &fde);
  entry.debug_file = ctx.cfi_file;
  if (entry.status == CfiStatus::kOk) {
    ContextMemory mem(ctx);
    entry.status = EvaluateCfiRow(mem, fde, at, &entry.row);
  }
  // CFI read from the stack copy (only a crafted file puts it there) is this sample's alone.
  if (ctx.read_stack) {
    entry.status = CfiStatus::kUnsupported;
    return entry;
  }
  rows_.Insert(image, vaddr, entry);
  return entry;
}

std::optional<CfiRow> DwarfUnwinder::RowAt(uint64_t pc, const ImageLookup& lookup) {
  const UserRegs no_regs;  // nothing of a sample: the CFI is read from the files alone
  SampleContext ctx(no_regs, {}, lookup, this);
  const ElfImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0;
  if (!Locate(ctx, pc, &image, &vaddr, &bias)) return std::nullopt;
  const CfiRowEntry e = RowFor(ctx, image, vaddr, bias, pc);
  if (e.status != CfiStatus::kOk) return std::nullopt;
  return e.row;
}

bool DwarfUnwinder::UnwindRows(const UserRegs& regs, std::span<const uint8_t> stack,
                               const ImageLookup& lookup, std::vector<uint64_t>* cfi,
                               std::array<uint64_t, kCfiSourceCount>* frames) {
  SampleContext ctx(regs, stack, lookup, this);
  uint64_t ip = regs.values[kPerfRegIp];
  uint64_t cfa = ctx.stack_start;
  bool rbp_in_register = true;  // else in memory at rbp_at
  uint64_t rbp_at = 0;
  while (cfi->size() < kMaxFrames) {
    // Callers are looked up at the return address minus one (inside the call).
    const uint64_t at = cfi->size() == 1 ? ip : ip - 1;
    const ElfImage* image = nullptr;
    uint64_t vaddr = 0, bias = 0;
    if (!Locate(ctx, at, &image, &vaddr, &bias) || image->IsStackBoundary(vaddr)) return true;
    const CfiRowEntry e = RowFor(ctx, image, vaddr, bias, at);
    if (e.status == CfiStatus::kUnsupported) return false;
    if (e.status == CfiStatus::kFailed) return true;
    ctx.last_image = image;
    ctx.last_bias = bias;
    ctx.cfi_file = static_cast<const ElfImage*>(e.debug_file);
    ctx.cfi_bias = bias;
    const CfiRow& row = e.row;
    uint64_t base = cfa;
    if (row.cfa_register == 6) {
      if (rbp_in_register ? !regs.Has(kPerfRegBp) : !ReadWord(ctx, rbp_at, &base)) return true;
      if (rbp_in_register) base = regs.values[kPerfRegBp];
    }
    const uint64_t next_cfa = base + row.cfa_offset;
    // An undefined return address or rbp (or one at address 0) ends the stack.
    if (row.rbp == CfiRow::Rule::kUndefined || row.return_address == CfiRow::Rule::kUndefined) {
      return true;
    }
    if (row.rbp == CfiRow::Rule::kAtCfa) {
      rbp_in_register = false;
      rbp_at = next_cfa + row.rbp_offset;
    }
    const uint64_t ra_at = next_cfa + row.return_address_offset;
    uint64_t next_ip = 0;
    if (ra_at == 0 || !ReadWord(ctx, ra_at, &next_ip)) return true;
    if ((next_ip == ip && next_cfa == cfa) || (!rbp_in_register && rbp_at == 0)) return true;
    ip = next_ip;
    cfa = next_cfa;
    MappedImage where;
    if (ip == 0 || !lookup(ip, &where)) return true;
    cfi->push_back(ip);
    ++(*frames)[static_cast<int>(e.source)];
  }
  return true;
}

}  // namespace gcspike
