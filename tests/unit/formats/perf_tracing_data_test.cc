// Tracepoint names from perf's tracing data (formats/perf_tracing_data.h): "system:name" by
// tracepoint id, read from the HEADER_TRACING_DATA record of a pipe stream or the feature
// section of a file, so a tracepoint event without an EVENT_DESC name is called what perf calls
// it; malformed tracing data is a warning, never a failed read.
#include "formats/perf_tracing_data.h"

#include <gtest/gtest.h>

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

TEST(PerfTracingData, NamesByTracepointId) {
  const std::vector<uint8_t> bytes = PerfTracingData(kEvents);
  auto names = ReadTracepointNames(ByteCursor(bytes));
  ASSERT_TRUE(names.ok()) << names.error().ToString();
  EXPECT_EQ(names->size(), 2u);
  EXPECT_EQ(names->at(1329), "probe_untitled1:main");
  EXPECT_EQ(names->at(316), "sched:sched_switch");
}

TEST(PerfTracingData, MalformedIsAnErrorWithItsOffset) {
  std::vector<uint8_t> bytes = PerfTracingData(kEvents);
  bytes[0] = 'X';
  auto bad = ReadTracepointNames(ByteCursor(bytes, 100));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 100u);
  bytes = PerfTracingData(kEvents);
  bytes.resize(bytes.size() - 40);  // cut inside the last format text
  EXPECT_FALSE(ReadTracepointNames(ByteCursor(bytes)).ok());
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
