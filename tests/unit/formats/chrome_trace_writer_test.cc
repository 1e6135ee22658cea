// The Trace Event Format writer on a hand-built profile with a timeline: every event has
// name/ph/ts/pid/tid, times are microseconds from the earliest time with the nanoseconds kept,
// unfinished intervals end at the last time, and samples carry their labels as they are.
#include "formats/chrome_trace_writer.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ChromeTraceWriterTest, TimelineAndSamples) {
  HandBuiltProfile h;
  const uint64_t main_loc = h.Loc({"main.main"});
  const uint64_t assign = h.Loc({"runtime.mapassign_faststr"});
  Profile& p = h.profile();
  Sample& s = h.Add({assign, main_loc}, 10);
  p.SetNumLabel(s, "timestamp_ns", 1'000'002'500, "nanoseconds");
  p.SetNumLabel(s, "goroutine", 7, "goroutine");
  p.SetStrLabel(s, "gcspike", "grow-spike");
  h.Add({main_loc}, 10);  // untimed
  p.timeline.gc_cycles.push_back({.seq = 3, .start_ns = 1'000'000'000, .end_ns = kNoTime});
  p.timeline.pauses.push_back({.kind = p.Intern("GC mark termination"),
                               .start_ns = 1'000'001'000,
                               .end_ns = 1'000'001'250});
  AssistInterval assist;
  assist.goroutine = 7;
  assist.start_ns = 1'000'002'000;
  assist.end_ns = 1'000'003'000;
  p.timeline.assists.push_back(assist);

  auto out = EncodeChromeTrace(p, {.exporter = "gcspike@test"});
  ASSERT_OK(out);
  const std::string& t = *out;
  // The cycle has no end: it ends at the last time seen (the assist's end, 3 µs in).
  EXPECT_NE(t.find("{\"name\":\"GC cycle\",\"cat\":\"gc\",\"ph\":\"X\",\"ts\":0.000,\"dur\":3.000,"
                   "\"pid\":1,\"tid\":1,\"args\":{\"seq\":3}}"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("{\"name\":\"GC mark termination\",\"cat\":\"stw\",\"ph\":\"X\",\"ts\":1.000,"
                   "\"dur\":0.250,\"pid\":1,\"tid\":2}"),
            std::string::npos);
  EXPECT_NE(t.find("\"name\":\"mark assist\",\"cat\":\"assist\",\"ph\":\"X\",\"ts\":2.000,"
                   "\"dur\":1.000,\"pid\":2,\"tid\":7"),
            std::string::npos);
  EXPECT_NE(t.find("{\"name\":\"runtime.mapassign_faststr\",\"cat\":\"cpu\",\"ph\":\"i\",\"s\":"
                   "\"t\",\"ts\":2.500,\"pid\":2,\"tid\":7,\"sf\":\"2\",\"args\":{"),
            std::string::npos);
  EXPECT_NE(t.find("\"gcspike\":\"grow-spike\""), std::string::npos);
  EXPECT_NE(t.find("\"2\":{\"category\":\"go\",\"name\":\"runtime.mapassign_faststr\","
                   "\"parent\":\"1\"}"),
            std::string::npos);
  EXPECT_NE(t.find("\"args\":{\"name\":\"goroutine 7\"}"), std::string::npos);
  EXPECT_NE(t.find("\"untimed_samples\":1"), std::string::npos);
  EXPECT_NE(t.find("\"origin_ns\":\"1000000000\""), std::string::npos);
  EXPECT_EQ(Count(t, "\"ph\":\"M\""), 5u);  // 2 processes, GC and STW tracks, goroutine 7
}

TEST(ChromeTraceWriterTest, EmptyProfileIsAValidEmptyTrace) {
  HandBuiltProfile h;
  auto out = EncodeChromeTrace(h.profile(), {});
  ASSERT_OK(out);
  EXPECT_NE(out->find("\"stackFrames\":{\n}"), std::string::npos);
  EXPECT_NE(out->find("\"timed_samples\":0"), std::string::npos);
}

}  // namespace
}  // namespace gcspike
