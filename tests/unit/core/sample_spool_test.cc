// SampleSpool: records come back exactly as appended (values, string and numeric labels, the
// delta coding of numeric labels across records whose label layout changes), from the temporary
// file and from memory when no temporary file can be made; a record naming a stack sample the
// profile does not have is an error; MaterializeSpool turns records into samples.
#include "core/sample_spool.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "core/profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

struct Appended {
  uint32_t sample;
  std::vector<int64_t> values;
  std::vector<Label> labels;
};

std::vector<Appended> SomeRecords(Profile& p, size_t n) {
  const StrId ts = p.Intern("timestamp_ns"), ns = p.Intern("nanoseconds");
  const StrId tid = p.Intern("tid"), comm = p.Intern("comm");
  const StrId a = p.Intern("worker-a"), b = p.Intern("worker-b");
  std::vector<Appended> out;
  int64_t t = 1'700'000'000'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    Appended r;
    r.sample = static_cast<uint32_t>(i % 3);
    r.values = {1, static_cast<int64_t>(1000 + i * 7), i % 5 == 0 ? INT64_MIN : INT64_MAX};
    t += static_cast<int64_t>(i % 2 ? 50'000 : 3);
    // The layout changes every few records: a label missing, keys in another order.
    if (i % 4 != 3) r.labels.push_back({ts, 0, t, ns, true});
    r.labels.push_back({tid, 0, static_cast<int64_t>(1000 + i % 2), tid, true});
    if (i % 3 == 0) r.labels.push_back({comm, i % 2 ? a : b, 0, 0, false});
    if (i % 7 == 0) r.labels.push_back({ts, 0, -t, ns, true});
    out.push_back(std::move(r));
  }
  return out;
}

void ExpectRoundTrip() {
  Profile p;
  const std::vector<Appended> in = SomeRecords(p, 5000);
  SampleSpool spool;
  for (const Appended& r : in) spool.Append(r.sample, r.values, r.labels);
  ASSERT_OK(spool.Close());
  EXPECT_EQ(spool.size(), in.size());
  EXPECT_EQ(spool.RecordsOf(0) + spool.RecordsOf(1) + spool.RecordsOf(2), in.size());
  EXPECT_EQ(spool.RecordsOf(3), 0u);
  size_t i = 0;
  Status s = spool.ForEach(3, [&](const SampleSpool::Record& r) -> Status {
    const Appended& want = in.at(i++);
    EXPECT_EQ(r.sample, want.sample);
    EXPECT_EQ(r.values, want.values);
    EXPECT_EQ(r.labels.size(), want.labels.size());
    for (size_t j = 0; j < r.labels.size() && j < want.labels.size(); ++j) {
      EXPECT_EQ(r.labels[j].key, want.labels[j].key);
      EXPECT_EQ(r.labels[j].str, want.labels[j].str);
      EXPECT_EQ(r.labels[j].num, want.labels[j].num);
      EXPECT_EQ(r.labels[j].num_unit, want.labels[j].num_unit);
      EXPECT_EQ(r.labels[j].numeric, want.labels[j].numeric);
    }
    return {};
  });
  ASSERT_OK(s);
  EXPECT_EQ(i, in.size());
  const std::vector<StrId> used = spool.UsedStrings();
  EXPECT_EQ(used, (std::vector<StrId>{p.strings.Find("timestamp_ns"), p.strings.Find("nanoseconds"),
                                      p.strings.Find("tid"), p.strings.Find("comm"),
                                      p.strings.Find("worker-a"), p.strings.Find("worker-b")}));
  // Read twice: the spool is not consumed.
  size_t again = 0;
  ASSERT_TRUE(spool
                  .ForEach(3,
                           [&](const SampleSpool::Record&) -> Status {
                             ++again;
                             return {};
                           })
                  .ok());
  EXPECT_EQ(again, in.size());
}

TEST(SampleSpool, RoundTripThroughTemporaryFile) { ExpectRoundTrip(); }

TEST(SampleSpool, RoundTripInMemoryWhenNoTemporaryFile) {
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", "/nonexistent/gcspike-no-such-dir", 1);
  ExpectRoundTrip();
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

TEST(SampleSpool, RecordNamingAMissingStackIsAnError) {
  SampleSpool spool;
  const std::vector<int64_t> v = {1};
  spool.Append(0, v, {});
  spool.Append(7, v, {});
  ASSERT_OK(spool.Close());
  size_t seen = 0;
  Status s = spool.ForEach(2, [&](const SampleSpool::Record&) -> Status {
    ++seen;
    return {};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("stack sample 7 of 2"), std::string::npos)
      << s.error().ToString();
  EXPECT_EQ(seen, 1u);
}

TEST(SampleSpool, ReadBeforeCloseIsAnError) {
  SampleSpool spool;
  spool.Append(0, std::vector<int64_t>{1}, {});
  EXPECT_FALSE(spool.ForEach(1, [](const SampleSpool::Record&) { return Status(); }).ok());
}

TEST(SampleSpool, MaterializeGivesOneSamplePerRecordRecordLabelsFirst) {
  Profile p;
  p.sample_types.push_back({p.Intern("samples"), p.Intern("count")});
  p.functions.push_back({1, p.Intern("f"), 0, 0, 0});
  p.locations.push_back({1, 0, 0x10, {{1, 0, 0}}, false});
  p.locations.push_back({2, 0, 0x20, {{1, 0, 0}}, false});
  const StrId feature = p.Intern("gcspike"), grow = p.Intern("grow-spike");
  const StrId tid = p.Intern("tid");
  p.samples.push_back({{1, 2}, {2}, {{feature, grow, 0, 0, false}}});
  p.samples.push_back({{2}, {1}, {}});
  auto spool = std::make_shared<SampleSpool>();
  const Label t1{tid, 0, 11, tid, true}, t2{tid, 0, 12, tid, true};
  spool->Append(0, std::vector<int64_t>{1}, std::vector<Label>{t1});
  spool->Append(1, std::vector<int64_t>{1}, std::vector<Label>{t2});
  spool->Append(0, std::vector<int64_t>{1}, std::vector<Label>{t2});
  ASSERT_OK(spool->Close());
  p.spool = spool;
  EXPECT_EQ(p.SampleRecordCount(), 3u);
  EXPECT_EQ(p.RecordsOf(0), 2u);
  ASSERT_OK(MaterializeSpool(p, UINT64_MAX));
  EXPECT_EQ(p.spool, nullptr);
  ASSERT_EQ(p.samples.size(), 3u);
  EXPECT_EQ(p.samples[0].location_ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(p.samples[1].location_ids, (std::vector<uint64_t>{2}));
  ASSERT_EQ(p.samples[2].labels.size(), 2u);
  EXPECT_EQ(p.samples[2].labels[0].num, 12);
  EXPECT_EQ(p.StrLabel(p.samples[2], "gcspike"), "grow-spike");
  EXPECT_EQ(p.samples[1].labels.size(), 1u);
  EXPECT_OK(p.Validate());
}

}  // namespace
}  // namespace gcspike
