// `gcspike report --html`: one self-contained HTML page (no network when opened; works from
// file://) with the verdict table, an interactive flame graph coloured by the gcspike feature of
// its samples and, for execution traces, the GC timeline whose brushed range filters the flame
// graph.
//
// The page is a template with its script and style inline (plugin/html/report.{html,js,css},
// embedded into the binary at build time: CMake writes them into a generated header) and one
// JSON document, <script type="application/json" id="gcspike-data">:
//   {"report": <RenderReportJson, the data contract of the verdicts>,
//    "flame": {"names":[S], "files":[S], "parent":[N], "name":[N], "file":[N], "line":[N],
//              "total":[N], "features":[6 N per node: grow-spike, key-copy, malloc-burst,
//              assist-coupling, scanobject-hotspot, none], "min_share":F, "merged_frames":N},
//    "samples": {"t":[N], "node":[N], ["w":[N]]} | null,   (traces: times from origin_ns)
//    "timeline": {...} | null}                              (BuildTimelineJson)
// Node 0 is the root; a node's parent precedes it. What a browser cannot show is aggregated
// here: frames below `min_frame_share` of the samples fold into one "(other)" frame per parent,
// the heap series and the assist intervals are binned to `timeline_bins` columns, assists get
// `assist_rows` rows for the busiest goroutines plus one for the rest, and per-sample data stops
// at `max_brush_samples` (then the timeline shows, but a brush cannot filter the flame graph).
// The page size is therefore about 45 KB (script, style, report) + 35 bytes per CPU sample (its
// time and node, and the report's grow sample times) + 120 bytes per GC cycle (the cycle, its
// pauses, the report's entries) + 50 bytes per frame kept + at most 450 KB of binned timeline
// (heap series, assist rows, pre-pause windows); the 166 MB trace of bench/html_bench.sh (844
// CPU samples, 25 cycles) gives 114 KB. Only GC cycles are not capped: the page stays under
// 10 MB for any trace with fewer than 50,000 GC cycles.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/time_rules.h"

namespace gcspike {

struct HtmlReportOptions {
  double min_frame_share = 0.001;
  size_t max_brush_samples = 250'000;
  int assist_rows = 8;
  int timeline_bins = 2000;
  int grow_histogram_bins = 200;
};

// The six colours of the page: the five features and "none of them".
inline constexpr int kFlameClasses = 6;

struct FlameNode {
  int32_t parent = -1;
  uint32_t name = 0;  // index into FlameModel::names
  uint32_t file = 0;  // index into FlameModel::files ("" first)
  int64_t line = 0;   // the function's start line, 0 when unknown
  double total = 0;   // individual samples (sample_weight.h) in the subtree
  std::array<double, kFlameClasses> features{};  // of `total`, how many have each feature
};

struct FlameModel {
  std::vector<std::string> names;
  std::vector<std::string> files;
  std::vector<FlameNode> nodes;      // nodes[0] is the root ("all")
  std::vector<int32_t> sample_node;  // per profile sample: its leaf node after aggregation
  int64_t merged_frames = 0;         // frames folded into "(other)"
};

// The flame graph of the whole profile with the gcspike labels already on its samples.
FlameModel BuildFlameModel(const Profile& profile, double min_frame_share);

// Per column of `bins` equal columns over [start, end): the largest value of the points in it;
// columns without points are left out. Output: (column start, value) pairs.
std::vector<std::pair<int64_t, uint64_t>> BinMax(const std::vector<HeapPoint>& points,
                                                 int64_t start, int64_t end, int bins);

// Sorted, disjoint intervals covering `intervals`, where gaps shorter than `min_gap` are closed.
std::vector<std::pair<int64_t, int64_t>> MergeIntervals(
    std::vector<std::pair<int64_t, int64_t>> intervals, int64_t min_gap);

// The "timeline" member (without the key) or "null" when the analysis does not apply.
std::string BuildTimelineJson(const Profile& profile, const TimeAnalysis& analysis,
                              const HtmlReportOptions& options);

// The page. `report_json` is RenderReportJson's output for the same summary.
std::string RenderReportHtml(const Profile& profile, const DetectionSummary& summary,
                             const TimeAnalysis& analysis, std::string_view report_json,
                             const HtmlReportOptions& options = {});

}  // namespace gcspike
