#include "symbolizer/dwarf_unwinder.h"

#include <gelf.h>
#include <libelf.h>
#include <libunwind.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/hex.h"
#include "symbolizer/unwind_context.h"

// Not declared in libunwind's public headers, but exported by libunwind-generic: looks `ip` up in
// a binary-search table of {start, FDE} pairs read through access_mem and fills `pi` from the FDE.
extern "C" int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
                                                  unw_dyn_info_t* di, unw_proc_info_t* pi,
                                                  int need_unwind_info, void* arg);

namespace gcspike {
namespace {

// A .debug_frame is handed to libunwind as if it were an .eh_frame (LSB 10.6.1): libunwind's
// own .debug_frame path (UNW_INFO_FORMAT_TABLE over a struct internal to libunwind) found no FDE
// at all with Debian's 1.6.2, whose x86_64 build lacks the debug-frame support
// (dwarf_find_debug_frame is not even exported). The two formats differ
// only in the CIE id (0xffffffff vs 0) and the FDE's CIE pointer (section offset vs distance
// back from the pointer field); a CIE without augmentation makes libunwind read FDE addresses as
// absolute 8-byte values, as .debug_frame stores them. The rewritten copy lives at a synthetic
// address with bit 63 set (never a user address), 64 GiB per copy, read by AccessMem.
constexpr int kSyntheticSlotShift = 36;

// perf register number for each libunwind x86_64 register (UNW_X86_64_RAX .. UNW_X86_64_RIP).
constexpr int kPerfRegOfUnwReg[] = {
    kPerfRegAx, kPerfRegDx, kPerfRegCx, kPerfRegBx, kPerfRegSi, kPerfRegDi,
    kPerfRegBp, kPerfRegSp, 16,         17,         18,         19,
    20,         21,         22,         23,         kPerfRegIp,
};

// .eh_frame_hdr (docs/formats/elf-dwarf.md#eh-frame-header): 4 header bytes, eh_frame_ptr and
// fde_count (4 bytes each, checked by ElfImage::Cfi), then the sorted table of
// {initial_location, fde} datarel sdata4 pairs.
int SearchEhFrameHdr(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                     const CfiTables& cfi, uint64_t bias, unw_dyn_info_t di, void* arg) {
  di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  di.u.rti.segbase = cfi.eh_frame_hdr_vaddr + bias;
  di.u.rti.table_data = cfi.eh_frame_hdr_vaddr + 12 + bias;
  di.u.rti.table_len = cfi.eh_frame_hdr_fde_count * 8 / sizeof(unw_word_t);
  return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

// One of our synthetic tables: IP_OFFSET, so start_ip_offsets count from di.start_ip and FDE
// offsets from segbase.
int SearchSynthetic(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                    const DwarfUnwinder::SyntheticEhFrame* eh, unw_dyn_info_t di, void* arg) {
  if (eh == nullptr || ip < eh->ip_base || ip >= eh->ip_end) return -UNW_ENOINFO;
  di.format = UNW_INFO_FORMAT_IP_OFFSET;
  di.start_ip = eh->ip_base;
  di.end_ip = eh->ip_end;
  di.u.rti.segbase = eh->segbase;
  di.u.rti.table_data = eh->base + eh->table_offset;
  di.u.rti.table_len = eh->table_count * 8 / sizeof(unw_word_t);
  return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

// The FDE for ip in one file's CFI: .eh_frame_hdr, else our .eh_frame table, then .debug_frame.
int SearchFile(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
               const CfiTables& cfi, uint64_t bias, const unw_dyn_info_t& di, SampleContext* ctx,
               CfiSource* source) {
  int ret = -UNW_ENOINFO;
  if (cfi.eh_frame_hdr_fde_count != 0) {
    *source = CfiSource::kEhFrameHdr;
    ret = SearchEhFrameHdr(as, ip, pi, need_unwind_info, cfi, bias, di, ctx);
  } else if (!cfi.eh_frame_fdes.empty()) {
    *source = CfiSource::kEhFrame;
    ret = SearchSynthetic(as, ip, pi, need_unwind_info,
                          ctx->unwinder->SyntheticFor(cfi, false, bias), di, ctx);
  }
  if (ret >= 0 || cfi.debug_frame_fdes.empty()) return ret;
  *source = CfiSource::kDebugFrame;
  return SearchSynthetic(as, ip, pi, need_unwind_info, ctx->unwinder->SyntheticFor(cfi, true, bias),
                         di, ctx);
}

int SearchTables(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                 SampleContext* ctx) {
  const ElfImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0;
  if (!Locate(*ctx, ip, &image, &vaddr, &bias)) return -UNW_ENOINFO;
  ctx->last_image = image;
  ctx->last_bias = bias;
  ctx->cfi_file = nullptr;
  MappedImage m;
  (*ctx->lookup)(ip, &m);
  unw_dyn_info_t di;
  std::memset(&di, 0, sizeof di);
  di.start_ip = m.start;
  di.end_ip = m.start + m.len;
  int ret = SearchFile(as, ip, pi, need_unwind_info, image->Cfi(), bias, di, ctx, &ctx->source);
  if (ret >= 0) return ret;
  // What the binary was stripped of may be in its separate debug file
  // (docs/formats/elf-dwarf.md#separate-debug-files), whose addresses are the binary's.
  const ElfImage* debug = image->DebugFile();
  if (debug == nullptr) return ret;
  const CfiTables& cfi = debug->Cfi();
  ctx->cfi_file = debug;  // its .eh_frame bytes, for the accessor
  ctx->cfi_bias = bias;
  CfiSource ignored;
  // A debug file's .eh_frame_hdr, if it kept one, is not read: its table is only searched
  // through the binary's own addresses, where the stripped binary has other bytes.
  if (cfi.eh_frame_hdr_fde_count == 0) {
    ret = SearchFile(as, ip, pi, need_unwind_info, cfi, bias, di, ctx, &ignored);
  } else if (!cfi.debug_frame_fdes.empty()) {
    ret = SearchSynthetic(as, ip, pi, need_unwind_info,
                          ctx->unwinder->SyntheticFor(cfi, true, bias), di, ctx);
  }
  ctx->source = CfiSource::kSeparateDebugFile;
  return ret;
}

int FindProcInfo(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                 void* arg) {
  auto* ctx = static_cast<SampleContext*>(arg);
  const int ret = SearchTables(as, ip, pi, need_unwind_info, ctx);
  ctx->found_fde = ret >= 0;
  return ret;
}

void PutUnwindInfo(unw_addr_space_t, unw_proc_info_t*, void*) {}

int GetDynInfoListAddr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

int AccessMem(unw_addr_space_t, unw_word_t addr, unw_word_t* valp, int write, void* arg) {
  if (write != 0) return -UNW_EINVAL;
  uint64_t v = 0;
  if (!ReadUnwindWord(*static_cast<SampleContext*>(arg), addr, &v)) return -UNW_EINVAL;
  *valp = v;
  return 0;
}

int AccessReg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* valp, int write, void* arg) {
  if (write != 0) return -UNW_EREADONLYREG;
  auto* ctx = static_cast<SampleContext*>(arg);
  if (reg < 0 || static_cast<size_t>(reg) >= std::size(kPerfRegOfUnwReg)) return -UNW_EBADREG;
  const int perf_reg = kPerfRegOfUnwReg[reg];
  if (!ctx->regs->Has(perf_reg)) return -UNW_EBADREG;
  *valp = ctx->regs->values[perf_reg];
  return 0;
}

int AccessFpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) { return -UNW_EINVAL; }

int Resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int GetProcName(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) {
  return -UNW_EINVAL;
}

unw_accessors_t kAccessors = {FindProcInfo, PutUnwindInfo, GetDynInfoListAddr, AccessMem, AccessReg,
                              AccessFpreg,  Resume,        GetProcName};

}  // namespace

Result<UserRegs> ReadRegsUser(ByteCursor& c, uint64_t sample_regs_user) {
  UserRegs regs;
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t abi, c.u64le());
  if (abi == 0) return regs;  // PERF_SAMPLE_REGS_ABI_NONE: no registers follow
  const uint64_t count = static_cast<uint64_t>(__builtin_popcountll(sample_regs_user));
  if (count > c.remaining() / 8) {
    return c.error_here("REGS_USER block of " + std::to_string(count) +
                        " registers runs past the end of its record");
  }
  uint64_t mask = sample_regs_user;
  for (int reg = 0; mask != 0; ++reg, mask >>= 1) {
    if ((mask & 1) == 0) continue;
    const uint64_t v = *c.u64le();
    // Only the 64-bit ABI (PERF_SAMPLE_REGS_ABI_64 = 2) uses the x86_64 numbering we unwind with.
    if (abi == 2 && reg < kPerfRegCount) {
      regs.values[reg] = v;
      regs.mask |= uint64_t{1} << reg;
    }
  }
  return regs;
}

Result<std::span<const uint8_t>> ReadStackUser(ByteCursor& c) {
  const uint64_t size_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t size, c.u64le());
  if (size == 0) return std::span<const uint8_t>();
  if (size > c.remaining() || c.remaining() - size < 8) {
    return MakeErrorAt(size_offset, "STACK_USER of " + std::to_string(size) +
                                        " bytes runs past the end of its record");
  }
  std::span<const uint8_t> data = *c.bytes(size);
  const uint64_t dyn_offset = c.offset();
  const uint64_t dyn_size = *c.u64le();
  if (dyn_size > size) {
    return MakeErrorAt(dyn_offset, "STACK_USER dyn_size " + std::to_string(dyn_size) +
                                       " exceeds its " + std::to_string(size) + "-byte copy");
  }
  return data.first(dyn_size);
}

const ElfImage* UnwindImageCache::Get(const std::string& mapped_path,
                                      const RecordedFile& recorded) {
  auto found = cache_.find(mapped_path);
  if (found != cache_.end()) return found->second.get();
  // The symbolizer's image (BinaryLocator): CFI from another build of the binary would unwind
  // into garbage. The symbolizer reports rejected candidates.
  std::shared_ptr<ElfImage> image = locator_.Find(mapped_path, recorded, nullptr);
  // x86_64 only: a 32-bit file's CFI and segments are not what this unwinder reads.
  if (image != nullptr && gelf_getclass(static_cast<Elf*>(image->elf())) != ELFCLASS64) {
    image = nullptr;
  }
  const ElfImage* out = image.get();
  cache_.emplace(mapped_path, std::move(image));
  return out;
}

DwarfUnwinder::DwarfUnwinder(bool use_rows) : use_rows_(use_rows) {
  unw_addr_space_t as = unw_create_addr_space(&kAccessors, 0);
  if (as != nullptr) unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
  address_space_ = as;
  const char* check = std::getenv("GCSPIKE_CHECK_CFI_ROWS");
  if (use_rows && check != nullptr && std::string_view(check) == "1") EnableCheck();
}

void DwarfUnwinder::EnableCheck() { reference_ = std::make_unique<DwarfUnwinder>(false); }

void DwarfUnwinder::CheckAgainstReference(const UserRegs& regs, std::span<const uint8_t> stack,
                                          const ImageLookup& lookup, uint64_t space_key,
                                          UnwindMethod method, const std::vector<uint64_t>& pcs,
                                          const std::array<uint64_t, kCfiSourceCount>& frames) {
  const std::array<uint64_t, kCfiSourceCount> before = reference_->cfi_frames_;
  std::vector<uint64_t> want;
  const UnwindMethod want_method = reference_->Unwind(regs, stack, lookup, space_key, &want);
  bool same = want_method == method && want == pcs;
  for (int i = 0; i < kCfiSourceCount; ++i) {
    same = same && reference_->cfi_frames_[i] - before[i] == frames[i];
  }
  ++check_.samples;
  if (rows_used_) ++check_.by_rows;
  if (same) return;
  ++check_.differ;
  if (check_.differ > 5) return;
  auto hex = [](const std::vector<uint64_t>& v) {
    std::string out;
    for (uint64_t pc : v) out += " " + Hex(pc);
    return out;
  };
  std::fprintf(stderr, "gcspike: CFI rows check: sample %llu: rows give%s, libunwind%s\n",
               static_cast<unsigned long long>(check_.samples), hex(pcs).c_str(),
               hex(want).c_str());
}

DwarfUnwinder::~DwarfUnwinder() {
  if (reference_ != nullptr && check_.samples != 0) {
    std::fprintf(stderr,
                 "gcspike: CFI rows check: %llu samples, %llu unwound from CFI rows, %llu differ "
                 "from libunwind\n",
                 static_cast<unsigned long long>(check_.samples),
                 static_cast<unsigned long long>(check_.by_rows),
                 static_cast<unsigned long long>(check_.differ));
  }
  if (address_space_ != nullptr) {
    unw_destroy_addr_space(static_cast<unw_addr_space_t>(address_space_));
  }
}

namespace {

// .debug_frame rewritten as .eh_frame for one load bias, then its search table.
void BuildSyntheticDebugFrame(const CfiTables& cfi, uint64_t bias,
                              DwarfUnwinder::SyntheticEhFrame* eh) {
  const auto& fdes = cfi.debug_frame_fdes;
  std::vector<uint8_t>& bytes = eh->bytes;
  bytes.assign(cfi.debug_frame.begin(), cfi.debug_frame.end());
  auto put32 = [&](uint64_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); };
  auto put64 = [&](uint64_t at, uint64_t v) { std::memcpy(bytes.data() + at, &v, 8); };
  // IndexDebugFrame checked that every FDE's header (length, CIE_pointer, initial_location,
  // address_range) lies inside the section and that its CIE precedes it.
  for (const auto& fde : fdes) {
    put32(fde.cie_offset + 4, 0);                            // CIE_id: 0 in .eh_frame
    put32(fde.offset + 4, fde.offset + 4 - fde.cie_offset);  // CIE pointer: distance back
    put64(fde.offset + 8, fde.initial_location + bias);
  }
  // The search table: {start_ip_offset, fde_offset} int32 pairs sorted by start.
  eh->segbase = eh->base;
  eh->ip_base = fdes.front().initial_location + bias;
  bytes.resize((bytes.size() + 7) & ~size_t{7});
  eh->table_offset = bytes.size();
  for (const auto& fde : fdes) {
    const uint64_t start = fde.initial_location + bias - eh->ip_base;
    if (start > static_cast<uint64_t>(INT32_MAX)) break;  // sorted: the rest are farther
    const auto start32 = static_cast<int32_t>(start);
    const auto offset32 = static_cast<int32_t>(fde.offset);
    bytes.resize(bytes.size() + 8);
    std::memcpy(bytes.data() + bytes.size() - 8, &start32, 4);
    std::memcpy(bytes.data() + bytes.size() - 4, &offset32, 4);
    ++eh->table_count;
    uint64_t end = 0;
    if (CheckedAdd(fde.initial_location + bias, fde.address_range, &end)) {
      eh->ip_end = std::max(eh->ip_end, end);
    }
  }
}

// The search table over an .eh_frame we indexed: the FDEs stay where they are loaded.
void BuildSyntheticEhFrameTable(const CfiTables& cfi, uint64_t bias,
                                DwarfUnwinder::SyntheticEhFrame* eh) {
  const uint64_t ip_base = cfi.eh_frame_fdes.front().initial_location;
  uint64_t ip_end = 0;
  eh->bytes = EhFrameSearchTable(cfi.eh_frame_fdes, ip_base, cfi.eh_frame_vaddr, &ip_end);
  eh->table_offset = 0;
  eh->table_count = eh->bytes.size() / 8;
  eh->segbase = cfi.eh_frame_vaddr + bias;
  eh->ip_base = ip_base + bias;
  eh->ip_end = ip_end + bias;
}

}  // namespace

const DwarfUnwinder::SyntheticEhFrame* DwarfUnwinder::SyntheticFor(const CfiTables& cfi,
                                                                   bool debug_frame,
                                                                   uint64_t bias) {
  const auto key = std::make_tuple(&cfi, debug_frame, bias);
  if (auto it = synthetic_by_table_.find(key); it != synthetic_by_table_.end()) {
    return synthetic_[it->second].get();
  }
  if ((debug_frame ? cfi.debug_frame_fdes.empty() : cfi.eh_frame_fdes.empty()) ||
      synthetic_.size() >= (uint64_t{1} << (63 - kSyntheticSlotShift))) {
    return nullptr;
  }
  auto eh = std::make_unique<SyntheticEhFrame>();
  eh->base = DwarfUnwinder::kSyntheticBit |
             (static_cast<uint64_t>(synthetic_.size()) << kSyntheticSlotShift);
  if (debug_frame) {
    BuildSyntheticDebugFrame(cfi, bias, eh.get());
  } else {
    BuildSyntheticEhFrameTable(cfi, bias, eh.get());
  }
  eh->bytes.resize(eh->bytes.size() + 8, 0);
  synthetic_by_table_.emplace(key, synthetic_.size());
  synthetic_.push_back(std::move(eh));
  return synthetic_.back().get();
}

const DwarfUnwinder::SyntheticEhFrame* DwarfUnwinder::SyntheticAt(uint64_t address) const {
  const uint64_t slot = (address & ~DwarfUnwinder::kSyntheticBit) >> kSyntheticSlotShift;
  return slot < synthetic_.size() ? synthetic_[slot].get() : nullptr;
}

void DwarfUnwinder::WalkFramePointers(uint64_t sp, uint64_t bp, std::span<const uint8_t> stack,
                                      size_t max_frames, std::vector<uint64_t>* pcs) {
  // x86_64 frame layout with frame pointers: [bp] = caller's bp, [bp+8] = return address.
  uint64_t prev = sp;
  for (size_t n = 0; n < max_frames; ++n) {
    if (bp < prev || bp - sp > stack.size() || stack.size() - (bp - sp) < 16) return;
    const uint64_t at = bp - sp;
    uint64_t next_bp = 0, ret = 0;
    (void)LoadU64le(stack, at, &next_bp);  // both inside: checked above
    (void)LoadU64le(stack, at + 8, &ret);
    if (ret == 0) return;
    pcs->push_back(ret);
    if (next_bp <= bp) return;  // the chain must move up the stack
    prev = bp + 16;
    bp = next_bp;
  }
}

void DwarfUnwinder::UnwindCfi(const UserRegs& regs, std::span<const uint8_t> stack,
                              const ImageLookup& lookup, std::vector<uint64_t>* cfi,
                              std::array<uint64_t, kCfiSourceCount>* frames) {
  auto* as = static_cast<unw_addr_space_t>(address_space_);
  if (as == nullptr) return;
  SampleContext ctx(regs, stack, lookup, this);
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, as, &ctx) != 0) return;
  while (cfi->size() < kMaxFrames) {
    // Only CFI counts: libunwind's x86_64 step guesses from rbp when a frame has no FDE,
    // which would pass frame-pointer frames off as CFI ones.
    // (unw_get_proc_info itself reports success without an FDE on x86_64, so our
    // find_proc_info records whether it found one.)
    unw_word_t here = 0;
    const ElfImage* image = nullptr;
    uint64_t vaddr = 0, bias = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &here) == 0 &&
        Locate(ctx, cfi->size() == 1 ? here : here - 1, &image, &vaddr, &bias) &&
        image->IsStackBoundary(vaddr)) {
      break;
    }
    unw_proc_info_t pi;
    ctx.found_fde = false;
    if (unw_get_proc_info(&cursor, &pi) < 0 || !ctx.found_fde) break;
    const CfiSource source = ctx.source;
    if (unw_step(&cursor) <= 0) break;
    unw_word_t pc = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    // A return address points into a mapped binary. Past the top of a stack (e.g. Go's
    // runtime.systemstack on the g0 stack, whose caller lives on the goroutine stack)
    // CFI can still "find" one in leftover stack words: garbage in [stack] or anonymous
    // memory, which ends the unwind.
    MappedImage where;
    if (!lookup(pc, &where)) break;
    cfi->push_back(pc);
    ++(*frames)[static_cast<int>(source)];
  }
}

void DwarfUnwinder::UnwindFromPlt(const UserRegs& regs, std::span<const uint8_t> stack,
                                  const ImageLookup& lookup, uint64_t space_key,
                                  std::vector<uint64_t>* cfi) {
  // A sample in a PLT stub without CFI (static links' .iplt): the stub has not touched the
  // stack, so the return address is at SP; unwind the caller from there.
  if (stack.size() < 16) return;
  SampleContext probe;
  probe.lookup = &lookup;
  const ElfImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0, ret = 0;
  (void)LoadU64le(stack, 0, &ret);  // 16 bytes or more: checked above
  MappedImage m;
  if (!Locate(probe, regs.values[kPerfRegIp], &image, &vaddr, &bias) || !image->IsPlt(vaddr) ||
      !lookup(ret, &m)) {
    return;
  }
  UserRegs caller = regs;
  caller.values[kPerfRegIp] = ret;
  caller.values[kPerfRegSp] = regs.values[kPerfRegSp] + 8;
  std::vector<uint64_t> rest;
  if (UnwindOne(caller, stack.subspan(8), lookup, space_key, &rest) == UnwindMethod::kCfi) {
    cfi->insert(cfi->end(), rest.begin(), rest.end());
  }
}

UnwindMethod DwarfUnwinder::Unwind(const UserRegs& regs, std::span<const uint8_t> stack,
                                   const ImageLookup& lookup, uint64_t space_key,
                                   std::vector<uint64_t>* pcs) {
  if (reference_ == nullptr) return UnwindOne(regs, stack, lookup, space_key, pcs);
  const std::array<uint64_t, kCfiSourceCount> before = cfi_frames_;
  rows_used_ = true;
  const UnwindMethod method = UnwindOne(regs, stack, lookup, space_key, pcs);
  std::array<uint64_t, kCfiSourceCount> frames = {};
  for (int i = 0; i < kCfiSourceCount; ++i) frames[i] = cfi_frames_[i] - before[i];
  CheckAgainstReference(regs, stack, lookup, space_key, method, *pcs, frames);
  return method;
}

UnwindMethod DwarfUnwinder::UnwindOne(const UserRegs& regs, std::span<const uint8_t> stack,
                                      const ImageLookup& lookup, uint64_t space_key,
                                      std::vector<uint64_t>* pcs) {
  pcs->clear();
  if (!regs.Has(kPerfRegIp)) return UnwindMethod::kIpOnly;
  const uint64_t ip = regs.values[kPerfRegIp];
  pcs->push_back(ip);
  if (!regs.Has(kPerfRegSp) || stack.empty()) return UnwindMethod::kIpOnly;
  const uint64_t sp = regs.values[kPerfRegSp];
  auto* as = static_cast<unw_addr_space_t>(address_space_);
  if (as != nullptr && (!have_space_key_ || space_key != space_key_)) {
    unw_flush_cache(as, 0, 0);
    space_key_ = space_key;
    have_space_key_ = true;
  }
  const std::array<uint64_t, kCfiSourceCount> counted_before = cfi_frames_;
  std::vector<uint64_t> cfi{ip};
  std::array<uint64_t, kCfiSourceCount> frames = {};  // per CFI source, this sample's
  if (!use_rows_ || as == nullptr || !UnwindRows(regs, stack, lookup, &cfi, &frames)) {
    rows_used_ = false;
    cfi.assign(1, ip);
    frames = {};
    UnwindCfi(regs, stack, lookup, &cfi, &frames);
  }
  if (cfi.size() == 1) UnwindFromPlt(regs, stack, lookup, space_key, &cfi);
  std::vector<uint64_t> fp{ip};
  if (regs.Has(kPerfRegBp)) {
    WalkFramePointers(sp, regs.values[kPerfRegBp], stack, kMaxFrames - 1, &fp);
  }
  if (cfi.size() > 1 && cfi.size() >= fp.size()) {
    for (int i = 0; i < kCfiSourceCount; ++i) cfi_frames_[i] += frames[i];
    *pcs = std::move(cfi);
    return UnwindMethod::kCfi;
  }
  cfi_frames_ = counted_before;  // a PLT caller's frames, if any, were not used
  if (fp.size() > 1) {
    *pcs = std::move(fp);
    return UnwindMethod::kFramePointers;
  }
  return UnwindMethod::kIpOnly;
}

std::string DwarfUnwinder::CfiSourceSuffix() const {
  std::string out;
  for (int i = 0; i < kCfiSourceCount; ++i) {
    out += (out.empty() ? " (frames by CFI source: " : ", ") + std::to_string(cfi_frames_[i]) +
           " via " + std::string(CfiSourceName(static_cast<CfiSource>(i)));
  }
  uint64_t total = 0;
  for (uint64_t n : cfi_frames_) total += n;
  return total == 0 ? std::string() : out + ")";
}

}  // namespace gcspike
