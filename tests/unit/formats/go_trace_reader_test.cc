// Go execution trace readers on crafted byte sequences: a small valid trace of each format
// generation decodes to the expected samples and timeline, and bad input of every kind gives an
// error naming its byte offset (never a crash or a partial result).
#include "formats/go_trace_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/profile_reader.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

// Bytes of a trace under construction.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Bytes& uv(uint64_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v != 0) byte |= 0x80;
      b.push_back(byte);
    } while (v != 0);
    return *this;
  }
  Bytes& str(const std::string& s) {
    uv(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const std::vector<uint8_t>& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  size_t size() const { return b.size(); }
};

Bytes Header(int minor) {
  Bytes h;
  std::string s = "go 1." + std::to_string(minor) + " trace";
  s.resize(16, '\0');
  h.b.assign(s.begin(), s.end());
  return h;
}

// --- New format (docs/formats/go-trace.md#generation-format-layout) ------------------------------

constexpr uint64_t kNoThread = UINT64_MAX;

void Batch(Bytes& out, uint64_t gen, uint64_t m, uint64_t time, const Bytes& data) {
  out.u8(0x01).uv(gen).uv(m).uv(time).uv(data.size()).raw(data.b);
}

Bytes Strings() {
  Bytes d;
  d.u8(0x04);
  d.u8(0x05).uv(1).str("main.f");
  d.u8(0x05).uv(2).str("main.go");
  d.u8(0x05).uv(3).str("runtime.mallocgc");
  d.u8(0x05).uv(4).str("GC mark termination");
  return d;
}

Bytes Stacks(uint64_t func_id = 3) {
  Bytes d;
  d.u8(0x02).u8(0x03).uv(1).uv(2);
  d.uv(0x1000).uv(func_id).uv(2).uv(10);  // leaf: runtime.mallocgc
  d.uv(0x2000).uv(1).uv(2).uv(20);        // main.f
  return d;
}

Bytes Sync(int minor) {
  Bytes d;
  if (minor >= 25) d.u8(0x32);
  d.u8(0x08).uv(1'000'000'000);  // one tick per nanosecond
  if (minor >= 25) d.u8(0x33).uv(5).uv(123).uv(1700000000).uv(0);
  return d;
}

Bytes Samples(uint64_t stack = 1) {
  Bytes d;
  d.u8(0x06);
  d.u8(0x07).uv(1500).uv(1).uv(0).uv(7).uv(stack);
  d.u8(0x07).uv(5000).uv(1).uv(kNoThread).uv(0).uv(0);
  return d;
}

// One M's events, starting at tick 1000 (times in the comments).
Bytes Events() {
  Bytes d;
  d.u8(25).uv(1).uv(7).uv(1).uv(2);  // 1001 GoStatus g=7 m=1 running
  d.u8(29).uv(10).uv(3).uv(1);       // 1011 GCBegin seq=3 stack=1
  d.u8(35).uv(10).uv(1);             // 1021 GCMarkAssistBegin stack=1
  d.u8(36).uv(100);                  // 1121 GCMarkAssistEnd
  d.u8(26).uv(10).uv(4).uv(0);       // 1131 STWBegin "GC mark termination"
  d.u8(27).uv(20);                   // 1151 STWEnd
  d.u8(30).uv(50).uv(3);             // 1201 GCEnd seq=3
  d.u8(37).uv(1).uv(4096);           // 1202 HeapAlloc
  d.u8(38).uv(1).uv(8192);           // 1203 HeapGoal
  return d;
}

Bytes ValidV2(int minor = 26) {
  Bytes t = Header(minor);
  Batch(t, 1, kNoThread, 900, Strings());
  Batch(t, 1, kNoThread, 900, Stacks());
  Batch(t, 1, kNoThread, 900, Sync(minor));
  Batch(t, 1, kNoThread, 900, Samples());
  Batch(t, 1, 1, 1000, Events());
  if (minor >= 26) t.u8(0x34);
  return t;
}

Result<Profile> Read(const Bytes& t, GoTraceStats* stats = nullptr, bool assist = false) {
  auto in = InputSource::FromBytes("t.trace", t.b, "");
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
  EXPECT_EQ(ParseGoTraceHeader(Header(21).b).value(), 21);
  EXPECT_EQ(ParseGoTraceHeader(Header(5).b).value(), 5);
  Bytes bad = Header(21);
  bad.b[15] = 'x';
  EXPECT_FALSE(ParseGoTraceHeader(bad.b).ok());
  std::string s = "go 1.21 tracer";
  s.resize(16, '\0');
  EXPECT_FALSE(ParseGoTraceHeader(std::vector<uint8_t>(s.begin(), s.end())).ok());
  EXPECT_FALSE(ParseGoTraceHeader(std::vector<uint8_t>(10, 'g')).ok());
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
  Bytes t = Header(25);
  for (uint64_t gen : {1, 2}) {
    Batch(t, gen, kNoThread, 900, Strings());
    Batch(t, gen, kNoThread, 900, Stacks());
    Batch(t, gen, kNoThread, 900, Sync(25));
    Batch(t, gen, kNoThread, 900, Samples());
    Bytes exp;
    exp.u8(0).uv(1).uv(2);
    t.u8(0x31).u8(1).uv(gen).uv(kNoThread).uv(900).uv(exp.size()).raw(exp.b);
  }
  auto in = InputSource::FromBytes("t.trace", t.b, "");
  auto p = ReadProfile(*in, {});
  ASSERT_OK(p);
  EXPECT_EQ(p->samples.size(), 4u);
  GoTraceStats stats;
  ASSERT_OK(Read(t, &stats));
  EXPECT_EQ(stats.generations, 2);
  EXPECT_EQ(stats.skipped_experimental_batches, 2);
}

TEST(GoTraceV2Test, ActiveRangesFromBeforeTheTraceAreCutAtStart) {
  Bytes ev;
  ev.u8(25).uv(1).uv(7).uv(1).uv(2);  // GoStatus g=7 running
  ev.u8(28).uv(1).uv(2);              // GCActive seq=2
  ev.u8(34).uv(1).uv(7);              // GCMarkAssistActive g=7
  ev.u8(36).uv(5);                    // GCMarkAssistEnd (g=7)
  ev.u8(30).uv(5).uv(2);              // GCEnd seq=2
  Bytes t = Header(26);
  Batch(t, 1, kNoThread, 900, Strings());
  Batch(t, 1, kNoThread, 900, Sync(26));
  Batch(t, 1, 1, 1000, ev);
  t.u8(0x34);
  GoTraceStats stats;
  auto p = Read(t, &stats);
  ASSERT_OK(p);
  EXPECT_EQ(stats.gc.completed, 0);
  EXPECT_EQ(stats.gc.cut_at_start, 1);
  EXPECT_EQ(stats.assist.cut_at_start, 1);
  ASSERT_EQ(p->timeline.gc_cycles.size(), 1u);
  EXPECT_EQ(p->timeline.gc_cycles[0].start_ns, kNoTime);
  EXPECT_EQ(p->timeline.gc_cycles[0].seq, 2);
}

void ExpectErrorAt(const Bytes& t, uint64_t offset, const std::string& words) {
  EXPECT_ERROR_AT(Read(t), offset, words);
}

TEST(GoTraceV2Test, BadInputNamesTheOffset) {
  ExpectErrorAt(Header(24), 0, "unsupported Go execution trace version");
  Bytes wrong = ValidV2();
  wrong.b[3] = '2';
  ExpectErrorAt(wrong, 0, "not a Go execution trace header");
  ExpectErrorAt(Header(26), 16, "no generations");

  // Over-long varint in the first batch header's generation field.
  Bytes longvar = Header(26);
  longvar.u8(0x01);
  for (int i = 0; i < 11; ++i) longvar.u8(0x80);
  ExpectErrorAt(longvar, 17, "varint");

  // A byte that starts no batch.
  Bytes nobatch = Header(26);
  nobatch.u8(0x07);
  ExpectErrorAt(nobatch, 16, "expected a batch header");

  // Batch size over the runtime's 64 KiB limit.
  Bytes big = Header(26);
  big.u8(0x01).uv(1).uv(1).uv(1).uv(1 << 20);
  ExpectErrorAt(big, 20, "exceeds the maximum");

  // An unknown event type inside an event batch.
  Bytes unk = Header(26);
  Batch(unk, 1, kNoThread, 900, Sync(26));
  Bytes ev;
  ev.u8(60).uv(1);
  const uint64_t ev_offset = unk.size() + 6;  // 0x01, gen, m, time (2 bytes), size
  Batch(unk, 1, 1, 900, ev);
  unk.u8(0x34);
  ExpectErrorAt(unk, ev_offset, "unknown or misplaced event type 60");

  // A CPU sample naming a stack the generation does not have.
  Bytes nostack = Header(26);
  Batch(nostack, 1, kNoThread, 900, Sync(26));
  const uint64_t samples_data = nostack.size() + 1 + 1 + 10 + 2 + 1;
  Batch(nostack, 1, kNoThread, 900, Samples(/*stack=*/99));
  nostack.u8(0x34);
  ExpectErrorAt(nostack, samples_data + 1, "stack id 99");

  // A stack frame whose function name is not in the string table.
  Bytes nostr = Header(26);
  Batch(nostr, 1, kNoThread, 900, Strings());
  const uint64_t stacks_data = nostr.size() + 1 + 1 + 10 + 2 + 1;
  Batch(nostr, 1, kNoThread, 900, Stacks(/*func_id=*/77));
  Batch(nostr, 1, kNoThread, 900, Sync(26));
  Batch(nostr, 1, kNoThread, 900, Samples());
  nostr.u8(0x34);
  ExpectErrorAt(nostr, stacks_data + 4, "string id 77");

  // Generations out of order (1.25: no end markers).
  Bytes order = Header(25);
  Batch(order, 2, kNoThread, 900, Sync(25));
  const uint64_t second = order.size();
  Batch(order, 1, kNoThread, 900, Sync(25));
  ExpectErrorAt(order, second, "generations out of order");
  Bytes skip = Header(25);
  Batch(skip, 1, kNoThread, 900, Sync(25));
  const uint64_t third = skip.size();
  Batch(skip, 3, kNoThread, 900, Sync(25));
  ExpectErrorAt(skip, third, "generations out of order");

  // A generation with no frequency.
  Bytes nofreq = Header(26);
  Batch(nofreq, 1, kNoThread, 900, Strings());
  nofreq.u8(0x34);
  ExpectErrorAt(nofreq, 16, "no frequency");
}

TEST(GoTraceV2Test, EveryTruncationIsAnErrorWithAnOffset) {
  const Bytes full = ValidV2(26);
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut;
    cut.b.assign(full.b.begin(), full.b.begin() + static_cast<ptrdiff_t>(n));
    auto p = Read(cut);
    ASSERT_FALSE(p.ok()) << "prefix of " << n << " bytes";
    ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
    EXPECT_LE(*p.error().offset, n) << p.error().ToString();
  }
}

// --- Old format (docs/formats/go-trace.md#old-format-layout) -------------------------------------

// An event with `values` (timestamp delta first for timed events): inline when it has at most
// three, else length-prefixed (runtime traceEventLocked).
void V1Event(Bytes& t, uint8_t type, const std::vector<uint64_t>& values) {
  if (values.size() <= 3) {
    t.u8(static_cast<uint8_t>(type | (values.size() - 1) << 6));
    for (uint64_t v : values) t.uv(v);
    return;
  }
  Bytes args;
  for (uint64_t v : values) args.uv(v);
  t.u8(static_cast<uint8_t>(type | 3 << 6)).uv(args.size()).raw(args.b);
}

// `padding` unused strings of `padding_len` bytes go first, to make the trace span several of
// the reader's 4 MiB windows.
Bytes ValidV1(int minor = 21, int padding = 0, size_t padding_len = 0) {
  Bytes t = Header(minor);
  for (int i = 0; i < padding; ++i) t.u8(37).uv(1000 + i).str(std::string(padding_len, 'x'));
  for (auto [id, s] : std::vector<std::pair<int, std::string>>{
           {1, "main.f"}, {2, "main.go"}, {3, "runtime.mallocgc"}}) {
    t.u8(37).uv(id).str(s);
  }
  V1Event(t, 1, {0, 1000});                             // Batch p=0 ticks=1000
  V1Event(t, 5, {1, 5});                                // 1001 ProcStart thread=5
  V1Event(t, 14, {1, 7, 1});                            // 1002 GoStart g=7
  V1Event(t, 7, {10, 3, 1});                            // 1012 GCStart seq=3 stack=1
  V1Event(t, 43, {10, 1});                              // 1022 GCMarkAssistStart stack=1
  V1Event(t, 44, {100});                                // 1122 GCMarkAssistDone
  V1Event(t, 9, {10, minor >= 21 ? 1u : 0u});           // 1132 STW "GC mark termination"
  V1Event(t, 10, {20});                                 // 1152 STWDone
  V1Event(t, 8, {50});                                  // 1202 GCDone
  V1Event(t, 33, {1, 4096});                            // 1203 HeapAlloc
  V1Event(t, 34, {1, 8192});                            // 1204 HeapGoal
  if (minor >= 19) V1Event(t, 49, {0, 1500, 0, 7, 1});  // CPU sample realTs=1500
  V1Event(t, 2, {1'000'000'000});                       // Frequency
  V1Event(t, 3, {1, 2, 0x1000, 3, 2, 10, 0x2000, 1, 2, 20});
  return t;
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
  Bytes unk = Header(21);
  V1Event(unk, 1, {0, 1000});
  const uint64_t at = unk.size();
  unk.u8(55).uv(1);
  ExpectErrorAt(unk, at, "unknown event type 55");

  // CPU samples do not exist in 1.11 traces.
  Bytes gated = Header(11);
  V1Event(gated, 1, {0, 1000});
  V1Event(gated, 49, {0, 1500, 0, 7, 1});
  ExpectErrorAt(gated, 20, "unknown event type 49");

  Bytes longvar = Header(21);
  longvar.u8(0x41);
  for (int i = 0; i < 11; ++i) longvar.u8(0xff);
  ExpectErrorAt(longvar, 17, "varint");

  Bytes orphan = Header(21);
  V1Event(orphan, 5, {1, 5});
  ExpectErrorAt(orphan, 16, "before the first batch");

  Bytes arity = Header(21);
  V1Event(arity, 1, {0, 1000});
  V1Event(arity, 7, {10, 3});  // GCStart without its stack id
  ExpectErrorAt(arity, 20, "has 2 values, want 3");

  Bytes nofreq = ValidV1();
  nofreq.b.resize(nofreq.size() - 20);  // drop Frequency (6 bytes) and the stack (14)
  auto p = Read(nofreq);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("no frequency"), std::string::npos);

  // A stack frame naming a string the trace does not have.
  Bytes nostr = ValidV1();
  nostr.b.resize(nostr.size() - 14);  // drop the stack table
  const uint64_t stack_at = nostr.size();
  V1Event(nostr, 3, {1, 1, 0x1000, 77, 2, 10});
  ExpectErrorAt(nostr, stack_at, "string id 77");
}

TEST(GoTraceV1Test, EveryTruncationFailsCleanly) {
  const Bytes full = ValidV1(21);
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut;
    cut.b.assign(full.b.begin(), full.b.begin() + static_cast<ptrdiff_t>(n));
    auto p = Read(cut);
    if (p.ok()) continue;  // cut exactly after a complete event with the tables already read
    ASSERT_TRUE(p.error().offset.has_value()) << p.error().ToString();
    EXPECT_LE(*p.error().offset, n) << p.error().ToString();
  }
}

}  // namespace
}  // namespace gcspike
