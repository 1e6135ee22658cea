#include "tests/fuzz/go_trace_walk.h"

#include <algorithm>
#include <cstdlib>

#include "core/byte_cursor.h"
#include "tests/fuzz/mutation.h"

namespace gcspike::fuzz {
namespace {

bool ReadText(ByteCursor& c, std::vector<uint8_t>* text) {
  uint64_t n = 0;
  ByteCursor s;
  if (!c.try_uvarint(n) || !c.try_sub(n, s)) return false;
  text->assign(s.rest().begin(), s.rest().end());
  return true;
}

bool ReadOldEvent(ByteCursor& c, OldEvent* e) {
  if (!c.try_u8(e->lead)) return false;
  uint64_t v = 0;
  if (e->type() == go_trace::v1::kEvString) {
    return c.try_uvarint(v) && (e->args.push_back(v), ReadText(c, &e->text));
  }
  const size_t count = e->value_count();
  if (count < go_trace::v1::kLengthPrefixed) {
    for (size_t i = 0; i <= count; ++i) {
      if (!c.try_uvarint(v)) return false;
      e->args.push_back(v);
    }
  } else {
    uint64_t n = 0;
    ByteCursor area;
    if (!c.try_uvarint(n) || !c.try_sub(n, area)) return false;
    while (!area.empty()) {
      if (!area.try_uvarint(v)) return false;
      e->args.push_back(v);
    }
  }
  return e->type() != go_trace::v1::kEvUserLog || ReadText(c, &e->text);
}

bool ReadBatch(ByteCursor& c, Batch* b) {
  if (!c.try_u8(b->lead)) return false;
  if (b->marker()) return true;
  if (b->lead != go_trace::v2::kEvEventBatch && b->lead != go_trace::v2::kEvExperimentalBatch)
    return false;
  if (b->lead == go_trace::v2::kEvExperimentalBatch && !c.try_u8(b->experiment)) return false;
  return c.try_uvarint(b->generation) && c.try_uvarint(b->thread) && c.try_uvarint(b->time) &&
         ReadText(c, &b->data);
}

void PutText(std::vector<uint8_t>& out, const std::vector<uint8_t>& text) {
  PutUvarint(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

void EncodeOldEvent(const OldEvent& e, std::vector<uint8_t>& out) {
  out.push_back(e.lead);
  if (e.type() == go_trace::v1::kEvString) {
    PutUvarint(out, e.args.empty() ? 0 : e.args[0]);
    PutText(out, e.text);
    return;
  }
  std::vector<uint8_t> args;
  for (uint64_t a : e.args) PutUvarint(args, a);
  if (e.value_count() == go_trace::v1::kLengthPrefixed) PutUvarint(out, args.size());
  out.insert(out.end(), args.begin(), args.end());
  if (e.type() == go_trace::v1::kEvUserLog) PutText(out, e.text);
}

}  // namespace

bool WalkGoTrace(std::span<const uint8_t> data, GoTrace* out) {
  *out = GoTrace{};
  if (data.size() < go_trace::kHeaderSize ||
      !std::equal(go_trace::kHeaderPrefix.begin(), go_trace::kHeaderPrefix.end(), data.begin())) {
    return false;
  }
  out->header.assign(data.begin(), data.begin() + go_trace::kHeaderSize);
  const int minor =
      std::atoi(reinterpret_cast<const char*>(data.data()) + go_trace::kHeaderPrefix.size());
  out->generations = minor >= go_trace::kFirstGenerationMinor;
  ByteCursor c(data.subspan(go_trace::kHeaderSize), go_trace::kHeaderSize);
  while (!c.empty()) {
    const bool whole = out->generations ? ReadBatch(c, &out->batches.emplace_back())
                                        : ReadOldEvent(c, &out->events.emplace_back());
    if (whole) continue;
    // A cut or damaged tail (a fixture cut to -max_len): the walk ends at the last whole one.
    if (out->generations) out->batches.pop_back();
    if (!out->generations) out->events.pop_back();
    break;
  }
  return true;
}

std::vector<uint8_t> EncodeGoTrace(const GoTrace& trace) {
  std::vector<uint8_t> out = trace.header;
  for (const OldEvent& e : trace.events) EncodeOldEvent(e, out);
  for (const Batch& b : trace.batches) {
    out.push_back(b.lead);
    if (b.marker()) continue;
    if (b.lead == go_trace::v2::kEvExperimentalBatch) out.push_back(b.experiment);
    PutUvarint(out, b.generation);
    PutUvarint(out, b.thread);
    PutUvarint(out, b.time);
    PutText(out, b.data);
  }
  return out;
}

}  // namespace gcspike::fuzz
