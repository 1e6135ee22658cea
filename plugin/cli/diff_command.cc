#include "plugin/cli/diff_command.h"

#include <gflags/gflags.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "formats/output_file.h"
#include "formats/pprof_writer.h"
#include "plugin/cli/commands.h"
#include "plugin/cli/detect_command.h"
#include "plugin/cli/output_flags.h"
#include "plugin/cli/perf_flags.h"
#include "plugin/cli/terminal_diagnostics.h"
#include "plugin/cli/trace_flags.h"
#include "plugin/detect/fail_on.h"
#include "plugin/detect/profile_diff.h"
#include "plugin/detect/statistics.h"
#include "plugin/diff_profile.h"
#include "plugin/diff_report.h"
#include "plugin/pipeline.h"
#include "plugin/same_samples.h"

DEFINE_string(base, "",
              "diff: a baseline input (repeatable; the inputs after the flags are then the new "
              "side). Without --base, diff takes exactly two inputs: BASE NEW.");
DEFINE_double(tolerance, gcspike::kDefaultDiffTolerance * 100,
              "diff: the smallest change of a share that matters, in percentage points: a change "
              "is regressed or improved when its 95% interval excludes 0 and its estimate is "
              "beyond +-tolerance, inconclusive when it is not and the interval is wider than "
              "twice the tolerance.");
DEFINE_bool(normalize, false,
            "diff: scale the new side of the -o diff profile to the base's total, as go tool "
            "pprof -normalize does (the report's shares need no scaling).");

DECLARE_string(o);
DECLARE_string(output);
DECLARE_bool(json);
DECLARE_bool(uncompressed);
DECLARE_int32(gzip_level);
DECLARE_string(inconclusive);
DECLARE_bool(detect);

namespace gcspike::cli {
namespace {

std::string Names(const std::vector<std::string>& inputs) {
  std::string out;
  for (const std::string& p : inputs) out += (out.empty() ? "" : " ") + (p == "-" ? "<stdin>" : p);
  return out;
}

struct Side {
  Profile profile;
  DetectionSummary summary;
  UserCode user_code;
  CountedTwice twice;  // samples of its inputs that count twice (LoadInputs)
  SampleFingerprint fingerprint;
};

// Sides that hold the same samples compare nothing (kSameSamples).
void JudgeSameSides(ProfileDiff& diff, const Side& base, const Side& now) {
  const SamplesComparison c = CompareSamples(base.fingerprint, now.fingerprint);
  if (!c.same) return;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "base and new hold the same samples (%.1f%% of them): a profile against itself "
                "or a copy, or a CPU profile against the trace of the same run, shows no change "
                "whatever the program did; diff against a recording of the new build",
                c.agreeing * 100);
  MarkComparisonUndecided(diff, kSameSamples, buf);
}

// A side whose inputs hold the same samples is judged on its samples counted once: its sample
// count and every feature's and site's interval at n (1 - the fraction counted twice), the
// shares as measured; the note says so. (Judged as merged, every interval would be narrower than
// its samples support, and a verdict or gate surer than it is.)
void CountOnce(const char* side_name, Side& side, std::vector<std::string>& notes) {
  const double fraction = side.twice.fraction();
  if (fraction <= 0) return;
  DetectionSummary& s = side.summary;
  const auto once =
      static_cast<uint64_t>(std::llround(static_cast<double>(s.samples) * (1 - fraction)));
  if (once == 0) return;  // nothing judged on no samples (the summary says so)
  char buf[160];
  std::snprintf(buf, sizeof buf,
                " (%.1f%% of its samples count twice): judged on its %llu samples counted once, "
                "not %llu; pass one of them",
                fraction * 100, static_cast<unsigned long long>(once),
                static_cast<unsigned long long>(s.samples));
  notes.push_back(std::string(side_name) + ": " + side.twice.first + buf);
  const auto n = static_cast<double>(once);
  for (FeatureSummary& f : s.features) f.interval = WilsonInterval(f.fraction * n, n);
  for (SiteShare& site : s.sites) site.interval = WilsonInterval(site.fraction * n, n);
  s.samples = once;
}

Result<Side> LoadSide(const Args& args, const std::vector<std::string>& inputs,
                      Diagnostics* diagnostics) {
  GCSPIKE_ASSIGN_OR_RETURN(ReadOptions read, ReadOptionsFromFlags(args, diagnostics));
  read.spool_samples = false;  // the diff profile rewrites every sample
  Side side;
  GCSPIKE_ASSIGN_OR_RETURN(side.profile, LoadInputs(inputs, read, &side.twice));
  // Every site of each side, so that one that left the other side's top ten is matched.
  GCSPIKE_ASSIGN_OR_RETURN(side.summary,
                           DetectAndLabel(side.profile, Names(inputs), diagnostics, 100000));
  GCSPIKE_RETURN_IF_ERROR(
      WarnSeveralProcesses(side.profile, Names(inputs), diagnostics, /*whole_profiles=*/true));
  side.user_code = CollectUserCode(side.profile);
  side.fingerprint = FingerprintSamples(side.profile);
  return side;
}

// One stderr line per crossed or undecided gate; the exit status as for report's --fail-on.
int CheckDiffGates(const std::vector<FailOnExpr>& gates, const ProfileDiff& diff) {
  GateTally tally;
  for (const FailOnExpr& e : gates) {
    const GateResult r = EvaluateDiffFailOn(e, diff);
    const FeatureDiff& f = diff.features[e.feature];
    char measured[300];
    std::snprintf(measured, sizeof measured,
                  "%+.2fpp [%+.2f, %+.2f] (base %.2f%% of %llu samples, new %.2f%% of %llu)",
                  f.change.difference * 100, f.change.difference_interval.lo * 100,
                  f.change.difference_interval.hi * 100, f.change.base * 100,
                  static_cast<unsigned long long>(diff.base.samples), f.change.now * 100,
                  static_cast<unsigned long long>(diff.now.samples));
    std::string what = measured;
    if (e.change == FailOnExpr::Change::kRelative) {
      // The relative gate's own interval: that of new - (1 + r) x base.
      char relative[120];
      std::snprintf(relative, sizeof relative, "; new - %.2f x base: [%+.2f, %+.2f] points",
                    1 + e.threshold, r.interval.lo * 100, r.interval.hi * 100);
      what += relative;
    }
    tally.Add(e, r, std::string(kFeatureNames[e.feature]) + " changed by " + what);
  }
  return tally.ExitStatus();
}

struct DiffInputs {
  std::vector<std::string> base, now;
};

// The two sides: --base (repeatable) and the inputs, or exactly BASE NEW.
Result<DiffInputs> SplitDiffInputs(const Args& args) {
  DiffInputs in;
  if (const auto it = args.repeated.find("base"); it != args.repeated.end()) {
    in.base = it->second;
    in.now = args.positional;
  } else if (args.positional.size() == 2) {
    in.base = {args.positional[0]};
    in.now = {args.positional[1]};
  } else {
    return MakeError(
        "gcspike diff takes BASE NEW, or --base BASE (repeatable) and the new "
        "inputs; got " +
        std::to_string(args.positional.size()) + " inputs");
  }
  if (in.now.empty()) return MakeError("gcspike diff: no new input after --base");
  if (std::count(in.base.begin(), in.base.end(), "-") +
          std::count(in.now.begin(), in.now.end(), "-") >
      1) {
    return MakeError("standard input (-) can be named only once");
  }
  return in;
}

// The --fail-on gates of diff: each a change, with a sign and a unit.
Result<std::vector<FailOnExpr>> ParseDiffGates(const Args& args) {
  std::vector<FailOnExpr> gates;
  const auto it = args.repeated.find("fail_on");
  if (it == args.repeated.end()) return gates;
  for (const std::string& text : it->second) {
    GCSPIKE_ASSIGN_OR_RETURN(FailOnExpr e, ParseFailOn(text));
    if (e.change == FailOnExpr::Change::kNone) {
      return MakeError("--fail-on '" + text +
                       "': gcspike diff gates a change, with a "
                       "sign and a unit: e.g. grow-spike>+3pp (points of share) or "
                       "assist-coupling>+50% (of the base's share)");
    }
    gates.push_back(std::move(e));
  }
  return gates;
}

// Checks diff's flags; returns its gates.
Result<std::vector<FailOnExpr>> CheckDiffFlags(const Args& args) {
  if (!FLAGS_detect) return MakeError("gcspike diff needs the detectors (not --no-detect)");
  if (!(FLAGS_tolerance >= 0 && FLAGS_tolerance <= 100)) {
    return MakeError("--tolerance is in percentage points, between 0 and 100");
  }
  if (FLAGS_inconclusive != "error" && FLAGS_inconclusive != "fail" &&
      FLAGS_inconclusive != "pass") {
    return MakeError("--inconclusive is one of error, fail, pass (got '" + FLAGS_inconclusive +
                     "')");
  }
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<FailOnExpr> gates, ParseDiffGates(args));
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterSpec filters, FilterSpecFromFlags(args));
  if (!filters.empty()) {
    return MakeError(
        "gcspike diff compares whole profiles; filter each side first "
        "(gcspike INPUT --keep ... -o side.pb.gz)");
  }
  return gates;
}

// The diff profile (new minus base) as pprof at path.
Status WriteDiffProfile(Side&& base, Side&& now, const std::string& path,
                        Diagnostics* diagnostics) {
  GCSPIKE_ASSIGN_OR_RETURN(Profile profile,
                           BuildDiffProfile(std::move(base.profile), std::move(now.profile),
                                            FLAGS_normalize, diagnostics));
  PprofWriteOptions options;
  options.gzip = !FLAGS_uncompressed;
  options.gzip_level = FLAGS_gzip_level;
  GCSPIKE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out,
                           OutputFile::Open(path, /*binary=*/true));
  GCSPIKE_RETURN_IF_ERROR(WritePprof(
      profile, options, [&out](std::span<const uint8_t> piece) { return out->Write(piece); }));
  return out->Commit();
}

}  // namespace

void RegisterDiffFlags() { RegisterRepeatableFlag("base"); }

int RunDiff(const Args& args) {
  auto inputs = SplitDiffInputs(args);
  if (!inputs.ok()) return Fail(inputs.error());
  auto gates = CheckDiffFlags(args);
  if (!gates.ok()) return Fail(gates.error());

  TerminalDiagnostics diag;
  auto base = LoadSide(args, inputs->base, &diag);
  if (!base.ok()) return Fail(base.error());
  auto now = LoadSide(args, inputs->now, &diag);
  diag.ProgressDone();
  if (!now.ok()) return Fail(now.error());
  std::vector<std::string> counted_once;
  CountOnce("base", *base, counted_once);
  CountOnce("new", *now, counted_once);
  ProfileDiff diff = DiffSummaries(base->summary, now->summary, FLAGS_tolerance / 100);
  diff.notes.insert(diff.notes.end(), counted_once.begin(), counted_once.end());
  JudgeSharedCode(diff, base->user_code, now->user_code);
  JudgeSameSides(diff, *base, *now);
  diff.base_inputs = inputs->base;
  diff.now_inputs = inputs->now;

  // The diff profile first: a bad -o leaves no file and prints no verdict.
  const std::string path = !FLAGS_o.empty() ? FLAGS_o : FLAGS_output;
  if (!path.empty()) {
    Status written = WriteDiffProfile(std::move(*base), std::move(*now), path, &diag);
    if (!written.ok()) return Fail(written.error());
  }
  const std::string text = FLAGS_json ? RenderDiffJson(diff) : RenderDiffText(diff);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return CheckDiffGates(*gates, diff);
}

}  // namespace gcspike::cli
