#include "plugin/detect/visibility.h"

#include <cstdio>
#include <string_view>

#include "plugin/detect/perf_events.h"
#include "plugin/detect/sample_weight.h"

namespace gcspike {
namespace {

// How a reason names the sample filters when they, not the recording, left too few samples.
constexpr const char* kFiltersNamed = "the filters (--from/--to, --goroutine, --keep, --focus...)";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

// Where to get a profile that can show map growth, for the profile-type reasons.
constexpr std::string_view kTakeCpuProfile =
    "take a CPU profile (/debug/pprof/profile?seconds=30, go test -cpuprofile, perf record -g) "
    "or an execution trace (/debug/pprof/trace?seconds=5)";

std::string KindReason(const Profile& p, ProfileKind kind, const std::string& value_type) {
  const std::string vt = value_type.empty() ? "" : " (" + value_type + ")";
  switch (kind) {
    case ProfileKind::kHeap:
      return "a heap profile" + vt +
             " shows memory in use by allocation site, and runtime/pprof removes the runtime's "
             "frames from memory profiles, so no map-growth frame can appear; " +
             std::string(kTakeCpuProfile);
    case ProfileKind::kAllocs:
      return "an allocs profile" + vt +
             " shows where memory was allocated, and runtime/pprof removes the runtime's frames "
             "from memory profiles, so no map-growth frame can appear; " +
             std::string(kTakeCpuProfile);
    case ProfileKind::kGoroutine:
      return "a goroutine profile" + vt + " counts goroutines by stack, not CPU work; " +
             std::string(kTakeCpuProfile);
    case ProfileKind::kContention:
      return "a mutex or block profile" + vt + " measures time spent waiting, not CPU work; " +
             std::string(kTakeCpuProfile);
    case ProfileKind::kThreadCreate:
      return "a threadcreate profile" + vt + " counts thread creations, not CPU work; " +
             std::string(kTakeCpuProfile);
    case ProfileKind::kEvents:
      return "a perf.data recording of " + FindPerfEvents(p).first_event + vt +
             " samples events, not CPU time, so its shares are not shares of CPU work; record "
             "CPU time: perf record -e cpu-clock -g (other events may be recorded beside it)";
    case ProfileKind::kCpu:
      if (const PerfEvents events = FindPerfEvents(p); events.cpu_kernel_only) {
        return "a perf.data recording of " + events.cpu_event + vt +
               " samples the CPU only while it runs kernel code, so its shares are of kernel "
               "time, not of the program's CPU work (map inserts and GC scanning run in user "
               "space); record both: perf record -e cpu-clock -g";
      }
      break;
    case ProfileKind::kUnknown:
      break;
  }
  return "";
}

// Whether a frame without a name means a binary is missing. Not for the kernel and the vDSO (a
// missing kallsyms leaves them unnamed without hiding anything about Go maps), and not for an
// address outside every mapping: that is the end of a broken frame-pointer chain (perf's
// "[unknown]"), not code whose binary could be found.
bool NeedsABinary(const Profile& p, uint64_t mapping_id) {
  if (mapping_id == 0) return false;
  const std::string& name = p.str(p.mapping(mapping_id).filename);
  return !(StartsWith(name, "[kernel") || name == "[vdso]" || name == "[vsyscall]");
}

// Go's stack switches that cut work off its caller: a stack whose outermost frame is one of
// these was cut where the runtime moved to the system stack (g0) on a goroutine's behalf
// (allocation, mark assists) or grew the goroutine stack. runtime.mcall is not one: it moves to
// g0 to run the scheduler for a goroutine that parks or yields, which does no map work, and
// such stacks are common in any profile of a program that blocks (Go's own profiler records
// them too). ELF symbols may carry ".abi0".
bool IsStackSwitch(std::string_view name) {
  return StartsWith(name, "runtime.systemstack") || StartsWith(name, "runtime.morestack");
}

// Samples without a single location: a Go execution trace cut short in its stack table, which
// the runtime writes last in the old format (docs/formats/go-trace.md#old-format-layout),
// names stacks it no longer holds.
std::string EmptyStacksReason(double share) {
  return Percent(share) +
         " of samples have no stack at all (an execution trace cut short loses the stacks its "
         "samples name: the runtime writes them at the end): what they did is unknown, and "
         "each share may be higher by up to that much; take the whole trace or profile";
}

}  // namespace

std::string_view ProfileKindName(ProfileKind kind) {
  switch (kind) {
    case ProfileKind::kCpu:
      return "cpu";
    case ProfileKind::kHeap:
      return "heap";
    case ProfileKind::kAllocs:
      return "allocs";
    case ProfileKind::kGoroutine:
      return "goroutine";
    case ProfileKind::kContention:
      return "contention";
    case ProfileKind::kThreadCreate:
      return "threadcreate";
    case ProfileKind::kEvents:
      return "events";
    case ProfileKind::kUnknown:
      break;
  }
  return "unknown";
}

ProfileKind ClassifyProfileKind(const Profile& p) {
  bool memory = false, goroutine = false, contention = false, threads = false, cpu = false;
  for (const ValueType& vt : p.sample_types) {
    const std::string_view t = p.str(vt.type);
    if (StartsWith(t, "inuse_") || StartsWith(t, "alloc_")) memory = true;
    if (t == "goroutine" || t == "goroutines") goroutine = true;
    if (t == "contentions" || t == "delay") contention = true;
    if (t == "threadcreate") threads = true;
    // runtime/pprof CPU profiles and execution traces: samples/count + cpu/nanoseconds.
    if (t == "samples" || t == "cpu") cpu = true;
  }
  // perf.data as gcspike reads it: EVENT_samples + EVENT_period per event, of which one must
  // sample CPU time.
  const PerfEvents events = FindPerfEvents(p);
  cpu = cpu || events.cpu_samples.has_value();
  if (memory) {
    if (p.sample_types.empty()) return ProfileKind::kHeap;
    const std::string_view def = p.str(p.sample_types[p.DefaultValueIndex()].type);
    return StartsWith(def, "alloc_") ? ProfileKind::kAllocs : ProfileKind::kHeap;
  }
  if (goroutine) return ProfileKind::kGoroutine;
  if (contention) return ProfileKind::kContention;
  if (threads) return ProfileKind::kThreadCreate;
  if (cpu) return ProfileKind::kCpu;
  if (events.any) return ProfileKind::kEvents;
  return ProfileKind::kUnknown;
}

Visibility AssessVisibility(const Profile& profile, uint64_t samples, bool assists_from_timeline,
                            const VisibilityOptions& options) {
  Visibility v;
  v.kind = ClassifyProfileKind(profile);
  v.samples = samples;

  // Per function: in the Go runtime, a stack switch.
  std::vector<uint8_t> go_runtime(profile.functions.size() + 1, 0);
  std::vector<uint8_t> stack_switch(profile.functions.size() + 1, 0);
  for (const Function& f : profile.functions) {
    const std::string& name = profile.str(f.name);
    go_runtime[f.id] = StartsWith(name, "runtime.") || StartsWith(name, "internal/runtime/");
    stack_switch[f.id] = IsStackSwitch(name);
  }

  const SampleWeights weight(profile);
  double total = 0, unsymbolized_w = 0, truncated_w = 0, stackless_w = 0, empty_w = 0;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const Sample& s = profile.samples[i];
    const double w = weight(i);
    total += w;
    // The innermost frame in user code decides: that is where the work was, and a binary that
    // is missing shows there (an unnamed libc start frame at the root hides nothing).
    bool raw = false, seen_user = false;
    for (uint64_t id : s.location_ids) {
      const Location& l = profile.location(id);
      if (!seen_user && NeedsABinary(profile, l.mapping_id)) {
        seen_user = true;
        raw = l.lines.empty();
      }
      for (const Line& line : l.lines) {
        v.has_go_runtime |= go_runtime[line.function_id] != 0;
      }
    }
    for (int64_t x : s.values) v.delta |= x < 0;
    if (raw) unsymbolized_w += w;
    if (s.location_ids.size() <= 1) stackless_w += w;
    if (s.location_ids.empty()) empty_w += w;
    // The outermost logical frame: the last line of the root location.
    if (!s.location_ids.empty()) {
      const Location& root = profile.location(s.location_ids.back());
      if (!root.lines.empty() && stack_switch[root.lines.back().function_id]) truncated_w += w;
    }
  }
  v.unsymbolized_share = total > 0 ? unsymbolized_w / total : 0;
  v.truncated_share = total > 0 ? truncated_w / total : 0;
  v.stackless_share = total > 0 ? stackless_w / total : 0;
  v.empty_stack_share = total > 0 ? empty_w / total : 0;

  std::string value_type;
  if (!profile.sample_types.empty()) {
    const ValueType& vt = profile.sample_types[profile.DefaultValueIndex()];
    value_type = profile.str(vt.type) + "/" + profile.str(vt.unit);
  }
  if (const std::string why = KindReason(profile, v.kind, value_type); !why.empty()) {
    v.cause = "profile-type";
    v.reason = why;
  } else if (v.delta) {
    v.cause = "delta";
    v.reason =
        "a delta profile (it has negative values: go tool pprof -diff_base or -base, gcspike "
        "diff -o) holds a base profile beside a new one, so its shares are of both or of their "
        "difference, not of a program's CPU work, and no spike or change can be told from them; "
        "compare the two profiles: gcspike diff BASE NEW";
  } else if (v.unsymbolized_share > options.max_unsymbolized) {
    v.cause = "unsymbolized";
    v.reason = Percent(v.unsymbolized_share) +
               " of samples have frames without function names (the binary was not found, or "
               "has no symbols); pass --binary PATH or --symfs DIR, or convert where perf's "
               "build-id cache (~/.debug) of the recording machine is";
  } else if (samples == 0 && options.samples_before_filters > 0) {
    v.cause = "filtered-out";
    v.reason = std::string(kFiltersNamed) + " kept none of the " +
               std::to_string(options.samples_before_filters) + " samples; widen them";
  } else if (samples == 0 && !profile.timeline.empty()) {
    v.cause = kNoCpuSamplesCause;
    v.reason = kNoCpuSamplesReason;
  } else if (v.empty_stack_share > options.max_stackless) {
    v.cause = "missing-stacks";
    v.reason = EmptyStacksReason(v.empty_stack_share);
  } else if (!v.has_go_runtime && samples > 0) {
    v.cause = "not-go";
    v.reason =
        "no Go runtime frame in any sample: not a Go program, or its symbols are missing "
        "(pass --binary PATH or --symfs DIR)";
  } else if (v.stackless_share > options.max_stackless && samples > 0) {
    v.cause = "no-stacks";
    v.reason = Percent(v.stackless_share) +
               " of samples have no call stack, only the sampled instruction (perf record "
               "without -g, or with --kernel-callchains, which keeps the kernel's frames "
               "only): map growth is told by the map insert above the runtime's growth frames, "
               "and GC work by its worker, which only a call stack shows; record with perf "
               "record -g (without --kernel-callchains)";
  } else if (samples < options.min_samples) {
    v.cause = "too-few-samples";
    const std::string needed = "(at least " + std::to_string(options.min_samples) + " samples)";
    v.reason = options.samples_before_filters >= options.min_samples
                   ? std::string(kFiltersNamed) + " left " + std::to_string(samples) + " of the " +
                         std::to_string(options.samples_before_filters) +
                         " samples, too few to tell " + needed + "; widen them"
                   : "only " + std::to_string(samples) + " samples, too few to tell; take a " +
                         "longer profile " + needed;
  }
  if (v.empty_stack_share > 0) {
    // What those samples did is unknown: every feature may hide in them.
    v.cut_cause = "missing-stacks";
    v.cut_reason = EmptyStacksReason(v.empty_stack_share);
    v.cut_every_feature = true;
  } else if (!assists_from_timeline && v.truncated_share > options.max_truncated) {
    v.cut_cause = "recording-mode";
    v.cut_reason =
        Percent(v.truncated_share) +
        " of stacks end at a Go stack switch (runtime.systemstack, morestack): the recording "
        "copied only the stack each sample ran on (as perf --call-graph dwarf does), which "
        "cuts the map insert off the work the runtime does for it on the system stack (mark "
        "assists, allocation); record with -g (frame pointers) or take an execution trace";
  }
  return v;
}

}  // namespace gcspike
