// perf.data samples recorded with --call-graph dwarf (REGS_USER + STACK_USER, 5.4), on crafted
// files: with no binary to take CFI from, the user stack comes from the frame-pointer chain in
// the copied stack bytes, below the kernel part of the callchain; the unwind counts are warned;
// malformed REGS_USER / STACK_USER sizes are errors naming their byte offset.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "formats/perf_data_reader.h"
#include "formats/profile_reader.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PutU16;
using testing::PutU32;
using testing::PutU64;

constexpr uint64_t kSampleType = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 5) | (1 << 8) |
                                 (1 << 12) | (1 << 13);  // IP TID TIME CALLCHAIN PERIOD REGS STACK
constexpr uint64_t kRegsMask = (1 << 6) | (1 << 7) | (1 << 8);  // BP, SP, IP
constexpr uint64_t kSp = 0x7ff000;
constexpr uint64_t kUserIp = 0x400abc;

// One SAMPLE: kernel callchain [kernel_ip] when in_kernel (else the user callchain
// `user_chain`, as perf record --user-callchains writes it), registers BP/SP/IP, a stack copy of
// `stack` bytes with the given dyn_size.
std::vector<uint8_t> SampleBytes(bool in_kernel, const std::vector<uint8_t>& stack, uint64_t dyn_size,
                            uint64_t regs_count = 3,
                            const std::vector<uint64_t>& user_chain = {}) {
  std::vector<uint8_t> body;
  PutU64(body, in_kernel ? 0xffffffff81001234 : kUserIp);
  PutU32(body, 42);
  PutU32(body, 42);
  PutU64(body, 5000);  // time
  PutU64(body, 1000);  // period
  if (in_kernel) {
    PutU64(body, 2);
    PutU64(body, static_cast<uint64_t>(-128));  // PERF_CONTEXT_KERNEL
    PutU64(body, 0xffffffff81001234);
  } else if (!user_chain.empty()) {
    PutU64(body, 1 + user_chain.size());
    PutU64(body, static_cast<uint64_t>(-512));  // PERF_CONTEXT_USER
    for (uint64_t a : user_chain) PutU64(body, a);
  } else {
    PutU64(body, 0);
  }
  PutU64(body, 2);  // PERF_SAMPLE_REGS_ABI_64
  const uint64_t regs[] = {kSp + 0x10, kSp, kUserIp};
  for (uint64_t i = 0; i < regs_count; ++i) PutU64(body, regs[i]);
  PutU64(body, stack.size());
  body.insert(body.end(), stack.begin(), stack.end());
  if (!stack.empty()) PutU64(body, dyn_size);
  std::vector<uint8_t> r;
  PutU32(r, 9);
  PutU16(r, in_kernel ? 1 : 2);
  PutU16(r, static_cast<uint16_t>(8 + body.size()));
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

std::vector<uint8_t> ChainStack() {
  std::vector<uint8_t> s(0xa0, 0);
  auto put = [&](size_t at, uint64_t v) { std::memcpy(s.data() + at, &v, 8); };
  put(0x10, kSp + 0x40);
  put(0x18, 0x401111);
  put(0x40, kSp + 0x80);
  put(0x48, 0x402222);
  put(0x88, 0x403333);
  return s;
}

// File mode with one cpu-clock attr carrying sample_regs_user (perf_event_attr offset 80).
std::vector<uint8_t> File(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> attr;
  PutU32(attr, 1);
  PutU32(attr, 128);
  PutU64(attr, 0);
  PutU64(attr, 999);
  PutU64(attr, kSampleType);
  PutU64(attr, 0);
  PutU64(attr, uint64_t{1} << 10);
  attr.resize(80, 0);
  PutU64(attr, kRegsMask);
  attr.resize(128, 0);
  const uint64_t entry = attr.size() + 16;
  std::vector<uint8_t> f = {'P', 'E', 'R', 'F', 'I', 'L', 'E', '2'};
  PutU64(f, 104);
  PutU64(f, entry);
  PutU64(f, 104);
  PutU64(f, entry);
  PutU64(f, 104 + entry);
  PutU64(f, data.size());
  for (int i = 0; i < 6; ++i) PutU64(f, 0);  // event_types, features
  f.insert(f.end(), attr.begin(), attr.end());
  PutU64(f, 0);
  PutU64(f, 0);
  f.insert(f.end(), data.begin(), data.end());
  return f;
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
  const uint64_t data_offset = 104 + 128 + 16;
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
    const uint16_t size = static_cast<uint16_t>(bad.size());
    std::memcpy(bad.data() + 6, &size, 2);
    CollectingDiagnostics diag;
    auto p = Read(File(bad), &diag);
    ASSERT_FALSE(p.ok());
    ASSERT_TRUE(p.error().offset.has_value());
    EXPECT_EQ(*p.error().offset, regs_at + 8) << p.error().ToString();
  }
  {
    // A stack size past the end of the record.
    auto bad = SampleBytes(false, {}, 0);
    std::memcpy(bad.data() + bad.size() - 8, "\x00\x10\x00\x00\x00\x00\x00\x00", 8);
    CollectingDiagnostics diag;
    auto p = Read(File(bad), &diag);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(*p.error().offset, regs_at + 8 + 3 * 8) << p.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
