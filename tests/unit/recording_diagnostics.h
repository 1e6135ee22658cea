// A Diagnostics that keeps progress reports too (CollectingDiagnostics drops them), for tests
// that check an input shows progress while it is read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/diagnostics.h"

namespace gcspike::testing {

class RecordingDiagnostics : public CollectingDiagnostics {
 public:
  struct Report {
    std::string what;
    uint64_t done;
    uint64_t total;
  };
  void Progress(const std::string& what, uint64_t done, uint64_t total) override {
    progress.push_back({what, done, total});
  }
  // Reports whose `what` contains `text`.
  std::vector<Report> About(const std::string& text) const {
    std::vector<Report> out;
    for (const Report& r : progress) {
      if (r.what.find(text) != std::string::npos) out.push_back(r);
    }
    return out;
  }
  std::vector<Report> progress;
};

}  // namespace gcspike::testing
