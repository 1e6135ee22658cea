// Tracepoint names from perf's tracing data (formats/perf_tracing_data.h): "system:name" by
// tracepoint id, read from the HEADER_TRACING_DATA record of a pipe stream or the feature
// section of a file, so a tracepoint event without an EVENT_DESC name is called what perf calls
// it; malformed tracing data is a warning, never a failed read.
#include "formats/perf_tracing_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "formats/perf_data_reader.h"
#include "formats/perf_event_abi.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

using testing::PerfDataBuilder;
using testing::PerfTracingData;

const std::vector<testing::PerfTracepoint> kEvents = {{"probe_untitled1", "main", 1329},
                                                      {"sched", "sched_switch", 316}};

// What ReadTracepointNames hands on: name by id, and each format's offset.
struct Named {
  std::map<uint64_t, std::string> names;
  std::vector<uint64_t> offsets;
  Status status;
};

Named ReadNames(ByteCursor c, size_t stop_at = SIZE_MAX) {
  Named n;
  n.status = ReadTracepointNames(c, [&n, stop_at](uint64_t id, std::string name, uint64_t at) {
    if (n.offsets.size() == stop_at) return Status(MakeErrorAt(at, "stop"));
    n.names[id] = std::move(name);
    n.offsets.push_back(at);
    return Status();
  });
  return n;
}

TEST(PerfTracingData, NamesByTracepointId) {
  const std::vector<uint8_t> bytes = PerfTracingData(kEvents);
  Named n = ReadNames(ByteCursor(bytes, 1000));
  ASSERT_TRUE(n.status.ok()) << n.status.error().ToString();
  EXPECT_EQ(n.names, (std::map<uint64_t, std::string>{{316, "sched:sched_switch"},
                                                      {1329, "probe_untitled1:main"}}));
  // Each format's offset: its u64 size, after the system's NUL-terminated name and u32 count.
  ASSERT_EQ(n.offsets.size(), 2u);
  const std::string first = "probe_untitled1";
  const auto it = std::search(bytes.begin(), bytes.end(), first.begin(), first.end());
  EXPECT_EQ(n.offsets[0], 1000 + static_cast<uint64_t>(it - bytes.begin()) + first.size() + 5);
  EXPECT_GT(n.offsets[1], n.offsets[0]);
  // The callback's error stops the read there.
  Named stopped = ReadNames(ByteCursor(bytes, 1000), 1);
  ASSERT_FALSE(stopped.status.ok());
  EXPECT_EQ(stopped.status.error().message, "stop");
  EXPECT_EQ(stopped.names.size(), 1u);
}

TEST(PerfTracingData, MalformedIsAnErrorWithItsOffset) {
  std::vector<uint8_t> bytes = PerfTracingData(kEvents);
  bytes[0] = 'X';
  Named bad = ReadNames(ByteCursor(bytes, 100));
  ASSERT_FALSE(bad.status.ok());
  EXPECT_EQ(bad.status.error().offset, 100u);
  bytes = PerfTracingData(kEvents);
  bytes.resize(bytes.size() - 40);  // cut inside the last format text
  EXPECT_FALSE(ReadNames(ByteCursor(bytes)).status.ok());
}

// One tracepoint event (type 2, config 1329) with a sample.
PerfDataBuilder Tracepoint() {
  testing::PerfAttrSpec attr;
  attr.type = perf::attr_type::kTracepoint;
  attr.config = 1329;
  attr.sample_period = 1;
  attr.flags = 0;
  PerfDataBuilder b(attr);
  return b;
}

std::string FirstSampleType(const std::vector<uint8_t>& bytes, CollectingDiagnostics* diag) {
  auto in = InputSource::FromBytes("t.data", bytes, "");
  ReadOptions options;
  options.diagnostics = diag;
  auto p = ReadPerfData(*in, options);
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  return p.ok() ? std::string(p->str(p->sample_types[0].type)) : "";
}

TEST(PerfTracingData, NamesTracepointEventsInPipeAndFileMode) {
  testing::PerfSampleSpec s;
  s.callchain = {perf::context::kUser, 0x1000};
  CollectingDiagnostics diag;
  PerfDataBuilder pipe = Tracepoint();
  pipe.TracingDataRecord(PerfTracingData(kEvents)).Sample(s).FinishedRound();
  EXPECT_EQ(FirstSampleType(pipe.PipeMode(), &diag), "probe_untitled1:main_samples");
  PerfDataBuilder file = Tracepoint();
  file.Feature(perf::feature::kTracingData, PerfTracingData(kEvents)).Sample(s);
  EXPECT_EQ(FirstSampleType(file.FileMode(), &diag), "probe_untitled1:main_samples");
  EXPECT_TRUE(diag.warnings.empty()) << diag.warnings[0];
  // Without tracing data (or without this id in it): perf's numeric fallback.
  EXPECT_EQ(FirstSampleType(Tracepoint().Sample(s).FileMode(), &diag), "event-2:1329_samples");
  PerfDataBuilder other = Tracepoint();
  other.TracingDataRecord(PerfTracingData({{"sched", "sched_switch", 316}})).Sample(s);
  EXPECT_EQ(FirstSampleType(other.FinishedRound().PipeMode(), &diag), "event-2:1329_samples");
}

TEST(PerfTracingData, MalformedTracingDataIsAWarning) {
  std::vector<uint8_t> tracing = PerfTracingData(kEvents);
  tracing[3] = 'X';  // "tracing" misspelt
  testing::PerfSampleSpec s;
  s.callchain = {perf::context::kUser, 0x1000};
  PerfDataBuilder pipe = Tracepoint();
  pipe.TracingDataRecord(tracing).Sample(s).FinishedRound();
  CollectingDiagnostics diag;
  EXPECT_EQ(FirstSampleType(pipe.PipeMode(), &diag), "event-2:1329_samples");
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_NE(diag.warnings[0].find("tracing data"), std::string::npos) << diag.warnings[0];
}

}  // namespace
}  // namespace gcspike
