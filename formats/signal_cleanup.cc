#include "formats/signal_cleanup.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/mapped_regions.h"

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
std::mutex g_mu;  // registration only (not the handler)

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

void InstallHandlers() {
  // A SIGBUS that is not a cut input or binary (core/mapped_regions.h) ends gcspike: without
  // leaving a temporary output either.
  SetFaultCleanup(RemoveTempPaths);
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
