#include "plugin/cli/output_flags.h"

#include <gflags/gflags.h>

#include <cmath>
#include <cstdio>

#include "plugin/cli/help.h"
#include "plugin/cli/input_limit_flags.h"
#include "plugin/detect/sample_weight.h"

DEFINE_string(output_format, "",
              "Output format: pprof, speedscope, folded, report, json, html or chrome-trace "
              "(default: from the -o extension .pb.gz .speedscope.json .folded .txt .json .html "
              ".trace.json, else pprof).");
DEFINE_string(pseudo_frames, "",
              "Show labels as frames for viewers that ignore labels: root, leaf or none "
              "(default: none for pprof, root for speedscope and folded). A sample labelled "
              "gcspike=grow-spike gets the frame [gcspike grow-spike].");
DEFINE_string(pseudo_frame_keys, "gcspike",
              "Comma-separated label keys that --pseudo-frames turns into frames; the first is "
              "outermost.");
DEFINE_bool(merge_threads, false,
            "speedscope: one profile for all samples instead of one per goroutine or thread.");
DEFINE_string(keep, "",
              "Keep samples whose label matches: KEY=VALUE (exact; numeric labels as integers; "
              "on the gcspike key, whose value is a +-joined set, VALUE is one feature of the "
              "set: gcspike=grow-spike keeps grow-spike+key-copy too, as go tool pprof "
              "-tagfocus=gcspike=grow-spike does), KEY~REGEXP (unanchored), KEY<N, KEY<=N, "
              "KEY>N, KEY>=N. Repeatable: conditions on one key are alternatives, different "
              "keys must all match.");
DEFINE_string(drop, "", "Drop samples whose label matches (same syntax as --keep). Repeatable.");
DEFINE_string(focus, "",
              "Keep samples with a frame (inlined ones too) whose function name matches this "
              "regexp (unanchored).");
DEFINE_string(ignore, "", "Drop samples with a frame whose function name matches this regexp.");
DEFINE_string(from, "",
              "Keep samples with timestamp_ns >= this: nanoseconds, or +DURATION after the first "
              "sample (+1.5s, +250ms, +1m30s).");
DEFINE_string(to, "", "Keep samples with timestamp_ns < this (same forms as --from).");
DEFINE_string(pid, "", "Keep samples of these processes (label pid; comma-separated).");
DEFINE_string(tid, "", "Keep samples of these threads (label tid; comma-separated).");
DEFINE_string(goroutine, "",
              "Keep samples of these goroutines (label goroutine; comma-separated).");

namespace gcspike::cli {
namespace {

const bool kRegistered = [] {
  RegisterRepeatableFlag("keep");
  RegisterRepeatableFlag("drop");
  return true;
}();

std::vector<std::string> Values(const Args& args, const std::string& flag) {
  auto it = args.repeated.find(flag);
  return it == args.repeated.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<SampleFilterSpec> FilterSpecFromFlags(const Args& args) {
  (void)kRegistered;
  SampleFilterSpec spec;
  GCSPIKE_ASSIGN_OR_RETURN(spec.max_memory, MaxMemoryFromFlags());
  for (const std::string& v : Values(args, "keep")) {
    GCSPIKE_ASSIGN_OR_RETURN(LabelCondition c, ParseLabelCondition(v));
    spec.keep.push_back(std::move(c));
  }
  for (const std::string& v : Values(args, "drop")) {
    GCSPIKE_ASSIGN_OR_RETURN(LabelCondition c, ParseLabelCondition(v));
    spec.drop.push_back(std::move(c));
  }
  // --pid/--tid/--goroutine are --keep KEY=N for each N.
  for (const auto& [key, list] : {std::pair<std::string, std::string>{"pid", FLAGS_pid},
                                  {"tid", FLAGS_tid},
                                  {"goroutine", FLAGS_goroutine}}) {
    for (const std::string& v : SplitCommas(list)) {
      if (!ParseInteger(v).has_value()) {
        return MakeError("--" + key + " takes integers, not '" + v + "'");
      }
      GCSPIKE_ASSIGN_OR_RETURN(LabelCondition c, ParseLabelCondition(key + "=" + v));
      c.option = "--" + key + " " + v;
      spec.keep.push_back(std::move(c));
    }
  }
  spec.focus = FLAGS_focus;
  spec.ignore = FLAGS_ignore;
  if (!FLAGS_from.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(TimeBound b, ParseTimeBound(FLAGS_from));
    spec.from = b;
  }
  if (!FLAGS_to.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(TimeBound b, ParseTimeBound(FLAGS_to));
    spec.to = b;
  }
  return spec;
}

namespace {

// The samples of a profile as the report counts them (SampleWeights: a record's count).
uint64_t CountSamples(const Profile& profile) {
  const SampleWeights weight_of(profile);
  double total = 0;
  for (size_t i = 0; i < profile.samples.size(); ++i) total += weight_of(i);
  return static_cast<uint64_t>(std::llround(total));
}

}  // namespace

Result<uint64_t> ApplyFilterFlags(const Args& args, Profile& profile, Diagnostics* diagnostics) {
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterSpec spec, FilterSpecFromFlags(args));
  const uint64_t before = spec.empty() ? 0 : CountSamples(profile);
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterStats stats, FilterSamples(profile, spec, diagnostics));
  if (spec.empty() || stats.samples_out == stats.samples_in) return uint64_t{0};
  if (stats.samples_out == 0 && diagnostics != nullptr) {
    std::string span;
    if (spec.from || spec.to) {  // where the window could have been
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    " (their times run from +0s to +%.3fs, timestamp_ns %lld to %lld; "
                    "--from/--to +DURATION count from the first)",
                    static_cast<double>(stats.last_ns - stats.first_ns) / 1e9,
                    static_cast<long long>(stats.first_ns), static_cast<long long>(stats.last_ns));
      span = buf;
    }
    diagnostics->Warn("the filters kept none of the " + std::to_string(before) + " samples" + span);
  }
  return before;
}

Result<OutputOptions> OutputOptionsFromFlags(const Args& args, const std::string& output_path) {
  OutputOptions o;
  GCSPIKE_ASSIGN_OR_RETURN(o.format, SelectOutputFormat(FLAGS_output_format, output_path));
  if (!FLAGS_pseudo_frames.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(o.pseudo_frames, ParsePseudoFramePlacement(FLAGS_pseudo_frames));
  }
  o.pseudo_frame_keys = SplitCommas(FLAGS_pseudo_frame_keys);
  o.merge_threads = FLAGS_merge_threads;
  GCSPIKE_ASSIGN_OR_RETURN(o.max_memory, MaxMemoryFromFlags());
  o.exporter = std::string("gcspike@") + kVersion;
  if (!args.positional.empty()) {
    const std::string& first = args.positional[0];
    o.title = first == "-" ? "<stdin>" : first.substr(first.rfind('/') + 1);
    if (args.positional.size() > 1) {
      o.title += " + " + std::to_string(args.positional.size() - 1) + " more";
    }
  }
  return o;
}

}  // namespace gcspike::cli
