#include "symbolizer/elf_symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace gcspike {
namespace {

Elf* AsElf(void* p) { return static_cast<Elf*>(p); }
Dwarf* AsDwarf(void* p) { return static_cast<Dwarf*>(p); }

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[data[i] >> 4]);
    s.push_back(kDigits[data[i] & 15]);
  }
  return s;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The source file named by a DW_AT_call_file index in the CU's file table.
std::string CallFile(Dwarf_Die* cudie, Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(scope, DW_AT_call_file, &attr) == nullptr ||
      dwarf_formudata(&attr, &index) != 0) {
    return {};
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || index >= nfiles) return {};
  const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
  return name != nullptr ? name : "";
}

int64_t CallLine(Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(scope, DW_AT_call_line, &attr) == nullptr ||
      dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<int64_t>(line);
}

// The NT_GNU_BUILD_ID descriptor in a block of ELF notes, as hex; empty when absent.
std::string GnuBuildId(Elf_Data* data) {
  if (data == nullptr) return {};
  size_t off = 0;
  GElf_Nhdr nh;
  size_t name_off = 0, desc_off = 0;
  while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        std::memcmp(static_cast<const char*>(data->d_buf) + name_off, "GNU", 4) == 0) {
      return Hex(static_cast<const uint8_t*>(data->d_buf) + desc_off, nh.n_descsz);
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ElfBinary>> ElfBinary::Open(const std::string& path) {
  elf_version(EV_CURRENT);
  std::unique_ptr<ElfBinary> b(new ElfBinary());
  b->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (b->fd_ < 0) return MakeError(path + ": cannot open: " + std::strerror(errno));
  // Paths come from the input: refuse devices and FIFOs (a FIFO would block, /dev/zero never
  // ends).
  struct stat st;
  if (fstat(b->fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    return MakeError(path + ": not a regular file");
  }
  Elf* elf = elf_begin(b->fd_, ELF_C_READ_MMAP, nullptr);
  b->elf_ = elf;
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) return MakeError(path + ": not an ELF file");

  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr) continue;
      if (ph.p_type == PT_LOAD) b->segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
      if (ph.p_type == PT_NOTE && b->build_id_.empty()) {
        b->build_id_ = GnuBuildId(elf_getdata_rawchunk(elf, static_cast<int64_t>(ph.p_offset),
                                                       ph.p_filesz, ELF_T_NHDR));
      }
    }
  }
  // Symbols: .symtab when present (full), else .dynsym (exported only).
  Elf_Scn* symtab = nullptr;
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* gopclntab = nullptr;
  uint64_t text_addr = 0;
  size_t shstrndx = 0;
  const bool have_shstrndx = elf_getshdrstrndx(elf, &shstrndx) == 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
    const char* sec_name = have_shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    if (sec_name != nullptr && std::string_view(sec_name) == ".gopclntab") gopclntab = scn;
    if (sec_name != nullptr && std::string_view(sec_name) == ".text") text_addr = sh.sh_addr;
    // Go puts .note.gnu.build-id outside its PT_NOTE segment: look at note sections too.
    if (sh.sh_type == SHT_NOTE && b->build_id_.empty()) {
      b->build_id_ = GnuBuildId(elf_getdata(scn, nullptr));
    }
  }
  // Stripped Go binaries keep .gopclntab (the runtime's own symbol table): use it for
  // addresses the ELF symbols miss. A malformed one is ignored, like unusable DWARF.
  if (Elf_Data* data = gopclntab != nullptr ? elf_getdata(gopclntab, nullptr) : nullptr;
      data != nullptr && data->d_buf != nullptr) {
    auto table = GoPclntab::Parse(
        std::span<const uint8_t>(static_cast<const uint8_t*>(data->d_buf), data->d_size),
        text_addr);
    if (table.ok()) b->gopclntab_ = std::move(table).value();
  }
  Elf_Scn* chosen = symtab != nullptr ? symtab : dynsym;
  if (chosen != nullptr) {
    GElf_Shdr sh;
    Elf_Data* data = elf_getdata(chosen, nullptr);
    if (gelf_getshdr(chosen, &sh) != nullptr && data != nullptr && sh.sh_entsize != 0) {
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
        b->symbols_.push_back({sym.st_value, sym.st_size, name});
      }
      std::stable_sort(b->symbols_.begin(), b->symbols_.end(),
                       [](const Symbol& x, const Symbol& y) { return x.start < y.start; });
    }
  }
  b->dwarf_ = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);  // null: no (usable) DWARF
  if (b->dwarf_ != nullptr) {
    // Address ranges of every compile unit. dwarf_addrdie needs .debug_aranges, which the Go
    // linker does not write, so we index the CUs' DW_AT_low_pc/high_pc/ranges ourselves.
    Dwarf* dw = AsDwarf(b->dwarf_);
    Dwarf_Off off = 0, next = 0;
    size_t header_size = 0;
    while (dwarf_nextcu(dw, off, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cudie;
      if (dwarf_offdie(dw, off + header_size, &cudie) != nullptr) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        ptrdiff_t it = 0;
        while ((it = dwarf_ranges(&cudie, it, &base, &start, &end)) > 0) {
          if (end > start) b->cu_ranges_.push_back({start, end, off + header_size});
        }
      }
      off = next;
    }
    std::sort(b->cu_ranges_.begin(), b->cu_ranges_.end(),
              [](const CuRange& x, const CuRange& y) { return x.start < y.start; });
  }
  return b;
}

ElfBinary::~ElfBinary() {
  if (dwarf_ != nullptr) dwarf_end(AsDwarf(dwarf_));
  if (elf_ != nullptr) elf_end(AsElf(elf_));
  if (fd_ >= 0) ::close(fd_);
}

std::optional<uint64_t> ElfBinary::FileOffsetToVaddr(uint64_t file_offset) const {
  for (const LoadSegment& s : segments_) {
    if (file_offset >= s.offset && file_offset - s.offset < s.filesz) {
      return file_offset - s.offset + s.vaddr;
    }
  }
  return std::nullopt;
}

const ElfBinary::Symbol* ElfBinary::FindSymbol(uint64_t vaddr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  if (it == symbols_.begin()) return nullptr;
  --it;
  // Zero-sized symbols cover up to the next symbol (assembly without .size).
  if (it->size != 0 && vaddr - it->start >= it->size) return nullptr;
  return &*it;
}

bool ElfBinary::FindCu(uint64_t vaddr, void* cudie_out) const {
  auto* cudie = static_cast<Dwarf_Die*>(cudie_out);
  auto it = std::upper_bound(cu_ranges_.begin(), cu_ranges_.end(), vaddr,
                             [](uint64_t a, const CuRange& r) { return a < r.start; });
  // Ranges of different CUs do not overlap; look back a few in case of nested starts.
  for (int back = 0; back < 4 && it != cu_ranges_.begin(); ++back) {
    --it;
    if (vaddr >= it->start && vaddr < it->end) {
      return dwarf_offdie(AsDwarf(dwarf_), it->die_offset, cudie) != nullptr;
    }
  }
  return dwarf_addrdie(AsDwarf(dwarf_), vaddr, cudie) != nullptr;  // .debug_aranges, if any
}

std::vector<SourceFrame> ElfBinary::Symbolize(uint64_t vaddr) const {
  std::vector<SourceFrame> frames;
  const Symbol* sym = FindSymbol(vaddr);
  if (sym == nullptr) {
    if (gopclntab_.has_value()) {
      if (auto name = gopclntab_->FunctionName(vaddr); name.ok()) {
        auto where = gopclntab_->SourceLine(vaddr);
        frames.push_back({std::move(name).value(), where.ok() ? where->file : "",
                          where.ok() ? where->line : 0});
      }
    }
    return frames;
  }
  if (dwarf_ != nullptr) {
    Dwarf_Die cudie;
    if (FindCu(vaddr, &cudie)) {
      std::string file;
      int line = 0;
      if (Dwarf_Line* l = dwarf_getsrc_die(&cudie, vaddr); l != nullptr) {
        const char* src = dwarf_linesrc(l, nullptr, nullptr);
        if (src != nullptr) file = src;
        dwarf_lineno(l, &line);
      }
      // Scopes come innermost first. Each inlined_subroutine is one frame whose position is
      // the current line; its call site (DW_AT_call_file/line) is the position in the next
      // frame out.
      Dwarf_Die* scopes = nullptr;
      const int n = dwarf_getscopes(&cudie, vaddr, &scopes);
      int64_t cur_line = line;
      std::string cur_file = file;
      for (int i = 0; i < n; ++i) {
        Dwarf_Die* s = &scopes[i];
        if (dwarf_tag(s) != DW_TAG_inlined_subroutine) continue;
        Dwarf_Attribute attr;
        const char* name = nullptr;
        if (dwarf_attr_integrate(s, DW_AT_name, &attr) != nullptr) {
          name = dwarf_formstring(&attr);
        }
        frames.push_back({name != nullptr ? name : "", cur_file, cur_line});
        cur_line = CallLine(s);
        std::string call_file = CallFile(&cudie, s);
        if (!call_file.empty()) cur_file = std::move(call_file);
      }
      std::free(scopes);
      frames.push_back({sym->name, cur_file, cur_line});
      return frames;
    }
  }
  frames.push_back({sym->name, "", 0});
  return frames;
}

namespace {

// One kallsyms line: "ADDR TYPE NAME [module]". Only text symbols (t, T, w, W) are frames; an
// all-zero address means kptr_restrict hid it.
bool ParseKallsymsLine(std::string_view line, uint64_t* addr, std::string_view* name) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 + 3 > line.size()) return false;
  const char type = line[sp1 + 1];
  if (type != 't' && type != 'T' && type != 'w' && type != 'W') return false;
  std::string_view n = line.substr(sp1 + 3);
  n = n.substr(0, n.find_first_of("\t "));
  uint64_t a = 0;
  for (char c : line.substr(0, sp1)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    a = a << 4 | static_cast<uint64_t>(d);
  }
  if (a == 0 || n.empty()) return false;
  *addr = a;
  *name = n;
  return true;
}

// Two passes over the lines (`for_each_line(fn)` calls fn on each), so that only the symbols
// some wanted address falls in are ever held: /proc/kallsyms has 100k-200k entries, ~10 MB as
// strings, and a profile touches a few hundred of them. The first pass keeps addresses only.
template <typename ForEachLine>
std::vector<std::pair<uint64_t, std::string>> SelectKallsyms(
    const ForEachLine& for_each_line, const std::optional<std::span<const uint64_t>>& wanted) {
  std::vector<bool> keep;  // per text symbol, in file order
  if (wanted.has_value()) {
    std::vector<std::pair<uint64_t, uint32_t>> starts;  // address, ordinal
    for_each_line([&](std::string_view line) {
      uint64_t addr = 0;
      std::string_view name;
      if (ParseKallsymsLine(line, &addr, &name)) {
        starts.emplace_back(addr, static_cast<uint32_t>(starts.size()));
      }
    });
    std::stable_sort(starts.begin(), starts.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    keep.assign(starts.size(), false);
    for (uint64_t w : *wanted) {
      // The symbol Lookup would pick: the last of those starting at or below w.
      auto it = std::upper_bound(starts.begin(), starts.end(), w,
                                 [](uint64_t a, const auto& s) { return a < s.first; });
      if (it != starts.begin()) keep[std::prev(it)->second] = true;
    }
  }
  std::vector<std::pair<uint64_t, std::string>> symbols;
  size_t ordinal = 0;
  for_each_line([&](std::string_view line) {
    uint64_t addr = 0;
    std::string_view name;
    if (!ParseKallsymsLine(line, &addr, &name)) return;
    const size_t i = ordinal++;
    if (wanted.has_value() && (i >= keep.size() || !keep[i])) return;
    symbols.emplace_back(addr, std::string(name));
  });
  std::stable_sort(symbols.begin(), symbols.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return symbols;
}

}  // namespace

std::optional<KernelSymbols> KernelSymbols::Load(const std::string& path,
                                                 std::optional<std::span<const uint64_t>> wanted) {
  bool readable = true;
  auto for_each_line = [&](const auto& fn) {
    std::ifstream in(path);
    if (!in) {
      readable = false;
      return;
    }
    std::string line;
    while (std::getline(in, line)) fn(std::string_view(line));
  };
  KernelSymbols k;
  k.symbols_ = SelectKallsyms(for_each_line, wanted);
  if (!readable) return std::nullopt;
  // All addresses hidden (kptr_restrict): nothing to name frames with.
  if (k.symbols_.empty()) {
    bool any = false;
    for_each_line([&](std::string_view line) {
      uint64_t addr = 0;
      std::string_view name;
      any = any || ParseKallsymsLine(line, &addr, &name);
    });
    if (!any) return std::nullopt;
  }
  return k;
}

KernelSymbols KernelSymbols::Parse(std::string_view text,
                                   std::optional<std::span<const uint64_t>> wanted) {
  auto for_each_line = [text](const auto& fn) {
    std::string_view rest = text;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      fn(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  };
  KernelSymbols k;
  k.symbols_ = SelectKallsyms(for_each_line, wanted);
  return k;
}

std::string_view KernelSymbols::Lookup(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const auto& s) { return a < s.first; });
  if (it == symbols_.begin()) return {};
  return std::prev(it)->second;
}

const ElfBinary* BinaryCache::Get(const std::string& mapped_path,
                                  const std::string& recorded_build_id, std::string* warning) {
  auto found = cache_.find(mapped_path);
  if (found != cache_.end()) return found->second.get();
  std::vector<std::string> candidates;
  const std::string base = BaseName(mapped_path);
  for (const std::string& b : binaries_) {
    if (BaseName(b) == base) candidates.push_back(b);
  }
  // Any other --binary may stand in when the recording names a build id to verify it by.
  if (!recorded_build_id.empty()) {
    for (const std::string& b : binaries_) {
      if (BaseName(b) != base) candidates.push_back(b);
    }
  }
  if (!symfs_.empty()) candidates.push_back(symfs_ + mapped_path);
  candidates.push_back(mapped_path);
  // perf record copies every binary it saw into its build-id cache (perf-buildid-cache(1)):
  // ~/.debug/.build-id/<first two hex digits>/<the rest>/elf, which outlives rebuilds and
  // deletions of the recorded path.
  const char* home = std::getenv("HOME");
  if (recorded_build_id.size() > 2 && home != nullptr && *home != '\0') {
    candidates.push_back(std::string(home) + "/.debug/.build-id/" + recorded_build_id.substr(0, 2) +
                         "/" + recorded_build_id.substr(2) + "/elf");
  }
  std::unique_ptr<ElfBinary> chosen;
  std::string why;
  for (const std::string& c : candidates) {
    auto opened = ElfBinary::Open(c);
    if (!opened.ok()) {
      if (why.empty()) why = opened.error().message;
      continue;
    }
    if (!recorded_build_id.empty() && (*opened)->build_id() != recorded_build_id) {
      why = c + ": build id " + ((*opened)->build_id().empty() ? "(none)" : (*opened)->build_id()) +
            " differs from the recorded " + recorded_build_id;
      continue;
    }
    chosen = std::move(opened).value();
    break;
  }
  if (chosen == nullptr && warning != nullptr) {
    *warning = "no symbols for " + mapped_path + " (" + why +
               "); its frames keep raw addresses (use --binary or --symfs)";
  }
  const ElfBinary* out = chosen.get();
  cache_.emplace(mapped_path, std::move(chosen));
  return out;
}

}  // namespace gcspike
