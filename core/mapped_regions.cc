#include "core/mapped_regions.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

namespace gcspike {
namespace {

constexpr const char* kShrank =
    "the file shrank while it was being read (truncated by another process at this byte)";
// Live mappings at once: two per input being read (a window and a whole-file mapping), for as
// many inputs as --jobs reads at once, and one per binary or debug file the symbolizer of each
// perf.data input holds. Beyond that, files are read (or, binaries, mapped unprotected).
constexpr int kRegions = 1024;

enum State : int { kFree = 0, kBusy = 1, kLive = 2 };

// Read by the SIGBUS handler: lock-free atomics only. `state` is kLive only while the other
// fields describe a mapping; claiming and releasing go through kBusy.
struct Region {
  std::atomic<int> state{kFree};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<uint64_t> file_offset{0};
  std::atomic<uint64_t> fault_plus_one{0};  // the fault's file offset + 1; 0: none
  std::atomic<bool> writable{false};
};
// All zeros: the table is in .bss, and costs no memory until it is used.
static_assert(std::atomic<uintptr_t>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

Region g_regions[kRegions];
std::atomic<uintptr_t> g_page{0};
std::atomic<void (*)()> g_cleanup{nullptr};
std::once_flag g_install_once;
struct sigaction g_previous_bus {};  // SIGBUS's action before ours (a sanitizer's, or default)

bool Valid(int handle) { return handle >= 0 && handle < kRegions; }

// When `addr` lies in a registered region: maps zero pages over that region from addr's page to
// its end, records the fault and returns true; false when addr is in none (or the zero pages
// cannot be mapped). Async-signal-safe.
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
    const int prot = r.writable.load() ? PROT_READ | PROT_WRITE : PROT_READ;
    const long m =
        ::syscall(SYS_mmap, from, end - from, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m == -1) return false;
    const uint64_t at = r.file_offset.load() + (from - begin) + 1;
    uint64_t old = r.fault_plus_one.load();
    while ((old == 0 || at < old) && !r.fault_plus_one.compare_exchange_weak(old, at)) {
    }
    return true;
  }
  return false;
}

// SIGBUS: a page of a registered mapping past its file's new end is backed by zeros and the
// access retried; any other SIGBUS is a crash, which must not leave an output behind either:
// the cleanup runs, then the previous action (a sanitizer's report, or the default: the
// faulting access is retried and kills the process).
void OnBus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info->si_code == BUS_ADRERR && RescueMappedFault(info->si_addr)) {
    errno = saved_errno;
    return;
  }
  if (void (*cleanup)() = g_cleanup.load(); cleanup != nullptr) cleanup();
  const struct sigaction& prev = g_previous_bus;
  if ((prev.sa_flags & SA_SIGINFO) != 0) {
    prev.sa_sigaction(sig, info, context);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  } else if (info->si_code > 0 || prev.sa_handler == SIG_DFL) {
    // The default action. A fault (si_code > 0) recurs when this handler returns; a SIGBUS sent
    // by kill(2) is sent again, and delivered on return (it is blocked while this runs). One
    // sent while it was ignored stays ignored.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
    if (info->si_code <= 0) ::kill(::getpid(), sig);
  }
  errno = saved_errno;
}

}  // namespace

bool InstallFaultHandler() {
  static std::atomic<bool> installed{false};
  std::call_once(g_install_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnBus;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO;
    // The action to chain to is in place before the handler that reads it.
    ::sigaction(SIGBUS, nullptr, &g_previous_bus);
    ::sigaction(SIGBUS, &sa, nullptr);
    // Read back: a sanitizer keeping SIGBUS to itself (ASan's handle_sigbus=2) ignores ours.
    struct sigaction now {};
    installed = ::sigaction(SIGBUS, nullptr, &now) == 0 && (now.sa_flags & SA_SIGINFO) != 0 &&
                now.sa_sigaction == OnBus;
  });
  return installed.load();
}

void SetFaultCleanup(void (*cleanup)()) { g_cleanup.store(cleanup); }

int RegisterMappedRegion(const void* begin, size_t len, uint64_t file_offset, bool writable) {
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
    r.fault_plus_one.store(0);
    r.writable.store(writable);
    r.state.store(kLive);
    return i;
  }
  return -1;
}

std::optional<uint64_t> MappedRegionFault(int handle) {
  if (!Valid(handle)) return std::nullopt;
  const uint64_t f = g_regions[handle].fault_plus_one.load();
  if (f == 0) return std::nullopt;
  return f - 1;
}

std::optional<uint64_t> UnregisterMappedRegion(int handle) {
  if (!Valid(handle)) return std::nullopt;
  Region& r = g_regions[handle];
  r.state.store(kBusy);
  std::optional<uint64_t> fault = MappedRegionFault(handle);
  r.state.store(kFree);
  return fault;
}

std::optional<uint64_t> MappedFileCut(int handle, int fd, uint64_t mapped_size) {
  std::optional<uint64_t> at = MappedRegionFault(handle);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0) {
    const auto size = static_cast<uint64_t>(st.st_size);
    // The faulting page starts at or after the cut; the file's size names the byte (unless it
    // has grown again since).
    if (at.has_value() || size < mapped_size) at = std::min(at.value_or(size), size);
  }
  return at;
}

Error FileShrankError(std::string file, uint64_t at) {
  Error e = MakeErrorAt(at, kShrank);
  e.file = std::move(file);
  return e;
}

bool IsFileShrankError(const Error& e) { return e.offset.has_value() && e.message == kShrank; }

}  // namespace gcspike
