#include "symbolizer/elf_image.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/hex.h"
#include "core/mapped_regions.h"
#include "symbolizer/binary_locator.h"

namespace gcspike {
namespace {

Elf* AsElf(void* p) { return static_cast<Elf*>(p); }

// The NT_GNU_BUILD_ID descriptor in a block of ELF notes, as hex; empty when absent.
std::string GnuBuildId(Elf_Data* data) {
  if (data == nullptr) return {};
  size_t off = 0;
  GElf_Nhdr nh;
  size_t name_off = 0, desc_off = 0;
  while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        std::memcmp(static_cast<const char*>(data->d_buf) + name_off, "GNU", 4) == 0) {
      return HexBytes(std::span<const uint8_t>(static_cast<const uint8_t*>(data->d_buf) + desc_off,
                                               nh.n_descsz));
    }
  }
  return {};
}

std::span<const uint8_t> SectionBytes(Elf_Scn* scn) {
  Elf_Data* d = scn != nullptr ? elf_getdata(scn, nullptr) : nullptr;
  if (d == nullptr || d->d_buf == nullptr) return {};
  return {static_cast<const uint8_t*>(d->d_buf), d->d_size};
}

bool IsStackBoundaryName(std::string_view name) {
  static constexpr std::string_view kBoundaries[] = {
      "runtime.systemstack", "runtime.systemstack.abi0", "runtime.mcall",
      "runtime.morestack",   "runtime.morestack.abi0",   "runtime.mstart",
      "runtime.mstart.abi0", "runtime.rt0_go.abi0",      "runtime.goexit.abi0"};
  return name.rfind("runtime.", 0) == 0 &&
         std::find(std::begin(kBoundaries), std::end(kBoundaries), name) != std::end(kBoundaries);
}

}  // namespace

Status ElfImage::OpenFile() {
  elf_version(EV_CURRENT);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) return MakeError(path_ + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    return MakeError(path_ + ": not a regular file");
  }
  map_len_ = static_cast<size_t>(st.st_size);
  // Mapped and registered here, so that a file cut short while it is read faults into zeros
  // rather than killing gcspike (core/mapped_regions.h); libelf and libdw read the mapping
  // (elf_memory). Private and writable: libelf writes section headers in place (OpenLookupDwarf
  // in elf_symbolizer.cc, elf_compress), into copies of the pages it writes.
  void* m = map_len_ > 0 ? ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd_, 0)
                         : MAP_FAILED;
  if (m != MAP_FAILED) region_ = RegisterMappedRegion(m, map_len_, 0, /*writable=*/true);
  if (region_ >= 0) {
    map_ = m;
    elf_ = elf_memory(static_cast<char*>(m), map_len_);
  } else {
    // Not mappable, or no rescue (every slot taken, or a sanitizer kept SIGBUS): libelf maps
    // the file itself, unprotected, as it would without us.
    if (m != MAP_FAILED) ::munmap(m, map_len_);
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
  }
  // Zeros read past a cut may make anything of the headers: the cut is the error then.
  GCSPIKE_RETURN_IF_ERROR(CheckNotShrunk());
  if (elf_ == nullptr || elf_kind(AsElf(elf_)) != ELF_K_ELF) {
    return MakeError(path_ + ": not an ELF file");
  }
  // Symbols, .gopclntab and DWARF are all found through the section headers: a file whose
  // headers cannot be read would symbolize nothing, and say nothing about it.
  size_t shnum = 0;
  if (elf_getshdrnum(AsElf(elf_), &shnum) != 0) {
    return MakeError(path_ + ": its ELF section headers cannot be read (" +
                     std::string(elf_errmsg(-1)) + ")");
  }
  if (shnum == 0 || elf_nextscn(AsElf(elf_), nullptr) == nullptr) {
    return MakeError(path_ + ": has no readable ELF section headers (nothing to symbolize with)");
  }
  return {};
}

std::string ElfBuildId(void* elf_handle) {
  Elf* elf = AsElf(elf_handle);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_NOTE) continue;
      std::string id = GnuBuildId(
          elf_getdata_rawchunk(elf, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_NHDR));
      if (!id.empty()) return id;
    }
  }
  // Go puts .note.gnu.build-id outside its PT_NOTE segment: look at note sections too.
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_NOTE) continue;
    std::string id = GnuBuildId(elf_getdata(scn, nullptr));
    if (!id.empty()) return id;
  }
  return {};
}

Result<std::shared_ptr<ElfImage>> ElfImage::Open(const std::string& path) {
  std::shared_ptr<ElfImage> b(new ElfImage());
  b->path_ = path;
  GCSPIKE_RETURN_IF_ERROR(b->OpenFile());
  b->Index();
  GCSPIKE_RETURN_IF_ERROR(b->CheckNotShrunk());
  return b;
}

Result<std::shared_ptr<ElfImage>> ElfImage::OpenMemory(std::span<const uint8_t> image) {
  elf_version(EV_CURRENT);
  std::shared_ptr<ElfImage> b(new ElfImage());
  // A private copy: elf_memory may write to the image (it opens it like a private mapping).
  b->image_.assign(image.begin(), image.end());
  if (b->image_.empty()) return MakeErrorAt(0, "in-memory ELF image is empty");
  Elf* elf = elf_memory(reinterpret_cast<char*>(b->image_.data()), b->image_.size());
  b->elf_ = elf;
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    return MakeErrorAt(0, "in-memory image is not an ELF file");
  }
  b->Index();
  return b;
}

Result<std::shared_ptr<ElfImage>> ElfImage::OpenRunningVdso() {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return MakeError("this process has no vDSO");
  // The kernel maps the whole vDSO image, its section headers (last in the image) included;
  // its size is wherever the furthest of segments and header tables ends.
  const auto* ehdr = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64) {
    return MakeError("the vDSO is not a 64-bit ELF image");
  }
  uint64_t size = std::max<uint64_t>(ehdr->e_phoff + uint64_t{ehdr->e_phnum} * ehdr->e_phentsize,
                                     ehdr->e_shoff + uint64_t{ehdr->e_shnum} * ehdr->e_shentsize);
  const auto* phdrs = reinterpret_cast<const Elf64_Phdr*>(base + ehdr->e_phoff);
  for (size_t i = 0; i < ehdr->e_phnum; ++i) {
    size = std::max<uint64_t>(size, phdrs[i].p_offset + phdrs[i].p_filesz);
  }
  return OpenMemory(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(base), size));
}

ElfImage::~ElfImage() {
  if (elf_ != nullptr) elf_end(AsElf(elf_));
  UnregisterMappedRegion(region_);
  if (map_ != nullptr) ::munmap(map_, map_len_);
  if (fd_ >= 0) ::close(fd_);
}

Status ElfImage::CheckNotShrunk() const {
  if (fd_ >= 0) {
    if (std::optional<uint64_t> at = MappedFileCut(region_, fd_, map_len_)) {
      return FileShrankError(path_, *at);
    }
  }
  if (debug_cut_.has_value()) return *debug_cut_;
  if (debug_file_.has_value() && *debug_file_ != nullptr) return (*debug_file_)->CheckNotShrunk();
  return {};
}

void ElfImage::Index() {
  Elf* elf = AsElf(elf_);
  size_t raw_size = 0;
  if (const char* raw = elf_rawfile(elf, &raw_size); raw != nullptr) {
    file_ = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw), raw_size);
  }
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr) continue;
      if (ph.p_type == PT_LOAD) segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
    }
  }
  build_id_ = ElfBuildId(elf);
  Elf_Scn* symtab = nullptr;
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* gopclntab = nullptr;
  uint64_t text_addr = 0;
  uint64_t moduledata_section = 0;  // where the Go linker puts the moduledata
  size_t shstrndx = 0;
  const bool have_shstrndx = elf_getshdrstrndx(elf, &shstrndx) == 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
    const char* name_ptr = have_shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    const std::string_view name = name_ptr != nullptr ? name_ptr : "";
    if (name == ".gopclntab") gopclntab = scn;
    if (name == ".text") text_addr = sh.sh_addr;
    // .go.module in recent Go, .noptrdata before it.
    if (name == ".go.module" || (name == ".noptrdata" && moduledata_section == 0)) {
      moduledata_section = sh.sh_addr;
    }
    if ((name == ".plt" || name == ".iplt" || name == ".plt.sec" || name == ".plt.got") &&
        (sh.sh_flags & SHF_EXECINSTR) != 0) {
      plt_.emplace_back(sh.sh_addr, sh.sh_addr + sh.sh_size);
    }
    if (name == ".gnu_debuglink" && sh.sh_type != SHT_NOBITS) {
      // The file name, NUL, padding to 4 bytes, then the CRC-32
      // (docs/formats/elf-dwarf.md#separate-debug-files).
      const std::span<const uint8_t> d = SectionBytes(scn);
      const auto nul = std::find(d.begin(), d.end(), uint8_t{0});
      const size_t crc_at = ((static_cast<size_t>(nul - d.begin()) + 1) + 3) & ~size_t{3};
      if (nul != d.end() && nul != d.begin() && crc_at + 4 <= d.size()) {
        debuglink_.assign(d.begin(), nul);
        std::memcpy(&debuglink_crc_, d.data() + crc_at, 4);
      }
    }
  }
  IndexGopclntab(gopclntab, text_addr, moduledata_section);
  // Symbols: .symtab when present (full), else .dynsym (exported only).
  IndexSymbols(symtab != nullptr ? symtab : dynsym);
}

void ElfImage::IndexGopclntab(void* scn_handle, uint64_t text_addr, uint64_t moduledata_section) {
  // Stripped Go binaries keep .gopclntab (the runtime's own symbol table): the symbolizer uses
  // it for addresses the ELF symbols miss. A malformed one is ignored, like unusable DWARF.
  auto* gopclntab = static_cast<Elf_Scn*>(scn_handle);
  const std::span<const uint8_t> bytes = SectionBytes(gopclntab);
  if (bytes.data() == nullptr) return;
  auto table = GoPclntab::Parse(bytes, text_addr);
  if (!table.ok()) return;
  gopclntab_ = std::move(table).value();
  // The inline trees live in go:func.* (in .rodata, or inside .gopclntab with recent linkers);
  // the moduledata that says where is in .go.module (recent Go) or .noptrdata.
  Elf* elf = AsElf(elf_);
  std::vector<GoPclntab::MemoryRegion> regions;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_PROGBITS ||
        (sh.sh_flags & SHF_ALLOC) == 0) {
      continue;
    }
    const std::span<const uint8_t> d = SectionBytes(scn);
    if (d.data() != nullptr) regions.push_back({sh.sh_addr, d});
  }
  GElf_Shdr pcln_sh;
  if (gelf_getshdr(gopclntab, &pcln_sh) != nullptr) {
    gopclntab_->AttachMemory(std::move(regions), pcln_sh.sh_addr, moduledata_section);
  }
}

void ElfImage::IndexSymbols(void* scn_handle) {
  auto* chosen = static_cast<Elf_Scn*>(scn_handle);
  GElf_Shdr sh;
  Elf_Data* data = chosen != nullptr ? elf_getdata(chosen, nullptr) : nullptr;
  if (data == nullptr || gelf_getshdr(chosen, &sh) == nullptr || sh.sh_entsize == 0) return;
  Elf* elf = AsElf(elf_);
  const size_t count = sh.sh_size / sh.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
    const int type = GELF_ST_TYPE(sym.st_info);
    if ((type != STT_FUNC && type != STT_NOTYPE) || sym.st_shndx == SHN_UNDEF ||
        sym.st_value == 0) {
      continue;
    }
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (name == nullptr || name[0] == '\0') continue;
    // STT_NOTYPE covers assembly labels; keep them only if sized, like perf does for text.
    if (type == STT_NOTYPE && sym.st_size == 0) continue;
    symbols_.push_back({sym.st_value, sym.st_size, name});
    if (sh.sh_type == SHT_SYMTAB && type == STT_FUNC && sym.st_size != 0 &&
        IsStackBoundaryName(name)) {
      stack_boundaries_.emplace_back(sym.st_value, sym.st_value + sym.st_size);
    }
  }
  std::stable_sort(symbols_.begin(), symbols_.end(),
                   [](const Symbol& x, const Symbol& y) { return x.start < y.start; });
}

const ElfImage::Symbol* ElfImage::FindSymbol(uint64_t vaddr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  if (it == symbols_.begin()) return nullptr;
  --it;
  // Zero-sized symbols cover up to the next symbol (assembly without .size).
  if (it->size != 0 && vaddr - it->start >= it->size) return nullptr;
  return &*it;
}

bool ElfImage::IsStackBoundary(uint64_t vaddr) const {
  for (const auto& [start, end] : stack_boundaries_) {
    if (vaddr >= start && vaddr < end) return true;
  }
  return false;
}

bool ElfImage::IsPlt(uint64_t vaddr) const {
  for (const auto& [start, end] : plt_) {
    if (vaddr >= start && vaddr < end) return true;
  }
  return false;
}

std::optional<uint64_t> ElfImage::FileOffsetToVaddr(uint64_t offset) const {
  for (const Segment& s : segments_) {
    if (offset >= s.offset && offset - s.offset < s.filesz) return s.vaddr + (offset - s.offset);
  }
  return std::nullopt;
}

std::optional<uint64_t> ElfImage::VaddrToFileOffset(uint64_t vaddr) const {
  for (const Segment& s : segments_) {
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) return s.offset + (vaddr - s.vaddr);
  }
  return std::nullopt;
}

bool ElfImage::ReadFileWord(uint64_t offset, uint64_t* out) const {
  if (offset > file_.size() || file_.size() - offset < 8) return false;
  std::memcpy(out, file_.data() + offset, 8);
  return true;
}

const CfiTables& ElfImage::Cfi() const {
  if (cfi_ == nullptr) {
    cfi_ = std::make_unique<CfiTables>();
    if (gelf_getclass(AsElf(elf_)) == ELFCLASS64) IndexCfi(*cfi_);
  }
  return *cfi_;
}

void ElfImage::IndexCfi(CfiTables& cfi) const {
  Elf* elf = AsElf(elf_);
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type == SHT_NOBITS) continue;
    const char* name_ptr = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name_ptr == nullptr) continue;
    const std::string_view name(name_ptr);
    if (name == ".eh_frame_hdr") {
      const std::span<const uint8_t> p = SectionBytes(scn);
      if (p.size() < 12) continue;
      // version 1; eh_frame_ptr 4 bytes (DW_EH_PE_[us]data4, optionally pcrel); fde_count
      // DW_EH_PE_udata4; table DW_EH_PE_datarel|sdata4: the only layout libunwind searches
      // (docs/formats/elf-dwarf.md#eh-frame-header).
      const bool ptr4 = (p[1] & 0x0f) == 0x03 || (p[1] & 0x0f) == 0x0b;
      if (p[0] != 1 || !ptr4 || p[2] != 0x03 || p[3] != 0x3b) continue;
      uint32_t count = 0;
      std::memcpy(&count, p.data() + 8, 4);
      if (count == 0 || (p.size() - 12) / 8 < count) continue;
      cfi.eh_frame_hdr_vaddr = sh.sh_addr;
      cfi.eh_frame_hdr_fde_count = count;
    } else if (name == ".eh_frame") {
      cfi.eh_frame = SectionBytes(scn);
      cfi.eh_frame_vaddr = sh.sh_addr;
    } else if (name == ".debug_frame" || name == ".zdebug_frame") {
      // Go compresses its DWARF: SHF_COMPRESSED (ELF gABI) since Go 1.20 with the external
      // linker and by default in newer Go, the GNU ".zdebug" form before. libelf inflates both
      // (libdw may have done it already for the symbolizer: then the data is plain).
      if ((sh.sh_flags & SHF_COMPRESSED) != 0) {
        if (elf_compress(scn, 0, 0) < 0) continue;
      } else if (name == ".zdebug_frame") {
        const std::span<const uint8_t> raw = SectionBytes(scn);
        const bool gnu_zlib = raw.size() >= 4 && std::memcmp(raw.data(), "ZLIB", 4) == 0;
        if (gnu_zlib && elf_compress_gnu(scn, 0, 0) < 0) continue;
      }
      const std::span<const uint8_t> d = SectionBytes(scn);
      cfi.debug_frame.assign(d.begin(), d.end());
    }
  }
  // Without a header we can search, the table it would hold, built here once.
  if (cfi.eh_frame_hdr_fde_count == 0 && !cfi.eh_frame.empty()) {
    cfi.eh_frame_fdes = IndexEhFrame(cfi.eh_frame, cfi.eh_frame_vaddr);
  }
  if (!cfi.debug_frame.empty()) cfi.debug_frame_fdes = IndexDebugFrame(cfi.debug_frame);
}

const ElfImage* ElfImage::DebugFile() const {
  if (!debug_file_.has_value()) {
    Result<std::shared_ptr<ElfImage>> found = FindDebugFile(*this, debug_root_);
    if (!found.ok()) debug_cut_ = found.error();
    debug_file_ = found.ok() ? std::move(found).value() : nullptr;
  }
  return debug_file_->get();
}

}  // namespace gcspike
