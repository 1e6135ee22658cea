// SampleSpool: records come back exactly as appended (values, string and numeric labels, the
// delta coding of numeric labels across records whose label layout changes), from the temporary
// file and from memory when no temporary file can be made; a record naming a stack sample the
// profile does not have is an error; MaterializeSpool turns records into samples.
#include "core/sample_spool.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
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
    EXPECT_EQ(std::vector<int64_t>(r.values.begin(), r.values.end()), want.values);
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

// Sets TMPDIR for one test, and puts the old value back.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir) {
    const char* old = std::getenv("TMPDIR");
    if (old != nullptr) saved_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (saved_) {
      ::setenv("TMPDIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(SampleSpool, RoundTripInMemoryWhenNoTemporaryFile) {
  ScopedTmpdir no_dir("/nonexistent/gcspike-no-such-dir");
  ExpectRoundTrip();
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

// Random records, most repeating some of the previous record's values and labels (the model
// says which), others changing layout, kind, key or unit; more than one block of them.
std::vector<Appended> RandomRecords(std::mt19937_64& rng, size_t n) {
  const int64_t extremes[] = {0, 1, -1, INT64_MIN, INT64_MAX, 50'000, -50'000};
  auto number = [&]() -> int64_t {
    return rng() % 3 == 0 ? extremes[rng() % 7] : static_cast<int64_t>(rng());
  };
  std::vector<Appended> out;
  for (size_t i = 0; i < n; ++i) {
    Appended r;
    r.sample = static_cast<uint32_t>(rng() % 5);
    if (i > 0 && rng() % 4 != 0) {
      r.values = out.back().values;
    } else {
      r.values.resize(rng() % 4);
      for (int64_t& v : r.values) v = number();
    }
    const size_t labels = i > 0 && rng() % 8 != 0 ? out.back().labels.size() : rng() % 6;
    for (size_t j = 0; j < labels; ++j) {
      const std::vector<Label>* before = i > 0 ? &out.back().labels : nullptr;
      Label l;
      if (before != nullptr && j < before->size() && rng() % 3 != 0) {
        l = (*before)[j];
        if (rng() % 2 == 0 && l.numeric) {
          l.num = static_cast<int64_t>(static_cast<uint64_t>(l.num) + rng() % 100'000);
        }
      } else {
        l.key = static_cast<StrId>(1 + rng() % 4);
        l.numeric = rng() % 2 == 0;
        if (l.numeric) {
          l.num = number();
          l.num_unit = static_cast<StrId>(rng() % 3);
        } else {
          l.str = static_cast<StrId>(rng() % 5);
        }
      }
      r.labels.push_back(l);
    }
    out.push_back(std::move(r));
  }
  return out;
}

// What the spool keeps of a label: a numeric one's number and unit, a string one's string.
bool SameKept(const Label& a, const Label& b) {
  return a.key == b.key && a.numeric == b.numeric &&
         (a.numeric ? a.num == b.num && a.num_unit == b.num_unit : a.str == b.str);
}

void ExpectReaderGivesTheModel() {
  std::mt19937_64 rng(13);
  const std::vector<Appended> in = RandomRecords(rng, 60'000);
  SampleSpool spool;
  for (const Appended& r : in) spool.Append(r.sample, r.values, r.labels);
  ASSERT_OK(spool.Close());
  SampleSpool::Reader reader(spool, 5);
  size_t i = 0, peeked = 0;
  for (; reader.Next(); ++i) {
    ASSERT_LT(i, in.size());
    const Appended& want = in[i];
    // The next record's stack, unless that record is in the next block.
    const uint64_t next = reader.PeekSample();
    if (next != UINT64_MAX) {
      ASSERT_LT(i + 1, in.size());
      ASSERT_EQ(next, in[i + 1].sample) << "record " << i;
      ++peeked;
    }
    const std::vector<int64_t> none;
    const std::vector<int64_t>& values_before = i > 0 ? in[i - 1].values : none;
    const std::vector<Label>* before = i > 0 ? &in[i - 1].labels : nullptr;
    ASSERT_EQ(reader.sample(), want.sample) << "record " << i;
    ASSERT_EQ(std::vector<int64_t>(reader.values().begin(), reader.values().end()), want.values)
        << "record " << i;
    ASSERT_EQ(reader.values_unchanged(), want.values == values_before) << "record " << i;
    ASSERT_EQ(reader.labels().size(), want.labels.size()) << "record " << i;
    for (size_t j = 0; j < want.labels.size(); ++j) {
      const Label& got = reader.labels()[j];
      ASSERT_TRUE(SameKept(got, want.labels[j])) << "record " << i << " label " << j;
      // Nothing but what is kept: a string label has no number, a numeric one no string.
      EXPECT_EQ(got.numeric ? got.str : static_cast<StrId>(got.num | got.num_unit), 0u);
      const bool same =
          before != nullptr && j < before->size() && SameKept((*before)[j], want.labels[j]);
      ASSERT_EQ(reader.unchanged(j), same) << "record " << i << " label " << j;
    }
  }
  ASSERT_OK(reader.status());
  EXPECT_EQ(i, in.size());
  // All but the last record of each block, and there is more than one block.
  EXPECT_GT(peeked, in.size() - 10);
  EXPECT_LT(peeked, in.size() - 1);
}

TEST(SampleSpoolReader, RandomRecordsComeBackWithTheirRepeatsMarked) {
  ExpectReaderGivesTheModel();
}

TEST(SampleSpoolReader, RandomRecordsComeBackInMemory) {
  ScopedTmpdir no_dir("/nonexistent/gcspike-no-such-dir");
  ExpectReaderGivesTheModel();
}

// The spool's unlinked temporary file, found among this process's open files by its directory.
int SpoolFile(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.rfind(dir + "/", 0) == 0) return std::stoi(entry.path().filename().string());
  }
  return -1;
}

// A spool whose temporary file is overwritten at `at` with `bytes` after Close: the first
// block's 8-byte length is at 0, its first record at 8 (sample 0, the values 1 and 2, labels
// tid and comm).
Status ReadCorrupted(uint64_t at, const std::vector<uint8_t>& bytes) {
  char dir_template[] = "/tmp/gcspike-spool-test-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) return MakeError("mkdtemp failed");
  Status s;
  {
    ScopedTmpdir in_dir(dir);
    SampleSpool spool;
    const std::vector<int64_t> values = {1, 2};
    const std::vector<Label> labels = {{1, 0, 1000, 2, true}, {3, 4, 0, 0, false}};
    for (int i = 0; i < 100; ++i) spool.Append(0, values, labels);
    s = spool.Close();
    const int fd = SpoolFile(dir);
    if (s.ok() && fd < 0) s = MakeError("no temporary file in " + std::string(dir));
    if (s.ok() && ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)) !=
                      static_cast<ssize_t>(bytes.size())) {
      s = MakeError("pwrite failed");
    }
    if (s.ok()) {
      SampleSpool::Reader reader(spool, 1);
      while (reader.Next()) {
      }
      s = reader.status();
    }
  }
  ::rmdir(dir);
  return s;
}

TEST(SampleSpoolReader, CorruptBlocksAreErrorsAtTheirOffset) {
  EXPECT_OK(ReadCorrupted(8, {0x00}));  // the first record's own first byte: nothing changes
  // A varint that never ends, at the first record's value count.
  EXPECT_ERROR_AT(ReadCorrupted(9, std::vector<uint8_t>(10, 0xff)), 9, "varint");
  // A record naming stack 2 of 1 (errors are at the end of the field found wrong).
  EXPECT_ERROR_AT(ReadCorrupted(8, {0x02}), 9, "stack sample 2 of 1");
  // The first record repeating the values before it (there are none: no values) and its first
  // label, which no record before it has.
  EXPECT_ERROR_AT(ReadCorrupted(8, {0x00, 0x00, 0x01, 0x00}), 12,
                  "label 0 repeats a label the previous record does not have");
  // A value count past the block's end.
  EXPECT_ERROR_AT(ReadCorrupted(9, {0xff, 0xff, 0x03}), 12, "bad value count");
  // The block's length past the file's end.
  const Status s = ReadCorrupted(0, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("block length past its end"), std::string::npos)
      << s.error().ToString();
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
