// Conditions on sample labels, as written on the command line after --keep / --drop (and built
// by --pid/--tid/--goroutine):
//
//   KEY=VALUE    the label equals VALUE. String labels compare as text; numeric labels compare
//                as integers (VALUE must then be an integer: --keep tid=4242). On the gcspike
//                key, whose value is a +-joined set of features (grow-spike+key-copy), = means
//                membership: gcspike=grow-spike matches grow-spike+key-copy, as users read it
//                and as go tool pprof -tagfocus=gcspike=grow-spike selects.
//   KEY~REGEXP   the label's value contains a match of REGEXP (ECMAScript syntax, unanchored
//                like pprof's -tagfocus; anchor with ^ and $). A numeric label is matched as its
//                decimal text.
//   KEY<N  KEY<=N  KEY>N  KEY>=N
//                numeric comparison with the integer N; a string label that is an integer
//                ("17" from pprof.Do) compares as that integer, any other string never matches.
//
// KEY is everything before the first of = ~ < >. A sample without the label never matches.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

// The label whose string values are +-joined sets (the detectors' feature label).
inline constexpr std::string_view kSetValuedLabelKey = "gcspike";

struct LabelCondition {
  enum class Op { kEqual, kMatch, kLess, kLessEqual, kGreater, kGreaterEqual };
  std::string text;  // as written, for messages
  // The option that gave it when --keep/--drop did not ("--pid 5", which is --keep pid=5):
  // messages name what the user typed.
  std::string option;
  std::string key;
  Op op = Op::kEqual;
  std::string value;
  std::optional<int64_t> number;            // value as an integer, when it is one
  std::shared_ptr<const std::regex> regex;  // kMatch only
};

Result<LabelCondition> ParseLabelCondition(std::string_view text);

// Parses a decimal integer with an optional sign; nullopt unless the whole text is one.
std::optional<int64_t> ParseInteger(std::string_view text);

// One condition bound to one profile: string comparisons become StrId comparisons and regexps
// run once per distinct value, so a filter costs a few integer compares per sample.
class LabelConditionMatcher {
 public:
  LabelConditionMatcher(const Profile& profile, const LabelCondition& condition);
  // The condition's key, or 0 when no sample can carry it.
  StrId key() const { return key_; }
  bool Matches(const Sample& sample) const;

 private:
  bool MatchesString(StrId value) const;
  bool MatchesNumber(int64_t value) const;
  // The cached verdict of test(text of value), computed once per distinct value.
  template <typename Test>
  bool Verdict(StrId value, Test test) const;

  const Profile& profile_;
  const LabelCondition& condition_;
  StrId key_ = 0;
  StrId equal_id_ = 0;
  bool set_valued_ = false;  // the key is kSetValuedLabelKey
  // Per StrId of a string value: 0 not yet evaluated, 1 no match, 2 match.
  mutable std::vector<uint8_t> string_verdicts_;
};

}  // namespace gcspike
