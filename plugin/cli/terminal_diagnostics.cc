#include "plugin/cli/terminal_diagnostics.h"

#include <unistd.h>

#include <cstdio>

namespace gcspike::cli {

TerminalDiagnostics::TerminalDiagnostics()
    : tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_(start_) {}

void TerminalDiagnostics::Warn(const std::string& message) {
  ProgressDone();
  std::fprintf(stderr, "gcspike: warning: %s\n", message.c_str());
}

void TerminalDiagnostics::Progress(const std::string& what, uint64_t done, uint64_t total) {
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  // Inputs that take less than a second show nothing.
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200)) {
    return;
  }
  last_ = now;
  if (total > 0) {
    std::fprintf(stderr, "\r%s: %3d%%", what.c_str(), static_cast<int>(done * 100 / total));
  } else if (done < (uint64_t{1} << 20)) {  // a profile fetched from a URL is often this small
    std::fprintf(stderr, "\r%s: %llu KB", what.c_str(),
                 static_cast<unsigned long long>(done >> 10));
  } else {
    std::fprintf(stderr, "\r%s: %llu MB", what.c_str(),
                 static_cast<unsigned long long>(done >> 20));
  }
  std::fflush(stderr);
  drawn_ = true;
}

void TerminalDiagnostics::ProgressDone() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace gcspike::cli
