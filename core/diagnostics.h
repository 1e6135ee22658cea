// Diagnostics: where readers and detectors send warnings (always shown, on stderr) and progress
// (shown only when stderr is a terminal). Tests capture them instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gcspike {

class Diagnostics {
 public:
  virtual ~Diagnostics() = default;
  virtual void Warn(const std::string& message) = 0;
  // done/total in bytes or items; total 0 when unknown.
  virtual void Progress(const std::string& what, uint64_t done, uint64_t total) = 0;
  virtual void ProgressDone() {}
};

// Collects warnings; ignores progress. For tests and library use.
class CollectingDiagnostics : public Diagnostics {
 public:
  void Warn(const std::string& message) override { warnings.push_back(message); }
  void Progress(const std::string&, uint64_t, uint64_t) override {}
  std::vector<std::string> warnings;
};

}  // namespace gcspike
