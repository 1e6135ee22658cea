// A binary named by a perf.data recording, truncated by another process while the reader
// symbolizes with it: the read fails with the one error naming the binary and the byte where it
// now ends (not the recording), never a SIGBUS and never a profile made of zeros.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "formats/input_source.h"
#include "formats/perf_event_abi.h"
#include "formats/profile_reader.h"
#include "tests/unit/perf_data_builder.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PerfDataBuilder;
using testing::PerfSampleSpec;
using testing::TempFile;

// Truncates `path` at `cut` when the symbolizer reports its progress past the first frames:
// the binary is open by then, and more frames are still to be symbolized with it.
class CutWhileSymbolizing : public CollectingDiagnostics {
 public:
  CutWhileSymbolizing(std::string path, uint64_t cut) : path_(std::move(path)), cut_(cut) {}
  void Progress(const std::string& what, uint64_t done, uint64_t) override {
    if (what != "symbolizing" || done == 0 || cut_done_) return;
    cut_done_ = ::truncate(path_.c_str(), static_cast<off_t>(cut_)) == 0;
  }
  bool cut_done() const { return cut_done_; }

 private:
  std::string path_;
  uint64_t cut_;
  bool cut_done_ = false;
};

// A recording of one process that maps `binary` at 0x400000 (file offset 0), with `frames`
// samples at distinct addresses of it (.text of the elf_symbols C seed starts at 0x1060).
std::vector<uint8_t> Recording(const std::string& binary, uint64_t frames) {
  PerfDataBuilder b;
  b.Comm(42, 42, "cut").Mmap(42, 0x400000, 0x5000, binary);
  for (uint64_t i = 0; i < frames; ++i) {
    PerfSampleSpec s;
    s.misc = perf::misc::kUser;
    s.pid = s.tid = 42;
    s.time = 1000 + i;
    s.ip = 0x401060 + i;
    s.callchain = {perf::context::kUser, s.ip};
    b.Sample(s);
  }
  return b.FileMode();
}

TEST(PerfBinaryCut, BinaryCutWhileSymbolizingFailsTheReadAtTheCut) {
  TempFile binary(
      testing::ReadFileBytes(testing::SourceDir() / "tests/fuzz/corpus/elf_symbols/c_inline"),
      "binary");
  // 600 frames: the progress after 256 and 512 of them comes while the binary is open.
  const std::vector<uint8_t> data = Recording(binary.path(), 600);
  {
    // Uncut, the same recording is symbolized with it: the frames of outer() are named.
    CollectingDiagnostics diag;
    ReadOptions options;
    options.diagnostics = &diag;
    auto in = InputSource::FromBytes("cut.data", data, "");
    auto p = ReadProfile(*in, options);
    ASSERT_OK(p);
    bool named = false;
    for (const Function& f : p->functions) named |= p->str(f.name) == "outer";
    EXPECT_TRUE(named);
  }
  const uint64_t cut = 0x2000 + 321;
  CutWhileSymbolizing diag(binary.path(), cut);
  ReadOptions options;
  options.diagnostics = &diag;
  auto in = InputSource::FromBytes("cut.data", data, "");
  auto p = ReadProfile(*in, options);
  ASSERT_TRUE(diag.cut_done());
  EXPECT_ERROR_AT(p, cut, "the file shrank while it was being read");
  if (!p.ok()) {
    EXPECT_EQ(p.error().ToString().rfind(binary.path() + ": byte ", 0), 0u) << p.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
