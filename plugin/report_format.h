// The small pieces every rendering of a report shares (report.cc, diff_report.cc): percentages,
// intervals, JSON scalars, a site with its via-path, and paragraphs wrapped to a width.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "formats/json_text.h"  // JsonString: a JSON string, valid UTF-8 whatever its bytes
#include "plugin/detect/stack_rules.h"
#include "plugin/detect/statistics.h"

namespace gcspike::report_format {

std::string Format(const char* fmt, double v);  // snprintf of one number
std::string Pct(double fraction);               // "39.0%"
std::string Num(double v);                      // a JSON number, 6 significant digits
std::string PctInterval(const Interval& i);     // "[34.1-44.1]"
std::string JsonInterval(const Interval& i);    // "[0.341398,0.441117]"
// "main.dedupGrowing (via main.markSeen)".
std::string SiteText(const std::string& function, const std::vector<std::string>& via);
// One reason the report gives for undecided features, and the features that share it.
struct UndecidedReason {
  std::string reason;
  std::string features;  // their names, "grow-spike, key-copy"
};
// The distinct reasons of the undecided features, in feature order; `reasons[i]` is feature
// i's reason, null when it was decided.
std::vector<UndecidedReason> UndecidedReasons(
    const std::array<const std::string*, kFeatureCount>& reasons);
// The words of `text` in lines of at most `width` columns, the first starting with `first`,
// the rest indented by `indent` spaces; a word longer than a line gets a line of its own.
std::string Wrap(std::string_view first, std::string_view text, size_t width, size_t indent);

}  // namespace gcspike::report_format
