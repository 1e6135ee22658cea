#include "plugin/report_format.h"

#include <algorithm>
#include <cstdio>

namespace gcspike::report_format {

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Pct(double fraction) { return Format("%.1f%%", fraction * 100); }

// Enough digits for fractions; never NaN (fractions of empty profiles are 0).
std::string Num(double v) { return Format("%.6g", v); }

std::string PctInterval(const Interval& i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%.1f-%.1f]", i.lo * 100, i.hi * 100);
  return buf;
}

std::string JsonInterval(const Interval& i) { return "[" + Num(i.lo) + "," + Num(i.hi) + "]"; }

std::string SiteText(const std::string& function, const std::vector<std::string>& via) {
  std::string s = function;
  if (via.empty()) return s;
  s += " (via ";
  for (size_t i = 0; i < via.size(); ++i) s += (i ? ", " : "") + via[i];
  return s + ")";
}

std::vector<UndecidedReason> UndecidedReasons(
    const std::array<const std::string*, kFeatureCount>& reasons) {
  std::vector<UndecidedReason> out;
  for (int i = 0; i < kFeatureCount; ++i) {
    if (reasons[i] == nullptr) continue;
    auto told = std::find_if(out.begin(), out.end(),
                             [&](const UndecidedReason& u) { return u.reason == *reasons[i]; });
    if (told == out.end()) {
      out.push_back({*reasons[i], std::string(kFeatureNames[i])});
    } else {
      told->features += ", " + std::string(kFeatureNames[i]);
    }
  }
  return out;
}

std::string Wrap(std::string_view first, std::string_view text, size_t width, size_t indent) {
  std::string out(first);
  size_t column = first.size();
  bool line_has_word = false;
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at >= text.size()) break;
    size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(at, end - at);
    at = end;
    if (line_has_word && column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_has_word = false;
    }
    if (line_has_word) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_has_word = true;
  }
  return out + "\n";
}

}  // namespace gcspike::report_format
