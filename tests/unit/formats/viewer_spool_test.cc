// The viewer writers (folded, speedscope, Chrome trace) walk a spooled profile's records
// without materializing them: their output must be byte for byte what they write for the
// same profile with one model sample per record (MaterializeSpool), which is how they wrote
// it before.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/profile.h"
#include "core/sample_spool.h"
#include "formats/chrome_trace_writer.h"
#include "formats/folded_writer.h"
#include "formats/speedscope_writer.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

// Two stack samples (one labelled by a detector) and records with their own thread and time,
// out of time order, one of weight zero; `negative` makes record 3's weight negative.
Profile SpooledProfile(bool negative) {
  Profile p;
  p.sample_types.push_back({p.Intern("cpu"), p.Intern("nanoseconds")});
  p.functions.push_back({1, p.Intern("main.main"), 0, p.Intern("main.go"), 3});
  p.functions.push_back({2, p.Intern("main.grow"), 0, p.Intern("main.go"), 9});
  p.locations.push_back({1, 0, 0x10, {{1, 0, 0}}, false});
  p.locations.push_back({2, 0, 0x20, {{2, 0, 0}}, false});
  const StrId feature = p.Intern("gcspike"), grow = p.Intern("grow-spike");
  const StrId tid = p.Intern("tid"), ts = p.Intern("timestamp_ns"), ns = p.Intern("nanoseconds");
  p.samples.push_back({{2, 1}, {0}, {{feature, grow, 0, 0, false}}});
  p.samples.push_back({{1}, {0}, {}});
  auto spool = std::make_shared<SampleSpool>();
  struct R {
    uint32_t stack;
    int64_t value, tid, time;
  };
  const std::vector<R> records = {{0, 10, 7, 500},
                                  {1, 20, 8, 100},
                                  {0, 0, 7, 50},
                                  {0, negative ? -5 : 30, 8, 300},
                                  {1, 40, 7, 200}};
  for (const R& r : records) {
    const std::vector<Label> own = {{tid, 0, r.tid, 0, true}, {ts, 0, r.time, ns, true}};
    spool->Append(r.stack, std::vector<int64_t>{r.value}, own);
    p.samples[r.stack].values[0] += r.value;
  }
  EXPECT_OK(spool->Close());
  p.spool = spool;
  return p;
}

TEST(ViewerSpoolTest, WritersGiveTheMaterializedOutput) {
  const Profile spooled = SpooledProfile(false);
  Profile materialized = SpooledProfile(false);
  ASSERT_OK(MaterializeSpool(materialized, UINT64_MAX));
  ASSERT_EQ(materialized.samples.size(), 5u);

  auto folded = EncodeFolded(spooled, {}), folded_m = EncodeFolded(materialized, {});
  ASSERT_OK(folded);
  ASSERT_OK(folded_m);
  EXPECT_EQ(*folded, *folded_m);
  // An independent count: main.main;main.grow has 10 + 30, main.main 20 + 40.
  EXPECT_EQ(*folded, "main.main 60\nmain.main;main.grow 40\n");

  SpeedscopeWriteOptions w;
  w.name = "t";
  auto speedscope = EncodeSpeedscope(spooled, w), speedscope_m = EncodeSpeedscope(materialized, w);
  ASSERT_OK(speedscope);
  ASSERT_OK(speedscope_m);
  EXPECT_EQ(*speedscope, *speedscope_m);
  EXPECT_NE(speedscope->find("\"name\":\"tid 8\""), std::string::npos) << *speedscope;

  auto chrome = EncodeChromeTrace(spooled, {}), chrome_m = EncodeChromeTrace(materialized, {});
  ASSERT_OK(chrome);
  ASSERT_OK(chrome_m);
  EXPECT_EQ(*chrome, *chrome_m);
  EXPECT_NE(chrome->find("\"gcspike\":\"grow-spike\""), std::string::npos) << *chrome;
}

TEST(ViewerSpoolTest, NegativeRecordIsNamedByItsIndex) {
  const Profile spooled = SpooledProfile(true);
  auto folded = EncodeFolded(spooled, {});
  ASSERT_FALSE(folded.ok());
  EXPECT_NE(folded.error().message.find("sample 3 has negative value -5"), std::string::npos)
      << folded.error().message;
  auto speedscope = EncodeSpeedscope(spooled, {});
  ASSERT_FALSE(speedscope.ok());
  EXPECT_NE(speedscope.error().message.find("sample 3 has negative value -5"), std::string::npos)
      << speedscope.error().message;
}

TEST(ViewerSpoolTest, MaterializePastTheBudgetIsRefusedAndKeepsTheSpool) {
  Profile p = SpooledProfile(false);
  // Five records of a one- or two-frame stack take more than 5 Samples (72 bytes each).
  const Status refused = MaterializeSpool(p, 300);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("memory budget of 300 bytes; --max-memory raises it"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(p.spool, nullptr);
  EXPECT_EQ(p.samples.size(), 2u);
  // The bound is what the samples take: sizes from MaterializedSampleBytes, labels included.
  const uint64_t need = 3 * MaterializedSampleBytes(2, 1, 3) + 2 * MaterializedSampleBytes(1, 1, 2);
  EXPECT_FALSE(MaterializeSpool(p, need - 1).ok());
  ASSERT_OK(MaterializeSpool(p, need));
  EXPECT_EQ(p.samples.size(), 5u);
}

}  // namespace
}  // namespace gcspike
