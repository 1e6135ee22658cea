// Which output a command writes and how it gets there: the format (from --output-format or the
// -o file name's extension), the pseudo frames that format wants (plugin/filter/pseudo_frames.h)
// and the encoder. pprof is binary and is refused on a terminal; every other format is text.
//
//   format       extension          pseudo frames by default
//   pprof        .pb.gz .pb .pprof  none (pprof shows labels itself: -tagfocus, -tagroot)
//   speedscope   .speedscope.json   root
//   folded       .folded            root
//   report       .txt               none (the detectors' verdict report)
//   json         .json              none (the same report for scripts)
//   html         .html              none (the report as one page: plugin/html_report.h)
//   chrome-trace .trace.json        none (Trace Event Format: formats/chrome_trace_writer.h)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"
#include "formats/pprof_writer.h"
#include "formats/profile_reader.h"
#include "plugin/filter/pseudo_frames.h"

namespace gcspike {

enum class OutputFormat { kPprof, kSpeedscope, kFolded, kReport, kJson, kHtml, kChromeTrace };

Result<OutputFormat> ParseOutputFormat(std::string_view name);
std::string_view OutputFormatName(OutputFormat format);
// nullopt when the path's extension names no format.
std::optional<OutputFormat> OutputFormatForPath(std::string_view path);
// An explicit --output-format wins; else the extension of -o; else pprof.
Result<OutputFormat> SelectOutputFormat(std::string_view flag_value, std::string_view path);

bool IsBinaryOutput(OutputFormat format);
PseudoFramePlacement DefaultPseudoFrames(OutputFormat format);

// The detectors' report (text for people, or JSON), supplied by the command line when the
// report code is built in.
using ReportEncoder = std::function<Result<std::string>(const Profile&, bool json)>;
// The HTML report of a (labelled) profile, supplied by the command line like ReportEncoder.
using HtmlEncoder = std::function<Result<std::string>(Profile&)>;

struct OutputOptions {
  OutputFormat format = OutputFormat::kPprof;
  std::optional<PseudoFramePlacement> pseudo_frames;  // nullopt: DefaultPseudoFrames(format)
  std::vector<std::string> pseudo_frame_keys = {"gcspike"};
  PprofWriteOptions pprof;
  bool merge_threads = false;  // speedscope: one profile instead of one per goroutine/thread
  std::string title;           // speedscope: the name shown
  std::string exporter;        // speedscope: "gcspike@VERSION"
  ReportEncoder report;        // report and json
  HtmlEncoder html;            // html
  Diagnostics* diagnostics = nullptr;
  // The memory budget (--max-memory) for expanding a spooled profile into one sample per record,
  // which pseudo frames need (MaterializeSpool).
  uint64_t max_memory = DefaultMemoryBudget();
};

// Applies the pseudo frames (changing `profile`) and encodes it.
Result<std::vector<uint8_t>> EncodeOutput(Profile& profile, const OutputOptions& options);
// The same, streamed to `sink` (pprof a megabyte at a time; the text formats at the end).
Status WriteOutput(Profile& profile, const OutputOptions& options, const ByteSink& sink);

}  // namespace gcspike
