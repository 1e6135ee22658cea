// The detectors on the command line: their flags (--rules, --fail-on, thresholds, --json),
// labelling for annotate/pprof, and the report command.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "plugin/cli/args.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/fail_on.h"
#include "plugin/pipeline.h"

namespace gcspike::cli {

// Registers --fail-on as repeatable; main() calls it before parsing.
void RegisterDetectFlags();

// Checks the detector flags before any input is read, so a typo in --rules, a threshold or a
// --fail-on expression is reported at once; returns the --fail-on expressions given.
Result<std::vector<FailOnExpr>> CheckDetectFlags(const Args& args);

// Classifies every sample with the built-in catalogue plus --rules, labels them and returns
// the summary (with at most `max_sites` sites). `diagnostics` (may be null) hears of rules that
// matched no frame.
Result<DetectionSummary> DetectAndLabel(Profile& profile, const std::string& input_name,
                                        Diagnostics* diagnostics = nullptr, size_t max_sites = 10);

// The summary of a profile without labelling it (what --fail-on judges after the filters;
// `samples_before_filters`: ApplyFilterFlags's count when they dropped any).
Result<DetectionSummary> DetectOnly(const Profile& profile, const std::string& input_name,
                                    uint64_t samples_before_filters = 0);

// Warns when the profile holds the samples of several processes (perf record -a), whose shares
// are then of them all, naming the --pid that keeps the largest. `whole_profiles`: the command
// takes no filter (gcspike diff), so the warning says how to write that process alone first.
Status WarnSeveralProcesses(const Profile& profile, const std::string& input_name,
                            Diagnostics* diagnostics, bool whole_profiles = false);

// The outcome of several gates: what to print for each, and the exit status they make together
// (kExitThreshold if any was crossed, or undecided under --inconclusive=fail; else
// kExitUndecided if any was undecided under --inconclusive=error; else kExitOk).
class GateTally {
 public:
  // Prints "--fail-on EXPR crossed: <crossed_text>" or "... cannot be decided: <reason>".
  void Add(const FailOnExpr& expr, const GateResult& result, const std::string& crossed_text);
  int ExitStatus() const;

 private:
  bool crossed_ = false;
  bool undecided_ = false;
};

// Judges every expression and prints one stderr line per crossed or undecided one. Returns
// kExitThreshold if any was crossed (or undecided under --inconclusive=fail), else
// kExitUndecided if any was undecided under --inconclusive=error (the default), else kExitOk.
// Samples that count twice (LoadInputs' `twice`) are judged counted once (fail_on.h).
int CheckFailOn(const std::vector<FailOnExpr>& exprs, DetectionSummary summary,
                const CountedTwice& twice);

// The HTML report (plugin/html_report.h) of a profile: labels it as annotate does and renders
// the page; annotate's html output.
Result<std::string> RenderHtmlReport(Profile& profile, const std::string& input_name);

// `gcspike report [--json|--html] INPUT... [-o FILE]`.
int RunReport(const Args& args);

// "a.pb.gz" or "a.pb.gz b.pb.gz" ("-" shown as <stdin>).
std::string InputName(const Args& args);
// `e` naming the inputs (InputName) when it names no file: errors about the samples read.
Error NamingInput(Error e, const Args& args);

}  // namespace gcspike::cli
