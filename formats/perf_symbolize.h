// The perf.data reader's one door into symbolizer/: finds the binaries behind mappings
// (checked against what the recording says about them), unwinds --call-graph dwarf user stacks,
// names kernel frames, and turns frames into the profile's mappings, functions and lines.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/profile.h"
#include "core/profile_builder.h"
#include "formats/perf_address_space.h"
#include "formats/perf_record_reader.h"
#include "formats/profile_reader.h"
#include "symbolizer/binary_locator.h"
#include "symbolizer/dwarf_unwinder.h"
#include "symbolizer/elf_symbolizer.h"
#include "symbolizer/frameless_caller.h"
#include "symbolizer/kernel_symbols.h"

namespace gcspike {

class PerfSymbolizer {
 public:
  using WarnFn = std::function<void(const std::string&)>;
  PerfSymbolizer(const ReadOptions& options, const PerfAddressSpace& space,
                 const PerfHeaderInfo& facts, WarnFn warn);

  // Unwinds one sample's user stack copy from its registers (the user IP first, then return
  // addresses) into *pcs.
  UnwindMethod UnwindUser(uint32_t pid, const UserRegs& regs, std::span<const uint8_t> stack,
                          std::vector<uint64_t>* pcs);
  // The function a frame-pointer callchain skipped between its first user frame `leaf` (an
  // interrupted PC) and the return address `next` after it (symbolizer/frameless_caller.h),
  // looked up in the mappings the frames were sampled in.
  std::optional<RecoveredCaller> FramelessCaller(const PerfFrame& leaf, const PerfFrame& next);
  // Every sample is unwound: releases the files mapped for unwinding.
  void ReleaseUnwindImages() {
    unwind_images_.Clear();
    unwinder_.ForgetImages();
  }
  // What the unwinding summary says after "N unwound by CFI": the frames per CFI source.
  std::string CfiSourceSuffix() const { return unwinder_.CfiSourceSuffix(); }

  // Starts reading the kernel symbols in the background (the first kernel frame calls it).
  void PrefetchKernelSymbols();
  // Loads the kernel symbols `frames` fall in, for a recording of the running kernel.
  void LoadKernelSymbols(const std::vector<PerfFrame>& frames);
  // Interns user mapping `index` (its facts found as on its first frame): called before any
  // frame is symbolized, it becomes the profile's first mapping, pprof's main binary.
  void InternUserMapping(size_t index, ProfileBuilder& builder, Profile& profile) {
    FactsOf(index, false, builder, profile);
  }
  // The lines of frame `f`, interned into `builder`, and its mapping's id (0: none).
  std::vector<Line> SymbolizeFrame(const PerfFrame& f, ProfileBuilder& builder, Profile& profile,
                                   uint64_t* mapping_id);
  // Ok, or the error naming a binary or debug file (the symbolizer's or the unwinder's) that
  // was cut short while it was read: what was made of it is void.
  Status CheckBinaries() const { return locator_.CheckNotShrunk(); }
  // Every frame is symbolized: releases the binaries and kernel symbols.
  void ReleaseBinaries();

 private:
  // The build id perf recorded for a mapping (MMAP2 with a build id, else the BUILD_ID
  // feature section), empty when none.
  const std::string& RecordedBuildId(const PerfMapping& m) const;
  // Where `m` maps its file, for the unwinder; false for a pseudo file or one not found.
  bool MapImage(const PerfMapping& m, MappedImage* out);
  const ElfSymbolizer* FindBinary(const PerfMapping& m, const std::string& build_id);
  // What symbolizing needs of a mapping, found and interned on its first frame.
  struct MappingFacts {
    bool known = false;
    Mapping mapping;
    uint64_t id = 0;                        // in the profile's mappings
    const ElfSymbolizer* binary = nullptr;  // user mappings: nullptr when none was found
  };
  const MappingFacts& FactsOf(size_t index, bool kernel, ProfileBuilder& builder, Profile& profile);

  const ReadOptions& options_;
  const PerfAddressSpace& space_;
  const PerfHeaderInfo& facts_;
  WarnFn warn_;
  BinaryLocator locator_;  // finds each binary once for binaries_ and unwind_images_
  std::optional<ElfSymbolizerCache> binaries_;  // released once every frame is symbolized
  std::optional<KernelSymbols> kernel_symbols_;
  std::unique_ptr<KernelSymbolsLoader> kernel_loader_;  // PrefetchKernelSymbols
  std::vector<MappingFacts> mapping_facts_;  // by mapping index and kernel, while symbolizing
  UnwindImageCache unwind_images_;
  DwarfUnwinder unwinder_;
};

}  // namespace gcspike
