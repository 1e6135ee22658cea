#include "formats/perf_profile_assembler.h"

#include <algorithm>
#include <array>

#include "core/heap.h"
#include "formats/perf_event_abi.h"

namespace gcspike {

PerfProfileAssembler::PerfProfileAssembler(Profile& profile, ProfileBuilder& builder,
                                           PerfAddressSpace& space, PerfSymbolizer& symbolizer,
                                           bool spool)
    : profile_(profile), builder_(builder), space_(space), symbolizer_(symbolizer) {
  if (spool) spool_ = std::make_shared<SampleSpool>();
}

// Callchain (docs/formats/perf-data.md#callchains): markers switch kernel/user context and are
// not frames; the first entry repeats the sample IP; later entries are return addresses, except
// the first of each context (the user PC at which the kernel was entered).
void PerfProfileAssembler::BuildStack(const PerfAttr& attr, uint16_t misc, const PerfSample& s) {
  const bool sample_in_kernel = (misc & perf::misc::kCpumodeMask) == perf::misc::kKernel;
  // An empty branch stack leaves the callchain's user part standing.
  const bool lbr = s.has_branch_stack && s.branch_count != 0 &&
                   (attr.branch_sample_type & perf::attr::kBranchCallStack) != 0;
  std::vector<uint32_t>& refs = location_refs_;
  refs.clear();
  fp_user_ = true;
  bool kernel = sample_in_kernel;
  bool first = true;
  ByteCursor chain = s.callchain;
  for (uint64_t i = 0; i < s.callchain_size; ++i) {
    const uint64_t a = *chain.u64le();  // ReadPerfSample checked the size
    if (a >= perf::context::kMax) {
      if (a == perf::context::kKernel) kernel = true;
      if (a == perf::context::kUser && lbr) {
        fp_user_ = false;
        AppendBranchStack(s);
        break;
      }
      if (a == perf::context::kUser) kernel = false;
      // The first frame of each context is the interrupted PC, not a return address.
      first = true;
      continue;
    }
    if (kernel && !kernel_frames_) {
      kernel_frames_ = true;
      symbolizer_.PrefetchKernelSymbols();
    }
    refs.push_back(space_.CachedFrameRef(s.pid, a, kernel, !first));
    first = false;
  }
  if (s.has_stack_user) AppendUnwound(s);
  bool has_user_frame = false;
  for (uint32_t r : refs) has_user_frame |= !space_.frames()[r - 1].kernel;
  if (refs.empty() || (!has_user_frame && !sample_in_kernel && s.has_ip)) {
    // No callchain (or, in dwarf mode, only its kernel part): the IP is the user leaf; kernel
    // frames stay leaf-most.
    if (refs.empty() || !sample_in_kernel) {
      refs.push_back(space_.InternFrame(space_.MakeFrame(s.pid, s.ip, sample_in_kernel, false)));
    }
  }
}

// --call-graph lbr (docs/formats/perf-data.md#callchains): the user part of the stack is the
// branch stack of calls, the most recent first, as perf script builds it: the target of the
// latest call (the entry of the sampled function), then the call instructions, each the
// address of the call itself rather than a return address.
void PerfProfileAssembler::AppendBranchStack(const PerfSample& s) {
  ByteCursor entries = s.branches;
  std::vector<uint64_t> from(s.branch_count);
  uint64_t to = 0;
  for (uint64_t i = 0; i < s.branch_count; ++i) {
    from[i] = *entries.u64le();  // ReadPerfSample checked the size
    const uint64_t target = *entries.u64le();
    if (i == 0) to = target;
    (void)entries.skip(8);  // flags
  }
  location_refs_.push_back(space_.CachedFrameRef(s.pid, to, false, false));
  for (uint64_t a : from) location_refs_.push_back(space_.CachedFrameRef(s.pid, a, false, false));
}

// --call-graph dwarf (docs/formats/perf-data.md#sample-record-layout): the user registers and a
// copy of the top of the user stack, unwound here, at sample time, so the stack bytes are never
// kept.
void PerfProfileAssembler::AppendUnwound(const PerfSample& s) {
  ++dwarf_samples_;
  std::vector<uint32_t>& refs = location_refs_;
  bool callchain_has_user = false;
  for (uint32_t r : refs) callchain_has_user |= !space_.frames()[r - 1].kernel;
  // A user callchain recorded as well (perf record --user-callchains) is the stack already.
  if (callchain_has_user) {
    ++user_callchain_samples_;
    return;
  }
  fp_user_ = false;
  UnwindMethod method = UnwindMethod::kIpOnly;
  if (s.regs_user.Has(kPerfRegIp)) {
    std::vector<uint64_t>& pcs = unwound_pcs_;
    method = symbolizer_.UnwindUser(s.pid, s.regs_user, s.stack_user, &pcs);
    // Kernel frames (callchain) stay leaf-most; the user IP, then return addresses, follow.
    for (size_t i = 0; i < pcs.size(); ++i) {
      refs.push_back(space_.CachedFrameRef(s.pid, pcs[i], false, i != 0));
    }
  }
  ++unwound_by_[static_cast<size_t>(method)];
}

// docs/formats/perf-data.md#callchains: a function sampled where it has no frame leaves rbp
// its caller's, so the kernel's walk skipped that caller.
template <typename It>
std::pair<size_t, uint32_t> PerfProfileAssembler::FramelessCallerOf(It first, It last,
                                                                    int64_t samples) {
  const std::vector<PerfFrame>& frames = space_.frames();
  It leaf = first;
  while (leaf != last && frames[*leaf - 1].kernel) ++leaf;
  if (leaf == last || leaf + 1 == last) return {0, 0};
  const It next = leaf + 1;
  // The first of the user context is the interrupted PC, the next a return address.
  if (frames[*leaf - 1].caller || frames[*next - 1].kernel || !frames[*next - 1].caller) {
    return {0, 0};
  }
  const auto index = static_cast<size_t>(next - first);
  auto [slot, added] =
      frameless_callers_.try_emplace(uint64_t{static_cast<uint32_t>(*leaf)} << 32 | *next, 0);
  if (added) {
    // Copies: interning a frame may move the frames.
    const PerfFrame leaf_frame = frames[*leaf - 1];
    const PerfFrame next_frame = frames[*next - 1];
    if (const std::optional<RecoveredCaller> caller =
            symbolizer_.FramelessCaller(leaf_frame, next_frame)) {
      PerfFrame f = space_.MakeFrame(leaf_frame.pid, caller->entry, false, false);
      if (next_frame.mapping >= 0) {
        const PerfMapping& m = space_.mapping(static_cast<size_t>(next_frame.mapping));
        if (caller->entry - m.start < m.len) f.mapping = next_frame.mapping;
      }
      slot->second = space_.InternFrame(f) | uint64_t{static_cast<uint32_t>(caller->evidence)}
                                                 << 32;
    }
  }
  const auto ref = static_cast<uint32_t>(slot->second);
  if (ref != 0) recovered_by_[slot->second >> 32] += samples;
  return {index, ref};
}

void PerfProfileAssembler::RecoverFramelessCallers(size_t width) {
  // The samples of a stack: its records, of every event.
  auto samples = [](const int64_t* values, size_t n) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i += 2) sum += values[i];
    return sum;
  };
  if (spool_ == nullptr) {
    for (size_t i = 0; i < profile_.samples.size(); ++i) {
      if (!sample_fp_[i]) continue;
      Sample& s = profile_.samples[i];
      std::vector<uint64_t>& ids = s.location_ids;
      const auto [at, ref] =
          FramelessCallerOf(ids.begin(), ids.end(), samples(s.values.data(), s.values.size()));
      if (ref != 0) ids.insert(ids.begin() + static_cast<ptrdiff_t>(at), ref);
    }
    return;
  }
  // The insertions (stack, position in stack_refs_, ref) in order, then the refs moved up once.
  struct Insertion {
    size_t stack;
    uint64_t at;
    uint32_t ref;
  };
  std::vector<Insertion> insertions;
  const auto refs = stack_refs_.begin();
  for (size_t i = 0; i + 1 < stack_begin_.size(); ++i) {
    if (!stack_fp_[i]) continue;
    const auto [at, ref] = FramelessCallerOf(refs + static_cast<ptrdiff_t>(stack_begin_[i]),
                                             refs + static_cast<ptrdiff_t>(stack_begin_[i + 1]),
                                             samples(&stack_values_[i * width], width));
    if (ref != 0) insertions.push_back({i, stack_begin_[i] + at, ref});
  }
  if (insertions.empty()) return;
  size_t src = stack_refs_.size();
  stack_refs_.resize(src + insertions.size());
  size_t dst = stack_refs_.size();
  for (size_t j = insertions.size(); j-- > 0;) {
    const auto at = static_cast<ptrdiff_t>(insertions[j].at);
    std::move_backward(stack_refs_.begin() + at, stack_refs_.begin() + static_cast<ptrdiff_t>(src),
                       stack_refs_.begin() + static_cast<ptrdiff_t>(dst));
    dst -= src - insertions[j].at;
    stack_refs_[--dst] = insertions[j].ref;
    src = insertions[j].at;
  }
  // A stack starts as many refs later as there were insertions into the stacks before it.
  for (size_t i = 0, j = 0; i < stack_begin_.size(); ++i) {
    while (j < insertions.size() && insertions[j].stack < i) ++j;
    stack_begin_[i] += j;
  }
  model_bytes_ += 4 * insertions.size();
}

StrId PerfProfileAssembler::CommId(uint32_t pid, uint32_t tid) {
  if (names_generation_ != space_.names_generation()) {
    comm_id_by_tid_.clear();
    names_generation_ = space_.names_generation();
    last_comm_ = {};
  }
  // Consecutive records mostly come from one CPU's buffer, so one thread.
  if (last_comm_.has_value() && last_comm_->first == tid) return last_comm_->second;
  auto [cached, missing] = comm_id_by_tid_.try_emplace(tid, 0);
  if (missing) {
    if (const std::string* name = space_.ThreadName(pid, tid); name != nullptr) {
      Key(comm_key_, "comm");  // the key's string before the first name's
      cached->second = profile_.Intern(*name);
      model_bytes_ += 96 + name->size();  // the string and its index entry, at most
    }
  }
  last_comm_.emplace(tid, cached->second);
  return cached->second;
}

namespace {

// A Sample with its three allocations, its location ids, values and labels.
uint64_t SampleBytes(size_t frames, size_t values, size_t labels) {
  return sizeof(Sample) + 3 * 16 + 8 * frames + 8 * values + sizeof(Label) * labels;
}

// Everything BuildStack reads of a sample without a branch or user stack.
struct RawStackKey {
  uint64_t head[RawStackCache::kHeadWords];
  std::span<const uint8_t> chain;
};

RawStackKey KeyOf(uint16_t misc, const PerfSample& s) {
  RawStackKey k;
  k.head[0] = s.pid | uint64_t{static_cast<uint16_t>(misc & perf::misc::kCpumodeMask)} << 32 |
              uint64_t{s.has_ip} << 48;
  k.head[1] = s.has_ip ? s.ip : 0;
  if (s.has_callchain) k.chain = s.callchain.rest().first(s.callchain_size * 8);
  return k;
}

}  // namespace

uint64_t PerfProfileAssembler::RawStackHash(uint16_t misc, const PerfSample& s) {
  if (s.has_branch_stack || s.has_stack_user) return 0;
  const RawStackKey k = KeyOf(misc, s);
  return RawStackCache::Hash(k.head, k.chain);
}

uint32_t PerfProfileAssembler::StackOf(const PerfAttr& attr, uint16_t misc, const PerfSample& s,
                                       uint64_t hash, size_t width) {
  // A branch stack or a user stack (unwound here) makes more of the stack than the callchain.
  if (s.has_branch_stack || s.has_stack_user) {
    BuildStack(attr, misc, s);
    const uint32_t stack = InternStack(location_refs_, width);
    if (fp_user_) stack_fp_[stack] = true;
    return stack;
  }
  if (raw_stacks_layout_ != space_.layout_generation()) {
    raw_stacks_.Clear();
    raw_stacks_layout_ = space_.layout_generation();
  }
  const RawStackKey k = KeyOf(misc, s);
  if (const uint32_t stack = raw_stacks_.Find(hash, k.head, k.chain);
      stack != RawStackCache::kMissing) {
    return stack;
  }
  BuildStack(attr, misc, s);
  const uint32_t stack = InternStack(location_refs_, width);
  if (fp_user_) stack_fp_[stack] = true;
  raw_stacks_.Insert(hash, k.head, k.chain, stack);
  return stack;
}

Status PerfProfileAssembler::AddSample(std::span<const PerfAttr> attrs, size_t ai, uint16_t misc,
                                       const PerfSample& s, uint64_t record_at,
                                       uint64_t stack_hash) {
  const size_t width = attrs.size() * 2;
  uint32_t stack = 0;
  if (spool_ != nullptr) {
    stack = StackOf(attrs[ai], misc, s, stack_hash, width);
  } else {
    BuildStack(attrs[ai], misc, s);
  }
  // Values are signed (profile.proto int64): a period past 2^63 - 1 is corrupt, not a count.
  if (s.period > static_cast<uint64_t>(INT64_MAX)) {
    return MakeErrorAt(record_at, "SAMPLE record has period " + std::to_string(s.period) +
                                      ", beyond the largest value a profile holds (2^63 - 1)");
  }
  const auto period = static_cast<int64_t>(s.period);
  std::vector<int64_t>& values = record_values_;
  values.assign(width, 0);
  values[ai * 2] = 1;
  values[ai * 2 + 1] = period;
  // At most four labels (pid, tid, comm, timestamp_ns), in a fixed array: this is per record.
  std::array<Label, 4> labels;
  size_t n = 0;
  if (s.has_tid) {
    const StrId pid_key = Key(pid_key_, "pid");
    labels[n++] = {pid_key, 0, s.pid, pid_key, true};
    const StrId tid_key = Key(tid_key_, "tid");
    labels[n++] = {tid_key, 0, s.tid, tid_key, true};
    if (const StrId comm = CommId(s.pid, s.tid); comm != 0) {
      labels[n++] = {comm_key_, comm, 0, 0, false};
    }
  }
  if (s.has_time) {
    const auto t = static_cast<int64_t>(s.time);
    const StrId time_key = Key(time_key_, "timestamp_ns");
    labels[n++] = {time_key, 0, t, Key(ns_unit_, "nanoseconds"), true};
    first_time_ = std::min(first_time_, t);
    last_time_ = std::max(last_time_, t);
  }
  const std::span<const Label> record_labels(labels.data(), n);
  if (spool_ != nullptr) {
    int64_t* sums = &stack_values_[stack * width];
    sums[ai * 2] += 1;
    if (__builtin_add_overflow(sums[ai * 2 + 1], period, &sums[ai * 2 + 1])) {
      return MakeErrorAt(record_at,
                         "the periods of one stack's samples add up past 2^63 - 1 "
                         "at this SAMPLE record");
    }
    spool_->Append(stack, values, record_labels);
    return {};
  }
  model_bytes_ += SampleBytes(location_refs_.size(), width, record_labels.size());
  Sample sample;
  sample.location_ids.assign(location_refs_.begin(), location_refs_.end());
  sample.values = values;
  sample.labels.assign(record_labels.begin(), record_labels.end());
  profile_.samples.push_back(std::move(sample));
  sample_fp_.push_back(fp_user_);
  return {};
}

uint32_t PerfProfileAssembler::InternStack(std::span<const uint32_t> refs, size_t width) {
  uint64_t h = 0xcbf29ce484222325ULL ^ refs.size();
  for (uint32_t r : refs) h = (h ^ r) * 0x100000001b3ULL;
  auto [head, inserted] = stack_heads_.try_emplace(h, UINT32_MAX);
  for (uint32_t i = head->second; i != UINT32_MAX; i = stack_next_[i]) {
    const auto first = stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i]);
    const auto last = stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i + 1]);
    if (std::equal(first, last, refs.begin(), refs.end())) return i;
  }
  const auto index = static_cast<uint32_t>(stack_next_.size());
  // Its refs, start, values and chain link, a hash-table node, and its Sample later.
  model_bytes_ += 4 * refs.size() + 8 + 8 * width + 4 + 64 + SampleBytes(refs.size(), width, 0);
  stack_refs_.insert(stack_refs_.end(), refs.begin(), refs.end());
  stack_begin_.push_back(stack_refs_.size());
  stack_values_.resize(stack_values_.size() + width, 0);
  stack_next_.push_back(head->second);
  stack_fp_.push_back(false);
  head->second = index;
  return index;
}

void NamePerfEvents(std::vector<PerfAttr>& attrs,
                    const std::unordered_map<uint64_t, size_t>& attr_by_id,
                    const PerfHeaderInfo& header) {
  const std::span<const std::string> last = header.LastEventDescNames();
  if (last.size() == attrs.size()) {
    for (size_t i = 0; i < attrs.size(); ++i) attrs[i].name = last[i];
  }
  // One pass over the ids (an event with several takes the name of the last one seen).
  for (const auto& [id, index] : attr_by_id) {
    if (const std::string* n = header.EventDescName(id)) attrs[index].name = *n;
  }
  for (PerfAttr& a : attrs) {
    if (a.name.empty() && a.type == perf::attr_type::kTracepoint) {
      auto n = header.tracepoint_names.find(a.config);
      if (n != header.tracepoint_names.end()) a.name = n->second;
    }
    if (a.name.empty()) a.name = DefaultEventName(a);
  }
}

// Sample types: two per event (formats/perf_data_reader.h).
void PerfProfileAssembler::SetSampleTypes(const std::vector<PerfAttr>& attrs,
                                          const PerfHeaderInfo& header) {
  for (const PerfAttr& a : attrs) {
    const bool clock = a.type == perf::attr_type::kSoftware &&
                       (a.config == perf::sw::kCpuClock || a.config == perf::sw::kTaskClock);
    profile_.sample_types.push_back(
        {profile_.Intern(a.name + "_samples"), profile_.Intern("count")});
    profile_.sample_types.push_back(
        {profile_.Intern(a.name + "_period"), profile_.Intern(clock ? "nanoseconds" : "events")});
  }
  // Several events (-e cpu-clock -e sched:sched_switch): viewers show the first that samples
  // CPU time, not pprof's default last type (docs/formats/perf-data.md#event-names).
  size_t shown = 0;
  while (shown + 1 < attrs.size() && !IsCpuTimeEvent(attrs[shown].name)) ++shown;
  if (!IsCpuTimeEvent(attrs[shown].name)) shown = 0;
  shown_event_ = shown;
  profile_.period_type = profile_.sample_types[2 * shown + 1];
  if (attrs.size() > 1) profile_.default_sample_type = profile_.period_type.type;
  if ((attrs[shown].flags & perf::attr::kFlagFreq) == 0) {
    profile_.period = static_cast<int64_t>(attrs[shown].sample_period);
  }
  if (first_time_ <= last_time_) profile_.duration_nanos = last_time_ - first_time_;
  if (first_time_ <= last_time_ && header.clock_data.has_value()) {
    const auto [wall, clock] = *header.clock_data;
    profile_.time_nanos = static_cast<int64_t>(wall) + (first_time_ - static_cast<int64_t>(clock));
  }
}

// The location of every frame. The symbolizer (binaries, DWARF, kernel symbols) is released
// before the samples are built, so the two never take memory at once.
int64_t PerfProfileAssembler::MainMapping(size_t width) const {
  const std::vector<PerfFrame>& frames = space_.frames();
  std::vector<uint64_t> weight(space_.mapping_count());
  std::vector<size_t> last_stack(space_.mapping_count(), SIZE_MAX);
  auto count = [&](size_t stack, auto first, auto last, int64_t samples) {
    for (auto it = first; it != last; ++it) {
      const PerfFrame& f = frames[*it - 1];
      if (f.kernel || f.mapping < 0) continue;
      const auto m = static_cast<size_t>(f.mapping);
      if (last_stack[m] == stack) continue;
      last_stack[m] = stack;
      weight[m] += static_cast<uint64_t>(std::max<int64_t>(samples, 0));
    }
  };
  const size_t value = 2 * shown_event_;
  if (spool_ == nullptr) {
    for (size_t i = 0; i < profile_.samples.size(); ++i) {
      const Sample& s = profile_.samples[i];
      count(i, s.location_ids.begin(), s.location_ids.end(),
            value < s.values.size() ? s.values[value] : 0);
    }
  } else {
    for (size_t i = 0; i + 1 < stack_begin_.size(); ++i) {
      count(i, stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i]),
            stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i + 1]),
            stack_values_[i * width + value]);
    }
  }
  int64_t best = -1;
  for (size_t m = 0; m < weight.size(); ++m) {
    if (weight[m] == 0 || IsPseudoFile(space_.mapping(m).filename)) continue;
    if (best < 0 || weight[m] > weight[static_cast<size_t>(best)]) best = static_cast<int64_t>(m);
  }
  return best;
}

Result<std::vector<uint64_t>> PerfProfileAssembler::SymbolizeFrames(Diagnostics* diagnostics,
                                                                    size_t width) {
  const std::vector<PerfFrame>& frames = space_.frames();
  profile_.locations.reserve(frames.size());
  if (const int64_t main = MainMapping(width); main >= 0) {
    symbolizer_.InternUserMapping(static_cast<size_t>(main), builder_, profile_);
  }
  symbolizer_.LoadKernelSymbols(frames);
  std::vector<uint64_t> location_of_frame(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    if (diagnostics != nullptr && (i & 0xff) == 0) {
      diagnostics->Progress("symbolizing", i, frames.size());
    }
    uint64_t mapping_id = 0;
    std::vector<Line> lines =
        symbolizer_.SymbolizeFrame(frames[i], builder_, profile_, &mapping_id);
    location_of_frame[i] = builder_.InternLocation(mapping_id, frames[i].address, lines);
  }
  // Every binary, the unwinder's too, is still held: one cut short meanwhile fails the read.
  GCSPIKE_RETURN_IF_ERROR(symbolizer_.CheckBinaries());
  symbolizer_.ReleaseBinaries();
  return location_of_frame;
}

void PerfProfileAssembler::BuildSamples(const std::vector<uint64_t>& location_of_frame,
                                        size_t width) {
  // Without kernel symbols, consecutive kernel frames collapse into one "[kernel]" frame.
  const std::vector<PerfFrame>& frames = space_.frames();
  auto to_location_ids = [&](auto first, auto last) {
    std::vector<uint64_t> ids;
    ids.reserve(static_cast<size_t>(last - first));
    for (auto it = first; it != last; ++it) {
      const uint64_t id = location_of_frame[*it - 1];
      if (!ids.empty() && ids.back() == id && frames[*it - 1].kernel) continue;
      ids.push_back(id);
    }
    return ids;
  };
  if (spool_ == nullptr) {
    for (Sample& s : profile_.samples) {
      s.location_ids = to_location_ids(s.location_ids.begin(), s.location_ids.end());
    }
    return;
  }
  const size_t n = stack_next_.size();
  stack_next_ = {};
  profile_.samples.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Sample s;
    const auto refs = stack_refs_.begin();
    s.location_ids = to_location_ids(refs + static_cast<ptrdiff_t>(stack_begin_[i]),
                                     refs + static_cast<ptrdiff_t>(stack_begin_[i + 1]));
    s.values.assign(stack_values_.begin() + static_cast<ptrdiff_t>(i * width),
                    stack_values_.begin() + static_cast<ptrdiff_t>((i + 1) * width));
    profile_.samples.push_back(std::move(s));
  }
  stack_refs_ = {};
  stack_begin_ = {};
  stack_values_ = {};
}

Status PerfProfileAssembler::Finish(const std::vector<PerfAttr>& attrs,
                                    const PerfHeaderInfo& header, Diagnostics* diagnostics) {
  SetSampleTypes(attrs, header);
  RecoverFramelessCallers(attrs.size() * 2);
  // What only reading needed goes before the symbolizer loads the binaries, and the stacks
  // shed their growth slack: memory peaks while symbolizing.
  space_.ReleaseFrameIndex();
  raw_stacks_ = RawStackCache();
  stack_heads_ = {};
  stack_refs_.shrink_to_fit();
  stack_begin_.shrink_to_fit();
  stack_values_.shrink_to_fit();
  stack_next_.shrink_to_fit();
  stack_fp_ = {};
  sample_fp_ = {};
  frameless_callers_ = {};
  ReturnFreedMemory();
  GCSPIKE_ASSIGN_OR_RETURN(const std::vector<uint64_t> location_of_frame,
                           SymbolizeFrames(diagnostics, attrs.size() * 2));
  BuildSamples(location_of_frame, attrs.size() * 2);
  ReturnFreedMemory();
  return {};
}

void PerfProfileAssembler::WarnUnwinding(const WarnFn& warn) {
  const int64_t by_cfi = recovered_by_[static_cast<int>(FramelessEvidence::kCfi)];
  const int64_t by_pclntab = recovered_by_[static_cast<int>(FramelessEvidence::kPclntab)];
  if (by_cfi + by_pclntab != 0) {
    warn(std::to_string(by_cfi + by_pclntab) +
         " samples: a frameless function's caller recovered from the call instruction (" +
         std::to_string(by_cfi) + " by CFI, " + std::to_string(by_pclntab) + " by .gopclntab)");
  }
  if (dwarf_samples_ == 0) return;
  warn(std::to_string(dwarf_samples_) + " samples with --call-graph dwarf stacks: " +
       std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kCfi)]) + " unwound by CFI" +
       symbolizer_.CfiSourceSuffix() + ", " +
       std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kFramePointers)]) +
       " by frame pointers, " +
       std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kIpOnly)]) + " IP only" +
       (user_callchain_samples_ != 0
            ? ", " + std::to_string(user_callchain_samples_) + " from the recorded callchain"
            : std::string()));
  symbolizer_.ReleaseUnwindImages();  // every sample is unwound: release the mapped files
}

Status PerfProfileAssembler::Close() {
  if (spool_ != nullptr) {
    GCSPIKE_RETURN_IF_ERROR(spool_->Close());
    profile_.spool = std::move(spool_);
  }
  return profile_.Validate();
}

}  // namespace gcspike
