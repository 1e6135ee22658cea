// The perf ABI as named constants: perf_event_attr fields and flags, record types (the kernel's
// and perf's own), the SAMPLE layout bits, header feature bits, callchain context markers.
// Values are the kernel's uapi <linux/perf_event.h> and perf's tools/perf/util/header.h and
// event.h (tests/unit/formats/perf_event_abi_test.cc checks them against the kernel header).
// Format notes: docs/formats/perf-data.md.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace gcspike::perf {

// Record types (docs/formats/perf-data.md#record-types): 1..kMaxKernelRecord come from the
// kernel, kHeaderAttr..kMaxUserRecord are perf's own.
namespace record {
constexpr uint32_t kMmap = 1;
constexpr uint32_t kLost = 2;
constexpr uint32_t kComm = 3;
constexpr uint32_t kExit = 4;
constexpr uint32_t kFork = 7;
constexpr uint32_t kSample = 9;
constexpr uint32_t kMmap2 = 10;
constexpr uint32_t kMaxKernelRecord = 21;
constexpr uint32_t kHeaderAttr = 64;
constexpr uint32_t kHeaderEventType = 65;
constexpr uint32_t kHeaderTracingData = 66;
constexpr uint32_t kHeaderBuildId = 67;
constexpr uint32_t kFinishedRound = 68;
constexpr uint32_t kAuxtrace = 71;
constexpr uint32_t kHeaderFeature = 80;
constexpr uint32_t kCompressed = 81;
constexpr uint32_t kCompressed2 = 83;
constexpr uint32_t kMaxUserRecord = 86;
}  // namespace record

// perf_event_attr.sample_type bits (docs/formats/perf-data.md#event-attributes).
namespace sample {
constexpr uint64_t kIp = 1 << 0;
constexpr uint64_t kTid = 1 << 1;
constexpr uint64_t kTime = 1 << 2;
constexpr uint64_t kAddr = 1 << 3;
constexpr uint64_t kRead = 1 << 4;
constexpr uint64_t kCallchain = 1 << 5;
constexpr uint64_t kId = 1 << 6;
constexpr uint64_t kCpu = 1 << 7;
constexpr uint64_t kPeriod = 1 << 8;
constexpr uint64_t kStreamId = 1 << 9;
constexpr uint64_t kRaw = 1 << 10;
constexpr uint64_t kBranchStack = 1 << 11;
constexpr uint64_t kRegsUser = 1 << 12;
constexpr uint64_t kStackUser = 1 << 13;
constexpr uint64_t kIdentifier = 1 << 16;
}  // namespace sample

// perf_event_attr.read_format bits: the layout of a SAMPLE's READ field.
namespace read_format {
constexpr uint64_t kTotalTimeEnabled = 1 << 0;
constexpr uint64_t kTotalTimeRunning = 1 << 1;
constexpr uint64_t kId = 1 << 2;
constexpr uint64_t kGroup = 1 << 3;
constexpr uint64_t kLost = 1 << 4;
}  // namespace read_format

// perf_event_attr: the bit-field word at byte 40 and the branch_sample_type bits we read.
namespace attr {
constexpr uint64_t kMinSize = 64;                         // PERF_ATTR_SIZE_VER0
constexpr uint64_t kFlagFreq = uint64_t{1} << 10;         // sample_freq instead of sample_period
constexpr uint64_t kBranchUser = uint64_t{1} << 0;        // PERF_SAMPLE_BRANCH_USER
constexpr uint64_t kBranchCallStack = uint64_t{1} << 11;  // PERF_SAMPLE_BRANCH_CALL_STACK (LBR)
constexpr uint64_t kBranchHwIndex = uint64_t{1} << 17;    // PERF_SAMPLE_BRANCH_HW_INDEX
}  // namespace attr

// perf_event_attr.type, and the configs of the software events we name.
namespace attr_type {
constexpr uint32_t kHardware = 0;
constexpr uint32_t kSoftware = 1;
constexpr uint32_t kTracepoint = 2;
}  // namespace attr_type
namespace sw {
constexpr uint64_t kCpuClock = 0;
constexpr uint64_t kTaskClock = 1;
}  // namespace sw
namespace hw {
constexpr uint64_t kCpuCycles = 0;     // PERF_COUNT_HW_CPU_CYCLES
constexpr uint64_t kRefCpuCycles = 9;  // PERF_COUNT_HW_REF_CPU_CYCLES
}  // namespace hw

// perf_event_header.misc.
namespace misc {
constexpr uint16_t kCpumodeMask = 7;
constexpr uint16_t kKernel = 1;  // cpumode: the sample was taken in the kernel
constexpr uint16_t kUser = 2;
constexpr uint16_t kCommExec = 1 << 13;     // COMM: the name changed at an exec
constexpr uint16_t kMmapBuildId = 1 << 14;  // MMAP2 carries a build id, not device/inode
constexpr uint16_t kBuildIdSize = 1 << 15;  // perf's build_id_event: build_id[20] is the size
}  // namespace misc

// Header feature bits (docs/formats/perf-data.md#feature-sections).
namespace feature {
constexpr int kTracingData = 1;
constexpr int kBuildId = 2;
constexpr int kHostname = 3;
constexpr int kOsRelease = 4;
constexpr int kVersion = 5;
constexpr int kCmdline = 11;
constexpr int kEventDesc = 12;
constexpr int kClockData = 29;
constexpr int kCount = 256;  // bits in the header's feature bitmap
}  // namespace feature

// Callchain entries at or above kMax are context markers, not addresses
// (docs/formats/perf-data.md#callchains).
namespace context {
constexpr uint64_t kMax = static_cast<uint64_t>(-4095);
constexpr uint64_t kKernel = static_cast<uint64_t>(-128);
constexpr uint64_t kUser = static_cast<uint64_t>(-512);
}  // namespace context

// The pid perf gives the kernel's own mappings ([kernel.kallsyms], modules).
constexpr uint32_t kKernelPid = 0xffffffffu;

// "PERFILE2" and the two header sizes (docs/formats/perf-data.md#file-header, #pipe-mode).
constexpr char kMagic[] = "PERFILE2";
constexpr char kMagicBigEndian[] = "2ELIFREP";
constexpr uint64_t kFileHeaderSize = 104;
constexpr uint64_t kPipeHeaderSize = 16;
constexpr uint64_t kRecordHeaderSize = 8;

// A NUL-padded string field (COMM, MMAP filenames, header strings): up to its first NUL.
inline std::string PaddedString(std::span<const uint8_t> b) {
  const auto* p = reinterpret_cast<const char*>(b.data());
  return std::string(p, strnlen(p, b.size()));
}

}  // namespace gcspike::perf
