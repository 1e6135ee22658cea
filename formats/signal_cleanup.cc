#include "formats/signal_cleanup.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "formats/mapped_regions.h"

namespace gcspike {
namespace {

constexpr int kSlots = 8;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Read by the handler: only lock-free atomics and fixed buffers (async-signal-safe).
struct Slot {
  std::atomic<bool> used{false};
  char path[PATH_MAX];
};
Slot g_slots[kSlots];
std::atomic<pid_t> g_forward_pgid{0};
std::once_flag g_install_once;
std::once_flag g_install_fault_once;
std::mutex g_mu;                     // registration only (not the handler)
struct sigaction g_previous_bus {};  // SIGBUS's action before ours (a sanitizer's, or default)

void RemoveTempPaths() {
  for (Slot& s : g_slots) {
    if (s.used.load()) ::unlink(s.path);
  }
}

void OnSignal(int sig) {
  const int saved_errno = errno;
  const pid_t pgid = g_forward_pgid.load();
  if (pgid > 0) {
    ::kill(-pgid, sig);
    errno = saved_errno;
    return;
  }
  RemoveTempPaths();
  // Die of the same signal: the default action, delivered when this handler returns (the
  // signal is blocked while it runs).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(sig, &dfl, nullptr);
  ::kill(::getpid(), sig);
  errno = saved_errno;
}

// SIGBUS: a page of a mapped input past its file's new end (formats/mapped_regions.h) is
// backed by zeros and the access retried; any other SIGBUS is a crash, which must not leave an
// output behind either: the registered paths are removed, then the previous action runs (a
// sanitizer's report, or the default: the faulting access is retried and kills the process).
void OnBus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info->si_code == BUS_ADRERR && RescueMappedFault(info->si_addr)) {
    errno = saved_errno;
    return;
  }
  RemoveTempPaths();
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

void InstallHandlers() {
  InstallFaultHandler();
  std::call_once(g_install_once, [] {
    for (int sig : kSignals) {
      struct sigaction old {};
      ::sigaction(sig, nullptr, &old);
      // A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
      if (old.sa_handler == SIG_IGN) continue;
      struct sigaction sa {};
      sa.sa_handler = OnSignal;
      sigemptyset(&sa.sa_mask);
      for (int other : kSignals) sigaddset(&sa.sa_mask, other);
      sa.sa_flags = SA_RESTART;
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace

bool InstallFaultHandler() {
  static std::atomic<bool> installed{false};
  std::call_once(g_install_fault_once, [] {
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

int RegisterTempPath(const std::string& path) {
  InstallHandlers();
  if (path.size() >= PATH_MAX) return -1;
  std::lock_guard<std::mutex> lock(g_mu);
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].used.load()) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].used.store(true);
    return i;
  }
  return -1;
}

void UnregisterTempPath(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  std::lock_guard<std::mutex> lock(g_mu);
  g_slots[slot].used.store(false);
}

void ForwardSignalsTo(pid_t pgid) {
  InstallHandlers();
  g_forward_pgid.store(pgid);
}

ScopedSignalBlock::ScopedSignalBlock() {
  sigset_t block;
  sigemptyset(&block);
  for (int sig : kSignals) sigaddset(&block, sig);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_);
}

ScopedSignalBlock::~ScopedSignalBlock() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

}  // namespace gcspike
