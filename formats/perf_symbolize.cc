#include "formats/perf_symbolize.h"

#include <sys/utsname.h>

#include <algorithm>

namespace gcspike {
namespace {

// What the symbolizer checks a found binary against.
RecordedFile Recorded(const PerfMapping& m, std::string build_id) {
  RecordedFile r;
  r.build_id = std::move(build_id);
  r.has_inode = m.has_inode;
  r.maj = m.maj;
  r.min = m.min;
  r.ino = m.ino;
  r.ino_generation = m.ino_generation;
  return r;
}

bool RunningRelease(const std::string& release) {
  struct utsname u;
  return uname(&u) == 0 && release == u.release;
}

}  // namespace

PerfSymbolizer::PerfSymbolizer(const ReadOptions& options, const PerfAddressSpace& space,
                               const PerfHeaderInfo& facts, WarnFn warn)
    : options_(options),
      space_(space),
      facts_(facts),
      warn_(std::move(warn)),
      locator_(options.binaries, options.symfs),
      binaries_(std::in_place, locator_),
      unwind_images_(locator_) {}

const std::string& PerfSymbolizer::RecordedBuildId(const PerfMapping& m) const {
  if (!m.build_id.empty()) return m.build_id;
  static const std::string kNone;
  auto b = facts_.build_id_by_file.find(m.filename);
  return b != facts_.build_id_by_file.end() ? b->second : kNone;
}

bool PerfSymbolizer::MapImage(const PerfMapping& m, MappedImage* out) {
  if (IsPseudoFile(m.filename)) return false;
  out->image = unwind_images_.Get(m.filename, Recorded(m, RecordedBuildId(m)));
  out->start = m.start;
  out->len = m.len;
  out->pgoff = m.pgoff;
  return out->image != nullptr;
}

UnwindMethod PerfSymbolizer::UnwindUser(uint32_t pid, const UserRegs& regs,
                                        std::span<const uint8_t> stack,
                                        std::vector<uint64_t>* pcs) {
  const ImageLookup lookup = [&](uint64_t addr, MappedImage* out) {
    int64_t index = -1;
    const PerfMapping* m = space_.Find(pid, addr, &index);
    return m != nullptr && MapImage(*m, out);
  };
  // The address space changes with the process and with every new mapping.
  return unwinder_.Unwind(regs, stack, lookup, uint64_t{pid} << 32 ^ space_.mapping_count(), pcs);
}

std::optional<RecoveredCaller> PerfSymbolizer::FramelessCaller(const PerfFrame& leaf,
                                                               const PerfFrame& next) {
  // The frames' own mappings first: the process may have mapped other files there later.
  const ImageLookup lookup = [&](uint64_t addr, MappedImage* out) {
    for (const PerfFrame* f : {&leaf, &next}) {
      if (f->mapping < 0) continue;
      const PerfMapping& m = space_.mapping(static_cast<size_t>(f->mapping));
      if (addr >= m.start && addr - m.start < m.len) return MapImage(m, out);
    }
    int64_t index = -1;
    const PerfMapping* m = space_.Find(leaf.pid, addr, &index);
    return m != nullptr && MapImage(*m, out);
  };
  return RecoverFramelessCaller(unwinder_, lookup, leaf.address, next.address);
}

void PerfSymbolizer::PrefetchKernelSymbols() {
  if (kernel_loader_ == nullptr && !options_.kallsyms.empty()) {
    kernel_loader_ = std::make_unique<KernelSymbolsLoader>(options_.kallsyms);
  }
}

void PerfSymbolizer::LoadKernelSymbols(const std::vector<PerfFrame>& frames) {
  // Whatever happens, the loader's thread ends and its table is freed here.
  const std::unique_ptr<KernelSymbolsLoader> loader = std::move(kernel_loader_);
  std::vector<uint64_t> lookups;
  for (const PerfFrame& f : frames) {
    if (f.kernel) lookups.push_back(f.caller ? f.address - 1 : f.address);
  }
  if (lookups.empty() || options_.kallsyms.empty()) return;
  struct utsname u;
  if (uname(&u) != 0 || (!facts_.os_release.empty() && facts_.os_release != u.release)) return;
  std::sort(lookups.begin(), lookups.end());
  lookups.erase(std::unique(lookups.begin(), lookups.end()), lookups.end());
  kernel_symbols_ =
      loader != nullptr ? loader->Take(lookups) : KernelSymbols::Load(options_.kallsyms, lookups);
}

const ElfSymbolizer* PerfSymbolizer::FindBinary(const PerfMapping& m, const std::string& build_id) {
  if (!IsPseudoFile(m.filename)) {
    std::string warning;
    const ElfSymbolizer* bin = binaries_->Get(m.filename, Recorded(m, build_id), &warning);
    if (!warning.empty()) warn_(warning);
    return bin;
  }
  // The vDSO is the kernel's: ours is the recorded one if the build ids agree or, without a
  // recorded build id, if the recording names the running kernel release.
  if (m.filename == "[vdso]" && !options_.kallsyms.empty() &&
      (!build_id.empty() || RunningRelease(facts_.os_release))) {
    return binaries_->RunningVdso(build_id);
  }
  return nullptr;
}

const PerfSymbolizer::MappingFacts& PerfSymbolizer::FactsOf(size_t index, bool kernel,
                                                            ProfileBuilder& builder,
                                                            Profile& profile) {
  // Kernel and user frames apart, should one mapping ever be named by both.
  if (mapping_facts_.size() <= index * 2 + 1) mapping_facts_.resize(space_.mapping_count() * 2);
  MappingFacts& facts = mapping_facts_[index * 2 + (kernel ? 1 : 0)];
  if (facts.known) return facts;
  facts.known = true;
  const PerfMapping& m = space_.mapping(index);
  Mapping& mapping = facts.mapping;
  mapping.memory_start = m.start;
  mapping.memory_limit = m.start + m.len;
  mapping.file_offset = m.pgoff;
  mapping.filename = profile.Intern(m.filename);
  mapping.build_id = profile.Intern(RecordedBuildId(m));
  if (kernel) {
    mapping.has_functions = true;
    facts.id = builder.InternMapping(mapping);
    return facts;
  }
  facts.binary = FindBinary(m, std::string(profile.str(mapping.build_id)));
  if (facts.binary != nullptr) {
    mapping.has_functions = facts.binary->has_symbols();
    mapping.has_filenames = mapping.has_line_numbers = mapping.has_inline_frames =
        facts.binary->has_dwarf();
  }
  facts.id = builder.InternMapping(mapping);
  return facts;
}

std::vector<Line> PerfSymbolizer::SymbolizeFrame(const PerfFrame& f, ProfileBuilder& builder,
                                                 Profile& profile, uint64_t* mapping_id) {
  *mapping_id = 0;
  std::vector<Line> lines;
  int64_t index = f.mapping;
  if (index < 0 && !f.kernel) space_.Find(f.pid, f.address, &index);
  const uint64_t lookup = f.caller ? f.address - 1 : f.address;
  if (f.kernel) {
    // What a kernel frame's mapping says is the same for all its frames (interned once).
    if (index >= 0) *mapping_id = FactsOf(static_cast<size_t>(index), true, builder, profile).id;
    std::string_view name =
        kernel_symbols_.has_value() ? kernel_symbols_->Lookup(lookup) : std::string_view();
    if (name.empty()) name = "[kernel]";
    lines.push_back({builder.InternFunction(name, ""), 0, 0});
    return lines;
  }
  if (index < 0) return lines;
  const PerfMapping& m = space_.mapping(static_cast<size_t>(index));
  const MappingFacts& facts = FactsOf(static_cast<size_t>(index), false, builder, profile);
  if (const ElfSymbolizer* bin = facts.binary; bin != nullptr) {
    std::vector<SourceFrame> frames;
    if (auto vaddr = bin->FileOffsetToVaddr(lookup - m.start + m.pgoff); vaddr.has_value()) {
      frames = bin->Symbolize(*vaddr);
    }
    // A "return address" that starts a function (a signal frame's restorer, pushed by the
    // kernel rather than by a call) has nothing at address - 1: use the address itself.
    if (frames.empty() && f.caller) {
      if (auto vaddr = bin->FileOffsetToVaddr(f.address - m.start + m.pgoff)) {
        frames = bin->Symbolize(*vaddr);
      }
    }
    for (const SourceFrame& sf : frames) {
      lines.push_back({builder.InternFunction(sf.function, sf.file), sf.line, 0});
    }
  }
  *mapping_id = facts.id;
  return lines;
}

void PerfSymbolizer::ReleaseBinaries() {
  mapping_facts_ = {};
  binaries_.reset();
  kernel_symbols_.reset();
}

}  // namespace gcspike
