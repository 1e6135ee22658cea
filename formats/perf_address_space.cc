#include "formats/perf_address_space.h"

#include <algorithm>
#include <bit>

#include "core/hex.h"
#include "formats/perf_event_abi.h"

namespace gcspike {
namespace {

// A std::map or hash-table node with its allocation's bookkeeping, roughly.
constexpr uint64_t kNodeBytes = 64;

}  // namespace

bool IsPseudoFile(const std::string& filename) {
  return filename.empty() || filename[0] == '[' || filename.rfind("//", 0) == 0 ||
         filename.rfind("/memfd:", 0) == 0;
}

Status PerfAddressSpace::AddMmap(uint32_t type, uint16_t misc, ByteCursor c) {
  PerfMapping m;
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t pid, c.u32le());
  GCSPIKE_RETURN_IF_ERROR(c.skip(4));  // tid
  GCSPIKE_ASSIGN_OR_RETURN(m.start, c.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(m.len, c.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(m.pgoff, c.u64le());
  if (type == perf::record::kMmap2) {
    if ((misc & perf::misc::kMmapBuildId) != 0) {
      GCSPIKE_ASSIGN_OR_RETURN(uint8_t bid_size, c.u8());
      GCSPIKE_RETURN_IF_ERROR(c.skip(3));
      GCSPIKE_ASSIGN_OR_RETURN(auto bid, c.bytes(20));
      m.build_id = HexBytes(bid.first(std::min<size_t>(bid_size, 20)));
    } else {
      GCSPIKE_ASSIGN_OR_RETURN(m.maj, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(m.min, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(m.ino, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(m.ino_generation, c.u64le());
      // Anonymous and special mappings record inode 0.
      m.has_inode = m.ino != 0;
    }
    GCSPIKE_RETURN_IF_ERROR(c.skip(8));  // prot, flags
  }
  m.filename = perf::PaddedString(c.rest());
  const size_t index = mappings_.size();
  const bool kernel =
      (misc & perf::misc::kCpumodeMask) == perf::misc::kKernel || pid == perf::kKernelPid;
  model_bytes_ += sizeof(PerfMapping) + kNodeBytes + m.filename.size() + m.build_id.size();
  mappings_.push_back(std::move(m));
  (kernel ? kernel_maps_ : maps_by_pid_[pid])[mappings_.back().start] = index;
  ClearFrameCache();
  return {};
}

Status PerfAddressSpace::AddComm(ByteCursor c) {
  GCSPIKE_RETURN_IF_ERROR(c.skip(4));  // pid
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t tid, c.u32le());
  // An exec (misc COMM_EXEC) keeps the pid; its new MMAPs override by start address.
  std::string& name = comm_by_tid_[tid];
  name = perf::PaddedString(c.rest());
  model_bytes_ += kNodeBytes + name.size();
  ++names_generation_;
  return {};
}

Status PerfAddressSpace::AddFork(ByteCursor c) {
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t pid, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t ppid, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t tid, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t ptid, c.u32le());
  // A new process inherits its parent's mappings and name; a new thread shares them.
  if (pid != ppid) {
    auto parent = maps_by_pid_.find(ppid);
    if (parent != maps_by_pid_.end()) {
      model_bytes_ += kNodeBytes * (1 + parent->second.size());
      maps_by_pid_[pid] = parent->second;
    }
    ClearFrameCache();
  }
  ++names_generation_;
  auto name = comm_by_tid_.find(ptid);
  if (name != comm_by_tid_.end() && !comm_by_tid_.contains(tid)) {
    model_bytes_ += kNodeBytes + name->second.size();
    comm_by_tid_[tid] = name->second;
  }
  return {};
}

const PerfMapping* PerfAddressSpace::Find(uint32_t pid, uint64_t addr, int64_t* index) const {
  *index = -1;
  const std::map<uint64_t, size_t>* maps = nullptr;
  if (pid == perf::kKernelPid) {
    maps = &kernel_maps_;
  } else {
    auto it = maps_by_pid_.find(pid);
    if (it == maps_by_pid_.end()) return nullptr;
    maps = &it->second;
  }
  auto it = maps->upper_bound(addr);
  if (it == maps->begin()) return nullptr;
  --it;
  const PerfMapping& m = mappings_[it->second];
  // Kernel maps are recorded with huge lengths; user maps must contain the address.
  if (addr - m.start >= m.len) return nullptr;
  *index = static_cast<int64_t>(it->second);
  return &m;
}

const std::string* PerfAddressSpace::ThreadName(uint32_t pid, uint32_t tid) const {
  auto name = comm_by_tid_.find(tid);
  if (name == comm_by_tid_.end()) name = comm_by_tid_.find(pid);
  return name != comm_by_tid_.end() ? &name->second : nullptr;
}

PerfFrame PerfAddressSpace::MakeFrame(uint32_t pid, uint64_t address, bool kernel,
                                      bool caller) const {
  PerfFrame f;
  f.address = address;
  f.kernel = kernel;
  f.caller = caller;
  f.pid = pid;
  Find(kernel ? perf::kKernelPid : pid, address, &f.mapping);
  return f;
}

size_t PerfAddressSpace::FrameHash::operator()(const PerfFrame& f) const {
  uint64_t h = f.address * 0x9e3779b97f4a7c15ULL;
  h ^= static_cast<uint64_t>(f.mapping) + 0x7f4a7c15 + (h << 6) + (h >> 2);
  h ^= (static_cast<uint64_t>(f.pid) << 2 | (f.kernel ? 2 : 0) | (f.caller ? 1 : 0)) + (h << 6) +
       (h >> 2);
  return static_cast<size_t>(h);
}

uint32_t PerfAddressSpace::InternFrame(const PerfFrame& f) {
  PerfFrame key = f;
  if (key.mapping >= 0) key.pid = 0;  // the mapping identifies the address space
  auto [it, inserted] = frame_index_.try_emplace(key, static_cast<uint32_t>(frames_.size() + 1));
  if (inserted) {
    frames_.push_back(key);
    model_bytes_ += kFrameBytes;
  }
  return it->second;
}

uint32_t PerfAddressSpace::CachedFrameRef(uint32_t pid, uint64_t address, bool kernel,
                                          bool caller) {
  const uint32_t flags = (kernel ? 2u : 0u) | (caller ? 1u : 0u);
  const uint64_t h = (address ^ (static_cast<uint64_t>(pid) << 32 | flags)) * 0x9e3779b97f4a7c15ULL;
  const size_t mask = frame_cache_.size() - 1;
  for (size_t i = static_cast<size_t>(h >> 32) & mask;; i = (i + 1) & mask) {
    const CachedFrame& e = frame_cache_[i];
    if (e.ref_and_flags == 0) break;
    if (e.address == address && e.pid == pid && (e.ref_and_flags & 3u) == flags) {
      return e.ref_and_flags >> 2;
    }
  }
  const uint32_t ref = InternFrame(MakeFrame(pid, address, kernel, caller));
  if (ref >= (1u << 30)) return ref;  // too many frames to cache; still correct
  CacheFrame(h, {address, pid, ref << 2 | flags});
  return ref;
}

void PerfAddressSpace::CacheFrame(uint64_t hash, const CachedFrame& entry) {
  if ((frame_cache_used_ + 1) * 2 > frame_cache_.size()) {
    // Grow: the old entries are dropped (they are found again through InternFrame).
    frame_cache_.assign(frame_cache_.size() * 2, CachedFrame());
    frame_cache_used_ = 0;
  }
  const size_t mask = frame_cache_.size() - 1;
  for (size_t i = static_cast<size_t>(hash >> 32) & mask;; i = (i + 1) & mask) {
    if (frame_cache_[i].ref_and_flags == 0) {
      frame_cache_[i] = entry;
      break;
    }
  }
  ++frame_cache_used_;
}

// A clear costs what the cache held since the last one, not its size: the cache grown by many
// frames starts again small, so a file alternating MMAP records and samples cannot make every
// MMAP wipe megabytes.
void PerfAddressSpace::ClearFrameCache() {
  ++layout_generation_;
  if (frame_cache_used_ == 0) return;
  const size_t slots = std::max(kFrameCacheSlots, std::bit_ceil(frame_cache_used_ * 2));
  if (slots < frame_cache_.size()) {
    frame_cache_.assign(slots, CachedFrame());
  } else {
    std::fill(frame_cache_.begin(), frame_cache_.end(), CachedFrame());
  }
  frame_cache_used_ = 0;
}

void PerfAddressSpace::ReleaseFrameIndex() {
  frame_cache_ = {};
  frame_cache_used_ = 0;
  frame_index_ = {};
}

}  // namespace gcspike
