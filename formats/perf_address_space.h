// What the non-sample records of a perf.data file say about the processes sampled: their
// mappings (MMAP, MMAP2; a FORK copies the parent's), thread names (COMM, FORK), and the
// frames of samples as (mapping, address) pairs, interned, with a cache in front for the
// callchain entries of hot loops. Format notes: docs/formats/perf-data.md#record-types.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike {

// One MMAP or MMAP2 record.
struct PerfMapping {
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t pgoff = 0;
  std::string filename;
  std::string build_id;  // from MMAP2 with MMAP_BUILD_ID
  // From MMAP2 without a build id: the mapped file's device and inode, to check that the file
  // at the recorded path is still the one recorded.
  bool has_inode = false;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0, ino_generation = 0;
};

// Whether a mapping's name is no file to open ("[vdso]", "//anon", "/memfd:...", "").
bool IsPseudoFile(const std::string& filename);

// A frame before symbolization. mapping -1: no mapping was known at sample time; `pid` lets
// the end-of-file pass try again (records are not time-ordered across CPUs,
// docs/formats/perf-data.md#ordering).
struct PerfFrame {
  int64_t mapping = -1;
  uint64_t address = 0;
  uint32_t pid = 0;
  bool kernel = false;
  bool caller = false;  // a return address: symbolize address - 1
  bool operator==(const PerfFrame&) const = default;
};

class PerfAddressSpace {
 public:
  // MMAP or MMAP2 (`type`), COMM and FORK record bodies.
  Status AddMmap(uint32_t type, uint16_t misc, ByteCursor c);
  Status AddComm(ByteCursor c);
  Status AddFork(ByteCursor c);

  // The mapping of `pid` (perf::kKernelPid: the kernel's) holding `addr`, and its index in
  // *index (-1 and nullptr when none).
  const PerfMapping* Find(uint32_t pid, uint64_t addr, int64_t* index) const;
  const PerfMapping& mapping(size_t index) const { return mappings_[index]; }
  size_t mapping_count() const { return mappings_.size(); }

  // The name of thread `tid`, else of its process (a thread whose FORK came out of order has
  // none yet); nullptr when neither has one.
  const std::string* ThreadName(uint32_t pid, uint32_t tid) const;
  // Changes whenever a COMM or FORK record may have renamed a thread.
  uint64_t names_generation() const { return names_generation_; }
  // Changes whenever an MMAP or FORK record may have changed which mapping holds an address.
  uint64_t layout_generation() const { return layout_generation_; }

  // A frame of `pid` at `address`, with the mapping holding it now.
  PerfFrame MakeFrame(uint32_t pid, uint64_t address, bool kernel, bool caller) const;
  // The 1-based ref of frame `f` in frames(), added when new.
  uint32_t InternFrame(const PerfFrame& f);
  // InternFrame(MakeFrame(...)) through a cache: for callchain entries.
  uint32_t CachedFrameRef(uint32_t pid, uint64_t address, bool kernel, bool caller);
  const std::vector<PerfFrame>& frames() const { return frames_; }
  // Frees what only interning needs; frames() stay.
  void ReleaseFrameIndex();

  // About how much memory the mappings, thread names and frames take, with what symbolizing a
  // frame will add (docs/memory.md#perfdata): the reader's budget check.
  uint64_t model_bytes() const { return model_bytes_; }
  // What one frame costs in model_bytes: the frame, its index entry, and its location later.
  static constexpr uint64_t kFrameBytes = sizeof(PerfFrame) + 64 + 8 + 200;

 private:
  struct FrameHash {
    size_t operator()(const PerfFrame& f) const;
  };
  // (pid, address, kernel, caller) -> frame ref, open addressing. Which mapping an address
  // falls in changes only with MMAP and FORK records, which empty it.
  struct CachedFrame {
    uint64_t address = 0;
    uint32_t pid = 0;
    uint32_t ref_and_flags = 0;  // ref << 2 | kernel << 1 | caller; 0: empty slot
  };
  void ClearFrameCache();
  void CacheFrame(uint64_t hash, const CachedFrame& entry);

  std::vector<PerfMapping> mappings_;
  std::unordered_map<uint32_t, std::map<uint64_t, size_t>> maps_by_pid_;  // start -> index
  std::map<uint64_t, size_t> kernel_maps_;
  std::unordered_map<uint32_t, std::string> comm_by_tid_;
  uint64_t names_generation_ = 0;
  uint64_t layout_generation_ = 0;
  std::vector<PerfFrame> frames_;
  std::unordered_map<PerfFrame, uint32_t, FrameHash> frame_index_;
  static constexpr size_t kFrameCacheSlots = size_t{1} << 12;  // at first, and after a clear
  std::vector<CachedFrame> frame_cache_ = std::vector<CachedFrame>(kFrameCacheSlots);
  size_t frame_cache_used_ = 0;
  uint64_t model_bytes_ = 0;
};

}  // namespace gcspike
