#include "plugin/output_selector.h"

#include <optional>
#include <string>

#include "formats/chrome_trace_writer.h"
#include "formats/folded_writer.h"
#include "formats/speedscope_writer.h"

namespace gcspike {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  for (OutputFormat f : {OutputFormat::kPprof, OutputFormat::kSpeedscope, OutputFormat::kFolded,
                         OutputFormat::kReport, OutputFormat::kJson, OutputFormat::kHtml,
                         OutputFormat::kChromeTrace}) {
    if (name == OutputFormatName(f)) return f;
  }
  return MakeError(
      "--output-format must be pprof, speedscope, folded, report, json, html or chrome-trace, "
      "not '" +
      std::string(name) + "'");
}

std::string_view OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kPprof:
      return "pprof";
    case OutputFormat::kSpeedscope:
      return "speedscope";
    case OutputFormat::kFolded:
      return "folded";
    case OutputFormat::kReport:
      return "report";
    case OutputFormat::kJson:
      return "json";
    case OutputFormat::kHtml:
      return "html";
    case OutputFormat::kChromeTrace:
      return "chrome-trace";
  }
  return "pprof";
}

std::optional<OutputFormat> OutputFormatForPath(std::string_view path) {
  // .speedscope.json and .trace.json before .json.
  if (EndsWith(path, ".speedscope.json")) return OutputFormat::kSpeedscope;
  if (EndsWith(path, ".trace.json")) return OutputFormat::kChromeTrace;
  if (EndsWith(path, ".html") || EndsWith(path, ".htm")) return OutputFormat::kHtml;
  if (EndsWith(path, ".json")) return OutputFormat::kJson;
  if (EndsWith(path, ".folded")) return OutputFormat::kFolded;
  if (EndsWith(path, ".txt")) return OutputFormat::kReport;
  if (EndsWith(path, ".pb.gz") || EndsWith(path, ".pb") || EndsWith(path, ".pprof")) {
    return OutputFormat::kPprof;
  }
  return std::nullopt;
}

Result<OutputFormat> SelectOutputFormat(std::string_view flag_value, std::string_view path) {
  if (!flag_value.empty()) return ParseOutputFormat(flag_value);
  return OutputFormatForPath(path).value_or(OutputFormat::kPprof);
}

bool IsBinaryOutput(OutputFormat format) { return format == OutputFormat::kPprof; }

PseudoFramePlacement DefaultPseudoFrames(OutputFormat format) {
  return format == OutputFormat::kSpeedscope || format == OutputFormat::kFolded
             ? PseudoFramePlacement::kRoot
             : PseudoFramePlacement::kNone;
}

namespace {

Status WriteText(const ByteSink& sink, const std::string& text) {
  return sink(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// The outputs the detectors render (report, json, html); nullopt for the other formats.
std::optional<Result<std::string>> RenderDetectorOutput(Profile& profile,
                                                        const OutputOptions& options) {
  switch (options.format) {
    case OutputFormat::kReport:
    case OutputFormat::kJson:
      if (!options.report) {
        return MakeError("the " + std::string(OutputFormatName(options.format)) +
                         " output needs the detectors' report, which this build does not have");
      }
      return options.report(profile, options.format == OutputFormat::kJson);
    case OutputFormat::kHtml:
      if (!options.html) {
        return MakeError(
            "the html output needs the detectors' report, which this build does "
            "not have");
      }
      return options.html(profile);
    default:
      return std::nullopt;
  }
}

// The profile in a viewer's format (speedscope, Chrome trace, folded stacks) or as pprof.
Status WriteProfileOutput(Profile& profile, const OutputOptions& options, const ByteSink& sink) {
  switch (options.format) {
    case OutputFormat::kSpeedscope: {
      SpeedscopeWriteOptions w;
      w.name = options.title;
      w.exporter = options.exporter;
      w.merge_threads = options.merge_threads;
      w.diagnostics = options.diagnostics;
      GCSPIKE_ASSIGN_OR_RETURN(std::string text, EncodeSpeedscope(profile, w));
      return WriteText(sink, text);
    }
    case OutputFormat::kChromeTrace: {
      ChromeTraceWriteOptions w;
      w.exporter = options.exporter;
      w.diagnostics = options.diagnostics;
      GCSPIKE_ASSIGN_OR_RETURN(std::string text, EncodeChromeTrace(profile, w));
      return WriteText(sink, text);
    }
    case OutputFormat::kFolded: {
      FoldedWriteOptions w;
      w.diagnostics = options.diagnostics;
      GCSPIKE_ASSIGN_OR_RETURN(std::string text, EncodeFolded(profile, w));
      return WriteText(sink, text);
    }
    default: {
      PprofWriteOptions w = options.pprof;
      w.diagnostics = options.diagnostics;
      return WritePprof(profile, w, sink);
    }
  }
}

}  // namespace

Status WriteOutput(Profile& profile, const OutputOptions& options, const ByteSink& sink) {
  const PseudoFramePlacement placement =
      options.pseudo_frames.value_or(DefaultPseudoFrames(options.format));
  if (std::optional<Result<std::string>> text = RenderDetectorOutput(profile, options)) {
    if (!text->ok()) return text->error();
    return WriteText(sink, **text);
  }
  // Pseudo frames come from labels: on a spooled profile they go on the stack samples when no
  // record has its own label of their keys, else the records become samples first. The writers
  // walk the spool themselves (docs/memory.md#outputs).
  if (placement != PseudoFramePlacement::kNone) {
    GCSPIKE_ASSIGN_OR_RETURN(bool on_stacks,
                             PseudoFramesFitStacks(profile, options.pseudo_frame_keys));
    if (!on_stacks) GCSPIKE_RETURN_IF_ERROR(MaterializeSpool(profile, options.max_memory));
  }
  AddPseudoFrames(profile, placement, options.pseudo_frame_keys);
  return WriteProfileOutput(profile, options, sink);
}

Result<std::vector<uint8_t>> EncodeOutput(Profile& profile, const OutputOptions& options) {
  std::vector<uint8_t> bytes;
  GCSPIKE_RETURN_IF_ERROR(WriteOutput(profile, options, [&bytes](std::span<const uint8_t> piece) {
    bytes.insert(bytes.end(), piece.begin(), piece.end());
    return Status();
  }));
  return bytes;
}

}  // namespace gcspike
