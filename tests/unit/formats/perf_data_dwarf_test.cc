// perf.data samples recorded with --call-graph dwarf (REGS_USER + STACK_USER, 5.4), on crafted
// files: with no binary to take CFI from, the user stack comes from the frame-pointer chain in
// the copied stack bytes, below the kernel part of the callchain; the unwind counts are warned;
// malformed REGS_USER / STACK_USER sizes are errors naming their byte offset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "formats/perf_data_reader.h"
#include "formats/perf_event_abi.h"
#include "formats/profile_reader.h"
#include "symbolizer/dwarf_unwinder.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

using testing::PerfDataBuilder;
using testing::PerfSampleSpec;

constexpr uint64_t kSampleType = perf::sample::kIp | perf::sample::kTid | perf::sample::kTime |
                                 perf::sample::kCallchain | perf::sample::kPeriod |
                                 perf::sample::kRegsUser | perf::sample::kStackUser;
constexpr uint64_t kRegsMask = (1 << kPerfRegBp) | (1 << kPerfRegSp) | (1 << kPerfRegIp);
constexpr uint64_t kSp = 0x7ff000;
constexpr uint64_t kUserIp = 0x400abc;

// One cpu-clock attr carrying sample_regs_user.
PerfDataBuilder Builder() {
  testing::PerfAttrSpec attr;
  attr.sample_type = kSampleType;
  attr.sample_regs_user = kRegsMask;
  return PerfDataBuilder(attr);
}

// One SAMPLE: kernel callchain [kernel_ip] when in_kernel (else the user callchain
// `user_chain`, as perf record --user-callchains writes it), registers BP/SP/IP, a stack copy of
// `stack` bytes with the given dyn_size.
PerfSampleSpec DwarfSample(bool in_kernel, const std::vector<uint8_t>& stack, uint64_t dyn_size,
                           uint64_t regs_count = 3, const std::vector<uint64_t>& user_chain = {}) {
  PerfSampleSpec s;
  s.misc = in_kernel ? perf::misc::kKernel : perf::misc::kUser;
  s.ip = in_kernel ? 0xffffffff81001234 : kUserIp;
  s.pid = s.tid = 42;
  s.time = 5000;
  s.period = 1000;
  if (in_kernel) {
    s.callchain = {perf::context::kKernel, 0xffffffff81001234};
  } else if (!user_chain.empty()) {
    s.callchain = {perf::context::kUser};
    s.callchain.insert(s.callchain.end(), user_chain.begin(), user_chain.end());
  }
  const uint64_t regs[] = {kSp + 0x10, kSp, kUserIp};
  s.regs.assign(regs, regs + regs_count);
  s.stack = stack;
  s.stack_dyn_size = dyn_size;
  return s;
}

// The SAMPLE record's bytes.
std::vector<uint8_t> SampleBytes(bool in_kernel, const std::vector<uint8_t>& stack,
                                 uint64_t dyn_size, uint64_t regs_count = 3,
                                 const std::vector<uint64_t>& user_chain = {}) {
  return Builder().Sample(DwarfSample(in_kernel, stack, dyn_size, regs_count, user_chain)).data();
}

std::vector<uint8_t> ChainStack() {
  std::vector<uint8_t> s(0xa0, 0);
  auto put = [&](size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) s[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put(0x10, kSp + 0x40);
  put(0x18, 0x401111);
  put(0x40, kSp + 0x80);
  put(0x48, 0x402222);
  put(0x88, 0x403333);
  return s;
}

std::vector<uint8_t> File(const std::vector<uint8_t>& data) {
  return Builder().Raw(data).FileMode();
}

Result<Profile> Read(std::vector<uint8_t> bytes, Diagnostics* diag) {
  auto in = InputSource::FromBytes("d.data", std::move(bytes), "");
  ReadOptions options;
  options.diagnostics = diag;
  return ReadPerfData(*in, options);
}

TEST(PerfDataDwarf, UserStackFromCopiedBytesBelowKernelFrames) {
  std::vector<uint8_t> data = SampleBytes(false, ChainStack(), 0xa0);
  const auto kernel = SampleBytes(true, ChainStack(), 0xa0);
  data.insert(data.end(), kernel.begin(), kernel.end());
  const auto no_stack = SampleBytes(false, {}, 0);
  data.insert(data.end(), no_stack.begin(), no_stack.end());
  CollectingDiagnostics diag;
  auto p = Read(File(data), &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 3u);
  auto addresses = [&](const Sample& s) {
    std::vector<uint64_t> a;
    for (uint64_t id : s.location_ids) a.push_back(p->location(id).address);
    return a;
  };
  const std::vector<uint64_t> user = {kUserIp, 0x401111, 0x402222, 0x403333};
  EXPECT_EQ(addresses(p->samples[0]), user);
  std::vector<uint64_t> with_kernel = {0xffffffff81001234};
  with_kernel.insert(with_kernel.end(), user.begin(), user.end());
  EXPECT_EQ(addresses(p->samples[1]), with_kernel);
  EXPECT_EQ(addresses(p->samples[2]), std::vector<uint64_t>{kUserIp});
  std::string all;
  for (const auto& w : diag.warnings) all += w + "\n";
  EXPECT_NE(all.find("3 samples with --call-graph dwarf stacks: 0 unwound by CFI, 2 by frame "
                     "pointers, 1 IP only"),
            std::string::npos)
      << all;
}

// With a user callchain recorded too, that is the stack: it is neither unwound nor counted as
// "IP only", but in a count of its own.
TEST(PerfDataDwarf, RecordedUserCallchainIsCountedApart) {
  std::vector<uint8_t> data = SampleBytes(false, ChainStack(), 0xa0);
  const auto chained = SampleBytes(false, ChainStack(), 0xa0, 3, {kUserIp, 0x405555});
  data.insert(data.end(), chained.begin(), chained.end());
  CollectingDiagnostics diag;
  auto p = Read(File(data), &diag);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->samples.size(), 2u);
  ASSERT_EQ(p->samples[1].location_ids.size(), 2u);
  EXPECT_EQ(p->location(p->samples[1].location_ids[1]).address, 0x405555u);
  std::string all;
  for (const auto& w : diag.warnings) all += w + "\n";
  EXPECT_NE(all.find("2 samples with --call-graph dwarf stacks: 0 unwound by CFI, 1 by frame "
                     "pointers, 0 IP only, 1 from the recorded callchain"),
            std::string::npos)
      << all;
}

TEST(PerfDataDwarf, MalformedSizesNameOffsets) {
  const uint64_t data_offset = Builder().data_offset();
  // The sample body starts 8 bytes into the record; REGS_USER after ip, tid, time, period and
  // the empty callchain (5 * 8 bytes).
  const uint64_t regs_at = data_offset + 8 + 5 * 8;
  {
    auto bad = SampleBytes(false, ChainStack(), 0xa1);  // dyn_size > size
    CollectingDiagnostics diag;
    auto p = Read(File(bad), &diag);
    ASSERT_FALSE(p.ok());
    ASSERT_TRUE(p.error().offset.has_value());
    EXPECT_EQ(*p.error().offset, regs_at + 8 + 3 * 8 + 8 + 0xa0) << p.error().ToString();
  }
  {
    // The record ends inside the registers: the stack size word is missing too.
    auto bad = SampleBytes(false, {}, 0, 2);
    bad.resize(bad.size() - 8);
    bad[6] = static_cast<uint8_t>(bad.size());
    bad[7] = static_cast<uint8_t>(bad.size() >> 8);
    CollectingDiagnostics diag;
    auto p = Read(File(bad), &diag);
    ASSERT_FALSE(p.ok());
    ASSERT_TRUE(p.error().offset.has_value());
    EXPECT_EQ(*p.error().offset, regs_at + 8) << p.error().ToString();
  }
  {
    // A stack size past the end of the record.
    auto bad = SampleBytes(false, {}, 0);
    bad[bad.size() - 7] = 0x10;  // the stack size word, last in the record: 0x1000
    CollectingDiagnostics diag;
    auto p = Read(File(bad), &diag);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(*p.error().offset, regs_at + 8 + 3 * 8) << p.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
