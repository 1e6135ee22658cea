// The structure-aware mutator of go_trace_fuzzer, for both trace formats (go_trace_walk.h).
// Generation format: duplicate a generation's batches (as the same generation, or as new
// generations after the last: many generations from a small input), drop, swap or cut at
// batches, change a batch's generation, thread, time or kind, or a uvarint inside its data.
// Old format: change an event's argument or type, deepen a stack, duplicate a batch of events
// or single events (strings and stacks defined twice), drop, swap or cut at events. Encoding
// recomputes lengths, so the result stays framed unless the mutation is about framing. Half of
// the calls (and all with GCSPIKE_FUZZ_BYTES_ONLY=1) are libFuzzer's byte-level mutation.
#include <algorithm>
#include <cstring>

#include "core/byte_cursor.h"
#include "tests/fuzz/go_trace_walk.h"
#include "tests/fuzz/mutation.h"

namespace gcspike::fuzz {
namespace {

template <typename T>
void Reorder(std::vector<T>& v, Rng& rng) {
  if (v.empty()) return;
  const size_t i = rng.Below(v.size()), j = rng.Below(v.size());
  switch (rng.Below(4)) {
    case 0:
      v.erase(v.begin() + static_cast<ptrdiff_t>(i));
      break;
    case 1:
      std::swap(v[i], v[j]);
      break;
    case 2:
      v.resize(i);
      break;  // cut at a boundary
    default:
      v.insert(v.begin() + static_cast<ptrdiff_t>(j), 1 + rng.Below(8), v[i]);
  }
}

void DuplicateGeneration(std::vector<Batch>& batches, Rng& rng) {
  if (batches.empty()) return;
  const uint64_t gen = batches[rng.Below(batches.size())].generation;
  uint64_t last = 0;
  std::vector<Batch> one;
  for (const Batch& b : batches) {
    last = std::max(last, b.generation);
    if (b.generation == gen && !b.marker()) one.push_back(b);
  }
  const bool same = rng.OneIn(4);
  const size_t copies = 1 + rng.Below(rng.OneIn(16) ? 32 : 3);
  for (size_t k = 1; k <= copies; ++k) {
    for (Batch b : one) {
      if (!same) b.generation = last + k;
      batches.push_back(std::move(b));
    }
    if (batches.front().generation != 0 || rng.OneIn(2)) {
      batches.push_back(Batch{go_trace::v2::kEvEndOfGeneration, 0, 0, 0, 0, {}});
    }
  }
}

void MutateDataVarint(std::vector<uint8_t>& data, Rng& rng) {
  if (data.empty()) return;
  const size_t at = rng.Below(data.size());
  if (at == 0 && rng.OneIn(2)) {   // the batch kind: strings, stacks, CPU samples, frequency
    using namespace go_trace::v2;  // NOLINT(build/namespaces)
    static constexpr uint8_t kKinds[] = {kEvStacks, kEvStack,      kEvStrings,
                                         kEvString, kEvCPUSamples, kEvFrequency,
                                         kEvSync,   kEvNone,       0xff};
    data[0] = kKinds[rng.Below(std::size(kKinds))];
    return;
  }
  ByteCursor c(std::span<const uint8_t>(data).subspan(at));
  uint64_t v = 0;
  if (!c.try_uvarint(v)) return;
  std::vector<uint8_t> repl;
  PutUvarint(repl, rng.Interesting(v));
  data.erase(data.begin() + static_cast<ptrdiff_t>(at),
             data.begin() + static_cast<ptrdiff_t>(at + c.pos()));
  data.insert(data.begin() + static_cast<ptrdiff_t>(at), repl.begin(), repl.end());
}

void MutateBatches(std::vector<Batch>& batches, Rng& rng) {
  if (batches.empty()) return;
  Batch& b = batches[rng.Below(batches.size())];
  switch (rng.Below(5)) {
    case 0:
      DuplicateGeneration(batches, rng);
      break;
    case 1:
      Reorder(batches, rng);
      break;
    case 2:
      MutateDataVarint(b.data, rng);
      break;
    case 3: {
      uint64_t* fields[] = {&b.generation, &b.thread, &b.time};
      uint64_t& f = *fields[rng.Below(3)];
      f = rng.Interesting(f);
      break;
    }
    default: {
      using namespace go_trace::v2;  // NOLINT(build/namespaces)
      static constexpr uint8_t kLeads[] = {kEvEventBatch, kEvExperimentalBatch, kEvEndOfGeneration,
                                           0};
      b.lead = kLeads[rng.Below(std::size(kLeads))];
    }
  }
}

// Events from the n-th Batch event up to the next one.
void DuplicateOldBatch(std::vector<OldEvent>& events, Rng& rng) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].type() == go_trace::v1::kEvBatch) starts.push_back(i);
  }
  if (starts.empty()) return;
  const size_t k = rng.Below(starts.size());
  const size_t end = k + 1 < starts.size() ? starts[k + 1] : events.size();
  const std::vector<OldEvent> batch(events.begin() + static_cast<ptrdiff_t>(starts[k]),
                                    events.begin() + static_cast<ptrdiff_t>(end));
  for (size_t n = 1 + rng.Below(4); n > 0; --n) {
    events.insert(events.begin() + static_cast<ptrdiff_t>(starts[rng.Below(starts.size())]),
                  batch.begin(), batch.end());
  }
}

void MutateOldEvents(std::vector<OldEvent>& events, Rng& rng) {
  if (events.empty()) return;
  OldEvent& e = events[rng.Below(events.size())];
  switch (rng.Below(5)) {
    case 0:
      DuplicateOldBatch(events, rng);
      break;
    case 1:
      Reorder(events, rng);
      break;
    case 2:  // another type, the same arguments
      e.lead = static_cast<uint8_t>((e.lead & ~go_trace::v1::kTypeMask) |
                                    rng.Below(go_trace::v1::kEvCount + 2));
      break;
    case 3: {  // a deeper stack (Stack: id, n, n x {pc, func, file, line}) or one more argument
      constexpr size_t kFrame = go_trace::v1::kValuesPerFrame;
      if (e.type() == go_trace::v1::kEvStack && e.args.size() >= 2 + kFrame) {
        for (size_t n = 1 + rng.Below(rng.OneIn(8) ? 200 : 16); n > 0; --n) {
          e.args.insert(e.args.end(), e.args.end() - kFrame, e.args.end());
        }
        e.args[1] = rng.OneIn(4) ? rng.Interesting(e.args[1]) : (e.args.size() - 2) / kFrame;
      } else {
        e.args.push_back(rng.Interesting());
      }
      break;
    }
    default:
      if (!e.args.empty()) {
        uint64_t& a = e.args[rng.Below(e.args.size())];
        a = rng.Interesting(a);
      }
  }
}

std::optional<std::vector<uint8_t>> Mutate(std::span<const uint8_t> data, Rng& rng) {
  GoTrace t;
  if (!WalkGoTrace(data, &t)) return std::nullopt;
  for (size_t n = 1 + rng.Below(3); n > 0; --n) {
    if (t.generations) {
      MutateBatches(t.batches, rng);
    } else {
      MutateOldEvents(t.events, rng);
    }
  }
  return EncodeGoTrace(t);
}

// Batches (or events) of the second trace spliced into the first, when both have one format.
std::optional<std::vector<uint8_t>> CrossOver(std::span<const uint8_t> first,
                                              std::span<const uint8_t> second, Rng& rng) {
  GoTrace a, b;
  if (!WalkGoTrace(first, &a) || !WalkGoTrace(second, &b) || a.generations != b.generations) {
    return std::nullopt;
  }
  auto splice = [&rng](auto& into, const auto& from) {
    if (from.empty()) return;
    const size_t i = rng.Below(from.size()), n = 1 + rng.Below(from.size() - i);
    into.insert(into.begin() + static_cast<ptrdiff_t>(rng.Below(into.size() + 1)),
                from.begin() + static_cast<ptrdiff_t>(i),
                from.begin() + static_cast<ptrdiff_t>(i + n));
  };
  splice(a.batches, b.batches);
  splice(a.events, b.events);
  return EncodeGoTrace(a);
}

}  // namespace
}  // namespace gcspike::fuzz

GCSPIKE_FUZZ_MUTATOR(gcspike::fuzz::Mutate, gcspike::fuzz::CrossOver)
