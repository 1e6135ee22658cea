// PerfRecordPipeline (formats/perf_record_pipeline.h): records filled into batches on a reading
// thread reach the handler on the calling thread whole and in order, whatever their sizes; the
// first error in record order wins whichever thread meets it; exceptions come back to the
// caller; Drain leaves nothing unhandled. The single-thread mode is the reference.
#include "formats/perf_record_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

struct Seen {
  uint32_t type;
  uint16_t misc;
  uint64_t offset, body_offset;
  std::vector<uint8_t> bytes;
  bool operator==(const Seen&) const = default;
};

// Records of random sizes (up to perf's largest, 64 KiB - 8) with random bytes.
std::vector<Seen> RandomRecords(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Seen> out;
  uint64_t offset = 4096;
  for (size_t i = 0; i < n; ++i) {
    Seen r;
    r.type = rng() % 20;
    r.misc = static_cast<uint16_t>(rng());
    const size_t size = rng() % 50 == 0 ? 65535 - 8 : rng() % 300;
    r.bytes.resize(size);
    for (uint8_t& b : r.bytes) b = static_cast<uint8_t>(rng());
    r.offset = offset;
    r.body_offset = offset + 8;
    offset += 8 + size;
    out.push_back(std::move(r));
  }
  return out;
}

// Hands `records` through a pipeline; the handler keeps what it gets and fails at record
// `fail_at` (the reading side fails at `read_fail_at`); returns what Run returned.
struct Outcome {
  Status status;
  std::vector<Seen> handled;
  size_t read = 0;  // records the reading side added
  bool handled_on_caller = true;
};

Outcome Pipe(const std::vector<Seen>& records, bool threaded, size_t fail_at = SIZE_MAX,
             size_t read_fail_at = SIZE_MAX) {
  Outcome o;
  const std::thread::id caller = std::this_thread::get_id();
  PerfRecordPipeline pipe(
      [&](const PerfRecordBatch& batch) -> Status {
        o.handled_on_caller &= std::this_thread::get_id() == caller;
        for (const PerfRecordBatch::Record& r : batch.records()) {
          if (o.handled.size() == fail_at) return MakeErrorAt(r.offset, "handler error");
          const std::span<const uint8_t> b = batch.body(r).rest();
          o.handled.push_back({r.type, r.misc, r.offset, batch.body(r).offset(),
                               std::vector<uint8_t>(b.begin(), b.end())});
        }
        return {};
      },
      threaded);
  o.status = pipe.Run([&]() -> Status {
    for (const Seen& r : records) {
      if (o.read == read_fail_at) return MakeErrorAt(r.offset, "reading error");
      pipe.filling().Add(r.type, r.misc, ByteCursor(r.bytes, r.body_offset), r.offset);
      ++o.read;
      GCSPIKE_RETURN_IF_ERROR(pipe.HandOverIfFull());
    }
    return {};
  });
  return o;
}

TEST(PerfRecordPipeline, EveryRecordWholeAndInOrderOnTheCallingThread) {
  const std::vector<Seen> records = RandomRecords(5000, 1);
  for (bool threaded : {true, false}) {
    const Outcome o = Pipe(records, threaded);
    ASSERT_OK(o.status);
    EXPECT_TRUE(o.handled == records) << "threaded " << threaded;
    EXPECT_TRUE(o.handled_on_caller);
  }
}

TEST(PerfRecordPipeline, TheFirstErrorInRecordOrderWins) {
  const std::vector<Seen> records = RandomRecords(4000, 2);
  for (bool threaded : {true, false}) {
    // The handler fails first (in record order), the reading side later: the handler's error,
    // and the reading side stopped within the batches in flight.
    Outcome o = Pipe(records, threaded, 1500, 3900);
    ASSERT_FALSE(o.status.ok());
    EXPECT_EQ(o.status.error().offset, records[1500].offset);
    EXPECT_EQ(o.handled.size(), 1500u);
    EXPECT_LE(o.read, 1500 + 3 * PerfRecordBatch::kRecords);
    // The reading side fails first: every record before it is handled, then its error.
    o = Pipe(records, threaded, 3900, 1500);
    ASSERT_FALSE(o.status.ok());
    EXPECT_EQ(o.status.error().offset, records[1500].offset);
    EXPECT_TRUE(o.handled == std::vector<Seen>(records.begin(), records.begin() + 1500));
  }
}

TEST(PerfRecordPipeline, ExceptionsComeBackToTheCaller) {
  for (bool threaded : {true, false}) {
    PerfRecordPipeline throwing_handler(
        [](const PerfRecordBatch&) -> Status { throw std::bad_alloc(); }, threaded);
    EXPECT_THROW((void)throwing_handler.Run([&]() -> Status {
      for (int i = 0; i < 2000; ++i) {
        throwing_handler.filling().Add(1, 0, ByteCursor(), 0);
        GCSPIKE_RETURN_IF_ERROR(throwing_handler.HandOverIfFull());
      }
      return {};
    }),
                 std::bad_alloc);
    PerfRecordPipeline quiet([](const PerfRecordBatch&) { return Status(); }, threaded);
    EXPECT_THROW((void)quiet.Run([]() -> Status { throw std::bad_alloc(); }), std::bad_alloc);
  }
}

TEST(PerfRecordPipeline, DrainLeavesNothingUnhandled) {
  size_t handled = 0;
  PerfRecordPipeline pipe([&](const PerfRecordBatch& batch) {
    handled += batch.records().size();
    return Status();
  });
  std::vector<size_t> at_drain;
  ASSERT_OK(pipe.Run([&]() -> Status {
    for (size_t i = 1; i <= 3000; ++i) {
      pipe.filling().Add(1, 0, ByteCursor(), i);
      GCSPIKE_RETURN_IF_ERROR(pipe.HandOverIfFull());
      if (i % 700 == 0) {
        GCSPIKE_RETURN_IF_ERROR(pipe.Drain());
        at_drain.push_back(handled);  // the handler is idle: no race
        EXPECT_EQ(handled, i);
      }
    }
    return {};
  }));
  EXPECT_EQ(handled, 3000u);
  EXPECT_EQ(at_drain.size(), 4u);
}

TEST(PerfRecordBatch, DropLastForgetsTheRecordAndItsSample) {
  PerfRecordBatch batch;
  const std::vector<uint8_t> a = {1, 2, 3}, b = {4, 5};
  batch.Add(1, 0, ByteCursor(a, 100), 92);
  batch.AddSample().attr = 7;
  batch.Add(1, 0, ByteCursor(b, 200), 192);
  batch.AddSample().attr = 8;
  batch.DropLast();
  batch.Add(2, 0, ByteCursor(b, 300), 292);
  batch.AddSample().attr = 9;
  ASSERT_EQ(batch.records().size(), 2u);
  EXPECT_EQ(batch.sample(batch.records()[0]).attr, 7u);
  EXPECT_EQ(batch.sample(batch.records()[1]).attr, 9u);
  const std::span<const uint8_t> second = batch.body(batch.records()[1]).rest();
  EXPECT_EQ(std::vector<uint8_t>(second.begin(), second.end()), b);
  EXPECT_EQ(batch.body(batch.records()[1]).offset(), 300u);
}

}  // namespace
}  // namespace gcspike
