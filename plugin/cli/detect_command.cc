#include "plugin/cli/detect_command.h"

#include <gflags/gflags.h>

#include <cstdio>

#include "formats/output_file.h"
#include "plugin/cli/commands.h"
#include "plugin/cli/help.h"
#include "plugin/cli/input_limit_flags.h"
#include "plugin/cli/output_flags.h"
#include "plugin/cli/perf_flags.h"
#include "plugin/cli/terminal_diagnostics.h"
#include "plugin/cli/trace_flags.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/time_rules.h"
#include "plugin/pipeline.h"
#include "plugin/report.h"

DEFINE_string(rules, "",
              "A file of extra runtime signatures (ROLE PATTERN per line; see "
              "plugin/detect/RULES.md), e.g. your own map wrappers.");
DEFINE_string(fail_on, "",
              "Exit 1 when FEATURE[.value] OP NUMBER[%] holds after writing the output, e.g. "
              "grow-spike>10% or assist-coupling>=0.05 (repeatable).");
DEFINE_bool(json, false, "report: write JSON instead of text.");
DEFINE_double(grow_spike_threshold, 0.03,
              "report: grow-spike is a spike at this fraction of samples or more.");
DEFINE_double(key_copy_threshold, 0.02,
              "report: key-copy is a spike at this fraction of samples or more.");
DEFINE_double(malloc_burst_threshold, 0.08,
              "report: malloc-burst is a spike at this fraction of samples or more (and deep "
              "enough, --malloc-depth-threshold).");
DEFINE_int32(malloc_depth_threshold, 5,
             "report: frames from the grow frame to the leaf for a malloc burst.");
DEFINE_double(assist_threshold, 0.15,
              "report: assist-coupling needs runtime.gcAssistAlloc in more than this fraction "
              "of samples, and --assist-from-map-threshold.");
DEFINE_double(assist_from_map_threshold, 0.5,
              "report: the fraction of those assists that must be under a map insert or grow.");
DEFINE_double(scan_threshold, 0.25,
              "report: scanobject-hotspot is a spike above this fraction of samples.");

DECLARE_string(o);
DECLARE_string(output);
DECLARE_bool(detect);

DECLARE_bool(in_memory);  // plugin/cli/commands.cc

namespace gcspike::cli {
namespace {

Result<DetectionThresholds> ThresholdsFromFlags() {
  DetectionThresholds t;
  const std::pair<const char*, double> fractions[] = {
      {"grow_spike_threshold", FLAGS_grow_spike_threshold},
      {"key_copy_threshold", FLAGS_key_copy_threshold},
      {"malloc_burst_threshold", FLAGS_malloc_burst_threshold},
      {"assist_threshold", FLAGS_assist_threshold},
      {"assist_from_map_threshold", FLAGS_assist_from_map_threshold},
      {"scan_threshold", FLAGS_scan_threshold}};
  for (const auto& [name, v] : fractions) {
    if (!(v >= 0 && v <= 1)) {
      return MakeError(std::string("--") + name + " is a fraction between 0 and 1");
    }
  }
  if (FLAGS_malloc_depth_threshold < 0) return MakeError("--malloc_depth_threshold is negative");
  t.grow_spike = FLAGS_grow_spike_threshold;
  t.key_copy = FLAGS_key_copy_threshold;
  t.malloc_burst = FLAGS_malloc_burst_threshold;
  t.malloc_depth = FLAGS_malloc_depth_threshold;
  t.assist_share = FLAGS_assist_threshold;
  t.assist_from_map = FLAGS_assist_from_map_threshold;
  t.scan_share = FLAGS_scan_threshold;
  return t;
}

Result<RuntimeSignatureCatalogue> CatalogueFromFlags() {
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  if (!FLAGS_rules.empty()) GCSPIKE_RETURN_IF_ERROR(c.AddRulesFile(FLAGS_rules));
  return c;
}

// `time_report` (optional) receives the execution-trace timeline section of the report.
Result<DetectionSummary> Detect(Profile& profile, const std::string& input_name, bool label,
                                std::string* time_report = nullptr) {
  GCSPIKE_ASSIGN_OR_RETURN(DetectionThresholds thresholds, ThresholdsFromFlags());
  GCSPIKE_ASSIGN_OR_RETURN(RuntimeSignatureCatalogue catalogue, CatalogueFromFlags());
  GCSPIKE_ASSIGN_OR_RETURN(TimeRuleOptions time_options, TimeRuleOptionsFromFlags());
  std::vector<StackFeatures> features = ClassifySamples(profile, catalogue);
  // Execution traces: the timeline adds time-based features (plugin/detect/time_rules.h).
  const TimeAnalysis time = ApplyTimeRules(profile, catalogue, features, time_options);
  DetectionSummary summary = Summarize(profile, features, thresholds);
  summary.input = input_name;
  if (label) {
    ApplyLabels(profile, features, std::string("gcspike ") + kVersion);
    ApplyTimeLabels(profile, time);
  }
  if (time_report != nullptr) *time_report = RenderTimeReport(profile, time);
  return summary;
}

}  // namespace

void RegisterDetectFlags() { RegisterRepeatableFlag("fail_on"); }

std::string InputName(const Args& args) {
  std::string out;
  for (const std::string& p : args.positional) {
    if (!out.empty()) out += " ";
    out += p == "-" ? "<stdin>" : p;
  }
  return out;
}

Result<std::vector<FailOnExpr>> CheckDetectFlags(const Args& args) {
  if (FLAGS_detect) {
    GCSPIKE_RETURN_IF_ERROR(ThresholdsFromFlags());
    GCSPIKE_RETURN_IF_ERROR(CatalogueFromFlags());
  }
  std::vector<FailOnExpr> out;
  const auto it = args.repeated.find("fail_on");
  if (it == args.repeated.end()) return out;
  for (const std::string& text : it->second) {
    GCSPIKE_ASSIGN_OR_RETURN(FailOnExpr e, ParseFailOn(text));
    out.push_back(std::move(e));
  }
  if (!out.empty() && !FLAGS_detect) {
    return MakeError("--fail-on needs the detectors; it cannot be used with --no-detect");
  }
  return out;
}

Result<DetectionSummary> DetectAndLabel(Profile& profile, const std::string& input_name) {
  return Detect(profile, input_name, /*label=*/true);
}

int CheckFailOn(const std::vector<FailOnExpr>& exprs, const DetectionSummary& summary) {
  int status = kExitOk;
  for (const FailOnExpr& e : exprs) {
    if (const std::optional<double> measured = CrossedFailOn(e, summary)) {
      std::fprintf(stderr, "gcspike: --fail-on %s crossed: measured %s = %.2f%%\n",
                   e.text.c_str(),
                   (std::string(kFeatureNames[e.feature]) + (e.of_value ? ".value" : "")).c_str(),
                   *measured * 100);
      status = kExitThreshold;
    }
  }
  return status;
}

int RunReport(const Args& args) {
  auto fail_on = CheckDetectFlags(args);
  if (!fail_on.ok()) return Fail(fail_on.error());
  TerminalDiagnostics diag;
  ReadOptions read;
  read.diagnostics = &diag;
  ApplyPerfFlags(args, read);
  if (Status s = ApplyInputLimitFlags(read); !s.ok()) return Fail(s.error());
  read.spool_samples = !FLAGS_in_memory;
  auto profile = LoadInputs(args.positional, read);
  diag.ProgressDone();
  if (!profile.ok()) return Fail(profile.error());
  // With filters the report describes the samples kept; they run on the labelled profile, as
  // in annotate, so --keep gcspike~grow-spike works.
  auto filters = FilterSpecFromFlags(args);
  if (!filters.ok()) return Fail(filters.error());
  if (!filters->empty()) {
    auto labelled = Detect(*profile, InputName(args), /*label=*/true);
    if (!labelled.ok()) return Fail(labelled.error());
    auto kept = FilterSamples(*profile, *filters, &diag);
    if (!kept.ok()) return Fail(kept.error());
  }
  std::string time_report;
  auto summary = Detect(*profile, InputName(args), /*label=*/false, &time_report);
  if (!summary.ok()) return Fail(summary.error());
  const std::string text =
      FLAGS_json ? RenderReportJson(*summary) : RenderReportText(*summary) + time_report;
  const std::string path = !FLAGS_o.empty() ? FLAGS_o : FLAGS_output;
  auto out = OutputFile::Open(path, /*binary=*/false);
  if (!out.ok()) return Fail(out.error());
  if (Status s = (*out)->Write(std::string_view(text)); !s.ok()) return Fail(s.error());
  if (Status s = (*out)->Commit(); !s.ok()) return Fail(s.error());
  return CheckFailOn(*fail_on, *summary);
}

}  // namespace gcspike::cli
