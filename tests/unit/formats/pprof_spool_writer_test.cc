// The pprof writer expands a spooled profile itself (SampleSpool::Reader; a label's or the
// values' encoding reused while they repeat; whole buffers handed to the compression thread):
// its output, plain and gzipped, is byte for byte what it writes for the same profile with one
// model sample per record, over many 256 KiB pieces, and protoc's classes read back every
// record as it was appended; a record with the wrong number of values is an error.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/profile.h"
#include "core/sample_spool.h"
#include "formats/gzip_codec.h"
#include "formats/pprof_writer.h"
#include "profile.pb.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

// Stacks of a few frames, one in three labelled by a detector, and records whose thread, name
// and values mostly repeat the previous record's, with a timestamp that always moves on; now
// and then a record has no thread name, or a label of another kind at its place. `expected`
// gets each record as the sample it stands for: its stack's locations, its values, its labels
// and then its stack's.
Profile SpooledProfile(size_t records, std::vector<Sample>& expected, int values_per_record) {
  std::mt19937_64 rng(29);
  Profile p;
  p.sample_types.push_back({p.Intern("samples"), p.Intern("count")});
  p.sample_types.push_back({p.Intern("cpu"), p.Intern("nanoseconds")});
  for (uint64_t id = 1; id <= 40; ++id) {
    p.functions.push_back({id, p.Intern("f" + std::to_string(id)), 0, p.Intern("f.go"), 1});
    p.locations.push_back({id, 0, 0x1000 * id, {{id, static_cast<int64_t>(id), 0}}, false});
  }
  const StrId feature = p.Intern("gcspike"), grow = p.Intern("grow-spike");
  for (int i = 0; i < 300; ++i) {
    Sample s;
    for (uint64_t n = 1 + rng() % 30; n > 0; --n) s.location_ids.push_back(1 + rng() % 40);
    s.values = {0, 0};
    if (i % 3 == 0) s.labels.push_back({feature, grow, 0, 0, false});
    p.samples.push_back(std::move(s));
  }
  const StrId pid = p.Intern("pid"), tid = p.Intern("tid"), ts = p.Intern("timestamp_ns");
  const StrId ns = p.Intern("nanoseconds"), comm = p.Intern("comm");
  const StrId names[] = {p.Intern("main"), p.Intern("worker")};
  auto spool = std::make_shared<SampleSpool>();
  int64_t time = 1'000'000'000'000, thread = 7, period = 50'000;
  for (size_t i = 0; i < records; ++i) {
    if (rng() % 50 == 0) thread = 7 + static_cast<int64_t>(rng() % 3);
    if (rng() % 20 == 0) period = static_cast<int64_t>(rng() % 100'000) - 1000;
    time += static_cast<int64_t>(rng() % 100'000);
    const auto stack = static_cast<uint32_t>(rng() % p.samples.size());
    Sample r{p.samples[stack].location_ids, {1, period}, {}};
    r.values.resize(static_cast<size_t>(i == records / 2 ? values_per_record : 2));
    r.labels.push_back({pid, 0, 7, pid, true});
    r.labels.push_back({tid, 0, thread, tid, true});
    r.labels.push_back({ts, 0, time, ns, true});
    if (rng() % 10 != 0) r.labels.push_back({comm, names[thread == 7 ? 0 : 1], 0, 0, false});
    if (rng() % 40 == 0) r.labels[1] = {comm, names[1], 0, 0, false};
    spool->Append(stack, r.values, r.labels);
    const std::vector<Label>& stack_labels = p.samples[stack].labels;
    r.labels.insert(r.labels.end(), stack_labels.begin(), stack_labels.end());
    for (size_t v = 0; v < 2 && v < r.values.size(); ++v) {
      p.samples[stack].values[v] += r.values[v];
    }
    expected.push_back(std::move(r));
  }
  EXPECT_OK(spool->Close());
  p.spool = spool;
  return p;
}

TEST(PprofSpoolWriterTest, SpooledOutputIsTheMaterializedOutput) {
  std::vector<Sample> expected, again;
  const Profile spooled = SpooledProfile(25'000, expected, 2);
  Profile materialized = SpooledProfile(25'000, again, 2);
  ASSERT_OK(MaterializeSpool(materialized, UINT64_MAX));
  PprofWriteOptions plain;
  plain.gzip = false;
  auto a = EncodePprof(spooled, plain), b = EncodePprof(materialized, plain);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_GT(a->size(), size_t{4} << 18) << "fewer than four pieces";
  EXPECT_TRUE(*a == *b) << "spooled and materialized pprof differ";
  auto gz = EncodePprof(spooled, {}), gz_m = EncodePprof(materialized, {});
  ASSERT_OK(gz);
  ASSERT_OK(gz_m);
  EXPECT_TRUE(*gz == *gz_m) << "spooled and materialized gzipped pprof differ";
  auto gunzipped = Gunzip(*gz, uint64_t{1} << 30);
  ASSERT_OK(gunzipped);
  EXPECT_TRUE(*gunzipped == *a);

  // Read back by protoc's classes: every record, its stack, values and labels, then its
  // stack's labels.
  wire::ProfileMsg msg;
  ASSERT_TRUE(msg.ParseFromArray(a->data(), static_cast<int>(a->size())));
  ASSERT_EQ(static_cast<size_t>(msg.sample_size()), expected.size());
  auto str = [&](int64_t i) { return msg.string_table(static_cast<int>(i)); };
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& got = msg.sample(static_cast<int>(i));
    const Sample& want = expected[i];
    ASSERT_EQ(std::vector<uint64_t>(got.location_id().begin(), got.location_id().end()),
              want.location_ids)
        << "record " << i;
    ASSERT_EQ(std::vector<int64_t>(got.value().begin(), got.value().end()), want.values)
        << "record " << i;
    const std::vector<Label>& labels = want.labels;
    ASSERT_EQ(static_cast<size_t>(got.label_size()), labels.size()) << "record " << i;
    for (size_t j = 0; j < labels.size(); ++j) {
      const auto& l = got.label(static_cast<int>(j));
      const Label& w = labels[j];
      ASSERT_EQ(str(l.key()), spooled.strings[w.key]) << "record " << i << " label " << j;
      ASSERT_EQ(str(l.str()), spooled.strings[w.str]) << "record " << i << " label " << j;
      ASSERT_EQ(l.num(), w.num) << "record " << i << " label " << j;
      ASSERT_EQ(str(l.num_unit()), spooled.strings[w.num_unit]) << "record " << i;
    }
  }
}

TEST(PprofSpoolWriterTest, RecordWithTheWrongNumberOfValuesIsAnError) {
  std::vector<Sample> expected;
  const Profile spooled = SpooledProfile(1000, expected, 3);
  for (bool gzip : {false, true}) {
    PprofWriteOptions options;
    options.gzip = gzip;
    auto out = EncodePprof(spooled, options);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.error().message.find("spooled sample 500 has 3 values for 2 sample types"),
              std::string::npos)
        << out.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
