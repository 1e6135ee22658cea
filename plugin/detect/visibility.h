// Visibility: can this profile show map growth at all? A verdict of "normal" is a claim that
// the growth pattern is absent, and it is only true when the pattern could have been seen. A
// profile can be blind to it in several ways, each with something the user can do about it:
//
//   profile-type     a memory, goroutine, mutex/block or threadcreate profile: runtime/pprof
//                    removes the runtime's frames from memory profiles and the others measure
//                    waiting or counting, not CPU work, so no grow frame can appear; a
//                    perf.data of events that are not CPU time (page faults, context switches,
//                    a tracepoint: perf_events.h), whose shares are not shares of CPU work;
//                    a perf.data of a CPU clock on kernel code only (cpu-clock:k)
//   delta            some sample value is negative: a delta profile (go tool pprof -diff_base or
//                    -base, gcspike diff -o) holds a base profile, negated, beside a new one (or
//                    their difference per stack), so a share of it is of neither program's CPU
//                    work (measured: the delta of two runs of one program, both 34 % growth,
//                    read grow-spike 34 % "spike"; that of a run growing maps against one with
//                    presized maps, an improvement, 18 % "spike"); compare the two profiles with
//                    gcspike diff BASE NEW
//   unsymbolized     too many samples keep raw addresses (the binary was not found)
//   filtered-out     the filters (--from/--to, --goroutine, --keep...) kept no sample
//   no-samples       an execution trace taken without CPU profiling: it has a timeline but no
//                    stacks to judge
//   missing-stacks   most samples have no stack at all (a Go 1.19-1.21 trace cut short inside
//                    the stack table it writes last)
//   not-go           no Go runtime frame anywhere: not a Go program, or its symbols are missing
//   no-stacks        most samples are the sampled instruction alone, without callers (perf
//                    record without -g, or -g --kernel-callchains, which drops every user
//                    frame but the sampled one): every feature is told by frames above the
//                    leaf (the map insert above a growth frame, the GC worker above scanobject)
//   too-few-samples  fewer individual samples than the report needs to judge anything (the
//                    reason names the filters when they left so few of enough)
//   recording-mode   many stacks end at a Go stack switch (runtime.systemstack, mcall,
//                    morestack): perf --call-graph dwarf copies only the stack the sample ran
//                    on, so everything the runtime does on the system stack (mark assists, large
//                    allocations, table growth) loses the map insert above it
//
// All but the last make every feature inconclusive. The last makes the map features lower bounds:
// a spike still stands, a "normal" does not (measured on one workload: grow-spike 15.7 % and
// malloc-burst 3.8 % with --call-graph dwarf against 39 % and 24 % with -g). So do a few
// samples without a stack (missing-stacks, at most max_stackless of them), for every feature.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"

namespace gcspike {

// What kind of measurement the profile's sample types say it is.
enum class ProfileKind {
  kCpu,           // CPU profiles, execution traces' CPU samples, perf.data sampling
  kHeap,          // inuse_space / inuse_objects (runtime/pprof "heap")
  kAllocs,        // alloc_space / alloc_objects as the default (runtime/pprof "allocs")
  kGoroutine,     // goroutine/count
  kContention,    // contentions + delay (runtime/pprof "mutex" and "block")
  kThreadCreate,  // threadcreate/count
  kEvents,        // perf.data of events other than CPU time only (page-faults_samples, ...)
  kUnknown,       // anything else: judged by its frames only
};
std::string_view ProfileKindName(ProfileKind kind);
ProfileKind ClassifyProfileKind(const Profile& profile);

// no-samples: an execution trace without CPU samples (also the time features' cause then).
inline constexpr std::string_view kNoCpuSamplesCause = "no-samples";
inline constexpr std::string_view kNoCpuSamplesReason =
    "the execution trace has no CPU samples (CPU profiling was off while it was taken); "
    "profile the CPU while tracing: go test -trace t.out -cpuprofile c.out, or fetch "
    "/debug/pprof/trace?seconds=5 while /debug/pprof/profile?seconds=10 runs";

struct VisibilityOptions {
  // Below this many individual samples nothing is judged (a 95 % interval on a handful of
  // samples spans most of [0, 1] anyway; this keeps 5/5 scan samples from being a "spike").
  uint64_t min_samples = 30;
  // Share of samples whose innermost user-space frame is unnamed above which the profile is
  // blind.
  double max_unsymbolized = 0.10;
  // Share of samples whose outermost frame is a Go stack switch above which the recording is
  // taken to have cut stacks at the system stack. Whole stacks end at runtime.goexit (or
  // gcBgMarkWorker, mstart); a frame-pointer or runtime/pprof profile shows a stack switch at
  // the root in about 1 % of samples (runtime.mcall in the scheduler), a --call-graph dwarf
  // recording of the same Go program in 40-45 %.
  double max_truncated = 0.05;
  // Share of samples with at most one location (no caller) above which the profile has no call
  // stacks. A runtime/pprof or -g profile has callers in all but a few samples (measured: 0.4 %,
  // a lone runtime.systemstack for work on the system stack); perf record without -g in none.
  double max_stackless = 0.5;
  // The samples the input had when --from/--to, --keep and the other filters dropped some of
  // them (0: not so): a profile empty, or too small to judge, because of the filters, not the
  // recording, whose advice is to widen them.
  uint64_t samples_before_filters = 0;
};

struct Visibility {
  ProfileKind kind = ProfileKind::kUnknown;
  uint64_t samples = 0;           // individual samples the shares are computed on
  double unsymbolized_share = 0;  // samples whose innermost user frame has no function name
  double truncated_share = 0;     // samples whose outermost frame is a Go stack switch
  double stackless_share = 0;     // samples of at most one location: no caller recorded
  double empty_stack_share = 0;   // samples of no location at all: nothing known about them
  bool has_go_runtime = false;    // some sampled frame is in the Go runtime
  bool delta = false;             // some sample value is negative (a delta profile)
  // Why nothing can be judged ("" when the profile can be): the cause's short name (as in the
  // list above) and a sentence saying what to do.
  std::string cause;
  std::string reason;
  // Why the map features (every feature when cut_every_feature) are only lower bounds: stacks
  // cut at the system stack, or samples without a stack; "" if not.
  std::string cut_cause;
  std::string cut_reason;
  bool cut_every_feature = false;

  bool blind() const { return !cause.empty(); }
};

// `samples`: the individual sample count the report's shares are computed on.
// `assists_from_timeline`: an execution trace whose timeline ties assists to goroutines (the
// time rules see the insert that paid for an assist even when the sampled stack is cut).
Visibility AssessVisibility(const Profile& profile, uint64_t samples, bool assists_from_timeline,
                            const VisibilityOptions& options);

}  // namespace gcspike
