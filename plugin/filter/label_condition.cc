#include "plugin/filter/label_condition.h"

#include <charconv>

namespace gcspike {

std::optional<int64_t> ParseInteger(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

Result<LabelCondition> ParseLabelCondition(std::string_view text) {
  LabelCondition c;
  c.text = std::string(text);
  const size_t op_at = text.find_first_of("=~<>");
  if (op_at == std::string_view::npos || op_at == 0) {
    return MakeError("label condition '" + c.text +
                     "' must be KEY=VALUE, KEY~REGEXP, or KEY<N, KEY<=N, KEY>N, KEY>=N");
  }
  c.key = std::string(text.substr(0, op_at));
  std::string_view rest = text.substr(op_at);
  auto take = [&rest](std::string_view op) {
    if (rest.substr(0, op.size()) != op) return false;
    rest.remove_prefix(op.size());
    return true;
  };
  using Op = LabelCondition::Op;
  if (take("<=")) {
    c.op = Op::kLessEqual;
  } else if (take(">=")) {
    c.op = Op::kGreaterEqual;
  } else if (take("<")) {
    c.op = Op::kLess;
  } else if (take(">")) {
    c.op = Op::kGreater;
  } else if (take("~")) {
    c.op = Op::kMatch;
  } else {
    take("=");
    c.op = Op::kEqual;
  }
  c.value = std::string(rest);
  c.number = ParseInteger(c.value);
  if (c.op == Op::kMatch) {
    try {
      c.regex = std::make_shared<const std::regex>(c.value, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return MakeError("label condition '" + c.text + "': bad regular expression: " + e.what());
    }
  } else if (c.op != Op::kEqual && !c.number.has_value()) {
    return MakeError("label condition '" + c.text + "': '" + c.value + "' is not an integer");
  } else if (c.op == Op::kEqual && c.value.empty()) {
    // profile.proto drops empty string labels, so KEY= could never match anything.
    return MakeError("label condition '" + c.text + "' has an empty value");
  }
  return c;
}

LabelConditionMatcher::LabelConditionMatcher(const Profile& profile,
                                             const LabelCondition& condition)
    : profile_(profile), condition_(condition) {
  key_ = profile.strings.Find(condition.key);
  set_valued_ = condition.key == kSetValuedLabelKey;
  if (condition.op == LabelCondition::Op::kEqual) {
    equal_id_ = profile.strings.Find(condition.value);
  }
}

bool LabelConditionMatcher::Matches(const Sample& sample) const {
  const Label* label = profile_.FindLabel(sample, key_);
  if (label == nullptr) return false;
  return label->numeric ? MatchesNumber(label->num) : MatchesString(label->str);
}

bool LabelConditionMatcher::MatchesString(StrId value) const {
  using Op = LabelCondition::Op;
  switch (condition_.op) {
    case Op::kEqual:
      if (value == equal_id_ && equal_id_ != 0) return true;
      if (!set_valued_) return false;
      return Verdict(value, [this](std::string_view text) {
        // One of the +-joined members equals VALUE.
        size_t start = 0;
        while (true) {
          const size_t end = text.find('+', start);
          const std::string_view member =
              text.substr(start, end == std::string_view::npos ? end : end - start);
          if (member == condition_.value) return true;
          if (end == std::string_view::npos) return false;
          start = end + 1;
        }
      });
    case Op::kMatch: {
      if (string_verdicts_.size() <= value) string_verdicts_.resize(profile_.strings.size(), 0);
      uint8_t& verdict = string_verdicts_[value];
      if (verdict == 0) {
        verdict = std::regex_search(profile_.str(value), *condition_.regex) ? 2 : 1;
      }
      return verdict == 2;
    }
    default: {
      const std::optional<int64_t> n = ParseInteger(profile_.str(value));
      return n.has_value() && MatchesNumber(*n);
    }
  }
}

template <typename Test>
bool LabelConditionMatcher::Verdict(StrId value, Test test) const {
  if (string_verdicts_.size() <= value) string_verdicts_.resize(profile_.strings.size(), 0);
  uint8_t& verdict = string_verdicts_[value];
  if (verdict == 0) verdict = test(profile_.str(value)) ? 2 : 1;
  return verdict == 2;
}

bool LabelConditionMatcher::MatchesNumber(int64_t value) const {
  using Op = LabelCondition::Op;
  const std::optional<int64_t>& n = condition_.number;
  switch (condition_.op) {
    case Op::kEqual:
      return n.has_value() && value == *n;
    case Op::kMatch:
      return std::regex_search(std::to_string(value), *condition_.regex);
    case Op::kLess:
      return value < *n;
    case Op::kLessEqual:
      return value <= *n;
    case Op::kGreater:
      return value > *n;
    case Op::kGreaterEqual:
      return value >= *n;
  }
  return false;
}

}  // namespace gcspike
