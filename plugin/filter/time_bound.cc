#include "plugin/filter/time_bound.h"

#include <cmath>
#include <limits>

#include "plugin/filter/label_condition.h"

namespace gcspike {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {{"ns", 1},
                           {"us", 1000},
                           {"\xC2\xB5s", 1000},  // µs (U+00B5), as Go accepts
                           {"ms", 1000000},
                           {"s", 1000000000},
                           {"m", int64_t{60} * 1000000000},
                           {"h", int64_t{3600} * 1000000000}};

}  // namespace

Result<int64_t> ParseDurationNs(std::string_view text) {
  const std::string what = "duration '" + std::string(text) + "'";
  if (text == "0") return int64_t{0};
  if (text.empty()) return MakeError("empty duration");
  long double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
      ++digits;
    }
    if (digits == 0 || text.substr(0, digits) == ".") {
      return MakeError(what + " needs a number before each unit");
    }
    const std::string number(text.substr(0, digits));
    if (number.find('.') != number.rfind('.')) return MakeError(what + " has a malformed number");
    text.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return MakeError(what + " needs a unit: ns, us, ms, s, m or h");
    text.remove_prefix(unit->name.size());
    total += std::stold(number) * static_cast<long double>(unit->ns);
  }
  if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return MakeError(what + " is too long");
  }
  return static_cast<int64_t>(std::llround(total));
}

Result<TimeBound> ParseTimeBound(std::string_view text) {
  TimeBound b;
  b.text = std::string(text);
  if (!text.empty() && text[0] == '+') {
    auto d = ParseDurationNs(text.substr(1));
    if (!d.ok()) return MakeError("time '" + b.text + "': " + d.error().message);
    b.relative = true;
    b.ns = *d;
    return b;
  }
  const std::optional<int64_t> n = ParseInteger(text);
  if (!n.has_value()) {
    return MakeError("time '" + b.text +
                     "' must be nanoseconds (123456789) or +DURATION after the first sample "
                     "(+1.5s, +250ms)");
  }
  b.ns = *n;
  return b;
}

}  // namespace gcspike
