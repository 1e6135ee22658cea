// formats/go_trace_abi.h against the Go trees' own sources, read as text: the old format's event
// numbers, value counts and first versions against Go 1.19's internal/trace/parser.go (its
// Ev* constants and EventDescriptions), the generation format's event numbers and timed
// argument counts against the installed Go's internal/trace/tracev2/events.go (the Ev* iota
// order and the specs table). The trees' locations come from CMake (GCSPIKE_GOROOT, Go on PATH;
// GCSPIKE_GO119_ROOT, Debian's golang-1.19-go), which the end-to-end configuration requires.
#include "formats/go_trace_abi.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/test_support.h"

#if defined(GCSPIKE_GOROOT) && defined(GCSPIKE_GO119_ROOT)

namespace gcspike {
namespace {

namespace v1 = go_trace::v1;
namespace v2 = go_trace::v2;

std::vector<std::string> Lines(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
  EXPECT_FALSE(bytes.empty()) << "cannot read " << path;
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t CountStrings(const std::string& list) {  // the items of `"a", "b"`
  size_t n = 0;
  for (char ch : list) n += ch == '"';
  return n / 2;
}

// --- Old format: Go 1.19's internal/trace/parser.go ----------------------------------------

struct GoV1Spec {
  int number = -1;
  int min_version = 0;  // 1000 + N of go 1.N
  bool stack = false;
  size_t args = 0;
};

std::map<std::string, GoV1Spec> GoV1Specs() {
  std::map<std::string, GoV1Spec> specs;
  const std::regex number(R"(^\t(Ev\w+)\s*=\s*(\d+))");
  const std::regex desc(R"(^\t(Ev\w+):\s*\{"\w+", (\d+), (true|false), \[\]string\{([^}]*)\})");
  std::smatch m;
  for (const std::string& line :
       Lines(std::filesystem::path(GCSPIKE_GO119_ROOT) / "src/internal/trace/parser.go")) {
    if (std::regex_search(line, m, number)) specs[m[1]].number = std::stoi(m[2]);
    if (std::regex_search(line, m, desc)) {
      GoV1Spec& s = specs[m[1]];
      s.min_version = std::stoi(m[2]);
      s.stack = m[3] == "true";
      s.args = CountStrings(m[4]);
    }
  }
  return specs;
}

TEST(GoTraceAbi, OldFormatEventNumbersAreGos) {
  const auto go = GoV1Specs();
  const std::vector<std::pair<std::string, uint8_t>> ours = {
      {"EvBatch", v1::kEvBatch},
      {"EvFrequency", v1::kEvFrequency},
      {"EvStack", v1::kEvStack},
      {"EvGomaxprocs", v1::kEvGomaxprocs},
      {"EvProcStart", v1::kEvProcStart},
      {"EvProcStop", v1::kEvProcStop},
      {"EvGCStart", v1::kEvGCStart},
      {"EvGCDone", v1::kEvGCDone},
      {"EvGCSTWStart", v1::kEvSTWStart},
      {"EvGCSTWDone", v1::kEvSTWDone},
      {"EvGCSweepStart", v1::kEvGCSweepStart},
      {"EvGCSweepDone", v1::kEvGCSweepDone},
      {"EvGoCreate", v1::kEvGoCreate},
      {"EvGoStart", v1::kEvGoStart},
      {"EvGoEnd", v1::kEvGoEnd},
      {"EvGoStop", v1::kEvGoStop},
      {"EvGoSched", v1::kEvGoSched},
      {"EvGoPreempt", v1::kEvGoPreempt},
      {"EvGoSleep", v1::kEvGoSleep},
      {"EvGoBlock", v1::kEvGoBlock},
      {"EvGoUnblock", v1::kEvGoUnblock},
      {"EvGoBlockSend", v1::kEvGoBlockSend},
      {"EvGoBlockRecv", v1::kEvGoBlockRecv},
      {"EvGoBlockSelect", v1::kEvGoBlockSelect},
      {"EvGoBlockSync", v1::kEvGoBlockSync},
      {"EvGoBlockCond", v1::kEvGoBlockCond},
      {"EvGoBlockNet", v1::kEvGoBlockNet},
      {"EvGoSysCall", v1::kEvGoSysCall},
      {"EvGoSysExit", v1::kEvGoSysExit},
      {"EvGoSysBlock", v1::kEvGoSysBlock},
      {"EvGoWaiting", v1::kEvGoWaiting},
      {"EvGoInSyscall", v1::kEvGoInSyscall},
      {"EvHeapAlloc", v1::kEvHeapAlloc},
      {"EvHeapGoal", v1::kEvHeapGoal},
      {"EvTimerGoroutine", v1::kEvTimerGoroutine},
      {"EvFutileWakeup", v1::kEvFutileWakeup},
      {"EvString", v1::kEvString},
      {"EvGoStartLocal", v1::kEvGoStartLocal},
      {"EvGoUnblockLocal", v1::kEvGoUnblockLocal},
      {"EvGoSysExitLocal", v1::kEvGoSysExitLocal},
      {"EvGoStartLabel", v1::kEvGoStartLabel},
      {"EvGoBlockGC", v1::kEvGoBlockGC},
      {"EvGCMarkAssistStart", v1::kEvGCMarkAssistStart},
      {"EvGCMarkAssistDone", v1::kEvGCMarkAssistDone},
      {"EvUserTaskCreate", v1::kEvUserTaskCreate},
      {"EvUserTaskEnd", v1::kEvUserTaskEnd},
      {"EvUserRegion", v1::kEvUserRegion},
      {"EvUserLog", v1::kEvUserLog},
      {"EvCPUSample", v1::kEvCPUSample},
      {"EvCount", v1::kEvCount},
  };
  for (const auto& [name, value] : ours) {
    auto it = go.find(name);
    ASSERT_NE(it, go.end()) << name << " is not in Go 1.19's parser.go";
    EXPECT_EQ(it->second.number, value) << name;
  }
}

TEST(GoTraceAbi, OldFormatValueCountsAreGos) {
  // x/exp's argNum for versions from 1.11 on: the arguments, the stack id when the event has
  // one, and a timestamp delta but for Batch, Frequency and TimerGoroutine.
  int checked = 0;
  for (const auto& [name, s] : GoV1Specs()) {
    if (s.number <= 0 || s.number >= v1::kEvCount) continue;  // EvNone, EvCount
    const v1::EventSpec& ours = v1::kEventSpecs[s.number];
    SCOPED_TRACE(name);
    EXPECT_EQ(int{ours.since}, s.min_version - 1000);
    ++checked;
    if (s.number == v1::kEvStack || s.number == v1::kEvString) continue;  // own layouts
    const bool untimed = s.number == v1::kEvBatch || s.number == v1::kEvFrequency ||
                         s.number == v1::kEvTimerGoroutine;
    EXPECT_EQ(ours.values, s.args + (s.stack ? 1 : 0) + (untimed ? 0 : 1));
    EXPECT_EQ(ours.timed, !untimed);
  }
  EXPECT_EQ(checked, v1::kEvCount - 1);
}

// --- Generation format: internal/trace/tracev2/events.go -----------------------------------

struct GoV2Spec {
  int number = -1;
  bool timed = false;
  size_t args = 0;
};

std::map<std::string, GoV2Spec> GoV2Specs() {
  std::map<std::string, GoV2Spec> specs;
  const std::regex iota(R"(^\t(\w+) EventType = (?:(\d+) \+ )?iota)");
  const std::regex next(R"(^\t(Ev\w+)\s*(//.*)?$)");
  const std::regex entry(R"(^\t(Ev\w+): \{)");
  const std::regex args(R"(^\t\tArgs:\s*\[\]string\{([^}]*)\})");
  std::smatch m;
  int counter = -1;
  std::string in_spec;
  for (const std::string& line :
       Lines(std::filesystem::path(GCSPIKE_GOROOT) / "src/internal/trace/tracev2/events.go")) {
    if (std::regex_search(line, m, iota)) {
      counter = m[2].matched ? std::stoi(m[2]) : 0;
      specs[m[1]].number = counter;
    } else if (line == ")") {
      counter = -1;
    } else if (counter >= 0 && std::regex_search(line, m, next)) {
      specs[m[1]].number = ++counter;
    } else if (std::regex_search(line, m, entry)) {
      in_spec = m[1];
    } else if (!in_spec.empty() && std::regex_search(line, m, args)) {
      specs[in_spec].args = CountStrings(m[1]);
    } else if (!in_spec.empty() && line.find("IsTimedEvent: true") != std::string::npos) {
      specs[in_spec].timed = true;
    }
  }
  return specs;
}

TEST(GoTraceAbi, GenerationFormatEventNumbersAreGos) {
  const auto go = GoV2Specs();
  const std::vector<std::pair<std::string, uint8_t>> ours = {
      {"EvNone", v2::kEvNone},
      {"EvEventBatch", v2::kEvEventBatch},
      {"EvStacks", v2::kEvStacks},
      {"EvStack", v2::kEvStack},
      {"EvStrings", v2::kEvStrings},
      {"EvString", v2::kEvString},
      {"EvCPUSamples", v2::kEvCPUSamples},
      {"EvCPUSample", v2::kEvCPUSample},
      {"EvFrequency", v2::kEvFrequency},
      {"EvProcsChange", v2::kEvProcsChange},
      {"EvProcStart", v2::kEvProcStart},
      {"EvProcStop", v2::kEvProcStop},
      {"EvProcSteal", v2::kEvProcSteal},
      {"EvProcStatus", v2::kEvProcStatus},
      {"EvGoCreate", v2::kEvGoCreate},
      {"EvGoCreateSyscall", v2::kEvGoCreateSyscall},
      {"EvGoStart", v2::kEvGoStart},
      {"EvGoDestroy", v2::kEvGoDestroy},
      {"EvGoDestroySyscall", v2::kEvGoDestroySyscall},
      {"EvGoStop", v2::kEvGoStop},
      {"EvGoBlock", v2::kEvGoBlock},
      {"EvGoUnblock", v2::kEvGoUnblock},
      {"EvGoSyscallBegin", v2::kEvGoSyscallBegin},
      {"EvGoSyscallEnd", v2::kEvGoSyscallEnd},
      {"EvGoSyscallEndBlocked", v2::kEvGoSyscallEndBlocked},
      {"EvGoStatus", v2::kEvGoStatus},
      {"EvSTWBegin", v2::kEvSTWBegin},
      {"EvSTWEnd", v2::kEvSTWEnd},
      {"EvGCActive", v2::kEvGCActive},
      {"EvGCBegin", v2::kEvGCBegin},
      {"EvGCEnd", v2::kEvGCEnd},
      {"EvGCSweepActive", v2::kEvGCSweepActive},
      {"EvGCSweepBegin", v2::kEvGCSweepBegin},
      {"EvGCSweepEnd", v2::kEvGCSweepEnd},
      {"EvGCMarkAssistActive", v2::kEvGCMarkAssistActive},
      {"EvGCMarkAssistBegin", v2::kEvGCMarkAssistBegin},
      {"EvGCMarkAssistEnd", v2::kEvGCMarkAssistEnd},
      {"EvHeapAlloc", v2::kEvHeapAlloc},
      {"EvHeapGoal", v2::kEvHeapGoal},
      {"EvGoLabel", v2::kEvGoLabel},
      {"EvUserTaskBegin", v2::kEvUserTaskBegin},
      {"EvUserTaskEnd", v2::kEvUserTaskEnd},
      {"EvUserRegionBegin", v2::kEvUserRegionBegin},
      {"EvUserRegionEnd", v2::kEvUserRegionEnd},
      {"EvUserLog", v2::kEvUserLog},
      {"EvGoSwitch", v2::kEvGoSwitch},
      {"EvGoSwitchDestroy", v2::kEvGoSwitchDestroy},
      {"EvGoCreateBlocked", v2::kEvGoCreateBlocked},
      {"EvGoStatusStack", v2::kEvGoStatusStack},
      {"EvExperimentalBatch", v2::kEvExperimentalBatch},
      {"EvSync", v2::kEvSync},
      {"EvClockSnapshot", v2::kEvClockSnapshot},
      {"EvEndOfGeneration", v2::kEvEndOfGeneration},
      {"EvSpan", v2::kEvFirstExperimental},
  };
  for (const auto& [name, value] : ours) {
    auto it = go.find(name);
    ASSERT_NE(it, go.end()) << name << " is not in tracev2/events.go";
    EXPECT_EQ(it->second.number, value) << name;
  }
}

TEST(GoTraceAbi, GenerationFormatTimedArgCountsAreGos) {
  // Every timed event's count is its spec's; ClockSnapshot, timed but only in sync batches, and
  // every untimed or unassigned number may not appear in an event batch.
  std::map<int, size_t> want;
  for (const auto& [name, s] : GoV2Specs()) {
    if (s.number >= 0 && s.timed && s.number != v2::kEvClockSnapshot) want[s.number] = s.args;
  }
  EXPECT_GT(want.size(), 40u) << "tracev2/events.go no longer parses as expected";
  for (int type = 0; type < 256; ++type) {
    auto it = want.find(type);
    EXPECT_EQ(v2::TimedArgCount(static_cast<uint8_t>(type)), it == want.end() ? 0 : it->second)
        << "event type " << type;
  }
}

}  // namespace
}  // namespace gcspike

#endif  // GCSPIKE_GOROOT && GCSPIKE_GO119_ROOT
