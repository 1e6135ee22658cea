#include "formats/go_trace_profile_builder.h"

#include <algorithm>

namespace gcspike {
namespace {

// The leaf of every assist-begin stack is the tracer's own hook
// (docs/formats/go-runtime.md#mark-assists); it says nothing about who allocated, so the assist
// profile drops it.
bool IsAssistTraceHook(std::string_view fn) {
  return fn == "runtime.traceGCMarkAssistStart" || fn == "runtime.traceLocker.GCMarkAssistStart";
}

void SortTimeline(Timeline& t) {
  auto by_start = [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; };
  std::stable_sort(t.gc_cycles.begin(), t.gc_cycles.end(), by_start);
  std::stable_sort(t.pauses.begin(), t.pauses.end(), by_start);
  std::stable_sort(t.assists.begin(), t.assists.end(), by_start);
  std::sort(t.blocking.begin(), t.blocking.end(),
            [](const BlockingEvent& a, const BlockingEvent& b) {
              return a.goroutine != b.goroutine ? a.goroutine < b.goroutine : a.ts_ns < b.ts_ns;
            });
}

// The start times of the GC cycles that began within the trace, in order.
std::vector<int64_t> GcCycleStarts(const Timeline& t) {
  std::vector<int64_t> cycle_starts;
  for (const GcCycle& c : t.gc_cycles) {
    if (c.start_ns != kNoTime) cycle_starts.push_back(c.start_ns);
  }
  return cycle_starts;
}

}  // namespace

GoTraceProfileBuilder::GoTraceProfileBuilder(Profile& profile, Options options)
    : p_(profile), options_(options), builder_(profile) {
  p_.sample_types = {{p_.Intern("samples"), p_.Intern("count")},
                     {p_.Intern("cpu"), p_.Intern("nanoseconds")}};
  p_.period_type = {p_.Intern("cpu"), p_.Intern("nanoseconds")};
  p_.period = options_.sample_period_ns;
  key_timestamp_ = p_.Intern("timestamp_ns");
  key_goroutine_ = p_.Intern("goroutine");
  key_gc_cycle_ = p_.Intern("gc_cycle");
  unit_ns_ = p_.Intern("nanoseconds");
  unit_goroutine_ = p_.Intern("goroutine");
  unit_count_ = p_.Intern("count");
}

uint64_t GoTraceProfileBuilder::InternFrame(uint64_t pc, std::string_view function,
                                            std::string_view file, int64_t line) {
  Line l;
  l.function_id = builder_.InternFunction(function, file);
  l.line = line;
  return builder_.InternLocation(0, pc, std::span<const Line>(&l, 1));
}

void GoTraceProfileBuilder::AddCpuSample(int64_t ts_ns, int64_t goroutine,
                                         std::vector<uint64_t> location_ids) {
  ++stats_.cpu_samples;
  Sample s;
  s.location_ids = std::move(location_ids);
  s.values = {1, options_.sample_period_ns};
  s.labels = TimeAndGoroutine(ts_ns, goroutine);
  stack_bytes_ += sizeof(uint64_t) * s.location_ids.size();
  p_.samples.push_back(std::move(s));
}

Status GoTraceProfileBuilder::CheckBudget(uint64_t table_bytes, const char* tables, uint64_t budget,
                                          uint64_t offset) const {
  const uint64_t bytes = ModelBytes() + table_bytes;
  if (bytes <= budget) return {};
  return MakeErrorAt(offset, "the profile and timeline built so far, with " + std::string(tables) +
                                 " tables, take about " + std::to_string(bytes) +
                                 " bytes of memory, more than the memory budget of " +
                                 std::to_string(budget) + " bytes; --max-memory raises it");
}

uint64_t GoTraceProfileBuilder::ModelBytes() const {
  constexpr uint64_t kAllocation = 16;  // a heap allocation's bookkeeping, roughly
  constexpr uint64_t kIndexEntry = 64;  // a hash or tree node
  const Timeline& t = p_.timeline;
  uint64_t bytes = stack_bytes_;
  bytes += p_.samples.capacity() * sizeof(Sample) +
           p_.samples.size() * (3 * kAllocation + 2 * sizeof(int64_t) + 2 * sizeof(Label));
  bytes += (t.heap_alloc.capacity() + t.heap_goal.capacity()) * sizeof(HeapPoint);
  bytes += t.gc_cycles.capacity() * sizeof(GcCycle) + t.pauses.capacity() * sizeof(StwPause);
  bytes += t.assists.capacity() * sizeof(AssistInterval) + t.assists.size() * kAllocation;
  bytes += p_.locations.capacity() * sizeof(Location) +
           p_.locations.size() * (kAllocation + sizeof(Line) + kIndexEntry);
  bytes += p_.functions.capacity() * sizeof(Function) + p_.functions.size() * kIndexEntry;
  bytes += open_.size() * (sizeof(OpenRange) + kIndexEntry);
  return bytes;
}

TraceRangeCounts& GoTraceProfileBuilder::Counts(TraceRangeKind kind) {
  switch (kind) {
    case TraceRangeKind::kGc:
      return stats_.gc;
    case TraceRangeKind::kStw:
      return stats_.stw;
    case TraceRangeKind::kAssist:
      break;
  }
  return stats_.assist;
}

void GoTraceProfileBuilder::RangeBegin(TraceRangeKind kind, StrId name, int64_t scope,
                                       int64_t ts_ns, std::vector<uint64_t> stack, int64_t seq) {
  ++Counts(kind).begin_events;
  OpenRange& r = open_[RangeKey{static_cast<int>(kind), name, scope}];
  r.by_begin = true;
  r.start_ns = ts_ns;
  r.seq = seq;
  stack_bytes_ += sizeof(uint64_t) * stack.size();
  r.stack = std::move(stack);
}

void GoTraceProfileBuilder::RangeActive(TraceRangeKind kind, StrId name, int64_t scope,
                                        int64_t ts_ns, int64_t seq) {
  ++Counts(kind).active_events;
  auto [it, inserted] = open_.try_emplace(RangeKey{static_cast<int>(kind), name, scope});
  if (inserted) {
    it->second.by_begin = false;
    it->second.start_ns = kNoTime;  // it began before the trace did
    it->second.seq = seq;
  }
}

void GoTraceProfileBuilder::RangeEnd(TraceRangeKind kind, StrId name, int64_t scope, int64_t ts_ns,
                                     int64_t seq) {
  TraceRangeCounts& c = Counts(kind);
  ++c.end_events;
  auto it = open_.find(RangeKey{static_cast<int>(kind), name, scope});
  const OpenRange* open = it == open_.end() ? nullptr : &it->second;
  if (open != nullptr && open->by_begin) {
    ++c.completed;
    if (kind == TraceRangeKind::kStw) ++stats_.stw_by_reason[p_.str(name)];
  } else {
    ++c.cut_at_start;
  }
  Close(kind, name, scope, open, ts_ns, seq);
  if (open != nullptr) open_.erase(it);
}

void GoTraceProfileBuilder::Close(TraceRangeKind kind, StrId name, int64_t scope,
                                  const OpenRange* open, int64_t end_ns, int64_t seq) {
  const int64_t start = open != nullptr && open->by_begin ? open->start_ns : kNoTime;
  switch (kind) {
    case TraceRangeKind::kGc: {
      GcCycle c;
      c.seq = open != nullptr && open->seq != 0 ? open->seq : seq;
      c.start_ns = start;
      c.end_ns = end_ns;
      p_.timeline.gc_cycles.push_back(c);
      break;
    }
    case TraceRangeKind::kStw: {
      StwPause s;
      s.kind = name;
      s.start_ns = start;
      s.end_ns = end_ns;
      p_.timeline.pauses.push_back(s);
      break;
    }
    case TraceRangeKind::kAssist: {
      AssistInterval a;
      a.goroutine = scope;
      a.start_ns = start;
      a.end_ns = end_ns;
      if (open != nullptr) a.stack = open->stack;
      p_.timeline.assists.push_back(std::move(a));
      break;
    }
  }
}

void GoTraceProfileBuilder::Blocking(int64_t goroutine, int64_t ts_ns) {
  if (goroutine <= 0) return;
  std::vector<BlockingEvent>& v = p_.timeline.blocking;
  if (v.size() >= kMaxBlockingEvents) {
    ++p_.timeline.blocking_dropped;
    return;
  }
  v.push_back({goroutine, ts_ns});
}

std::vector<Label> GoTraceProfileBuilder::TimeAndGoroutine(int64_t ts_ns, int64_t goroutine) const {
  Label ts;
  ts.key = key_timestamp_;
  ts.num = ts_ns;
  ts.num_unit = unit_ns_;
  ts.numeric = true;
  Label g = ts;
  g.key = key_goroutine_;
  g.num = goroutine;
  g.num_unit = unit_goroutine_;
  return {ts, g};
}

void GoTraceProfileBuilder::CloseOpenRanges() {
  // Ranges still open at the end: begun in the trace (unfinished) or never begun in it
  // (whole_trace); both go into the timeline with no end.
  for (auto& [key, open] : open_) {
    const auto kind = static_cast<TraceRangeKind>(std::get<0>(key));
    ++(open.by_begin ? Counts(kind).unfinished : Counts(kind).whole_trace);
    Close(kind, std::get<1>(key), std::get<2>(key), &open, kNoTime, open.seq);
  }
  open_.clear();
}

// gc_cycle: how many GC mark phases had begun (within the trace) at the sample's time; 0
// before the first. A count rather than the runtime's sequence number, which the new format
// advances on every GC event, not once per cycle.
Label GoTraceProfileBuilder::GcCycleLabel(const std::vector<int64_t>& cycle_starts,
                                          int64_t ts_ns) const {
  Label l;
  l.key = key_gc_cycle_;
  l.num = std::upper_bound(cycle_starts.begin(), cycle_starts.end(), ts_ns) - cycle_starts.begin();
  l.num_unit = unit_count_;
  l.numeric = true;
  return l;
}

size_t GoTraceProfileBuilder::LeadingAssistHooks(const std::vector<uint64_t>& stack) const {
  size_t skip = 0;
  while (skip < stack.size()) {
    const Location& loc = p_.location(stack[skip]);
    if (loc.lines.empty()) break;
    const Function& fn = p_.function(loc.lines[0].function_id);
    if (!IsAssistTraceHook(p_.str(fn.name))) break;
    ++skip;
  }
  return skip;
}

// Mark-assist wall time, attributed to the stack that began the assist: how long allocating
// goroutines were drafted into marking, and by which allocation site.
void GoTraceProfileBuilder::AddAssistSamples(const std::vector<int64_t>& cycle_starts,
                                             int64_t min_ts_ns, int64_t max_ts_ns) {
  p_.sample_types.push_back({p_.Intern("mark_assist_wall"), unit_ns_});
  p_.default_sample_type = p_.Intern("cpu");
  for (Sample& s : p_.samples) s.values.push_back(0);
  for (const AssistInterval& a : p_.timeline.assists) {
    const int64_t start = a.start_ns == kNoTime ? min_ts_ns : a.start_ns;
    const int64_t end = a.end_ns == kNoTime ? max_ts_ns : a.end_ns;
    if (end < start) continue;
    Sample s;
    const size_t skip = LeadingAssistHooks(a.stack);
    s.location_ids.assign(a.stack.begin() + static_cast<ptrdiff_t>(skip), a.stack.end());
    s.values = {0, 0, end - start};
    s.labels = TimeAndGoroutine(start, a.goroutine);
    s.labels.push_back(GcCycleLabel(cycle_starts, start));
    p_.samples.push_back(std::move(s));
  }
}

void GoTraceProfileBuilder::Finish(int64_t min_ts_ns, int64_t max_ts_ns) {
  CloseOpenRanges();
  SortTimeline(p_.timeline);
  const std::vector<int64_t> cycle_starts = GcCycleStarts(p_.timeline);
  for (Sample& s : p_.samples) s.labels.push_back(GcCycleLabel(cycle_starts, s.labels[0].num));
  if (options_.assist_profile) AddAssistSamples(cycle_starts, min_ts_ns, max_ts_ns);
  if (max_ts_ns > min_ts_ns) p_.duration_nanos = max_ts_ns - min_ts_ns;
}

}  // namespace gcspike
