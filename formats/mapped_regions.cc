#include "formats/mapped_regions.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "formats/signal_cleanup.h"

namespace gcspike {
namespace {

constexpr uint64_t kNoFault = UINT64_MAX;
// Live mappings at once: two per input being read (a window and a whole-file mapping), for as
// many inputs as --jobs reads at once. Beyond that, inputs are read instead of mapped.
constexpr int kRegions = 256;

enum State : int { kFree = 0, kBusy = 1, kLive = 2 };

// Read by the SIGBUS handler: lock-free atomics only. `state` is kLive only while the other
// fields describe a mapping; claiming and releasing go through kBusy.
struct Region {
  std::atomic<int> state{kFree};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<uint64_t> file_offset{0};
  std::atomic<uint64_t> fault{kNoFault};
};
static_assert(std::atomic<uintptr_t>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

Region g_regions[kRegions];
std::atomic<uintptr_t> g_page{0};

bool Valid(int handle) { return handle >= 0 && handle < kRegions; }

}  // namespace

int RegisterMappedRegion(const void* begin, size_t len, uint64_t file_offset) {
  if (!InstallFaultHandler()) return -1;  // no rescue: the caller reads instead of mapping
  if (g_page.load() == 0) g_page.store(static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)));
  const uintptr_t page = g_page.load();
  const auto b = reinterpret_cast<uintptr_t>(begin);
  for (int i = 0; i < kRegions; ++i) {
    Region& r = g_regions[i];
    int expected = kFree;
    if (!r.state.compare_exchange_strong(expected, kBusy)) continue;
    r.begin.store(b);
    r.end.store(b + (len + page - 1) / page * page);  // the kernel maps whole pages
    r.file_offset.store(file_offset);
    r.fault.store(kNoFault);
    r.state.store(kLive);
    return i;
  }
  return -1;
}

std::optional<uint64_t> MappedRegionFault(int handle) {
  if (!Valid(handle)) return std::nullopt;
  const uint64_t f = g_regions[handle].fault.load();
  if (f == kNoFault) return std::nullopt;
  return f;
}

std::optional<uint64_t> UnregisterMappedRegion(int handle) {
  if (!Valid(handle)) return std::nullopt;
  Region& r = g_regions[handle];
  r.state.store(kBusy);
  std::optional<uint64_t> fault = MappedRegionFault(handle);
  r.state.store(kFree);
  return fault;
}

bool RescueMappedFault(const void* addr) {
  const auto a = reinterpret_cast<uintptr_t>(addr);
  const uintptr_t page = g_page.load();
  if (page == 0) return false;
  for (Region& r : g_regions) {
    if (r.state.load() != kLive) continue;
    const uintptr_t begin = r.begin.load(), end = r.end.load();
    if (a < begin || a >= end) continue;
    const uintptr_t from = a / page * page;
    // The raw system call: a sanitizer's mmap interceptor has no business in a signal handler.
    const long m = ::syscall(SYS_mmap, from, end - from, PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m == -1) return false;
    const uint64_t at = r.file_offset.load() + (from - begin);
    uint64_t old = r.fault.load();
    while (at < old && !r.fault.compare_exchange_weak(old, at)) {
    }
    return true;
  }
  return false;
}

}  // namespace gcspike
