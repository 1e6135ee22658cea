// Reading shows progress (on a terminal, TerminalDiagnostics draws it): Go execution traces of
// both wire formats report how far into the input the reader is. perf.data has its own test in
// perf_data_reader_test.cc; URL fetches in url_fetch_test.cc.
#include <gtest/gtest.h>

#include "formats/profile_reader.h"
#include "tests/unit/recording_diagnostics.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

TEST(ReadProgress, GoTracesReportTheirOffset) {
  for (const char* version : {"go1.19", "go1.26"}) {
    const auto path = testing::FixtureDir() / "trace" / version / "grow.trace";
    testing::RecordingDiagnostics diag;
    ReadOptions options;
    options.diagnostics = &diag;
    auto p = ReadProfileFile(path.string(), options);
    ASSERT_OK(p);
    const auto reports = diag.About("reading trace");
    ASSERT_FALSE(reports.empty()) << version;
    const uint64_t size = std::filesystem::file_size(path);
    for (const auto& r : reports) {
      EXPECT_EQ(r.total, size) << version;
      EXPECT_LE(r.done, size) << version;
    }
  }
}

}  // namespace
}  // namespace gcspike
