// PerfAddressSpace (formats/perf_address_space.h) fed MMAP/MMAP2/COMM/FORK record bodies from
// the test builder: which mapping holds an address, per process and for the kernel; what a FORK
// inherits; thread names; frames interned once per (mapping, address), and the callchain cache
// giving the same refs as interning directly, also after new mappings.
#include "formats/perf_address_space.h"

#include <gtest/gtest.h>

#include <vector>

#include "formats/perf_event_abi.h"
#include "tests/unit/perf_data_builder.h"

namespace gcspike {
namespace {

using testing::PerfDataBuilder;

// Feeds every record of `b` (MMAP, MMAP2, COMM, FORK) to `space`.
void Feed(PerfAddressSpace& space, const PerfDataBuilder& b) {
  ByteCursor c(b.data());
  while (!c.empty()) {
    const uint32_t type = *c.u32le();
    const uint16_t misc = *c.u16le();
    const uint16_t size = *c.u16le();
    ByteCursor body = *c.sub(size - 8);
    Status st;
    if (type == perf::record::kMmap || type == perf::record::kMmap2) {
      st = space.AddMmap(type, misc, body);
    } else if (type == perf::record::kComm) {
      st = space.AddComm(body);
    } else if (type == perf::record::kFork) {
      st = space.AddFork(body);
    }
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }
}

TEST(PerfAddressSpace, MappingsPerProcessAndKernel) {
  PerfDataBuilder b;
  b.Mmap(10, 0x400000, 0x1000, "/bin/a")
      .Mmap2(10, 0x7f0000, 0x2000, "/lib/b.so", {0xde, 0xad, 0xbe, 0xef})
      .Mmap2(11, 0x400000, 0x1000, "/bin/c", {}, 4242)
      .Mmap(perf::kKernelPid, 0xffffffff81000000, ~uint64_t{0} - 0xffffffff81000000,
            "[kernel.kallsyms]_text", perf::misc::kKernel);
  PerfAddressSpace space;
  Feed(space, b);
  ASSERT_EQ(space.mapping_count(), 4u);
  int64_t index = -1;
  const PerfMapping* m = space.Find(10, 0x400fff, &index);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->filename, "/bin/a");
  EXPECT_EQ(index, 0);
  EXPECT_EQ(space.Find(10, 0x401000, &index), nullptr);  // past its end
  EXPECT_EQ(index, -1);
  m = space.Find(10, 0x7f0010, &index);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->build_id, "deadbeef");
  EXPECT_FALSE(m->has_inode);
  m = space.Find(11, 0x400010, &index);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->filename, "/bin/c");
  EXPECT_TRUE(m->has_inode);
  EXPECT_EQ(m->ino, 4242u);
  EXPECT_EQ(space.Find(12, 0x400010, &index), nullptr);  // no such process
  m = space.Find(perf::kKernelPid, 0xffffffff81234567, &index);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->filename, "[kernel.kallsyms]_text");
}

TEST(PerfAddressSpace, ForkInheritsMappingsAndNames) {
  PerfDataBuilder b;
  b.Comm(10, 10, "parent").Mmap(10, 0x400000, 0x1000, "/bin/a");
  PerfAddressSpace space;
  Feed(space, b);
  const uint64_t names = space.names_generation();
  PerfDataBuilder more;
  more.Fork(20, 10, 20, 10).Fork(10, 10, 11, 10).Comm(10, 12, "renamed");
  Feed(space, more);
  EXPECT_NE(space.names_generation(), names);
  int64_t index = -1;
  ASSERT_NE(space.Find(20, 0x400010, &index), nullptr);  // a new process: copied
  ASSERT_NE(space.ThreadName(20, 20), nullptr);
  EXPECT_EQ(*space.ThreadName(20, 20), "parent");
  ASSERT_NE(space.ThreadName(10, 11), nullptr);  // a new thread: its creator's name
  EXPECT_EQ(*space.ThreadName(10, 11), "parent");
  EXPECT_EQ(*space.ThreadName(10, 12), "renamed");
  // A thread no record names has its process's name; an unknown process none.
  EXPECT_EQ(*space.ThreadName(10, 99), "parent");
  EXPECT_EQ(space.ThreadName(77, 78), nullptr);
}

TEST(PerfAddressSpace, FramesAreInternedPerMappingAndCached) {
  PerfDataBuilder b;
  b.Mmap(10, 0x400000, 0x1000, "/bin/a").Fork(20, 10, 20, 10);
  PerfAddressSpace space;
  Feed(space, b);
  // Two processes sharing one mapping: the same frame.
  const uint32_t r1 = space.CachedFrameRef(10, 0x400010, false, true);
  const uint32_t r2 = space.CachedFrameRef(20, 0x400010, false, true);
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(space.InternFrame(space.MakeFrame(10, 0x400010, false, true)), r1);
  // A leaf (not a return address) is another frame; an unmapped address keeps its pid.
  EXPECT_NE(space.CachedFrameRef(10, 0x400010, false, false), r1);
  const uint32_t u10 = space.CachedFrameRef(10, 0x900000, false, false);
  const uint32_t u20 = space.CachedFrameRef(20, 0x900000, false, false);
  EXPECT_NE(u10, u20);
  EXPECT_EQ(space.frames()[u10 - 1].mapping, -1);
  EXPECT_EQ(space.frames()[u10 - 1].pid, 10u);
  // A mapping added later covers the address from then on: the cache does not hide it.
  PerfDataBuilder later;
  later.Mmap(10, 0x900000, 0x1000, "/bin/late");
  Feed(space, later);
  const uint32_t mapped = space.CachedFrameRef(10, 0x900000, false, false);
  EXPECT_NE(mapped, u10);
  EXPECT_EQ(space.frames()[mapped - 1].mapping, 1);
  // Many distinct frames (the cache grows) still give their interned refs.
  for (uint64_t a = 0; a < 5000; ++a) {
    const uint32_t ref = space.CachedFrameRef(10, 0x400000 + a % 0x1000, a % 2 == 0, a % 3 == 0);
    EXPECT_EQ(
        ref, space.InternFrame(space.MakeFrame(10, 0x400000 + a % 0x1000, a % 2 == 0, a % 3 == 0)));
  }
  // A new mapping empties the grown cache (which starts again small); MMAPs between single
  // lookups, then the many frames again: every ref is still the interned one.
  for (uint64_t i = 0; i < 3; ++i) {
    PerfDataBuilder more;
    more.Mmap(10, 0x2000000 + i * 0x1000, 0x1000, "/bin/more");
    Feed(space, more);
    EXPECT_EQ(space.CachedFrameRef(10, 0x400020, false, true),
              space.InternFrame(space.MakeFrame(10, 0x400020, false, true)));
  }
  for (uint64_t a = 0; a < 5000; ++a) {
    EXPECT_EQ(
        space.CachedFrameRef(10, 0x400000 + a % 0x1000, a % 2 == 0, a % 3 == 0),
        space.InternFrame(space.MakeFrame(10, 0x400000 + a % 0x1000, a % 2 == 0, a % 3 == 0)));
  }
}

// What the budget check counts (docs/memory.md#perfdata): frames once each, mappings, and the
// map entries a FORK copies from its parent.
TEST(PerfAddressSpace, ModelBytesCountWhatIsDistinct) {
  PerfDataBuilder b;
  for (uint64_t i = 0; i < 10; ++i) b.Mmap(10, 0x400000 + i * 0x10000, 0x1000, "/bin/a");
  PerfAddressSpace space;
  Feed(space, b);
  const uint64_t mapped = space.model_bytes();
  EXPECT_GE(mapped, 10 * (sizeof(PerfMapping) + 6));
  PerfDataBuilder forks;
  forks.Fork(20, 10, 20, 10).Fork(30, 10, 30, 10);
  Feed(space, forks);
  EXPECT_GE(space.model_bytes() - mapped, 2 * 10 * 48u);  // at least a map node per entry
  const uint64_t before = space.model_bytes();
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (uint64_t a = 0; a < 100; ++a) space.CachedFrameRef(10, 0x400000 + a, false, true);
  }
  EXPECT_EQ(space.frames().size(), 100u);
  EXPECT_EQ(space.model_bytes() - before, 100 * PerfAddressSpace::kFrameBytes);
}

TEST(PerfAddressSpace, TruncatedRecordsAreErrors) {
  PerfAddressSpace space;
  const std::vector<uint8_t> body(12, 0);
  EXPECT_FALSE(space.AddMmap(perf::record::kMmap, 0, ByteCursor(body)).ok());
  EXPECT_FALSE(space.AddFork(ByteCursor(body)).ok());
  EXPECT_FALSE(space.AddComm(ByteCursor(std::span<const uint8_t>(body).first(4))).ok());
}

}  // namespace
}  // namespace gcspike
