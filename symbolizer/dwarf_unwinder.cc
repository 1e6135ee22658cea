#include "symbolizer/dwarf_unwinder.h"

#include "symbolizer/elf_symbolizer.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libunwind.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

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
constexpr uint64_t kSyntheticBit = uint64_t{1} << 63;
constexpr int kSyntheticSlotShift = 36;

Elf* AsElf(void* p) { return static_cast<Elf*>(p); }

// perf register number for each libunwind x86_64 register (UNW_X86_64_RAX .. UNW_X86_64_RIP).
constexpr int kPerfRegOfUnwReg[] = {
    kPerfRegAx, kPerfRegDx, kPerfRegCx, kPerfRegBx, kPerfRegSi, kPerfRegDi,
    kPerfRegBp, kPerfRegSp, 16,         17,         18,         19,
    20,         21,         22,         23,         kPerfRegIp,
};

// The state of one sample's unwind, handed to the accessors as libunwind's `arg`.
struct SampleContext {
  const UserRegs* regs = nullptr;
  std::span<const uint8_t> stack;
  uint64_t stack_start = 0;  // the SP at sample time: address of stack[0]
  const ImageLookup* lookup = nullptr;
  DwarfUnwinder* unwinder = nullptr;
  // The image and load bias of the last procedure looked up: memory of its non-executable
  // segments (.eh_frame_hdr, .eh_frame) may lie in mappings perf did not record.
  const UnwindImage* last_image = nullptr;
  uint64_t last_bias = 0;
  // Whether the last find_proc_info call found an FDE.
  bool found_fde = false;
};

// Translates a runtime address to an image and the link-time address (`vaddr`).
bool Locate(const SampleContext& ctx, uint64_t addr, const UnwindImage** image, uint64_t* vaddr,
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

int SearchTables(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                 SampleContext* ctx) {
  void* arg = ctx;
  const UnwindImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0;
  if (!Locate(*ctx, ip, &image, &vaddr, &bias)) return -UNW_ENOINFO;
  ctx->last_image = image;
  ctx->last_bias = bias;
  MappedImage m;
  (*ctx->lookup)(ip, &m);
  unw_dyn_info_t di;
  std::memset(&di, 0, sizeof di);
  di.start_ip = m.start;
  di.end_ip = m.start + m.len;
  if (image->has_eh_frame_hdr()) {
    // .eh_frame_hdr (LSB 10.6.2): 4 header bytes, eh_frame_ptr and fde_count (4 bytes each,
    // checked in Open), then the sorted table of {initial_location, fde} datarel sdata4 pairs.
    di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di.u.rti.segbase = image->eh_frame_hdr_vaddr() + bias;
    di.u.rti.table_data = image->eh_frame_hdr_vaddr() + 12 + bias;
    di.u.rti.table_len = image->eh_frame_hdr_fde_count() * 8 / sizeof(unw_word_t);
    const int ret = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
    if (ret >= 0 || !image->has_debug_frame()) return ret;
  }
  if (!image->has_debug_frame()) return -UNW_ENOINFO;
  const DwarfUnwinder::SyntheticEhFrame* eh = ctx->unwinder->SyntheticFor(image, bias);
  if (eh == nullptr || ip < eh->ip_base || ip >= eh->ip_end) return -UNW_ENOINFO;
  // IP_OFFSET: start_ip_offsets count from di.start_ip, FDE offsets from segbase.
  di.format = UNW_INFO_FORMAT_IP_OFFSET;
  di.start_ip = eh->ip_base;
  di.end_ip = eh->ip_end;
  di.u.rti.segbase = eh->base;
  di.u.rti.table_data = eh->base + eh->table_offset;
  di.u.rti.table_len = eh->table_count * 8 / sizeof(unw_word_t);
  return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
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
  auto* ctx = static_cast<SampleContext*>(arg);
  if ((addr & kSyntheticBit) != 0) {
    const DwarfUnwinder::SyntheticEhFrame* eh = ctx->unwinder->SyntheticAt(addr);
    if (eh == nullptr) return -UNW_EINVAL;
    const uint64_t at = addr - eh->base;
    if (at > eh->bytes.size() || eh->bytes.size() - at < 8) return -UNW_EINVAL;
    std::memcpy(valp, eh->bytes.data() + at, 8);
    return 0;
  }
  if (addr >= ctx->stack_start && addr - ctx->stack_start <= ctx->stack.size() &&
      ctx->stack.size() - (addr - ctx->stack_start) >= 8) {
    std::memcpy(valp, ctx->stack.data() + (addr - ctx->stack_start), 8);
    return 0;
  }
  const UnwindImage* image = nullptr;
  uint64_t vaddr = 0, bias = 0;
  if (Locate(*ctx, addr, &image, &vaddr, &bias)) {
    if (auto off = image->VaddrToFileOffset(vaddr); off && image->ReadFileWord(*off, valp)) {
      return 0;
    }
  }
  if (ctx->last_image != nullptr) {
    if (auto off = ctx->last_image->VaddrToFileOffset(addr - ctx->last_bias);
        off && ctx->last_image->ReadFileWord(*off, valp)) {
      return 0;
    }
  }
  return -UNW_EINVAL;
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

unw_accessors_t kAccessors = {FindProcInfo, PutUnwindInfo, GetDynInfoListAddr, AccessMem,
                              AccessReg,    AccessFpreg,   Resume,             GetProcName};

}  // namespace

Result<UserRegs> ParseRegsUser(ByteCursor& c, uint64_t sample_regs_user) {
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

Result<std::span<const uint8_t>> ParseStackUser(ByteCursor& c) {
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

std::vector<UnwindImage::DebugFrameFde> UnwindImage::IndexDebugFrame(
    std::span<const uint8_t> section) {
  std::vector<DebugFrameFde> fdes;
  std::vector<uint64_t> cies;  // offsets, ascending
  ByteCursor c(section);
  while (c.remaining() >= 4) {
    const uint64_t entry_offset = c.pos();
    const uint64_t length = *c.u32le();
    if (length >= 0xfffffff0u) break;  // 64-bit DWARF or reserved (DWARF 4 section 7.4)
    ByteCursor body;
    if (!c.try_sub(length, body)) break;
    if (entry_offset > UINT32_MAX - 8) break;
    auto id = body.u32le();
    if (!id.ok()) continue;
    if (*id == 0xffffffffu) {  // CIE_id
      cies.push_back(entry_offset);
      continue;
    }
    // An FDE: CIE_pointer (a section offset), initial_location, address_range.
    if (!std::binary_search(cies.begin(), cies.end(), uint64_t{*id})) continue;
    auto location = body.u64le();
    auto range = body.u64le();
    if (!location.ok() || !range.ok() || *range == 0) continue;
    fdes.push_back({*location, *range, static_cast<uint32_t>(entry_offset), *id});
  }
  std::sort(fdes.begin(), fdes.end(), [](const DebugFrameFde& a, const DebugFrameFde& b) {
    return a.initial_location < b.initial_location;
  });
  return fdes;
}

Result<std::unique_ptr<UnwindImage>> UnwindImage::Open(const std::string& path) {
  std::unique_ptr<UnwindImage> img(new UnwindImage());
  GCSPIKE_RETURN_IF_ERROR(OpenElfFile(path, &img->fd_, &img->elf_));
  Elf* elf = static_cast<Elf*>(img->elf_);
  if (gelf_getclass(elf) != ELFCLASS64) return MakeError(path + ": not a 64-bit ELF file");
  size_t raw_size = 0;
  const char* raw = elf_rawfile(elf, &raw_size);
  if (raw == nullptr) return MakeError(path + ": cannot read the file image");
  img->file_ = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw), raw_size);
  img->build_id_ = ElfBuildId(elf);

  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
      uint64_t end = 0;
      if (!CheckedAdd(ph.p_offset, ph.p_filesz, &end) || end > raw_size) continue;
      img->segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
    }
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return img;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type == SHT_NOBITS) continue;
    const char* name_ptr = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name_ptr == nullptr) continue;
    const std::string_view name(name_ptr);
    if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize != 0) {
      static constexpr std::string_view kBoundaries[] = {
          "runtime.systemstack", "runtime.systemstack.abi0", "runtime.mcall",
          "runtime.morestack",   "runtime.morestack.abi0",   "runtime.mstart",
          "runtime.mstart.abi0", "runtime.rt0_go.abi0",      "runtime.goexit.abi0"};
      Elf_Data* data = elf_getdata(scn, nullptr);
      const size_t count = data != nullptr ? data->d_size / sh.sh_entsize : 0;
      for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr ||
            GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0) {
          continue;
        }
        const char* sym_name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (sym_name == nullptr || std::string_view(sym_name).rfind("runtime.", 0) != 0) continue;
        if (std::find(std::begin(kBoundaries), std::end(kBoundaries), sym_name) !=
            std::end(kBoundaries)) {
          img->stack_boundaries_.emplace_back(sym.st_value, sym.st_value + sym.st_size);
        }
      }
    } else if (name == ".eh_frame_hdr") {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data == nullptr || data->d_buf == nullptr || data->d_size < 12) continue;
      const auto* p = static_cast<const uint8_t*>(data->d_buf);
      // version 1; eh_frame_ptr 4 bytes (DW_EH_PE_[us]data4, optionally pcrel); fde_count
      // DW_EH_PE_udata4; table DW_EH_PE_datarel|sdata4: the only layout libunwind searches.
      const bool ptr4 = (p[1] & 0x0f) == 0x03 || (p[1] & 0x0f) == 0x0b;
      if (p[0] != 1 || !ptr4 || p[2] != 0x03 || p[3] != 0x3b) continue;
      uint32_t count = 0;
      std::memcpy(&count, p + 8, 4);
      if (count == 0 || (data->d_size - 12) / 8 < count) continue;
      img->eh_frame_hdr_vaddr_ = sh.sh_addr;
      img->eh_frame_hdr_fde_count_ = count;
    } else if (name == ".debug_frame" || name == ".zdebug_frame") {
      // Go compresses its DWARF: SHF_COMPRESSED (ELF gABI) since Go 1.20 with the external
      // linker and by default in newer Go, the GNU ".zdebug" form before. libelf inflates both.
      if ((sh.sh_flags & SHF_COMPRESSED) != 0) {
        if (elf_compress(scn, 0, 0) < 0) continue;
      } else if (name == ".zdebug_frame") {
        if (elf_compress_gnu(scn, 0, 0) < 0) continue;
      }
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data == nullptr || data->d_buf == nullptr || data->d_size == 0) continue;
      const auto* p = static_cast<const uint8_t*>(data->d_buf);
      img->debug_frame_.assign(p, p + data->d_size);
    }
  }
  if (!img->debug_frame_.empty()) img->debug_frame_fdes_ = IndexDebugFrame(img->debug_frame_);
  return img;
}

const UnwindImage* UnwindImageCache::Get(const std::string& mapped_path,
                                         const RecordedFile& recorded) {
  auto found = cache_.find(mapped_path);
  if (found != cache_.end()) return found->second.get();
  // The symbolizer's search and check (BinaryCache): CFI from another build of the binary
  // would unwind into garbage.
  std::unique_ptr<UnwindImage> chosen;
  // The symbolizer warns about rejected candidates; the same ones are rejected here.
  for (const BinaryCandidate& c :
       BinaryCandidates(mapped_path, recorded.build_id, binaries_, symfs_)) {
    if (!CheckCandidateFile(c.path).ok()) continue;
    auto opened = UnwindImage::Open(c.path);
    if (!opened.ok()) continue;
    bool unverified = false;
    if (!VerifyCandidate(c, (*opened)->build_id(), recorded, &unverified).ok()) continue;
    chosen = std::move(opened).value();
    break;
  }
  const UnwindImage* out = chosen.get();
  cache_.emplace(mapped_path, std::move(chosen));
  return out;
}

UnwindImage::~UnwindImage() {
  if (elf_ != nullptr) elf_end(AsElf(elf_));
  if (fd_ >= 0) ::close(fd_);
}

bool UnwindImage::IsStackBoundary(uint64_t vaddr) const {
  for (const auto& [start, end] : stack_boundaries_) {
    if (vaddr >= start && vaddr < end) return true;
  }
  return false;
}

std::optional<uint64_t> UnwindImage::FileOffsetToVaddr(uint64_t offset) const {
  for (const Segment& s : segments_) {
    if (offset >= s.offset && offset - s.offset < s.filesz) return s.vaddr + (offset - s.offset);
  }
  return std::nullopt;
}

std::optional<uint64_t> UnwindImage::VaddrToFileOffset(uint64_t vaddr) const {
  for (const Segment& s : segments_) {
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) return s.offset + (vaddr - s.vaddr);
  }
  return std::nullopt;
}

bool UnwindImage::ReadFileWord(uint64_t offset, uint64_t* out) const {
  if (offset > file_.size() || file_.size() - offset < 8) return false;
  std::memcpy(out, file_.data() + offset, 8);
  return true;
}

DwarfUnwinder::DwarfUnwinder() {
  unw_addr_space_t as = unw_create_addr_space(&kAccessors, 0);
  if (as != nullptr) unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
  address_space_ = as;
}

DwarfUnwinder::~DwarfUnwinder() {
  if (address_space_ != nullptr) unw_destroy_addr_space(static_cast<unw_addr_space_t>(address_space_));
}

const DwarfUnwinder::SyntheticEhFrame* DwarfUnwinder::SyntheticFor(const UnwindImage* image,
                                                                   uint64_t bias) {
  auto& copies = synthetic_by_image_[image];
  for (const auto& [b, slot] : copies) {
    if (b == bias) return synthetic_[slot].get();
  }
  const auto& fdes = image->debug_frame_fdes();
  const std::span<const uint8_t> section = image->debug_frame();
  if (fdes.empty() || synthetic_.size() >= (uint64_t{1} << (63 - kSyntheticSlotShift))) {
    return nullptr;
  }
  auto eh = std::make_unique<SyntheticEhFrame>();
  eh->base = kSyntheticBit | (static_cast<uint64_t>(synthetic_.size()) << kSyntheticSlotShift);
  std::vector<uint8_t>& bytes = eh->bytes;
  bytes.assign(section.begin(), section.end());
  auto put32 = [&](uint64_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); };
  auto put64 = [&](uint64_t at, uint64_t v) { std::memcpy(bytes.data() + at, &v, 8); };
  // IndexDebugFrame checked that every FDE's header (length, CIE_pointer, initial_location,
  // address_range) lies inside the section and that its CIE precedes it.
  for (const auto& fde : fdes) {
    put32(fde.cie_offset + 4, 0);                      // CIE_id: 0 in .eh_frame
    put32(fde.offset + 4, fde.offset + 4 - fde.cie_offset);  // CIE pointer: distance back
    put64(fde.offset + 8, fde.initial_location + bias);
  }
  // The search table: {start_ip_offset, fde_offset} int32 pairs sorted by start.
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
  bytes.resize(bytes.size() + 8, 0);
  copies.emplace_back(bias, synthetic_.size());
  synthetic_.push_back(std::move(eh));
  return synthetic_.back().get();
}

const DwarfUnwinder::SyntheticEhFrame* DwarfUnwinder::SyntheticAt(uint64_t address) const {
  const uint64_t slot = (address & ~kSyntheticBit) >> kSyntheticSlotShift;
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
    std::memcpy(&next_bp, stack.data() + at, 8);
    std::memcpy(&ret, stack.data() + at + 8, 8);
    if (ret == 0) return;
    pcs->push_back(ret);
    if (next_bp <= bp) return;  // the chain must move up the stack
    prev = bp + 16;
    bp = next_bp;
  }
}

UnwindMethod DwarfUnwinder::Unwind(const UserRegs& regs, std::span<const uint8_t> stack,
                                   const ImageLookup& lookup, uint64_t space_key,
                                   std::vector<uint64_t>* pcs) {
  pcs->clear();
  if (!regs.Has(kPerfRegIp)) return UnwindMethod::kIpOnly;
  const uint64_t ip = regs.values[kPerfRegIp];
  pcs->push_back(ip);
  if (!regs.Has(kPerfRegSp) || stack.empty()) return UnwindMethod::kIpOnly;
  const uint64_t sp = regs.values[kPerfRegSp];

  std::vector<uint64_t> cfi{ip};
  auto* as = static_cast<unw_addr_space_t>(address_space_);
  if (as != nullptr) {
    if (!have_space_key_ || space_key != space_key_) {
      unw_flush_cache(as, 0, 0);
      space_key_ = space_key;
      have_space_key_ = true;
    }
    SampleContext ctx;
    ctx.regs = &regs;
    ctx.stack = stack;
    ctx.stack_start = sp;
    ctx.lookup = &lookup;
    ctx.unwinder = this;
    unw_cursor_t cursor;
    if (unw_init_remote(&cursor, as, &ctx) == 0) {
      while (cfi.size() < kMaxFrames) {
        // Only CFI counts: libunwind's x86_64 step guesses from rbp when a frame has no FDE,
        // which would pass frame-pointer frames off as CFI ones.
        // (unw_get_proc_info itself reports success without an FDE on x86_64, so our
        // find_proc_info records whether it found one.)
        unw_word_t here = 0;
        const UnwindImage* image = nullptr;
        uint64_t vaddr = 0, bias = 0;
        if (unw_get_reg(&cursor, UNW_REG_IP, &here) == 0 &&
            Locate(ctx, cfi.size() == 1 ? here : here - 1, &image, &vaddr, &bias) &&
            image->IsStackBoundary(vaddr)) {
          break;
        }
        unw_proc_info_t pi;
        ctx.found_fde = false;
        if (unw_get_proc_info(&cursor, &pi) < 0 || !ctx.found_fde) break;
        if (unw_step(&cursor) <= 0) break;
        unw_word_t pc = 0;
        if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
        // A return address points into a mapped binary. Past the top of a stack (e.g. Go's
        // runtime.systemstack on the g0 stack, whose caller lives on the goroutine stack)
        // CFI can still "find" one in leftover stack words: garbage in [stack] or anonymous
        // memory, which ends the unwind.
        MappedImage where;
        if (!lookup(pc, &where)) break;
        cfi.push_back(pc);
      }
    }
  }
  std::vector<uint64_t> fp{ip};
  if (regs.Has(kPerfRegBp)) WalkFramePointers(sp, regs.values[kPerfRegBp], stack, kMaxFrames - 1, &fp);
  if (cfi.size() > 1 && cfi.size() >= fp.size()) {
    *pcs = std::move(cfi);
    return UnwindMethod::kCfi;
  }
  if (fp.size() > 1) {
    *pcs = std::move(fp);
    return UnwindMethod::kFramePointers;
  }
  return UnwindMethod::kIpOnly;
}

}  // namespace gcspike
