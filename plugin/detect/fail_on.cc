#include "plugin/detect/fail_on.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gcspike {
namespace {

Error Bad(std::string_view text, const std::string& why) {
  return MakeError("bad --fail-on expression '" + std::string(text) + "': " + why +
                   " (form: FEATURE[.value] OP NUMBER[%], e.g. grow-spike>10%; in gcspike diff: "
                   "FEATURE OP +NUMBERpp or +NUMBER%, e.g. grow-spike>+3pp)");
}

const char* OpText(FailOnExpr::Op op) {
  switch (op) {
    case FailOnExpr::Op::kGreater:
      return ">";
    case FailOnExpr::Op::kGreaterEqual:
      return ">=";
    case FailOnExpr::Op::kLess:
      return "<";
    case FailOnExpr::Op::kLessEqual:
      break;
  }
  return "<=";
}

// Sets r.outcome: the comparison "value OP limit" holds for the whole of r.interval (crossed),
// for none of it (pass) or for part of it (undecided).
void JudgeInterval(const FailOnExpr& expr, double limit, GateResult& r) {
  const bool greater =
      expr.op == FailOnExpr::Op::kGreater || expr.op == FailOnExpr::Op::kGreaterEqual;
  const bool or_equal =
      expr.op == FailOnExpr::Op::kGreaterEqual || expr.op == FailOnExpr::Op::kLessEqual;
  const Side side = CompareInterval(r.interval, limit, /*inclusive=*/greater == or_equal);
  const Side holds = greater ? Side::kAbove : Side::kBelow;
  r.outcome = side == Side::kStraddles ? GateResult::Outcome::kUndecided
              : side == holds          ? GateResult::Outcome::kCrossed
                                       : GateResult::Outcome::kPass;
}

// A measured share (or change) that is only a bound of the true one (FeatureSummary::
// lower_bound): the true value is at least the measured one when `at_least`, at most when not.
// An outcome the bound does not support becomes undecided, for `why`: "value > limit" crossed
// stays crossed as the value rises, its pass does not; "value < limit" the other way round.
void ApplyBound(const FailOnExpr& expr, bool at_least, const std::string& why, GateResult& r) {
  const bool greater =
      expr.op == FailOnExpr::Op::kGreater || expr.op == FailOnExpr::Op::kGreaterEqual;
  const GateResult::Outcome stands =
      at_least == greater ? GateResult::Outcome::kCrossed : GateResult::Outcome::kPass;
  if (r.outcome == GateResult::Outcome::kUndecided || r.outcome == stands) return;
  r.outcome = GateResult::Outcome::kUndecided;
  r.reason = why;
}

}  // namespace

namespace {

// FEATURE[.value] of the expression `text`: e.feature and e.of_value.
Status ParseFeature(std::string_view text, std::string_view name, FailOnExpr& e) {
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name.size() > 6 && name.substr(name.size() - 6) == ".value") {
    e.of_value = true;
    name.remove_suffix(6);
  }
  e.feature = -1;
  for (int i = 0; i < kFeatureCount; ++i) {
    if (kFeatureNames[i] == name) e.feature = i;
  }
  if (e.feature < 0) {
    std::string known;
    for (std::string_view f : kFeatureNames) known += (known.empty() ? "" : ", ") + std::string(f);
    return Bad(text, "unknown feature '" + std::string(name) + "' (one of " + known + ")");
  }
  return {};
}

// A gate whose outcome no measurement can change: the value is within [lo, hi] (a share in
// [0, 1], a change in points in [-1, +1]), so "> hi" is never crossed and would pass on any
// profile (grow-spike>1 is 100 %, not 1 %), and ">= lo" always is.
Status CheckCanChange(std::string_view text, const FailOnExpr& e, double lo, double hi,
                      bool bare_one) {
  const bool greater = e.op == FailOnExpr::Op::kGreater || e.op == FailOnExpr::Op::kGreaterEqual;
  const bool or_equal = e.op == FailOnExpr::Op::kGreaterEqual || e.op == FailOnExpr::Op::kLessEqual;
  const std::string range = e.change == FailOnExpr::Change::kPoints
                                ? "a share changes by -100pp to +100pp"
                                : "a share is between 0 and 100%";
  if (greater ? e.threshold >= hi : e.threshold <= lo) {
    return Bad(text, "it can never be crossed (" + range + "), so it would pass on any profile" +
                         (bare_one ? "; for one percent write 1%" : ""));
  }
  if (or_equal && (greater ? e.threshold <= lo : e.threshold >= hi)) {
    return Bad(text, "it holds for any profile (" + range + ")");
  }
  return {};
}

// The NUMBER after the comparison: a share (0.1, 10%) or a change (+3pp, +50%).
Status ParseThreshold(std::string_view text, std::string number, FailOnExpr& e) {
  while (!number.empty() && number.front() == ' ') number.erase(0, 1);
  while (!number.empty() && number.back() == ' ') number.pop_back();
  // A change (gcspike diff): "+3pp", "-5pp", "3pp" in points, "+50%" relative to the base.
  const bool points = number.size() > 2 && number.ends_with("pp");
  const bool sign = !number.empty() && (number.front() == '+' || number.front() == '-');
  if (points) number.resize(number.size() - 2);
  const bool percent = !points && !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  while (!number.empty() && number.back() == ' ') number.pop_back();  // "5 %", "+3 pp"
  if (number.find_first_of("<>,;") != std::string::npos) {
    return Bad(text,
               "one comparison per --fail-on; repeat the flag for each gate (--fail-on "
               "'grow-spike>5%' --fail-on 'key-copy>2%')");
  }
  if (sign && !points && !percent) {
    return Bad(text, "a change needs its unit: +3pp (points of share) or +50% (of the base's)");
  }
  if (number.empty()) return Bad(text, "no number after the comparison");
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(number.c_str(), &end);
  if (points || sign) {
    e.change = points ? FailOnExpr::Change::kPoints : FailOnExpr::Change::kRelative;
    if (errno != 0 || end != number.c_str() + number.size() || !std::isfinite(v)) {
      return Bad(text, "'" + number + "' is not a number");
    }
    if (e.of_value) return Bad(text, "a change is judged on the share of samples, not .value");
    e.threshold = v / 100;
    if (points && std::abs(e.threshold) > 1) return Bad(text, "a share changes by at most 100pp");
    if (!points && e.threshold < -1) return Bad(text, "a share falls by at most -100%");
    return points ? CheckCanChange(text, e, -1, 1, false) : Status{};
  }
  if (errno != 0 || end != number.c_str() + number.size() || !std::isfinite(v) || v < 0) {
    return Bad(text, "'" + number + "' is not a non-negative number");
  }
  e.threshold = percent ? v / 100 : v;
  if (e.threshold > 1) {
    return Bad(text, "a fraction is at most 1 (write 10% or 0.1, not 10)");
  }
  return CheckCanChange(text, e, 0, 1, !percent && v == 1);
}

}  // namespace

Result<FailOnExpr> ParseFailOn(std::string_view text) {
  FailOnExpr e;
  e.text = std::string(text);
  const size_t op_at = text.find_first_of("<>");
  if (op_at == std::string_view::npos) return Bad(text, "no comparison (> >= < <=)");
  if (op_at > 0 && text[op_at - 1] == '=') {
    return Bad(text, "'=" + std::string(1, text[op_at]) + "' is not a comparison: write " +
                         std::string(1, text[op_at]) + "=");
  }
  GCSPIKE_RETURN_IF_ERROR(ParseFeature(text, text.substr(0, op_at), e));
  size_t rest_at = op_at + 1;
  const bool or_equal = rest_at < text.size() && text[rest_at] == '=';
  if (or_equal) ++rest_at;
  e.op = text[op_at] == '>' ? (or_equal ? FailOnExpr::Op::kGreaterEqual : FailOnExpr::Op::kGreater)
                            : (or_equal ? FailOnExpr::Op::kLessEqual : FailOnExpr::Op::kLess);
  GCSPIKE_RETURN_IF_ERROR(ParseThreshold(text, std::string(text.substr(rest_at)), e));
  return e;
}

namespace {

// Some inputs hold the same samples as others (counted_twice of them): the share's interval is
// narrower than its samples support. The gate stands only if it is judged the same on the
// samples counted once (the share at n (1 - counted_twice)), and its interval is then that one;
// else it cannot be decided, and the reason says why and what to do.
void JudgeCountedOnce(const FailOnExpr& expr, const DetectionSummary& summary, GateResult& r) {
  if (r.outcome == GateResult::Outcome::kUndecided) return;
  const double once = static_cast<double>(summary.samples) * (1 - summary.counted_twice);
  if (!(once > 0)) return;
  GateResult counted_once = r;
  counted_once.interval = WilsonInterval(r.measured * once, once);
  JudgeInterval(expr, expr.threshold, counted_once);
  r.interval = counted_once.interval;
  if (counted_once.outcome == r.outcome) return;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                " (%.1f%% of the samples count twice): on the %.0f samples counted once, the 95%% "
                "interval [%.1f-%.1f%%] straddles %.1f%%; pass one of them",
                summary.counted_twice * 100, once, counted_once.interval.lo * 100,
                counted_once.interval.hi * 100, expr.threshold * 100);
  r.outcome = GateResult::Outcome::kUndecided;
  r.reason = summary.counted_twice_what + buf;
}

}  // namespace

GateResult EvaluateFailOn(const FailOnExpr& expr, const DetectionSummary& summary) {
  const FeatureSummary& f = summary.features[expr.feature];
  GateResult r;
  r.measured = expr.of_value ? f.value_fraction : f.fraction;
  // The value share's interval is taken on the same number of samples: each sample carries one
  // value, so the samples are the independent draws either way.
  r.interval = expr.of_value
                   ? WilsonInterval(f.value_fraction * static_cast<double>(summary.samples),
                                    static_cast<double>(summary.samples))
                   : f.interval;
  if (f.blind()) {
    r.outcome = GateResult::Outcome::kUndecided;
    r.reason = f.reason;
    return r;
  }
  // The comparison "measured OP threshold" holds for the whole interval (crossed), for none of
  // it (pass), or for part of it (undecided).
  const bool greater =
      expr.op == FailOnExpr::Op::kGreater || expr.op == FailOnExpr::Op::kGreaterEqual;
  const bool or_equal =
      expr.op == FailOnExpr::Op::kGreaterEqual || expr.op == FailOnExpr::Op::kLessEqual;
  // "> 0" asks whether there is any at all: no sample of it passes (no interval can prove a
  // share is exactly 0, but nothing was seen), one sample crosses.
  if (greater && !or_equal && expr.threshold == 0) {
    r.outcome = r.measured > 0 ? GateResult::Outcome::kCrossed : GateResult::Outcome::kPass;
  } else {
    JudgeInterval(expr, expr.threshold, r);
  }
  const std::string bound_why =
      "the measured share is only a lower bound: " + summary.visibility.cut_reason;
  if (f.lower_bound) ApplyBound(expr, /*at_least=*/true, bound_why, r);
  // ("> 0" is crossed by one sample, however often it counts.)
  if (summary.counted_twice > 0 && !(greater && !or_equal && expr.threshold == 0)) {
    JudgeCountedOnce(expr, summary, r);
  }
  if (r.outcome == GateResult::Outcome::kUndecided && r.reason.empty()) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "borderline: the 95%% interval [%.1f-%.1f%%] straddles %.1f%% with %llu "
                  "samples; take a longer profile",
                  r.interval.lo * 100, r.interval.hi * 100, expr.threshold * 100,
                  static_cast<unsigned long long>(summary.samples));
    // A longer profile of the same recording may still not decide: say why too.
    r.reason = std::string(buf) + (f.lower_bound ? "; and " + bound_why : "");
  }
  return r;
}

GateResult EvaluateDiffFailOn(const FailOnExpr& expr, const ProfileDiff& diff) {
  const FeatureDiff& f = diff.features[expr.feature];
  GateResult r;
  r.measured = f.change.difference;
  r.interval = f.change.difference_interval;
  const bool bounded = f.base_lower_bound || f.now_lower_bound;
  const bool unrelated = f.cause == kDifferentPrograms;
  if ((f.verdict == ChangeVerdict::kInconclusive && f.cause != "too-wide" && !bounded) ||
      (f.base_lower_bound && f.now_lower_bound) || unrelated) {
    r.outcome = GateResult::Outcome::kUndecided;
    r.reason = bounded && !unrelated ? f.bound_reason : f.reason;
    return r;
  }
  double limit = expr.threshold;
  const bool relative = expr.change == FailOnExpr::Change::kRelative;
  if (relative) {
    // "grew by more than r" is new > (1 + r) * base: judged on the interval of
    // new - (1 + r) * base (statistics.h: MOVER) against 0. With a base share of 0 it asks
    // whether the share surely grew at all.
    const ShareChange& c = f.change;
    r.interval =
        NewcombeDifference(c.now, c.now_interval, c.base, c.base_interval, 1 + expr.threshold);
    r.measured = c.base > 0 ? c.difference / c.base : 0;
    limit = 0;
  }
  JudgeInterval(expr, limit, r);
  // A new side that is a lower bound makes the true change at least the measured one (new -
  // (1 + r) x base rises with new), a base side that is one makes it at most that.
  if (bounded) ApplyBound(expr, /*at_least=*/f.now_lower_bound, f.bound_reason, r);
  if (r.outcome == GateResult::Outcome::kUndecided && r.reason.empty()) {
    char buf[240];
    if (relative && f.change.base == 0 && f.change.now == 0) {
      // new - (1 + r) x base is then 0 at the centre of an interval that always straddles 0,
      // however long the profiles: only a change in points can be judged.
      std::snprintf(buf, sizeof buf,
                    "no sample of %s on either side (of %llu and %llu): a change relative to a "
                    "share of 0 cannot be told by profiles of any length; gate the change in "
                    "points, e.g. %s%s%s3pp",
                    std::string(kFeatureNames[expr.feature]).c_str(),
                    static_cast<unsigned long long>(diff.base.samples),
                    static_cast<unsigned long long>(diff.now.samples),
                    std::string(kFeatureNames[expr.feature]).c_str(), OpText(expr.op),
                    expr.threshold < 0 ? "-" : "+");
    } else if (relative) {
      std::snprintf(buf, sizeof buf,
                    "borderline: the 95%% interval of new - %.2f x base [%+.1f, %+.1f] points "
                    "straddles 0 with %llu and %llu samples; take longer profiles",
                    1 + expr.threshold, r.interval.lo * 100, r.interval.hi * 100,
                    static_cast<unsigned long long>(diff.base.samples),
                    static_cast<unsigned long long>(diff.now.samples));
    } else {
      std::snprintf(buf, sizeof buf,
                    "borderline: the 95%% interval of the difference [%+.1f, %+.1f] points "
                    "straddles %+.1f points with %llu and %llu samples; take longer profiles",
                    r.interval.lo * 100, r.interval.hi * 100, limit * 100,
                    static_cast<unsigned long long>(diff.base.samples),
                    static_cast<unsigned long long>(diff.now.samples));
    }
    // A longer profile of the same recording may still not decide: say why too.
    r.reason = std::string(buf) + (bounded ? "; and " + f.bound_reason : "");
  }
  return r;
}

}  // namespace gcspike
