// Temporary files that a signal must not leave behind. SIGINT, SIGTERM and SIGHUP get a handler
// (installed on first use) that unlinks every registered path, then either forwards the signal
// to a child's process group (while gcspike waits for that child, see ForwardSignalsTo) or
// re-raises it with the default action, so the process still dies of it. SIGKILL cannot be
// handled: OutputFile avoids named temporary files altogether where the kernel allows
// (O_TMPFILE), and this registry covers the rest. The SIGBUS handler (core/mapped_regions.h,
// installed here too) rescues a fault in a mapped input or binary whose file was cut short; any
// other SIGBUS removes the registered paths and then crashes as it would have.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

namespace gcspike {

// Registers `path` for removal on a fatal signal; returns a slot for Unregister, or -1 when all
// slots are taken (the path is then only removed by normal cleanup).
int RegisterTempPath(const std::string& path);
void UnregisterTempPath(int slot);

// While pgid > 0, the handled signals go to that process group instead of ending gcspike (the
// registered files stay, for the caller to remove after the child ends). 0 restores dying.
void ForwardSignalsTo(pid_t pgid);

// SIGINT, SIGTERM, SIGHUP blocked for the life of the object (a short critical section such as
// publishing a file under its final name).
class ScopedSignalBlock {
 public:
  ScopedSignalBlock();
  ~ScopedSignalBlock();
  ScopedSignalBlock(const ScopedSignalBlock&) = delete;
  ScopedSignalBlock& operator=(const ScopedSignalBlock&) = delete;

 private:
  sigset_t old_;
};

}  // namespace gcspike
