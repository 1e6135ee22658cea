// The Go execution trace wire format as named constants, shared by the readers (go_trace_v1*,
// go_trace_v2*), the fuzz walkers (tests/fuzz/go_trace_walk.h) and the test builders
// (tests/unit/go_trace_builder.h): the header, the old format's event types, encoding and
// limits, the generation format's batch leads, event types, argument counts and limits.
// Values are the Go runtime's (runtime/trace.go up to Go 1.21, internal/trace/tracev2 since
// 1.22); tests/unit/formats/go_trace_abi_test.cc checks the event numbers and value counts
// against the Go trees' sources. Format notes: docs/formats/go-trace.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gcspike::go_trace {

// "go 1.N trace" padded with NUL bytes (docs/formats/go-trace.md#header).
inline constexpr size_t kHeaderSize = 16;
inline constexpr std::string_view kHeaderPrefix = "go 1.";
inline constexpr std::string_view kHeaderSuffix = " trace";
// The first N of the generation format; smaller ones are the old format.
inline constexpr int kFirstGenerationMinor = 22;

// The old format, headers "go 1.11 trace" .. "go 1.21 trace".
namespace v1 {

// Event types (docs/formats/go-trace.md#old-format-event-types): runtime/trace.go's traceEv*
// in declaration order, the same numbers since Go 1.5.
enum : uint8_t {
  kEvNone = 0,
  kEvBatch = 1,  // [pid, ticks]
  kEvFrequency = 2,
  kEvStack = 3,
  kEvGomaxprocs = 4,
  kEvProcStart = 5,
  kEvProcStop = 6,
  kEvGCStart = 7,
  kEvGCDone = 8,
  kEvSTWStart = 9,
  kEvSTWDone = 10,
  kEvGCSweepStart = 11,
  kEvGCSweepDone = 12,
  kEvGoCreate = 13,
  kEvGoStart = 14,
  kEvGoEnd = 15,
  kEvGoStop = 16,
  kEvGoSched = 17,
  kEvGoPreempt = 18,
  kEvGoSleep = 19,
  kEvGoBlock = 20,
  kEvGoUnblock = 21,
  kEvGoBlockSend = 22,
  kEvGoBlockRecv = 23,
  kEvGoBlockSelect = 24,
  kEvGoBlockSync = 25,
  kEvGoBlockCond = 26,
  kEvGoBlockNet = 27,
  kEvGoSysCall = 28,
  kEvGoSysExit = 29,
  kEvGoSysBlock = 30,
  kEvGoWaiting = 31,
  kEvGoInSyscall = 32,
  kEvHeapAlloc = 33,
  kEvHeapGoal = 34,
  kEvTimerGoroutine = 35,
  kEvFutileWakeup = 36,
  kEvString = 37,
  kEvGoStartLocal = 38,
  kEvGoUnblockLocal = 39,
  kEvGoSysExitLocal = 40,
  kEvGoStartLabel = 41,
  kEvGoBlockGC = 42,
  kEvGCMarkAssistStart = 43,
  kEvGCMarkAssistDone = 44,
  kEvUserTaskCreate = 45,
  kEvUserTaskEnd = 46,
  kEvUserRegion = 47,
  kEvUserLog = 48,
  kEvCPUSample = 49,
  kEvCount = 50,
};

// An event's first byte (docs/formats/go-trace.md#old-format-event-encoding): the type in the
// low 6 bits, in the top 2 the number of values minus one when at most three follow inline,
// else kLengthPrefixed (a uvarint byte length, then that many bytes of uvarints).
inline constexpr uint8_t kTypeMask = 0x3f;
inline constexpr int kValueCountShift = 6;
inline constexpr uint8_t kLengthPrefixed = 3;
inline constexpr size_t kMaxInlineValues = 3;
constexpr uint8_t LeadByte(uint8_t type, size_t values) {
  const size_t count = values >= 1 && values <= kMaxInlineValues ? values - 1 : kLengthPrefixed;
  return static_cast<uint8_t>(type | count << kValueCountShift);
}

// The P id of the batch of work done without a P (runtime traceGlobProc;
// docs/formats/go-trace.md#old-format-layout).
inline constexpr uint64_t kGlobalProc = UINT64_MAX;

// golang.org/x/exp's limits for the old format (tracev1/parser.go; readers refuse more,
// docs/formats/go-trace.md#limits).
inline constexpr uint64_t kMaxArgBytes = 2048;
inline constexpr uint64_t kMaxStringLength = 1'000'000;
inline constexpr uint64_t kMaxStackFrames = 1000;

// Per event type: the number of values it carries (timestamp delta, arguments and stack id;
// x/exp tracev1 argNum), whether it is timed, and the first trace version (N of go 1.N) that
// has it. String and Stack have their own layouts (values 0,
// docs/formats/go-trace.md#old-format-stacks-and-strings).
struct EventSpec {
  uint8_t values;
  bool timed;
  uint8_t since;
};
inline constexpr EventSpec kEventSpecs[kEvCount] = {
    {0, false, 255},  // 0 None
    {2, false, 5},    // 1 Batch [pid, ticks]
    {1, false, 5},    // 2 Frequency [freq]
    {0, false, 5},    // 3 Stack (variable)
    {3, true, 5},     // 4 Gomaxprocs [dt, procs, stack]
    {2, true, 5},     // 5 ProcStart [dt, thread]
    {1, true, 5},     // 6 ProcStop
    {3, true, 5},     // 7 GCStart [dt, seq, stack]
    {1, true, 5},     // 8 GCDone
    {2, true, 5},     // 9 GCSTWStart [dt, kind]
    {1, true, 5},     // 10 GCSTWDone
    {2, true, 5},     // 11 GCSweepStart [dt, stack]
    {3, true, 5},     // 12 GCSweepDone [dt, swept, reclaimed]
    {4, true, 5},     // 13 GoCreate [dt, g, new stack, stack]
    {3, true, 5},     // 14 GoStart [dt, g, seq]
    {1, true, 5},     // 15 GoEnd
    {2, true, 5},     // 16 GoStop
    {2, true, 5},     // 17 GoSched
    {2, true, 5},     // 18 GoPreempt
    {2, true, 5},     // 19 GoSleep
    {2, true, 5},     // 20 GoBlock
    {4, true, 5},     // 21 GoUnblock [dt, g, seq, stack]
    {2, true, 5},     // 22 GoBlockSend
    {2, true, 5},     // 23 GoBlockRecv
    {2, true, 5},     // 24 GoBlockSelect
    {2, true, 5},     // 25 GoBlockSync
    {2, true, 5},     // 26 GoBlockCond
    {2, true, 5},     // 27 GoBlockNet
    {2, true, 5},     // 28 GoSysCall
    {4, true, 5},     // 29 GoSysExit [dt, g, seq, realTs]
    {1, true, 5},     // 30 GoSysBlock
    {2, true, 5},     // 31 GoWaiting [dt, g]
    {2, true, 5},     // 32 GoInSyscall [dt, g]
    {2, true, 5},     // 33 HeapAlloc [dt, bytes]
    {2, true, 5},     // 34 HeapGoal [dt, bytes]
    {1, false, 5},    // 35 TimerGoroutine [g]
    {1, true, 5},     // 36 FutileWakeup
    {0, false, 7},    // 37 String (special)
    {2, true, 7},     // 38 GoStartLocal [dt, g]
    {3, true, 7},     // 39 GoUnblockLocal [dt, g, stack]
    {3, true, 7},     // 40 GoSysExitLocal [dt, g, realTs]
    {4, true, 8},     // 41 GoStartLabel [dt, g, seq, label]
    {2, true, 8},     // 42 GoBlockGC
    {2, true, 9},     // 43 GCMarkAssistStart [dt, stack]
    {1, true, 9},     // 44 GCMarkAssistDone
    {5, true, 11},    // 45 UserTaskCreate [dt, task, parent, name, stack]
    {3, true, 11},    // 46 UserTaskEnd [dt, task, stack]
    {5, true, 11},    // 47 UserRegion [dt, task, mode, name, stack]
    {4, true, 11},    // 48 UserLog [dt, task, key, stack] + value string
    {5, true, 19},    // 49 CPUSample [dt, realTs, p, g, stack]
};

// A Stack event's values: id, frame count, then per frame pc, function, file, line.
inline constexpr size_t kValuesPerFrame = 4;

}  // namespace v1

// The generation format, headers "go 1.22 trace" and later.
namespace v2 {

// Event types (docs/formats/go-trace.md#generation-format-event-types): the iota order of
// internal/trace/tracev2/events.go. The first group also leads batches and table entries
// (docs/formats/go-trace.md#generation-format-layout, #generation-format-batch-kinds).
enum : uint8_t {
  kEvNone = 0,
  kEvEventBatch = 1,  // batch lead: [generation, m, time, size] data
  kEvStacks = 2,      // stack table batch
  kEvStack = 3,       // [id, n, n × {pc, func, file, line}]
  kEvStrings = 4,     // string table batch
  kEvString = 5,      // [id, len, bytes]
  kEvCPUSamples = 6,  // CPU sample batch
  kEvCPUSample = 7,   // [time, m, p, g, stack]
  kEvFrequency = 8,   // [ticks per second]
  kEvProcsChange = 9,
  kEvProcStart = 10,
  kEvProcStop = 11,
  kEvProcSteal = 12,
  kEvProcStatus = 13,
  kEvGoCreate = 14,
  kEvGoCreateSyscall = 15,
  kEvGoStart = 16,
  kEvGoDestroy = 17,
  kEvGoDestroySyscall = 18,
  kEvGoStop = 19,
  kEvGoBlock = 20,  // [dt, reason string, stack]
  kEvGoUnblock = 21,
  kEvGoSyscallBegin = 22,  // [dt, p seq, stack]
  kEvGoSyscallEnd = 23,
  kEvGoSyscallEndBlocked = 24,
  kEvGoStatus = 25,  // [dt, g, m, status]
  kEvSTWBegin = 26,  // [dt, kind string, stack]
  kEvSTWEnd = 27,
  kEvGCActive = 28,  // [dt, seq]
  kEvGCBegin = 29,   // [dt, seq, stack]
  kEvGCEnd = 30,     // [dt, seq]
  kEvGCSweepActive = 31,
  kEvGCSweepBegin = 32,
  kEvGCSweepEnd = 33,
  kEvGCMarkAssistActive = 34,  // [dt, g]
  kEvGCMarkAssistBegin = 35,   // [dt, stack]
  kEvGCMarkAssistEnd = 36,
  kEvHeapAlloc = 37,  // [dt, bytes]
  kEvHeapGoal = 38,   // [dt, bytes]
  kEvGoLabel = 39,
  kEvUserTaskBegin = 40,
  kEvUserTaskEnd = 41,
  kEvUserRegionBegin = 42,
  kEvUserRegionEnd = 43,
  kEvUserLog = 44,
  kEvGoSwitch = 45,
  kEvGoSwitchDestroy = 46,
  kEvGoCreateBlocked = 47,
  kEvGoStatusStack = 48,      // [dt, g, m, status, stack]
  kEvExperimentalBatch = 49,  // batch lead (1.23+): [experiment, generation, m, time, size]
  kEvSync = 50,               // sync batch (1.25+): Frequency and ClockSnapshot
  kEvClockSnapshot = 51,      // [dt, mono, sec, nsec]
  kEvEndOfGeneration = 52,    // one-byte marker between generations (1.26+)
  // The AllocFree experiment's events, written into ordinary batches
  // (docs/formats/go-trace.md#generation-format-experimental-batches).
  kEvFirstExperimental = 128,
};

// The first N of go 1.N trace with experimental batches, with sync batches (before, a lone
// Frequency batch), and with end-of-generation markers.
inline constexpr int kExperimentalBatchMinor = 23;
inline constexpr int kSyncBatchMinor = 25;
inline constexpr int kEndOfGenerationMinor = 26;

// The m of batches tied to no thread (docs/formats/go-trace.md#generation-format-layout).
inline constexpr uint64_t kNoThread = UINT64_MAX;

// GoStatus' status values (tracev2 GoStatus), notes in
// docs/formats/go-trace.md#generation-format-goroutine-of-an-event.
inline constexpr uint64_t kGoRunnable = 1;
inline constexpr uint64_t kGoRunning = 2;
inline constexpr uint64_t kGoSyscall = 3;
inline constexpr uint64_t kGoWaiting = 4;

// Limits of tracev2/events.go; x/exp refuses traces beyond them, and so do the readers
// (docs/formats/go-trace.md#limits).
inline constexpr uint64_t kMaxBatchSize = 64 << 10;
inline constexpr uint64_t kMaxFramesPerStack = 128;
inline constexpr uint64_t kMaxStringSize = 1 << 10;
// A batch header: two lead bytes and four uvarints of at most 10 bytes.
inline constexpr size_t kMaxBatchHeaderBytes = 2 + 4 * 10;

// Uvarint values (dt included) of each timed event that may appear in an event batch; 0 for
// types that may not (structural events, ClockSnapshot, EndOfGeneration, unassigned numbers).
// Numbers 128–136 are the AllocFree experiment's (runtime/traceallocfree.go); readers parse
// and skip them.
constexpr uint8_t TimedArgCount(uint8_t type) {
  constexpr uint8_t kRegular[] = {
      0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0–8: None and structural
      3, 3, 1, 4, 3,              // 9 ProcsChange, ProcStart, ProcStop, ProcSteal, ProcStatus
      4, 2, 3, 1, 1,        // 14 GoCreate, GoCreateSyscall, GoStart, GoDestroy, GoDestroySyscall
      3, 3, 4, 3, 1, 1, 4,  // 19 GoStop, GoBlock, GoUnblock, GoSyscall*, GoStatus
      3, 1,                 // 26 STWBegin, STWEnd
      2, 3, 2, 2, 2, 3,     // 28 GCActive, GCBegin, GCEnd, GCSweepActive/Begin/End
      2, 2, 1, 2, 2,        // 34 GCMarkAssistActive/Begin/End, HeapAlloc, HeapGoal
      2, 5, 3, 4, 4, 5,     // 39 GoLabel, UserTaskBegin/End, UserRegionBegin/End, UserLog
      3, 3, 4, 5,           // 45 GoSwitch, GoSwitchDestroy, GoCreateBlocked, GoStatusStack
  };
  constexpr uint8_t kExperimental[] = {4, 4, 2, 3, 3, 2, 3, 3, 2};  // 128–136
  if (type < sizeof kRegular) return kRegular[type];
  if (type >= kEvFirstExperimental && type < kEvFirstExperimental + sizeof kExperimental) {
    return kExperimental[type - kEvFirstExperimental];
  }
  return 0;
}

// A stack table entry's values per frame: pc, function string id, file string id, line.
inline constexpr size_t kValuesPerFrame = 4;
// A CPU sample's values: time, m, p, g, stack.
inline constexpr size_t kCpuSampleValues = 5;

}  // namespace v2

}  // namespace gcspike::go_trace
