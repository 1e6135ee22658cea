// Diagnostics for the command line: warnings always go to stderr; progress is drawn on one
// line, only when stderr is a terminal, and at most a few times a second.
#pragma once

#include <chrono>
#include <string>

#include "core/diagnostics.h"

namespace gcspike::cli {

class TerminalDiagnostics : public Diagnostics {
 public:
  TerminalDiagnostics();
  void Warn(const std::string& message) override;
  void Progress(const std::string& what, uint64_t done, uint64_t total) override;
  void ProgressDone() override;

 private:
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace gcspike::cli
