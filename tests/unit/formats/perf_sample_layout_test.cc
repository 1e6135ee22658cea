// perf_event_attr parsing and SAMPLE decoding (formats/perf_sample_layout.h) on records laid
// out by the test builder: every field lands where its sample_type bit puts it, the fields we
// skip (ADDR, CPU, READ, RAW, BRANCH_STACK) are skipped by their size, and sizes that run past
// the record are errors at the offending field.
#include "formats/perf_sample_layout.h"

#include <gtest/gtest.h>

#include <vector>

#include "formats/perf_event_abi.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

namespace sample = perf::sample;
using testing::PerfAttrBytes;
using testing::PerfAttrSpec;
using testing::PerfSampleBody;
using testing::PerfSampleSpec;

PerfAttr Parse(const PerfAttrSpec& spec) {
  const std::vector<uint8_t> bytes = PerfAttrBytes(spec);
  auto a = ReadPerfAttr(ByteCursor(bytes), bytes.size());
  EXPECT_TRUE(a.ok()) << a.error().ToString();
  return a.ok() ? *a : PerfAttr();
}

std::vector<uint64_t> Callchain(const PerfSample& s) {
  std::vector<uint64_t> out;
  ByteCursor c = s.callchain;
  for (uint64_t i = 0; i < s.callchain_size; ++i) out.push_back(*c.u64le());
  return out;
}

TEST(PerfSampleLayout, AttrFields) {
  PerfAttrSpec spec;
  spec.type = perf::attr_type::kHardware;
  spec.config = 3;
  spec.sample_period = 4000;
  spec.sample_type = sample::kIp | sample::kRegsUser;
  spec.read_format = perf::read_format::kId;
  spec.flags = 0;
  spec.branch_sample_type = perf::attr::kBranchHwIndex;
  spec.sample_regs_user = 0x1c0;
  const PerfAttr a = Parse(spec);
  EXPECT_EQ(a.type, perf::attr_type::kHardware);
  EXPECT_EQ(a.config, 3u);
  EXPECT_EQ(a.sample_period, 4000u);
  EXPECT_EQ(a.sample_type, spec.sample_type);
  EXPECT_EQ(a.read_format, spec.read_format);
  EXPECT_EQ(a.flags, 0u);
  EXPECT_EQ(a.branch_sample_type, perf::attr::kBranchHwIndex);
  EXPECT_EQ(a.sample_regs_user, 0x1c0u);
  EXPECT_EQ(DefaultEventName(a), "cache-misses");
}

// A PERF_ATTR_SIZE_VER0 attr ends before branch_sample_type: the missing fields read as zero.
TEST(PerfSampleLayout, ShortAttrReadsZeroAndBadSizesAreErrors) {
  PerfAttrSpec spec;
  spec.size = 64;
  spec.sample_regs_user = 0xff;  // cut off at 64 bytes
  const PerfAttr a = Parse(spec);
  EXPECT_EQ(a.sample_regs_user, 0u);
  EXPECT_EQ(DefaultEventName(a), "cpu-clock");
  const std::vector<uint8_t> bytes = PerfAttrBytes(spec);
  auto small = ReadPerfAttr(ByteCursor(bytes, 1000), 32);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().offset, 1000u);
  spec.size = 200;  // larger than its 128-byte slot
  std::vector<uint8_t> big = PerfAttrBytes(spec);
  auto bad = ReadPerfAttr(ByteCursor(big, 1000), 128);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 1004u);
  PerfAttr other;
  other.type = perf::attr_type::kTracepoint;
  other.config = 1329;
  EXPECT_EQ(DefaultEventName(other), "event-2:1329");
}

TEST(PerfSampleLayout, EveryFieldInOrder) {
  PerfAttrSpec spec;
  spec.sample_type = sample::kIdentifier | sample::kIp | sample::kTid | sample::kTime |
                     sample::kAddr | sample::kId | sample::kStreamId | sample::kCpu |
                     sample::kPeriod | sample::kRead | sample::kCallchain | sample::kRaw |
                     sample::kBranchStack | sample::kRegsUser | sample::kStackUser;
  spec.read_format =
      perf::read_format::kGroup | perf::read_format::kId | perf::read_format::kTotalTimeEnabled;
  spec.branch_sample_type = perf::attr::kBranchHwIndex;
  spec.sample_regs_user = (1 << kPerfRegSp) | (1 << kPerfRegIp);
  PerfSampleSpec s;
  s.id = 77;
  s.ip = 0x401000;
  s.pid = 10;
  s.tid = 11;
  s.time = 123456;
  s.period = 999;
  s.read_values = {2, 5000, 1, 77, 2, 78};  // nr, time_enabled, 2 * {value, id}
  s.callchain = {perf::context::kUser, 0x401000, 0x402000};
  s.raw = {1, 2, 3, 4, 5};
  s.branches = {{1, 2, 3}, {4, 5, 6}};
  s.regs = {0x7ff000, 0x401000};
  s.stack = std::vector<uint8_t>(64, 0xab);
  s.stack_dyn_size = 48;
  const PerfAttr attr = Parse(spec);
  const std::vector<uint8_t> body = PerfSampleBody(spec, s);
  PerfSample got;
  ASSERT_TRUE(ReadPerfSample(attr, ByteCursor(body), &got).ok());
  EXPECT_TRUE(got.has_ip && got.has_tid && got.has_time && got.has_callchain);
  EXPECT_EQ(got.ip, 0x401000u);
  EXPECT_EQ(got.pid, 10u);
  EXPECT_EQ(got.tid, 11u);
  EXPECT_EQ(got.time, 123456u);
  EXPECT_EQ(got.period, 999u);
  EXPECT_EQ(Callchain(got), s.callchain);
  ASSERT_TRUE(got.has_regs_user);
  EXPECT_EQ(got.regs_user.values[kPerfRegSp], 0x7ff000u);
  EXPECT_EQ(got.regs_user.values[kPerfRegIp], 0x401000u);
  ASSERT_TRUE(got.has_stack_user);
  EXPECT_EQ(got.stack_user.size(), 48u);
  auto id = PerfSampleId(spec.sample_type, ByteCursor(body));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 77u);
}

// Without PERIOD, a sample's period is the attr's; without IDENTIFIER, the id follows IP, TID,
// TIME and ADDR.
TEST(PerfSampleLayout, DefaultPeriodAndIdPosition) {
  PerfAttrSpec spec;
  spec.sample_type = sample::kIp | sample::kTid | sample::kAddr | sample::kId;
  spec.sample_period = 10007;
  PerfSampleSpec s;
  s.id = 4242;
  s.ip = 0x10;
  const std::vector<uint8_t> body = PerfSampleBody(spec, s);
  PerfSample got;
  ASSERT_TRUE(ReadPerfSample(Parse(spec), ByteCursor(body), &got).ok());
  EXPECT_EQ(got.period, 10007u);
  EXPECT_FALSE(got.has_time);
  EXPECT_FALSE(got.has_callchain);
  auto id = PerfSampleId(spec.sample_type, ByteCursor(body));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 4242u);
}

TEST(PerfSampleLayout, SizesPastTheRecordAreErrorsAtTheField) {
  PerfAttrSpec spec;  // IP TID TIME CALLCHAIN PERIOD
  PerfSampleSpec s;
  s.callchain = {perf::context::kUser, 0x10};
  std::vector<uint8_t> body = PerfSampleBody(spec, s);
  body[32] = 3;  // the callchain count, after ip, pid/tid, time and period
  PerfSample got;
  Status st = ReadPerfSample(Parse(spec), ByteCursor(body, 500), &got);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().offset, 532u);
  EXPECT_NE(st.error().message.find("callchain of 3 entries"), std::string::npos);

  spec.sample_type = sample::kRaw;
  s.raw = {1, 2, 3};
  body = PerfSampleBody(spec, s);
  body[0] = 200;  // RAW size past the end
  st = ReadPerfSample(Parse(spec), ByteCursor(body, 500), &got);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().offset, 504u);

  spec.sample_type = sample::kBranchStack;
  s.branches = {{1, 2, 3}};
  body = PerfSampleBody(spec, s);
  body[7] = 0x40;  // 2^62 branches: the byte count overflows
  st = ReadPerfSample(Parse(spec), ByteCursor(body, 500), &got);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("branch stack count overflows"), std::string::npos);
}

}  // namespace
}  // namespace gcspike
