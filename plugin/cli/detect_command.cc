#include "plugin/cli/detect_command.h"

#include <gflags/gflags.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "formats/chrome_trace_writer.h"
#include "formats/output_file.h"
#include "plugin/cli/commands.h"
#include "plugin/cli/fleet_flags.h"
#include "plugin/cli/group_report.h"
#include "plugin/cli/help.h"
#include "plugin/cli/input_limit_flags.h"
#include "plugin/cli/output_flags.h"
#include "plugin/cli/perf_flags.h"
#include "plugin/cli/terminal_diagnostics.h"
#include "plugin/cli/trace_flags.h"
#include "plugin/cli/url_flags.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/perf_events.h"
#include "plugin/detect/site_paths.h"
#include "plugin/detect/time_rules.h"
#include "plugin/html_report.h"
#include "plugin/output_selector.h"
#include "plugin/pipeline.h"
#include "plugin/report.h"

DEFINE_string(rules, "",
              "A file of extra runtime signatures (ROLE PATTERN per line; see "
              "plugin/detect/RULES.md), e.g. your own map wrappers.");
DEFINE_string(fail_on, "",
              "Exit 1 when FEATURE[.value] OP NUMBER[%] holds for the whole 95% interval of the "
              "share, 3 when it cannot be decided (see --inconclusive); judged after the "
              "filters, after writing the output. E.g. grow-spike>10% or assist-coupling>=0.05 "
              "(repeatable).");
DEFINE_bool(json, false, "report: write JSON instead of text.");
DEFINE_bool(html, false,
            "report: write one self-contained HTML page (verdicts, a flame graph coloured by "
            "feature, and for traces the GC timeline); also --output-format=html or -o *.html.");
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
DEFINE_string(inconclusive, "error",
              "What a --fail-on gate does when its feature cannot be decided (the profile cannot "
              "show it, or its 95% interval straddles the limit): error = exit 3, fail = exit 1, "
              "pass = exit 0 with a warning.");
DEFINE_int32(min_samples, 30,
             "report: below this many individual samples every feature is inconclusive.");

DECLARE_string(o);
DECLARE_string(output);
DECLARE_string(output_format);
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
  if (FLAGS_min_samples < 0) return MakeError("--min-samples is negative");
  if (FLAGS_inconclusive != "error" && FLAGS_inconclusive != "fail" &&
      FLAGS_inconclusive != "pass") {
    return MakeError("--inconclusive is one of error, fail, pass (got '" + FLAGS_inconclusive +
                     "')");
  }
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

// Warns once per rules-file signature that names no function of the profile.
void WarnUnmatchedRules(const Profile& profile, const RuntimeSignatureCatalogue& catalogue,
                        Diagnostics* diagnostics) {
  if (diagnostics == nullptr || FLAGS_rules.empty()) return;
  std::vector<std::string_view> names;
  names.reserve(profile.functions.size());
  for (const Function& f : profile.functions) names.push_back(profile.str(f.name));
  for (const Signature* sig : catalogue.UnmatchedRules(names)) {
    diagnostics->Warn(sig->origin + ": rule '" +
                      std::string(RuntimeSignatureCatalogue::RoleName(sig->role)) + " " +
                      sig->pattern + (sig->prefix ? "*" : "") +
                      "' matched no frame of the profile (is the name spelled as go tool pprof "
                      "-traces prints it?)");
  }
}

// The text report's line width: the terminal's when it goes to one, else 80.
size_t ReportWidth(const std::string& output_path) {
  struct winsize ws {};
  if (output_path.empty() && ::isatty(STDOUT_FILENO) &&
      ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
    return ws.ws_col;
  }
  return 80;
}

// Everything the detectors conclude about a profile, before anything is written onto it.
struct Analysis {
  std::vector<StackFeatures> features;
  TimeAnalysis time;
  DetectionSummary summary;
};

// Classifies, resolves the sites, applies the time rules and summarizes.
Result<Analysis> Analyze(const Profile& profile, const std::string& input_name,
                         Diagnostics* diagnostics, size_t max_sites = 10,
                         uint64_t samples_before_filters = 0) {
  GCSPIKE_ASSIGN_OR_RETURN(DetectionThresholds thresholds, ThresholdsFromFlags());
  GCSPIKE_ASSIGN_OR_RETURN(RuntimeSignatureCatalogue catalogue, CatalogueFromFlags());
  GCSPIKE_ASSIGN_OR_RETURN(TimeRuleOptions time_options, TimeRuleOptionsFromFlags());
  WarnUnmatchedRules(profile, catalogue, diagnostics);
  Analysis a;
  a.features = ClassifySamples(profile, catalogue);
  // The site to presize: past the helpers that only pass the map on (site_paths.h).
  const SitePaths sites = ResolveSitePaths(profile, catalogue, a.features);
  // Execution traces: the timeline adds time-based features (plugin/detect/time_rules.h).
  a.time = ApplyTimeRules(profile, catalogue, a.features, time_options);
  SummaryContext context;
  context.visibility.min_samples = static_cast<uint64_t>(FLAGS_min_samples);
  context.visibility.samples_before_filters = samples_before_filters;
  context.assists_from_timeline = a.time.applicable && !profile.timeline.assists.empty();
  context.site_paths = &sites;
  context.max_sites = max_sites;
  a.summary = Summarize(profile, a.features, thresholds, context);
  a.summary.input = input_name;
  if (a.summary.visibility.cause == "filtered-out" && !a.time.applicable) {  // time ones too
    a.time.cause = a.summary.visibility.cause;
    a.time.reason = a.summary.visibility.reason;
  }
  return a;
}

// Labels the profile with the analysis (as annotate does) and renders the HTML page from it.
std::string LabelAndRenderHtml(Profile& profile, Analysis& a) {
  ApplyLabels(profile, a.features, std::string("gcspike ") + kVersion);
  ApplyTimeLabels(profile, a.time);
  std::string pre_pause_json, timeline_json;
  AppendPrePauseFeatureJson(pre_pause_json, a.time);
  AppendTimeJson(timeline_json, profile, a.time);
  return RenderReportHtml(profile, a.summary, a.time,
                          RenderReportJson(a.summary, pre_pause_json, timeline_json));
}

// What `report` writes: text unless --json, --html, --output-format or the -o extension say
// otherwise (.json, .html and .trace.json choose by extension, as docs/viewers.md says; the
// profile extensions are annotate's, and report writes text there).
// Flags that name different formats (--json --html) are a usage error, not the first one's.
Result<OutputFormat> ReportFormat(const std::string& path) {
  std::vector<std::pair<std::string, OutputFormat>> asked;
  if (FLAGS_html) asked.emplace_back("--html", OutputFormat::kHtml);
  if (FLAGS_json) asked.emplace_back("--json", OutputFormat::kJson);
  if (!FLAGS_output_format.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(OutputFormat f, ParseOutputFormat(FLAGS_output_format));
    if (f != OutputFormat::kReport && f != OutputFormat::kJson && f != OutputFormat::kHtml &&
        f != OutputFormat::kChromeTrace) {
      return MakeError("gcspike report writes report, json, html or chrome-trace, not '" +
                       FLAGS_output_format + "' (annotate writes profiles)");
    }
    asked.emplace_back("--output-format=" + FLAGS_output_format, f);
  }
  for (size_t i = 1; i < asked.size(); ++i) {
    if (asked[i].second != asked[0].second) {
      return MakeError(asked[0].first + " and " + asked[i].first +
                       " ask for different outputs: give one (one report per run)");
    }
  }
  if (!asked.empty()) return asked[0].second;
  const std::optional<OutputFormat> by_path = OutputFormatForPath(path);
  if (by_path == OutputFormat::kHtml || by_path == OutputFormat::kChromeTrace ||
      by_path == OutputFormat::kJson) {
    return *by_path;
  }
  return OutputFormat::kReport;
}

}  // namespace

// A recording of several processes (perf record -a): every share is of them all, so a program
// that grows maps can look normal beside the rest of the machine. Warns when a second process
// has at least 1 % of the samples, naming the largest and the --pid that judges it alone.
Status WarnSeveralProcesses(const Profile& profile, const std::string& input_name,
                            Diagnostics* diagnostics, bool whole_profiles) {
  if (diagnostics == nullptr) return {};
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<ProcessShare> processes, ProcessShares(profile));
  double total = 0;
  for (const ProcessShare& p : processes) total += p.samples;
  if (processes.size() < 2 || processes[1].samples < 0.01 * total) return {};
  auto name = [](const ProcessShare& p) {
    return (p.comm.empty() ? "" : p.comm + " ") + "pid " + std::to_string(p.pid);
  };
  std::string list;
  for (size_t i = 0; i < processes.size() && i < 3; ++i) {
    char share[32];
    std::snprintf(share, sizeof share, " %.1f%%", 100 * processes[i].samples / total);
    list += (i ? ", " : "") + name(processes[i]) + share;
  }
  const std::string pid = std::to_string(processes[0].pid);
  const std::string comm = processes[0].comm.empty() ? "it" : processes[0].comm;
  // diff refuses filters: the process is written alone first, and that file is diffed.
  const std::string how = whole_profiles ? "gcspike diff compares whole profiles: write " + comm +
                                               " alone first (gcspike " + input_name + " --pid " +
                                               pid + " -o pid" + pid + ".pb.gz) and diff that"
                                         : "--pid " + pid + " judges " + comm + " alone";
  diagnostics->Warn(input_name + ": samples of " + std::to_string(processes.size()) +
                    " processes (" + list + (processes.size() > 3 ? ", ..." : "") +
                    "): every share is of them all; " + how);
  return {};
}

Result<std::string> RenderHtmlReport(Profile& profile, const std::string& input_name) {
  GCSPIKE_ASSIGN_OR_RETURN(Analysis a, Analyze(profile, input_name, nullptr));
  return LabelAndRenderHtml(profile, a);
}

void RegisterDetectFlags() { RegisterRepeatableFlag("fail_on"); }

std::string InputName(const Args& args) {
  std::string out;
  for (const std::string& p : args.positional) {
    if (!out.empty()) out += " ";
    out += p == "-" ? "<stdin>" : InputAsFetched(p);
  }
  return out;
}

Error NamingInput(Error e, const Args& args) {
  if (e.file.empty()) e.file = InputName(args);
  return e;
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
    if (e.change != FailOnExpr::Change::kNone) {
      return MakeError("--fail-on '" + text +
                       "' gates a change between two profiles: use it "
                       "with gcspike diff (here: FEATURE OP NUMBER[%], e.g. grow-spike>10%)");
    }
    out.push_back(std::move(e));
  }
  if (!out.empty() && !FLAGS_detect) {
    return MakeError("--fail-on needs the detectors; it cannot be used with --no-detect");
  }
  return out;
}

Result<DetectionSummary> DetectAndLabel(Profile& profile, const std::string& input_name,
                                        Diagnostics* diagnostics, size_t max_sites) {
  GCSPIKE_ASSIGN_OR_RETURN(Analysis a, Analyze(profile, input_name, diagnostics, max_sites));
  ApplyLabels(profile, a.features, std::string("gcspike ") + kVersion);
  ApplyTimeLabels(profile, a.time);
  return std::move(a.summary);
}

Result<DetectionSummary> DetectOnly(const Profile& profile, const std::string& input_name,
                                    uint64_t samples_before_filters) {
  GCSPIKE_ASSIGN_OR_RETURN(Analysis a,
                           Analyze(profile, input_name, nullptr, 10, samples_before_filters));
  return std::move(a.summary);
}

void GateTally::Add(const FailOnExpr& expr, const GateResult& result,
                    const std::string& crossed_text) {
  switch (result.outcome) {
    case GateResult::Outcome::kPass:
      break;
    case GateResult::Outcome::kCrossed:
      std::fprintf(stderr, "gcspike: --fail-on %s crossed: %s\n", expr.text.c_str(),
                   crossed_text.c_str());
      crossed_ = true;
      break;
    case GateResult::Outcome::kUndecided:
      std::fprintf(stderr, "gcspike: --fail-on %s cannot be decided (--inconclusive=%s): %s\n",
                   expr.text.c_str(), FLAGS_inconclusive.c_str(), result.reason.c_str());
      if (FLAGS_inconclusive == "fail") crossed_ = true;
      if (FLAGS_inconclusive == "error") undecided_ = true;
      break;
  }
}

int GateTally::ExitStatus() const {
  return crossed_ ? kExitThreshold : undecided_ ? kExitUndecided : kExitOk;
}

int CheckFailOn(const std::vector<FailOnExpr>& exprs, DetectionSummary summary,
                const CountedTwice& twice) {
  summary.counted_twice = twice.fraction();
  summary.counted_twice_what = twice.first;
  GateTally tally;
  for (const FailOnExpr& e : exprs) {
    const GateResult r = EvaluateFailOn(e, summary);
    const std::string name = std::string(kFeatureNames[e.feature]) + (e.of_value ? ".value" : "");
    char measured[160];
    std::snprintf(measured, sizeof measured, "%.2f%% [%.2f-%.2f%%] of %llu samples",
                  r.measured * 100, r.interval.lo * 100, r.interval.hi * 100,
                  static_cast<unsigned long long>(summary.samples));
    if (summary.counted_twice > 0) {
      std::snprintf(measured + std::strlen(measured), sizeof measured - std::strlen(measured),
                    " (%.0f counted once: %.1f%% count twice)",
                    static_cast<double>(summary.samples) * (1 - summary.counted_twice),
                    summary.counted_twice * 100);
    }
    tally.Add(e, r, "measured " + name + " = " + measured);
  }
  return tally.ExitStatus();
}

namespace {

// With filters the report describes the samples kept; they run on the labelled profile, as
// in annotate, so --keep gcspike~grow-spike works. Whether there were filters, and how many
// samples the input had when they dropped any (ApplyFilterFlags).
struct ReportFilters {
  bool any = false;
  uint64_t samples_before_filters = 0;
};
Result<ReportFilters> FilterForReport(Profile& profile, const Args& args,
                                      Diagnostics* diagnostics) {
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterSpec filters, FilterSpecFromFlags(args));
  if (filters.empty()) return ReportFilters{};
  auto labelled = DetectAndLabel(profile, InputName(args), diagnostics);
  if (!labelled.ok()) return labelled.error();
  auto kept = ApplyFilterFlags(args, profile, diagnostics);
  if (!kept.ok()) return NamingInput(kept.error(), args);
  return ReportFilters{true, *kept};
}

// The report in `format`: text, JSON, HTML or a Chrome trace.
Result<std::string> RenderReport(Profile& profile, Analysis& analysis, OutputFormat format,
                                 const std::string& path, uint64_t max_memory, const Args& args) {
  // Execution traces: the pre-pause test among the features and the timeline (time_rules.h).
  std::string pre_pause_json, timeline_json;
  AppendPrePauseFeatureJson(pre_pause_json, analysis.time);
  AppendTimeJson(timeline_json, profile, analysis.time);
  std::string groups;  // --group-by: the verdicts per label value (group_report.h)
  if (GroupByRequested() && (format == OutputFormat::kJson || format == OutputFormat::kReport)) {
    auto rendered = RenderGroupReport(profile, format == OutputFormat::kJson, max_memory);
    if (!rendered.ok()) return NamingInput(rendered.error(), args);
    groups = std::move(*rendered);
  }
  switch (format) {
    case OutputFormat::kHtml:
      return LabelAndRenderHtml(profile, analysis);
    case OutputFormat::kChromeTrace: {
      ApplyLabels(profile, analysis.features, std::string("gcspike ") + kVersion);
      ApplyTimeLabels(profile, analysis.time);
      ChromeTraceWriteOptions w;
      w.exporter = std::string("gcspike@") + kVersion;
      return EncodeChromeTrace(profile, w);
    }
    case OutputFormat::kJson:
      return RenderReportJson(analysis.summary, pre_pause_json, timeline_json + groups);
    default:
      return RenderReportText(analysis.summary, ReportWidth(path)) +
             RenderTimeReport(profile, analysis.time) + groups;
  }
}

}  // namespace

int RunReport(const Args& args) {
  auto fail_on = CheckDetectFlags(args);
  if (!fail_on.ok()) return Fail(fail_on.error());
  TerminalDiagnostics diag;
  auto read = ReadOptionsFromFlags(args, &diag);
  if (!read.ok()) return Fail(read.error());
  CountedTwice twice;
  auto profile = LoadInputs(args.positional, *read, &twice);
  diag.ProgressDone();
  if (!profile.ok()) return Fail(profile.error());
  auto filtered = FilterForReport(*profile, args, &diag);
  if (!filtered.ok()) return Fail(filtered.error());
  // Unmatched rules are told once, about the whole input.
  Diagnostics* warn_rules = filtered->any ? nullptr : &diag;
  auto analysis =
      Analyze(*profile, InputName(args), warn_rules, 10, filtered->samples_before_filters);
  if (!analysis.ok()) return Fail(analysis.error());
  // About the samples judged, after the filters (--pid keeps one process).
  if (Status s = WarnSeveralProcesses(*profile, InputName(args), &diag); !s.ok()) {
    return Fail(s.error());
  }
  const std::string path = !FLAGS_o.empty() ? FLAGS_o : FLAGS_output;
  auto format = ReportFormat(path);
  if (!format.ok()) return Fail(format.error());
  auto text = RenderReport(*profile, *analysis, *format, path, read->max_input_bytes, args);
  if (!text.ok()) return Fail(text.error());
  auto out = OutputFile::Open(path, /*binary=*/false);
  if (!out.ok()) return Fail(out.error());
  if (Status s = (*out)->Write(std::string_view(*text)); !s.ok()) return Fail(s.error());
  if (Status s = (*out)->Commit(); !s.ok()) return Fail(s.error());
  return CheckFailOn(*fail_on, analysis->summary, twice);
}

}  // namespace gcspike::cli
