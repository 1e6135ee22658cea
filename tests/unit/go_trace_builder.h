// Typed builders for Go execution traces in tests, both formats, spelled with the trace ABI's
// names (formats/go_trace_abi.h). Every writer returns the absolute offset of the first byte it
// wrote, so a malformed-input test computes the offset it expects from what it built.
//
//   GoTraceV2Builder t(26);                       // the generation format, "go 1.26 trace"
//   GoTraceV2Data strings = GoTraceV2Data::Strings();
//   strings.String(1, "main.f");
//   t.Batch(1, v2::kNoThread, 900, strings);      // -> offsets of its lead byte and its data
//   GoTraceV2Data ev = GoTraceV2Data::Events();
//   ev.Event(v2::kEvGCBegin, {10, 3, 1});         // [dt, seq, stack]; the count is checked
//   t.EndOfGeneration();
//
//   GoTraceV1Builder o(21);                       // the old format, "go 1.21 trace"
//   o.Event(v1::kEvBatch, {0, 1000});             // [p, ticks]; inline or length-prefixed
//   o.Stack(1, {{0x1000, 3, 2, 10}});
//
// Layouts: docs/formats/go-trace.md#generation-format-layout, #old-format-event-encoding.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "formats/go_trace_abi.h"

namespace gcspike::testing {

namespace v1 = go_trace::v1;
namespace v2 = go_trace::v2;

// Trace bytes under construction, placed at `base` in the whole input; each writer returns the
// absolute offset of its first byte.
class GoTraceBytes {
 public:
  explicit GoTraceBytes(size_t base = 0) : base_(base) {}
  size_t u8(uint8_t v) {
    const size_t at = offset();
    b.push_back(v);
    return at;
  }
  size_t uv(uint64_t v) {
    const size_t at = offset();
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v != 0) byte |= 0x80;
      b.push_back(byte);
    } while (v != 0);
    return at;
  }
  size_t uvs(std::initializer_list<uint64_t> vs) { return uvs(std::vector<uint64_t>(vs)); }
  size_t uvs(const std::vector<uint64_t>& vs) {
    const size_t at = offset();
    for (uint64_t v : vs) uv(v);
    return at;
  }
  // A uvarint length, then the text.
  size_t str(std::string_view s) {
    const size_t at = uv(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return at;
  }
  size_t raw(const std::vector<uint8_t>& v) {
    const size_t at = offset();
    b.insert(b.end(), v.begin(), v.end());
    return at;
  }
  // The absolute offset of the next byte.
  size_t offset() const { return base_ + b.size(); }
  size_t size() const { return b.size(); }
  std::vector<uint8_t> b;

 private:
  size_t base_;
};

// "go 1.`minor` trace" padded with NUL bytes (docs/formats/go-trace.md#header).
inline std::vector<uint8_t> GoTraceHeader(int minor) {
  std::string s = std::string(go_trace::kHeaderPrefix) + std::to_string(minor) +
                  std::string(go_trace::kHeaderSuffix);
  s.resize(go_trace::kHeaderSize, '\0');
  return std::vector<uint8_t>(s.begin(), s.end());
}

// One frame of a stack table entry.
struct GoTraceFrameSpec {
  uint64_t pc = 0, func = 0, file = 0, line = 0;
};

// --- Generation format ---------------------------------------------------------------------

// The data of one batch; offsets count from the data's first byte (add the batch's `data`
// offset for absolute ones).
class GoTraceV2Data {
 public:
  static GoTraceV2Data Strings() { return GoTraceV2Data(v2::kEvStrings); }
  static GoTraceV2Data Stacks() { return GoTraceV2Data(v2::kEvStacks); }
  static GoTraceV2Data CpuSamples() { return GoTraceV2Data(v2::kEvCPUSamples); }
  // A sync batch (1.25+) or, before, the lone frequency batch: Frequency(...) and
  // ClockSnapshot(...) follow.
  static GoTraceV2Data Sync(int minor) {
    return minor >= v2::kSyncBatchMinor ? GoTraceV2Data(v2::kEvSync) : GoTraceV2Data();
  }
  // A thread's timed events.
  static GoTraceV2Data Events() { return GoTraceV2Data(); }

  size_t String(uint64_t id, std::string_view s) {
    const size_t at = d.u8(v2::kEvString);
    d.uv(id);
    d.str(s);
    return at;
  }
  // A stack entry's id and frame count; its frames follow (Frame).
  size_t StackEntry(uint64_t id, uint64_t frames) {
    const size_t at = d.u8(v2::kEvStack);
    d.uvs({id, frames});
    return at;
  }
  size_t Frame(const GoTraceFrameSpec& f) { return d.uvs({f.pc, f.func, f.file, f.line}); }
  size_t Stack(uint64_t id, const std::vector<GoTraceFrameSpec>& frames) {
    const size_t at = StackEntry(id, frames.size());
    for (const GoTraceFrameSpec& f : frames) Frame(f);
    return at;
  }
  size_t CpuSample(uint64_t time, uint64_t m, uint64_t p, uint64_t g, uint64_t stack) {
    const size_t at = d.u8(v2::kEvCPUSample);
    d.uvs({time, m, p, g, stack});
    return at;
  }
  size_t Frequency(uint64_t ticks_per_second) {
    const size_t at = d.u8(v2::kEvFrequency);
    d.uv(ticks_per_second);
    return at;
  }
  size_t ClockSnapshot(uint64_t dt, uint64_t mono, uint64_t sec, uint64_t nsec) {
    const size_t at = d.u8(v2::kEvClockSnapshot);
    d.uvs({dt, mono, sec, nsec});
    return at;
  }
  // A timed event: its type and its values, the timestamp delta first; the count must be the
  // type's (v2::TimedArgCount). RawEvent writes any type and count.
  size_t Event(uint8_t type, std::initializer_list<uint64_t> values) {
    EXPECT_EQ(values.size(), v2::TimedArgCount(type)) << "event type " << int{type};
    return RawEvent(type, values);
  }
  size_t RawEvent(uint8_t type, std::initializer_list<uint64_t> values) {
    const size_t at = d.u8(type);
    d.uvs(values);
    return at;
  }

  GoTraceBytes d;

 private:
  GoTraceV2Data() = default;
  explicit GoTraceV2Data(uint8_t kind) { d.u8(kind); }
};

// Offsets of a batch written into a trace.
struct GoTraceBatchAt {
  size_t lead = 0;  // its first byte
  size_t size = 0;  // its size field
  size_t data = 0;  // its data's first byte
};

class GoTraceV2Builder {
 public:
  explicit GoTraceV2Builder(int minor) { t.raw(GoTraceHeader(minor)); }

  // `0x01 gen m time size`; `size` is the data's size, or (for a malformed trace) as given.
  GoTraceBatchAt BatchHeader(uint64_t gen, uint64_t m, uint64_t time, uint64_t size) {
    GoTraceBatchAt at;
    at.lead = t.u8(v2::kEvEventBatch);
    t.uvs({gen, m, time});
    at.size = t.uv(size);
    at.data = t.offset();
    return at;
  }
  GoTraceBatchAt Batch(uint64_t gen, uint64_t m, uint64_t time, const GoTraceV2Data& data) {
    GoTraceBatchAt at = BatchHeader(gen, m, time, data.d.size());
    t.raw(data.d.b);
    return at;
  }
  // `0x31 experiment gen m time size data` (1.23+).
  GoTraceBatchAt ExperimentalBatch(uint8_t experiment, uint64_t gen, uint64_t m, uint64_t time,
                                   const std::vector<uint8_t>& data) {
    GoTraceBatchAt at;
    at.lead = t.u8(v2::kEvExperimentalBatch);
    t.u8(experiment);
    t.uvs({gen, m, time});
    at.size = t.uv(data.size());
    at.data = t.raw(data);
    return at;
  }
  size_t EndOfGeneration() { return t.u8(v2::kEvEndOfGeneration); }

  const std::vector<uint8_t>& bytes() const { return t.b; }
  GoTraceBytes t;
};

// --- Old format ----------------------------------------------------------------------------

class GoTraceV1Builder {
 public:
  explicit GoTraceV1Builder(int minor) { t.raw(GoTraceHeader(minor)); }

  // An event of `type` with its values (the timestamp delta first for timed events): inline
  // when there are at most three, else length-prefixed (runtime traceEventLocked). The count
  // must be the type's (v1::kEventSpecs); RawEvent writes any count.
  size_t Event(uint8_t type, const std::vector<uint64_t>& values) {
    EXPECT_EQ(values.size(), v1::kEventSpecs[type].values) << "event type " << int{type};
    return RawEvent(type, values);
  }
  size_t RawEvent(uint8_t type, const std::vector<uint64_t>& values) {
    const size_t at = t.u8(v1::LeadByte(type, values.size()));
    if (values.size() >= 1 && values.size() <= v1::kMaxInlineValues) {
      t.uvs(values);
      return at;
    }
    GoTraceBytes area;
    area.uvs(values);
    t.uv(area.size());
    t.raw(area.b);
    return at;
  }
  // [id, len, bytes]: the lead byte is the bare type, as the runtime writes it.
  size_t String(uint64_t id, std::string_view s) {
    const size_t at = t.u8(v1::kEvString);
    t.uv(id);
    t.str(s);
    return at;
  }
  // [id, n, n × {pc, func, file, line}], leaf first.
  size_t Stack(uint64_t id, const std::vector<GoTraceFrameSpec>& frames) {
    std::vector<uint64_t> values{id, frames.size()};
    for (const GoTraceFrameSpec& f : frames)
      values.insert(values.end(), {f.pc, f.func, f.file, f.line});
    return RawEvent(v1::kEvStack, values);
  }

  const std::vector<uint8_t>& bytes() const { return t.b; }
  size_t size() const { return t.size(); }
  GoTraceBytes t;
};

}  // namespace gcspike::testing
