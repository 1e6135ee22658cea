// formats/perf_event_abi.h against the kernel's own uapi header: every constant the kernel
// defines has the kernel's value, and the perf_event_attr fields the reader picks by offset
// sit where the kernel's struct has them. (perf's own record types and feature bits are not in
// the kernel header; the golden recordings of e2e_perf_golden_test cover them.)
#include "formats/perf_event_abi.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>

#include <cstddef>

namespace gcspike {
namespace {

TEST(PerfEventAbi, RecordTypesAreTheKernels) {
  EXPECT_EQ(perf::record::kMmap, PERF_RECORD_MMAP);
  EXPECT_EQ(perf::record::kLost, PERF_RECORD_LOST);
  EXPECT_EQ(perf::record::kComm, PERF_RECORD_COMM);
  EXPECT_EQ(perf::record::kExit, PERF_RECORD_EXIT);
  EXPECT_EQ(perf::record::kFork, PERF_RECORD_FORK);
  EXPECT_EQ(perf::record::kSample, PERF_RECORD_SAMPLE);
  EXPECT_EQ(perf::record::kMmap2, PERF_RECORD_MMAP2);
  // Every kernel record type up to kMaxKernelRecord is known; perf's own start at 64.
  EXPECT_LE(perf::record::kMaxKernelRecord + 1, static_cast<uint32_t>(PERF_RECORD_MAX));
  EXPECT_LT(static_cast<uint32_t>(PERF_RECORD_MAX), perf::record::kHeaderAttr);
}

TEST(PerfEventAbi, SampleTypeAndReadFormatBits) {
  EXPECT_EQ(perf::sample::kIp, PERF_SAMPLE_IP);
  EXPECT_EQ(perf::sample::kTid, PERF_SAMPLE_TID);
  EXPECT_EQ(perf::sample::kTime, PERF_SAMPLE_TIME);
  EXPECT_EQ(perf::sample::kAddr, PERF_SAMPLE_ADDR);
  EXPECT_EQ(perf::sample::kRead, PERF_SAMPLE_READ);
  EXPECT_EQ(perf::sample::kCallchain, PERF_SAMPLE_CALLCHAIN);
  EXPECT_EQ(perf::sample::kId, PERF_SAMPLE_ID);
  EXPECT_EQ(perf::sample::kCpu, PERF_SAMPLE_CPU);
  EXPECT_EQ(perf::sample::kPeriod, PERF_SAMPLE_PERIOD);
  EXPECT_EQ(perf::sample::kStreamId, PERF_SAMPLE_STREAM_ID);
  EXPECT_EQ(perf::sample::kRaw, PERF_SAMPLE_RAW);
  EXPECT_EQ(perf::sample::kBranchStack, PERF_SAMPLE_BRANCH_STACK);
  EXPECT_EQ(perf::sample::kRegsUser, PERF_SAMPLE_REGS_USER);
  EXPECT_EQ(perf::sample::kStackUser, PERF_SAMPLE_STACK_USER);
  EXPECT_EQ(perf::sample::kIdentifier, PERF_SAMPLE_IDENTIFIER);
  EXPECT_EQ(perf::read_format::kTotalTimeEnabled, PERF_FORMAT_TOTAL_TIME_ENABLED);
  EXPECT_EQ(perf::read_format::kTotalTimeRunning, PERF_FORMAT_TOTAL_TIME_RUNNING);
  EXPECT_EQ(perf::read_format::kId, PERF_FORMAT_ID);
  EXPECT_EQ(perf::read_format::kGroup, PERF_FORMAT_GROUP);
  EXPECT_EQ(perf::read_format::kLost, PERF_FORMAT_LOST);
  EXPECT_EQ(perf::attr::kBranchHwIndex, PERF_SAMPLE_BRANCH_HW_INDEX);
  EXPECT_EQ(perf::attr::kBranchCallStack, PERF_SAMPLE_BRANCH_CALL_STACK);
  EXPECT_EQ(perf::attr::kBranchUser, PERF_SAMPLE_BRANCH_USER);
}

TEST(PerfEventAbi, MiscContextAndTypes) {
  EXPECT_EQ(perf::misc::kCpumodeMask, PERF_RECORD_MISC_CPUMODE_MASK);
  EXPECT_EQ(perf::misc::kKernel, PERF_RECORD_MISC_KERNEL);
  EXPECT_EQ(perf::misc::kUser, PERF_RECORD_MISC_USER);
  EXPECT_EQ(perf::misc::kCommExec, PERF_RECORD_MISC_COMM_EXEC);
  EXPECT_EQ(perf::misc::kMmapBuildId, PERF_RECORD_MISC_MMAP_BUILD_ID);
  // perf reuses the kernel's reserved bit for its build id events' size flag.
  EXPECT_EQ(perf::misc::kBuildIdSize, PERF_RECORD_MISC_EXT_RESERVED);
  EXPECT_EQ(perf::context::kKernel, static_cast<uint64_t>(PERF_CONTEXT_KERNEL));
  EXPECT_EQ(perf::context::kUser, static_cast<uint64_t>(PERF_CONTEXT_USER));
  EXPECT_EQ(perf::context::kMax, static_cast<uint64_t>(PERF_CONTEXT_MAX));
  EXPECT_EQ(perf::attr_type::kHardware, PERF_TYPE_HARDWARE);
  EXPECT_EQ(perf::attr_type::kSoftware, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(perf::attr_type::kTracepoint, PERF_TYPE_TRACEPOINT);
  EXPECT_EQ(perf::sw::kCpuClock, PERF_COUNT_SW_CPU_CLOCK);
  EXPECT_EQ(perf::sw::kTaskClock, PERF_COUNT_SW_TASK_CLOCK);
  EXPECT_EQ(perf::kRecordHeaderSize, sizeof(perf_event_header));
}

// ReadPerfAttr (perf_sample_layout.cc) reads these fields at these offsets.
TEST(PerfEventAbi, AttrLayout) {
  EXPECT_EQ(perf::attr::kMinSize, static_cast<uint64_t>(PERF_ATTR_SIZE_VER0));
  EXPECT_EQ(offsetof(perf_event_attr, config), 8u);
  EXPECT_EQ(offsetof(perf_event_attr, sample_period), 16u);
  EXPECT_EQ(offsetof(perf_event_attr, sample_type), 24u);
  EXPECT_EQ(offsetof(perf_event_attr, read_format), 32u);
  EXPECT_EQ(offsetof(perf_event_attr, branch_sample_type), 72u);
  EXPECT_EQ(offsetof(perf_event_attr, sample_regs_user), 80u);
  perf_event_attr a{};
  a.freq = 1;  // the bit-field word after read_format
  uint64_t flags = 0;
  static_assert(sizeof flags == 8);
  __builtin_memcpy(&flags, reinterpret_cast<const char*>(&a) + 40, 8);
  EXPECT_EQ(flags, perf::attr::kFlagFreq);
}

TEST(PerfEventAbi, PaddedStrings) {
  const uint8_t name[8] = {'w', 'o', 'r', 'k', 0, 'x', 'y', 0};
  EXPECT_EQ(perf::PaddedString(name), "work");
  const uint8_t full[3] = {'a', 'b', 'c'};  // no NUL: the whole field
  EXPECT_EQ(perf::PaddedString(full), "abc");
}

}  // namespace
}  // namespace gcspike
