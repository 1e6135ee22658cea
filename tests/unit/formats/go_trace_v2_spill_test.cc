// TraceBatchSpill (formats/go_trace_v2_spill.h): batches come back M by M in the order each M
// first appeared, each M's in the order they were added, with their bytes, whether they are
// still in the buffer or were written to the temporary file, and empty batches too (a batch of
// no events, which a mutated trace can declare).
#include "formats/go_trace_v2_spill.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <vector>

namespace gcspike {
namespace {

using Seen = std::vector<std::tuple<uint64_t, uint64_t, uint64_t, std::vector<uint8_t>>>;

Seen ReadBack(TraceBatchSpill& spill) {
  Seen seen;
  for (uint64_t m : spill.m_order()) {
    const Status st = spill.ForEachOf(m, [&](const TraceBatchSpill::Batch& b) -> Status {
      seen.emplace_back(b.m, b.time, b.data_offset, b.data);
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error().ToString();
  }
  return seen;
}

TEST(TraceBatchSpill, EmptyBatchesInTheBufferAndInTheFile) {
  // The buffer is written out past 32 MiB: the second round's batches follow a 33 MiB one.
  for (const size_t big : {size_t{0}, size_t{33} << 20}) {
    SCOPED_TRACE(big);
    TraceBatchSpill spill;
    Seen want;
    auto add = [&](uint64_t m, uint64_t time, std::vector<uint8_t> data) {
      ASSERT_TRUE(spill.Add(m, time, 100 + time, data).ok());
      want.emplace_back(m, time, 100 + time, std::move(data));
    };
    add(9, 1, {});  // the first batch read back: the reused batch has no storage yet
    add(5, 2, {1, 2, 3});
    if (big != 0) add(5, 3, std::vector<uint8_t>(big, 0xab));
    add(5, 4, {});
    add(9, 5, {7});
    add(2, 6, {});
    // Grouped by M in first-appearance order (9, 5, 2), each M's batches in order.
    Seen grouped;
    for (uint64_t m : {9, 5, 2}) {
      for (const auto& w : want) {
        if (std::get<0>(w) == m) grouped.push_back(w);
      }
    }
    EXPECT_EQ(spill.m_order(), (std::vector<uint64_t>{9, 5, 2}));
    EXPECT_TRUE(ReadBack(spill) == grouped);
  }
}

}  // namespace
}  // namespace gcspike
