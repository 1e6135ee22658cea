// The top layer of the perf.data reader: turns decoded SAMPLE records into the profile's
// samples (stacks of interned frames, values per event, pid/tid/comm/timestamp_ns labels),
// optionally through a SampleSpool with one sample per distinct stack (core/sample_spool.h),
// and finishes the Profile: sample types, symbolized locations, the samples' location ids.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/profile.h"
#include "core/profile_builder.h"
#include "core/sample_spool.h"
#include "formats/perf_address_space.h"
#include "formats/perf_raw_stack_cache.h"
#include "formats/perf_record_reader.h"
#include "formats/perf_sample_layout.h"
#include "formats/perf_symbolize.h"

namespace gcspike {

// Names each event: its EVENT_DESC name (by position, then by the ids its samples carry), else
// a tracepoint's name from the tracing data, else perf's default.
void NamePerfEvents(std::vector<PerfAttr>& attrs,
                    const std::unordered_map<uint64_t, size_t>& attr_by_id,
                    const PerfHeaderInfo& header);

class PerfProfileAssembler {
 public:
  using WarnFn = std::function<void(const std::string&)>;
  // `spool`: keep the records in a SampleSpool (ReadOptions::spool_samples).
  PerfProfileAssembler(Profile& profile, ProfileBuilder& builder, PerfAddressSpace& space,
                       PerfSymbolizer& symbolizer, bool spool);

  // Whether a sample was added (every event must be known before the first).
  bool has_samples() const { return !profile_.samples.empty() || !stack_next_.empty(); }
  // One SAMPLE record (header misc, fields, at `record_at`) of event `attr_index` of `attrs`;
  // `stack_hash` is RawStackHash(misc, sample).
  Status AddSample(std::span<const PerfAttr> attrs, size_t attr_index, uint16_t misc,
                   const PerfSample& sample, uint64_t record_at, uint64_t stack_hash);
  // Fetches ahead what AddSample will look up for a sample of `stack_hash`: first (key false)
  // its cache slot, then (key true, a few samples later) the key the slot names.
  void PrefetchStack(uint64_t stack_hash, bool key) const {
    if (key) {
      raw_stacks_.PrefetchKey(stack_hash);
    } else {
      raw_stacks_.PrefetchSlot(stack_hash);
    }
  }
  // The hash under which the stack of a sample is cached (0 when it is not: a sample with a
  // branch or user stack): a function of the record alone, so the reading thread computes it.
  static uint64_t RawStackHash(uint16_t misc, const PerfSample& sample);
  // Sets the sample types of the events (named by NamePerfEvents), the period and the times,
  // symbolizes every frame and gives the samples their locations. Fails when a binary was cut
  // short while it was read (BinaryLocator::CheckNotShrunk).
  Status Finish(const std::vector<PerfAttr>& attrs, const PerfHeaderInfo& header,
                Diagnostics* diagnostics);
  // Warns how many frame-pointer samples had a frameless function's caller recovered, and how
  // --call-graph dwarf samples were unwound.
  void WarnUnwinding(const WarnFn& warn);
  // Closes the spool and checks the profile.
  Status Close();
  // About how much memory the stacks (or, without a spool, the samples) and the strings built
  // so far take (docs/memory.md#perfdata).
  uint64_t model_bytes() const { return model_bytes_; }

 private:
  // The frame refs of one sample, leaf first, in location_refs_.
  void BuildStack(const PerfAttr& attr, uint16_t misc, const PerfSample& s);
  void AppendBranchStack(const PerfSample& s);
  void AppendUnwound(const PerfSample& s);
  // Inserts the caller a frame-pointer callchain skipped below a frameless first user frame
  // (symbolizer/frameless_caller.h) into every stack that has one, once per distinct stack.
  void RecoverFramelessCallers(size_t width);
  // The caller to insert after the first user frame of the stack [first, last) of frame refs,
  // counted for `samples` samples: the index of the frame it goes before, and its ref (0: none).
  template <typename It>
  std::pair<size_t, uint32_t> FramelessCallerOf(It first, It last, int64_t samples);
  // With a spool: the index of the distinct stack `refs`, added with zero values when new.
  uint32_t InternStack(std::span<const uint32_t> refs, size_t width);
  // With a spool: the stack of sample `s` (its frames built and interned), through
  // raw_stacks_ when the sample's stack follows from its raw callchain alone.
  uint32_t StackOf(const PerfAttr& attr, uint16_t misc, const PerfSample& s, uint64_t hash,
                   size_t width);
  void SetSampleTypes(const std::vector<PerfAttr>& attrs, const PerfHeaderInfo& header);
  // The user mapping (a file, not the kernel's, not [vdso] or //anon) in the most samples of
  // the event viewers show, a sample counting once for each mapping its stack passes through:
  // the program's executable (its main or goexit is in every stack of its threads), which pprof
  // expects as the first mapping. -1 when no sample has a user frame in a file.
  int64_t MainMapping(size_t width) const;
  Result<std::vector<uint64_t>> SymbolizeFrames(Diagnostics* diagnostics, size_t width);
  void BuildSamples(const std::vector<uint64_t>& location_of_frame, size_t width);
  // String ids of the labels every sample carries, interned on first use.
  StrId Key(StrId& cached, std::string_view s) {
    if (cached == 0) cached = profile_.Intern(s);
    return cached;
  }
  StrId CommId(uint32_t pid, uint32_t tid);

  Profile& profile_;
  ProfileBuilder& builder_;
  PerfAddressSpace& space_;
  PerfSymbolizer& symbolizer_;
  StrId pid_key_ = 0, tid_key_ = 0, comm_key_ = 0, time_key_ = 0, ns_unit_ = 0;
  // Cache of Intern(thread name), emptied when the address space's names change.
  std::unordered_map<uint32_t, StrId> comm_id_by_tid_;
  std::optional<std::pair<uint32_t, StrId>> last_comm_;  // the last lookup's tid and answer
  uint64_t names_generation_ = 0;
  int64_t first_time_ = INT64_MAX;
  int64_t last_time_ = INT64_MIN;
  bool kernel_frames_ = false;  // a kernel frame was seen (and the kernel symbols prefetched)
  uint64_t dwarf_samples_ = 0;
  uint64_t unwound_by_[3] = {};          // indexed by UnwindMethod
  uint64_t user_callchain_samples_ = 0;  // dwarf samples whose callchain has user frames
  std::vector<uint64_t> unwound_pcs_;    // one sample's user stack, reused
  std::vector<uint32_t> location_refs_;  // one sample's frame refs, reused
  std::vector<int64_t> record_values_;
  // Whether the last BuildStack took the user frames from the callchain (frame pointers), not
  // from a branch stack or an unwound user stack; per stack (spool) or per sample.
  bool fp_user_ = false;
  std::vector<bool> stack_fp_;
  std::vector<bool> sample_fp_;
  // (first user frame ref, next ref) -> the inserted caller's ref (0: none) and, above bit 32,
  // its FramelessEvidence.
  std::unordered_map<uint64_t, uint64_t> frameless_callers_;
  int64_t recovered_by_[kFramelessEvidenceCount] = {};  // samples, by FramelessEvidence

  // With a spool: the records go to spool_, and the distinct stacks (frame refs, leaf first)
  // are kept flat in stack_refs_ (stack i is [stack_begin_[i], stack_begin_[i + 1])) with
  // their records' values summed in stack_values_ (attrs * 2 per stack), chained per hash
  // (stack_heads_: hash -> first index, stack_next_: index -> next). Finish turns them into
  // profile_.samples once the symbolizer's memory is released.
  std::shared_ptr<SampleSpool> spool_;
  std::vector<uint32_t> stack_refs_;
  std::vector<uint64_t> stack_begin_ = {0};
  std::vector<int64_t> stack_values_;
  std::unordered_map<uint64_t, uint32_t> stack_heads_;
  std::vector<uint32_t> stack_next_;
  size_t shown_event_ = 0;  // the event viewers show (SetSampleTypes)
  // Raw callchain (pid, cpu mode, IP and the callchain's bytes) -> stack index, for samples
  // without a branch or user stack: a hot loop's samples repeat their callchain exactly, and
  // then neither its frames nor its stack need to be looked up again. Emptied whenever the
  // address space's layout changes (the same callchain may then mean other frames).
  RawStackCache raw_stacks_;
  uint64_t raw_stacks_layout_ = 0;
  uint64_t model_bytes_ = 0;
};

}  // namespace gcspike
