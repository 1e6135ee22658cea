#include "formats/speedscope_writer.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(SpeedscopeWriterTest, WholeFileForATinyProfile) {
  HandBuiltProfile h;
  const uint64_t m = h.Loc({"main.main"});
  const uint64_t a = h.Loc({"runtime.growslice", "runtime.mapassign"});
  h.Add({a, m}, 30);
  h.Add({m}, 10);
  SpeedscopeWriteOptions o;
  o.name = "t\"1";
  o.exporter = "gcspike@test";
  auto json = EncodeSpeedscope(h.profile(), o);
  ASSERT_OK(json);
  // Frames outermost first per Location: mapassign before the inlined growslice; the frame's
  // line is the function's start line (HandBuiltProfile: 10 * order of first use).
  EXPECT_EQ(*json,
            "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
            "\"exporter\":\"gcspike@test\",\n"
            "\"name\":\"t\\\"1\",\n"
            "\"activeProfileIndex\":0,\n"
            "\"shared\":{\"frames\":[\n"
            "{\"name\":\"main.main\",\"file\":\"main.go\",\"line\":10},\n"
            "{\"name\":\"runtime.mapassign\",\"file\":\"main.go\",\"line\":30},\n"
            "{\"name\":\"runtime.growslice\",\"file\":\"main.go\",\"line\":20}]},\n"
            "\"profiles\":[\n"
            "{\"type\":\"sampled\",\"name\":\"t\\\"1\",\"unit\":\"nanoseconds\",\"startValue\":0,"
            "\"endValue\":40,\n"
            "\"samples\":[[0,1,2],[0]],\n"
            "\"weights\":[30,10]}]}\n");
}

TEST(SpeedscopeWriterTest, OneProfilePerGoroutineInTimeOrder) {
  HandBuiltProfile h;
  Profile& p = h.profile();
  const uint64_t m = h.Loc({"main.main"});
  const uint64_t w = h.Loc({"main.work"});
  struct S {
    int64_t goroutine, ts, cpu;
  };
  // Goroutine 9 is heaviest; its samples are out of time order in the input.
  for (const S& s : {S{9, 300, 5}, S{1, 100, 1}, S{9, 200, 7}, S{9, 250, 11}}) {
    Sample& sample = h.Add({w, m}, s.cpu);
    p.SetNumLabel(sample, "goroutine", s.goroutine, "");
    p.SetNumLabel(sample, "timestamp_ns", s.ts, "nanoseconds");
  }
  h.Add({m}, 2);  // no goroutine label
  auto json = EncodeSpeedscope(p, {});
  ASSERT_OK(json);
  EXPECT_EQ(Count(*json, "\"type\":\"sampled\""), 3u);
  EXPECT_NE(json->find("\"name\":\"goroutine 1\""), std::string::npos);
  EXPECT_NE(json->find("\"name\":\"goroutine 9\""), std::string::npos);
  EXPECT_NE(json->find("\"name\":\"no goroutine label\""), std::string::npos);
  EXPECT_NE(json->find("\"weights\":[7,11,5]"), std::string::npos) << *json;  // by timestamp
  EXPECT_NE(json->find("\"activeProfileIndex\":1"), std::string::npos);       // goroutine 9
  EXPECT_NE(json->find("\"endValue\":23"), std::string::npos);

  SpeedscopeWriteOptions merged;
  merged.merge_threads = true;
  json = EncodeSpeedscope(p, merged);
  ASSERT_OK(json);
  EXPECT_EQ(Count(*json, "\"type\":\"sampled\""), 1u);
  EXPECT_NE(json->find("\"weights\":[1,7,11,5,2]"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"endValue\":26"), std::string::npos);
}

TEST(SpeedscopeWriterTest, ThreadsWhenThereAreNoGoroutines) {
  HandBuiltProfile h;
  Profile& p = h.profile();
  const uint64_t m = h.Loc({"main.main"});
  for (int64_t tid : {42, 7, 42}) p.SetNumLabel(h.Add({m}, 1), "tid", tid, "");
  auto json = EncodeSpeedscope(p, {});
  ASSERT_OK(json);
  EXPECT_EQ(Count(*json, "\"type\":\"sampled\""), 2u);
  EXPECT_LT(json->find("\"name\":\"tid 7\""), json->find("\"name\":\"tid 42\""));
}

TEST(SpeedscopeWriterTest, UnitsAndUnsymbolizedFrames) {
  EXPECT_STREQ(SpeedscopeUnitFor("count").name, "none");
  EXPECT_STREQ(SpeedscopeUnitFor("bytes").name, "bytes");
  EXPECT_STREQ(SpeedscopeUnitFor("seconds").name, "seconds");
  EXPECT_EQ(SpeedscopeUnitFor("kilobytes").factor, 1024);
  HandBuiltProfile h;
  Profile& p = h.profile();
  p.default_sample_type = p.Intern("samples");
  h.Add({h.UnsymbolizedLoc(0xabc)}, 1);
  auto json = EncodeSpeedscope(p, {});
  ASSERT_OK(json);
  EXPECT_NE(json->find("{\"name\":\"0xabc\"}"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"unit\":\"none\""), std::string::npos);
}

TEST(SpeedscopeWriterTest, NegativeWeightsAreRefusedZeroWeightsLeftOut) {
  HandBuiltProfile h;
  const uint64_t m = h.Loc({"main.main"});
  h.Add({m}, 0);
  h.Add({m}, 4);
  auto json = EncodeSpeedscope(h.profile(), {});
  ASSERT_OK(json);
  EXPECT_NE(json->find("\"weights\":[4]"), std::string::npos);
  h.Add({m}, -4);
  EXPECT_FALSE(EncodeSpeedscope(h.profile(), {}).ok());
}

}  // namespace
}  // namespace gcspike
