// Go execution trace readers on traces built with tests/unit/go_trace_builder.h: a small valid
// trace of each format generation decodes to the expected samples and timeline, and bad input
// of every kind gives an error at the byte offset the builder wrote the bad field at (never a
// crash or a partial result).
#include "formats/go_trace_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/profile_reader.h"
#include "tests/unit/go_trace_builder.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::GoTraceBatchAt;
using testing::GoTraceHeader;
using testing::GoTraceV1Builder;
using testing::GoTraceV2Builder;
using testing::GoTraceV2Data;
namespace v1 = go_trace::v1;
namespace v2 = go_trace::v2;

using Bytes = std::vector<uint8_t>;

// --- New format (docs/formats/go-trace.md#generation-format-layout) ------------------------------

GoTraceV2Data Strings() {
  GoTraceV2Data d = GoTraceV2Data::Strings();
  d.String(1, "main.f");
  d.String(2, "main.go");
  d.String(3, "runtime.mallocgc");
  d.String(4, "GC mark termination");
  return d;
}

GoTraceV2Data Stacks() {
  GoTraceV2Data d = GoTraceV2Data::Stacks();
  d.Stack(1, {{0x1000, 3, 2, 10},    // leaf: runtime.mallocgc
              {0x2000, 1, 2, 20}});  // main.f
  return d;
}

GoTraceV2Data Sync(int minor) {
  GoTraceV2Data d = GoTraceV2Data::Sync(minor);
  d.Frequency(1'000'000'000);  // one tick per nanosecond
  if (minor >= v2::kSyncBatchMinor) d.ClockSnapshot(5, 123, 1700000000, 0);
  return d;
}

// Two samples: goroutine 7 on M 1 with stack `stack`, and one of no goroutine, P or stack.
GoTraceV2Data Samples(uint64_t stack = 1, size_t* first = nullptr) {
  GoTraceV2Data d = GoTraceV2Data::CpuSamples();
  const size_t at = d.CpuSample(1500, 1, 0, 7, stack);
  d.CpuSample(5000, 1, v2::kNoThread, 0, 0);
  if (first != nullptr) *first = at;
  return d;
}

// One M's events, starting at tick 1000 (times in the comments).
GoTraceV2Data Events() {
  GoTraceV2Data d = GoTraceV2Data::Events();
  d.Event(v2::kEvGoStatus, {1, 7, 1, v2::kGoRunning});  // 1001 g=7 m=1
  d.Event(v2::kEvGCBegin, {10, 3, 1});                  // 1011 seq=3 stack=1
  d.Event(v2::kEvGCMarkAssistBegin, {10, 1});           // 1021 stack=1
  d.Event(v2::kEvGCMarkAssistEnd, {100});               // 1121
  d.Event(v2::kEvSTWBegin, {10, 4, 0});                 // 1131 "GC mark termination"
  d.Event(v2::kEvSTWEnd, {20});                         // 1151
  d.Event(v2::kEvGCEnd, {50, 3});                       // 1201 seq=3
  d.Event(v2::kEvHeapAlloc, {1, 4096});                 // 1202
  d.Event(v2::kEvHeapGoal, {1, 8192});                  // 1203
  return d;
}

Bytes ValidV2(int minor = 26) {
  GoTraceV2Builder t(minor);
  t.Batch(1, v2::kNoThread, 900, Strings());
  t.Batch(1, v2::kNoThread, 900, Stacks());
  t.Batch(1, v2::kNoThread, 900, Sync(minor));
  t.Batch(1, v2::kNoThread, 900, Samples());
  t.Batch(1, 1, 1000, Events());
  if (minor >= v2::kEndOfGenerationMinor) t.EndOfGeneration();
  return t.bytes();
}

Result<Profile> Read(const Bytes& t, GoTraceStats* stats = nullptr, bool assist = false) {
  auto in = InputSource::FromBytes("t.trace", t, "");
  ReadOptions o;
  o.assist_profile = assist;
  return ReadGoTrace(*in, o, stats);
}

std::string Frames(const Profile& p, const std::vector<uint64_t>& ids) {
  std::string s;
  for (uint64_t id : ids) {
    if (!s.empty()) s += ';';
    s += p.str(p.function(p.location(id).lines.at(0).function_id).name);
  }
  return s;
}

void ExpectSmallTrace(const Profile& p, int64_t ts_base) {
  ASSERT_EQ(p.samples.size(), 2u);
  const Sample& s = p.samples[0];
  EXPECT_EQ(p.NumLabel(s, "timestamp_ns"), 1500 - ts_base);
  EXPECT_EQ(p.NumLabel(s, "goroutine"), 7);
  EXPECT_EQ(p.NumLabel(s, "gc_cycle"), 1);  // the first cycle begun in the trace
  EXPECT_EQ(Frames(p, s.location_ids), "runtime.mallocgc;main.f");
  EXPECT_EQ(p.location(s.location_ids[0]).address, 0x1000u);
  EXPECT_EQ(p.location(s.location_ids[0]).lines[0].line, 10);
  EXPECT_EQ(s.values, (std::vector<int64_t>{1, 10'000'000}));
  EXPECT_EQ(p.NumLabel(p.samples[1], "goroutine"), -1);
  EXPECT_TRUE(p.samples[1].location_ids.empty());
  EXPECT_EQ(p.str(p.sample_types[1].type), "cpu");
  EXPECT_EQ(p.period, 10'000'000);

  const Timeline& t = p.timeline;
  ASSERT_EQ(t.gc_cycles.size(), 1u);
  EXPECT_EQ(t.gc_cycles[0].seq, 3);
  EXPECT_EQ(t.gc_cycles[0].start_ns, 1011 - ts_base);
  EXPECT_EQ(t.gc_cycles[0].end_ns, 1201 - ts_base);
  ASSERT_EQ(t.pauses.size(), 1u);
  EXPECT_EQ(p.str(t.pauses[0].kind), "GC mark termination");
  EXPECT_EQ(t.pauses[0].start_ns, 1131 - ts_base);
  EXPECT_EQ(t.pauses[0].end_ns, 1151 - ts_base);
  ASSERT_EQ(t.assists.size(), 1u);
  EXPECT_EQ(t.assists[0].goroutine, 7);
  EXPECT_EQ(t.assists[0].start_ns, 1021 - ts_base);
  EXPECT_EQ(t.assists[0].end_ns, 1121 - ts_base);
  EXPECT_EQ(Frames(p, t.assists[0].stack), "runtime.mallocgc;main.f");
  ASSERT_EQ(t.heap_alloc.size(), 1u);
  EXPECT_EQ(t.heap_alloc[0].bytes, 4096u);
  ASSERT_EQ(t.heap_goal.size(), 1u);
  EXPECT_EQ(t.heap_goal[0].bytes, 8192u);
}

TEST(GoTraceHeaderTest, AcceptsOnlyTheExactLayout) {
  EXPECT_EQ(ReadGoTraceHeader(GoTraceHeader(21)).value(), 21);
  EXPECT_EQ(ReadGoTraceHeader(GoTraceHeader(5)).value(), 5);
  Bytes bad = GoTraceHeader(21);
  bad[15] = 'x';
  EXPECT_ERROR_AT(ReadGoTraceHeader(bad), 0, "not a Go execution trace header");
  std::string s = "go 1.21 tracer";
  s.resize(16, '\0');
  EXPECT_ERROR_AT(ReadGoTraceHeader(Bytes(s.begin(), s.end())), 0, "not a Go execution trace");
  EXPECT_ERROR_AT(ReadGoTraceHeader(Bytes(10, 'g')), 0, "truncated Go execution trace header");
}

TEST(GoTraceV2Test, SmallTraceDecodes) {
  for (int minor : {22, 23, 25, 26}) {
    SCOPED_TRACE(minor);
    GoTraceStats stats;
    auto p = Read(ValidV2(minor), &stats);
    ASSERT_OK(p);
    ExpectSmallTrace(*p, 0);  // new-format timestamps stay on the absolute trace clock
    EXPECT_EQ(stats.generations, 1);
    EXPECT_EQ(stats.gc.completed, 1);
    EXPECT_EQ(stats.stw_by_reason["GC mark termination"], 1);
  }
}

TEST(GoTraceV2Test, AssistProfileAddsWallTimeOnBeginStacks) {
  auto p = Read(ValidV2(), nullptr, /*assist=*/true);
  ASSERT_OK(p);
  ASSERT_EQ(p->sample_types.size(), 3u);
  EXPECT_EQ(p->str(p->sample_types[2].type), "mark_assist_wall");
  ASSERT_EQ(p->samples.size(), 3u);
  EXPECT_EQ(p->samples[2].values, (std::vector<int64_t>{0, 0, 100}));
  EXPECT_EQ(Frames(*p, p->samples[2].location_ids), "runtime.mallocgc;main.f");
  EXPECT_EQ(p->samples[0].values.size(), 3u);
}

TEST(GoTraceV2Test, ReadsThroughSniffingAndGenerationsInSequence) {
  // Two generations of a 1.25 trace (no end marker: the next generation's first batch ends
  // the previous one) with an experimental batch that is skipped.
  GoTraceV2Builder t(25);
  for (uint64_t gen : {1, 2}) {
    t.Batch(gen, v2::kNoThread, 900, Strings());
    t.Batch(gen, v2::kNoThread, 900, Stacks());
    t.Batch(gen, v2::kNoThread, 900, Sync(25));
    t.Batch(gen, v2::kNoThread, 900, Samples());
    t.ExperimentalBatch(1, gen, v2::kNoThread, 900, {0, 1, 2});
  }
  auto in = InputSource::FromBytes("t.trace", t.bytes(), "");
  auto p = ReadProfile(*in, {});
  ASSERT_OK(p);
  EXPECT_EQ(p->samples.size(), 4u);
  GoTraceStats stats;
  ASSERT_OK(Read(t.bytes(), &stats));
  EXPECT_EQ(stats.generations, 2);
  EXPECT_EQ(stats.skipped_experimental_batches, 2);
}

// A sample filed in a generation can be older than the previous generation's events and
// samples (docs/formats/go-trace.md#cpu-samples-and-generations). x/exp emits it after them,
// moved past the last (e2e_prepause_test, on a trace tests/e2e/trace_edit.py makes); the
// profile keeps the runtime's time, and the time rules' span follows it.
TEST(GoTraceV2Test, ASampleOlderThanThePreviousGenerationKeepsItsTime) {
  GoTraceV2Builder t(26);  // generation 1: ValidV2's
  t.Batch(1, v2::kNoThread, 900, Strings());
  t.Batch(1, v2::kNoThread, 900, Stacks());
  t.Batch(1, v2::kNoThread, 900, Sync(26));
  t.Batch(1, v2::kNoThread, 900, Samples());
  t.Batch(1, 1, 1000, Events());
  t.EndOfGeneration();
  t.Batch(2, v2::kNoThread, 6000, Sync(26));
  GoTraceV2Data late = GoTraceV2Data::CpuSamples();
  late.CpuSample(1100, 1, 0, 7, 0);  // before generation 1's events (1001-1203) and samples
  t.Batch(2, v2::kNoThread, 6000, late);
  t.EndOfGeneration();
  auto p = Read(t.bytes());
  ASSERT_OK(p);
  ASSERT_EQ(p->samples.size(), 3u);
  EXPECT_EQ(p->NumLabel(p->samples[2], "timestamp_ns"), 1100);
  EXPECT_EQ(p->NumLabel(p->samples[2], "goroutine"), 7);
}

TEST(GoTraceV2Test, ActiveRangesFromBeforeTheTraceAreCutAtStart) {
  GoTraceV2Data ev = GoTraceV2Data::Events();
  ev.Event(v2::kEvGoStatus, {1, 7, 1, v2::kGoRunning});
  ev.Event(v2::kEvGCActive, {1, 2});            // seq=2
  ev.Event(v2::kEvGCMarkAssistActive, {1, 7});  // g=7
  ev.Event(v2::kEvGCMarkAssistEnd, {5});        // (g=7)
  ev.Event(v2::kEvGCEnd, {5, 2});               // seq=2
  GoTraceV2Builder t(26);
  t.Batch(1, v2::kNoThread, 900, Strings());
  t.Batch(1, v2::kNoThread, 900, Sync(26));
  t.Batch(1, 1, 1000, ev);
  t.EndOfGeneration();
  GoTraceStats stats;
  auto p = Read(t.bytes(), &stats);
  ASSERT_OK(p);
  EXPECT_EQ(stats.gc.completed, 0);
  EXPECT_EQ(stats.gc.cut_at_start, 1);
  EXPECT_EQ(stats.assist.cut_at_start, 1);
  ASSERT_EQ(p->timeline.gc_cycles.size(), 1u);
  EXPECT_EQ(p->timeline.gc_cycles[0].start_ns, kNoTime);
  EXPECT_EQ(p->timeline.gc_cycles[0].seq, 2);
}

TEST(GoTraceV2Test, BadHeadersAndBatchFramingNameTheOffset) {
  // Errors about the header or the whole trace name byte 0.
  EXPECT_ERROR_AT(Read(GoTraceHeader(24)), 0, "unsupported Go execution trace version");
  Bytes wrong = ValidV2();
  wrong[3] = '2';
  EXPECT_ERROR_AT(Read(wrong), 0, "not a Go execution trace header");
  EXPECT_ERROR_AT(Read(GoTraceHeader(26)), go_trace::kHeaderSize, "no generations");

  // Over-long varint in the first batch header's generation field.
  GoTraceV2Builder longvar(26);
  longvar.t.u8(v2::kEvEventBatch);
  const size_t gen_at = longvar.t.offset();
  for (int i = 0; i < 11; ++i) longvar.t.u8(0x80);
  EXPECT_ERROR_AT(Read(longvar.bytes()), gen_at, "varint");

  // A byte that starts no batch.
  GoTraceV2Builder nobatch(26);
  const size_t stray = nobatch.t.u8(v2::kEvCPUSample);
  EXPECT_ERROR_AT(Read(nobatch.bytes()), stray, "expected a batch header");

  // Batch size over the runtime's 64 KiB limit.
  GoTraceV2Builder big(26);
  const GoTraceBatchAt at = big.BatchHeader(1, 1, 1, v2::kMaxBatchSize + 1);
  EXPECT_ERROR_AT(Read(big.bytes()), at.size, "exceeds the maximum");

  // A batch cut short by the end of the input.
  GoTraceV2Builder cut(26);
  const GoTraceBatchAt short_batch = cut.BatchHeader(1, 1, 1, 10);
  cut.t.u8(v2::kEvStrings);
  EXPECT_ERROR_AT(Read(cut.bytes()), short_batch.data, "truncated trace: a batch of 10 bytes");
}

TEST(GoTraceV2Test, BadEventsAndTablesNameTheOffset) {
  // An unknown event type inside an event batch.
  GoTraceV2Builder unk(26);
  unk.Batch(1, v2::kNoThread, 900, Sync(26));
  GoTraceV2Data ev = GoTraceV2Data::Events();
  const size_t bad_event = ev.RawEvent(60, {1});
  const GoTraceBatchAt events = unk.Batch(1, 1, 900, ev);
  unk.EndOfGeneration();
  EXPECT_ERROR_AT(Read(unk.bytes()), events.data + bad_event, "unknown or misplaced event type 60");

  // A CPU sample naming a stack the generation does not have.
  GoTraceV2Builder nostack(26);
  nostack.Batch(1, v2::kNoThread, 900, Sync(26));
  size_t sample = 0;
  const GoTraceBatchAt samples = nostack.Batch(1, v2::kNoThread, 900, Samples(99, &sample));
  nostack.EndOfGeneration();
  EXPECT_ERROR_AT(Read(nostack.bytes()), samples.data + sample, "stack id 99");

  // A stack frame whose function name is not in the string table.
  GoTraceV2Builder nostr(26);
  nostr.Batch(1, v2::kNoThread, 900, Strings());
  GoTraceV2Data stacks = GoTraceV2Data::Stacks();
  stacks.StackEntry(1, 2);
  const size_t leaf = stacks.Frame({0x1000, 77, 2, 10});
  stacks.Frame({0x2000, 1, 2, 20});
  const GoTraceBatchAt table = nostr.Batch(1, v2::kNoThread, 900, stacks);
  nostr.Batch(1, v2::kNoThread, 900, Sync(26));
  nostr.Batch(1, v2::kNoThread, 900, Samples());
  nostr.EndOfGeneration();
  EXPECT_ERROR_AT(Read(nostr.bytes()), table.data + leaf, "string id 77");

  // A string table entry that is not a string.
  GoTraceV2Builder notstr(26);
  GoTraceV2Data strings = Strings();
  const size_t intruder = strings.CpuSample(1, 1, 1, 1, 1);
  const GoTraceBatchAt string_table = notstr.Batch(1, v2::kNoThread, 900, strings);
  EXPECT_ERROR_AT(Read(notstr.bytes()), string_table.data + intruder,
                  "expected a string (0x05) in the string table, got 0x07");
}

TEST(GoTraceV2Test, BadGenerationsNameTheOffset) {
  // Generations out of order (1.25: no end markers).
  GoTraceV2Builder order(25);
  order.Batch(2, v2::kNoThread, 900, Sync(25));
  const GoTraceBatchAt second = order.Batch(1, v2::kNoThread, 900, Sync(25));
  EXPECT_ERROR_AT(Read(order.bytes()), second.lead, "generations out of order");
  GoTraceV2Builder skip(25);
  skip.Batch(1, v2::kNoThread, 900, Sync(25));
  const GoTraceBatchAt third = skip.Batch(3, v2::kNoThread, 900, Sync(25));
  EXPECT_ERROR_AT(Read(skip.bytes()), third.lead, "generations out of order");

  // A generation with no frequency: the error names its first batch.
  GoTraceV2Builder nofreq(26);
  const GoTraceBatchAt first = nofreq.Batch(1, v2::kNoThread, 900, Strings());
  nofreq.EndOfGeneration();
  EXPECT_ERROR_AT(Read(nofreq.bytes()), first.lead, "no frequency");

  // A 1.26 trace must end each generation with a marker.
  GoTraceV2Builder unended(26);
  unended.Batch(1, v2::kNoThread, 900, Sync(26));
  EXPECT_ERROR_AT(Read(unended.bytes()), unended.t.offset(), "no end-of-generation marker");
}

TEST(GoTraceV2Test, EveryTruncationIsAnErrorWithAnOffset) {
  const Bytes full = ValidV2(26);
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    auto p = Read(cut);
    ASSERT_FALSE(p.ok()) << "prefix of " << n << " bytes";
    ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
    EXPECT_LE(*p.error().offset, n) << p.error().ToString();
  }
}

// --- Old format (docs/formats/go-trace.md#old-format-layout) -------------------------------------

// The events of a small trace without its footer (frequency and stack table). `padding` unused
// strings of `padding_len` bytes go first, to make the trace span several of the reader's 4 MiB
// windows.
GoTraceV1Builder V1Events(int minor, int padding = 0, size_t padding_len = 0) {
  GoTraceV1Builder t(minor);
  for (int i = 0; i < padding; ++i) t.String(1000 + i, std::string(padding_len, 'x'));
  t.String(1, "main.f");
  t.String(2, "main.go");
  t.String(3, "runtime.mallocgc");
  t.Event(v1::kEvBatch, {0, 1000});                                // p=0 ticks=1000
  t.Event(v1::kEvProcStart, {1, 5});                               // 1001 thread=5
  t.Event(v1::kEvGoStart, {1, 7, 1});                              // 1002 g=7
  t.Event(v1::kEvGCStart, {10, 3, 1});                             // 1012 seq=3 stack=1
  t.Event(v1::kEvGCMarkAssistStart, {10, 1});                      // 1022 stack=1
  t.Event(v1::kEvGCMarkAssistDone, {100});                         // 1122
  t.Event(v1::kEvSTWStart, {10, minor >= 21 ? 1u : 0u});           // 1132 "GC mark termination"
  t.Event(v1::kEvSTWDone, {20});                                   // 1152
  t.Event(v1::kEvGCDone, {50});                                    // 1202
  t.Event(v1::kEvHeapAlloc, {1, 4096});                            // 1203
  t.Event(v1::kEvHeapGoal, {1, 8192});                             // 1204
  if (minor >= 19) t.Event(v1::kEvCPUSample, {0, 1500, 0, 7, 1});  // realTs=1500
  return t;
}

Bytes ValidV1(int minor = 21, int padding = 0, size_t padding_len = 0) {
  GoTraceV1Builder t = V1Events(minor, padding, padding_len);
  t.Event(v1::kEvFrequency, {1'000'000'000});
  t.Stack(1, {{0x1000, 3, 2, 10}, {0x2000, 1, 2, 20}});
  return t.bytes();
}

TEST(GoTraceV1Test, SmallTraceDecodes) {
  GoTraceStats stats;
  auto p = Read(ValidV1(21), &stats);
  ASSERT_OK(p);
  const Profile& pr = *p;
  // Old-format times count from the first event (ProcStart at tick 1001), as x/exp's do.
  ASSERT_EQ(pr.samples.size(), 1u);
  EXPECT_EQ(pr.NumLabel(pr.samples[0], "timestamp_ns"), 499);
  EXPECT_EQ(pr.NumLabel(pr.samples[0], "goroutine"), 7);
  EXPECT_EQ(pr.NumLabel(pr.samples[0], "gc_cycle"), 1);
  EXPECT_EQ(Frames(pr, pr.samples[0].location_ids), "runtime.mallocgc;main.f");
  ASSERT_EQ(pr.timeline.gc_cycles.size(), 1u);
  EXPECT_EQ(pr.timeline.gc_cycles[0].start_ns, 11);
  EXPECT_EQ(pr.timeline.gc_cycles[0].end_ns, 201);
  ASSERT_EQ(pr.timeline.pauses.size(), 1u);
  EXPECT_EQ(pr.str(pr.timeline.pauses[0].kind), "GC mark termination");
  ASSERT_EQ(pr.timeline.assists.size(), 1u);
  EXPECT_EQ(pr.timeline.assists[0].goroutine, 7);
  EXPECT_EQ(pr.timeline.assists[0].end_ns - pr.timeline.assists[0].start_ns, 100);
  EXPECT_EQ(pr.timeline.heap_alloc.at(0).bytes, 4096u);
  EXPECT_EQ(pr.timeline.heap_goal.at(0).bytes, 8192u);
  EXPECT_EQ(stats.stw_by_reason["GC mark termination"], 1);
}

TEST(GoTraceV1Test, EventsStraddlingTheStreamingWindowsDecode) {
  // 4 MiB windows; strings of 999,983 bytes and of 1,000 bytes put events across boundaries.
  for (auto [count, len] : std::vector<std::pair<int, size_t>>{{9, 999'983}, {4500, 1000}}) {
    const Bytes t = ValidV1(21, count, len);
    ASSERT_GT(t.size(), size_t{4} << 20);
    auto p = Read(t);
    ASSERT_OK(p);
    ASSERT_EQ(p->samples.size(), 1u);
    EXPECT_EQ(p->NumLabel(p->samples[0], "timestamp_ns"), 499);
    EXPECT_EQ(Frames(*p, p->samples[0].location_ids), "runtime.mallocgc;main.f");
  }
}

TEST(GoTraceV1Test, OlderVersionsNameTheStwKindDifferently) {
  auto p = Read(ValidV1(19));
  ASSERT_OK(p);
  EXPECT_EQ(p->str(p->timeline.pauses.at(0).kind), "GC mark termination");
  auto q = Read(ValidV1(11));  // no CPU samples before 1.19
  ASSERT_OK(q);
  EXPECT_TRUE(q->samples.empty());
}

TEST(GoTraceV1Test, BadInputNamesTheOffset) {
  GoTraceV1Builder unk(21);
  unk.Event(v1::kEvBatch, {0, 1000});
  const size_t unknown = unk.RawEvent(55, {1});
  EXPECT_ERROR_AT(Read(unk.bytes()), unknown, "unknown event type 55");

  // CPU samples do not exist in 1.11 traces.
  GoTraceV1Builder gated(11);
  gated.Event(v1::kEvBatch, {0, 1000});
  const size_t sample = gated.Event(v1::kEvCPUSample, {0, 1500, 0, 7, 1});
  EXPECT_ERROR_AT(Read(gated.bytes()), sample, "unknown event type 49");

  GoTraceV1Builder longvar(21);
  longvar.t.u8(v1::LeadByte(v1::kEvBatch, 2));
  const size_t value = longvar.t.offset();
  for (int i = 0; i < 11; ++i) longvar.t.u8(0xff);
  EXPECT_ERROR_AT(Read(longvar.bytes()), value, "varint");

  GoTraceV1Builder orphan(21);
  const size_t first = orphan.Event(v1::kEvProcStart, {1, 5});
  EXPECT_ERROR_AT(Read(orphan.bytes()), first, "before the first batch");

  GoTraceV1Builder arity(21);
  arity.Event(v1::kEvBatch, {0, 1000});
  const size_t short_gc = arity.RawEvent(v1::kEvGCStart, {10, 3});  // no stack id
  EXPECT_ERROR_AT(Read(arity.bytes()), short_gc, "has 2 values, want 3");

  GoTraceV1Builder area(21);
  area.Event(v1::kEvBatch, {0, 1000});
  area.t.u8(v1::LeadByte(v1::kEvCPUSample, 5));
  const size_t area_len = area.t.uv(v1::kMaxArgBytes + 1);
  EXPECT_ERROR_AT(Read(area.bytes()), area_len, "argument area of 2049 bytes");

  // Errors about the whole trace name byte 0.
  GoTraceV1Builder nofreq = V1Events(21);
  nofreq.Stack(1, {{0x1000, 3, 2, 10}});
  EXPECT_ERROR_AT(Read(nofreq.bytes()), 0, "no frequency");

  // A stack frame naming a string the trace does not have.
  GoTraceV1Builder nostr = V1Events(21);
  nostr.Event(v1::kEvFrequency, {1'000'000'000});
  const size_t stack = nostr.Stack(1, {{0x1000, 77, 2, 10}});
  EXPECT_ERROR_AT(Read(nostr.bytes()), stack, "string id 77");
}

TEST(GoTraceV1Test, EveryTruncationFailsCleanly) {
  const Bytes full = ValidV1(21);
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    auto p = Read(cut);
    if (p.ok()) continue;  // cut exactly after a complete event with the tables already read
    ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
    EXPECT_LE(*p.error().offset, n) << p.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
