// The JSON timeline and time features (time_rules.h's AppendTimeJson and
// AppendPrePauseFeatureJson), parsed back by a small JSON parser and compared with the analysis.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/detect/time_rules.h"
#include "tests/unit/plugin/detect/timed_profile.h"

// In the namespace of the helpers (timed_profile.h).
namespace gcspike::testing {
namespace {

// A small JSON parser: enough to check that the output is valid JSON and to read it back.
struct JsonValue {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string str;
  std::vector<JsonValue> items;   // array items, or object member values
  std::vector<std::string> keys;  // object member names (a vector may hold the incomplete type,
                                  // a pair may not)
  const JsonValue* Get(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}
  std::optional<JsonValue> ParseDocument() {
    std::optional<JsonValue> v = Value();
    Space();
    if (!v || i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void Space() {
    while (i_ < s_.size() && std::string_view(" \n\t\r").find(s_[i_]) != std::string_view::npos) {
      ++i_;
    }
  }
  bool Eat(char c) {
    Space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  std::optional<std::string> String() {
    if (!Eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      if (e == 'u') {
        if (i_ + 4 > s_.size()) return std::nullopt;
        i_ += 4;
        out += '?';
      } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
        out += e;
      } else {
        return std::nullopt;
      }
    }
    if (!Eat('"')) return std::nullopt;
    return out;
  }
  std::optional<JsonValue> Value() {
    Space();
    if (i_ >= s_.size()) return std::nullopt;
    JsonValue v;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = JsonValue::kObject;
      if (Eat('}')) return v;
      do {
        std::optional<std::string> key = String();
        if (!key || !Eat(':')) return std::nullopt;
        std::optional<JsonValue> member = Value();
        if (!member) return std::nullopt;
        v.keys.push_back(*key);
        v.items.push_back(std::move(*member));
      } while (Eat(','));
      if (!Eat('}')) return std::nullopt;
    } else if (c == '[') {
      ++i_;
      v.kind = JsonValue::kArray;
      if (Eat(']')) return v;
      do {
        std::optional<JsonValue> item = Value();
        if (!item) return std::nullopt;
        v.items.push_back(std::move(*item));
      } while (Eat(','));
      if (!Eat(']')) return std::nullopt;
    } else if (c == '"') {
      std::optional<std::string> str = String();
      if (!str) return std::nullopt;
      v.kind = JsonValue::kString;
      v.str = *str;
    } else if (Word("null")) {
      v.kind = JsonValue::kNull;
    } else if (Word("true") || Word("false")) {
      v.kind = JsonValue::kBool;
    } else {
      // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
      const size_t start = i_;
      auto digits = [&] {
        const size_t from = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > from;
      };
      if (i_ < s_.size() && s_[i_] == '-') ++i_;
      if (!digits()) return std::nullopt;
      if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) return std::nullopt;
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (!digits()) return std::nullopt;
      }
      v.kind = JsonValue::kNumber;
      v.number = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    }
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

TEST(TimeRulesTest, TimelineJsonParsesBackToTheAnalysis) {
  TimedProfile t;
  for (int64_t ms : {960, 970, 975, 980, 990, 1200, 1201, 1202, 1500}) t.Add(kGrow, ms, 1);
  Timeline& tl = t.sp.profile.timeline;
  tl.gc_cycles.push_back(GcCycle{1, kNoTime, 900 * kMs});  // begun before the trace
  tl.gc_cycles.push_back(GcCycle{2, 1000 * kMs, 1050 * kMs});
  tl.assists.push_back(AssistInterval{1, 1010 * kMs, 1013 * kMs, {}});
  // A kind with a quote and invalid UTF-8 must come out escaped.
  tl.pauses.push_back(StwPause{t.sp.profile.Intern("GC \"sweep\"\xff"), 999 * kMs, 1000 * kMs});
  tl.pauses.push_back(StwPause{0, 1049 * kMs, 1050 * kMs});
  tl.pauses.push_back(StwPause{t.sp.profile.Intern("ReadMemStats"), 1100 * kMs, 1101 * kMs});
  const TimeAnalysis a = AnalyzeTimed(t.sp.profile);

  std::string json = "{\"a\":1";
  AppendPrePauseFeatureJson(json, a);
  AppendTimeJson(json, t.sp.profile, a);
  json += "}";
  std::optional<JsonValue> doc = JsonParser(json).ParseDocument();
  ASSERT_TRUE(doc.has_value()) << json;

  const JsonValue* pp = doc->Get("pre-pause");
  ASSERT_NE(pp, nullptr) << json;
  // 9 grow samples: too few.
  EXPECT_EQ(pp->Get("verdict")->str, "inconclusive");
  ASSERT_NE(pp->Get("reason"), nullptr);
  EXPECT_EQ(pp->Get("cause")->str, "too-few-samples");
  EXPECT_EQ(pp->Get("pre_pause_samples")->number, static_cast<double>(a.pre_pause_samples));
  EXPECT_EQ(pp->Get("samples")->number, 9);
  const Interval wilson = WilsonInterval(static_cast<double>(a.pre_pause_samples), 9);
  ASSERT_EQ(pp->Get("interval")->items.size(), 2u);
  EXPECT_EQ(pp->Get("interval")->items[0].number, wilson.lo);
  EXPECT_EQ(pp->Get("interval")->items[1].number, wilson.hi);
  EXPECT_EQ(pp->Get("expected")->number, a.pre_pause_test.expected);  // %.17g round-trips
  EXPECT_EQ(pp->Get("p_value")->number, a.pre_pause_test.p_value);
  EXPECT_EQ(pp->Get("ratio")->number, a.pre_pause_test.ratio);
  EXPECT_EQ(pp->Get("ratio_threshold")->number, 1.5);

  const JsonValue* tj = doc->Get("timeline");
  ASSERT_NE(tj, nullptr) << json;
  EXPECT_EQ(tj->Get("origin_ns")->number, static_cast<double>(a.origin_ns));
  ASSERT_EQ(tj->Get("span_ns")->items.size(), 2u);
  EXPECT_EQ(tj->Get("span_ns")->items[0].number, static_cast<double>(a.span_start_ns));
  EXPECT_EQ(tj->Get("span_ns")->items[1].number, 1500.0 * kMs);
  const JsonValue& cycles = *tj->Get("gc_cycles");
  ASSERT_EQ(cycles.items.size(), 2u);
  EXPECT_EQ(cycles.items[0].Get("start_ns")->kind, JsonValue::kNull);
  EXPECT_EQ(cycles.items[0].Get("end_ns")->number, 900.0 * kMs);
  const JsonValue& c2 = cycles.items[1];
  EXPECT_EQ(c2.Get("seq")->number, 2);
  EXPECT_EQ(c2.Get("assists")->number, 1);
  EXPECT_EQ(c2.Get("assist_ns")->number, 3.0 * kMs);
  EXPECT_EQ(c2.Get("grow_samples_before")->number, 5);  // 960 .. 990 (1000 - 50 <= t < 1000)
  ASSERT_EQ(c2.Get("pauses")->items.size(), 2u);
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("kind")->str, "GC \"sweep\"\uFFFD");
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("start_ns")->number, 999.0 * kMs);
  EXPECT_EQ(c2.Get("pauses")->items[0].Get("duration_ns")->number, 1.0 * kMs);
  EXPECT_EQ(c2.Get("pauses")->items[1].Get("kind")->kind, JsonValue::kNull);
  const JsonValue& other = *tj->Get("other_pauses");
  ASSERT_EQ(other.items.size(), 1u);
  EXPECT_EQ(other.items[0].Get("kind")->str, "ReadMemStats");
  EXPECT_EQ(other.items[0].Get("start_ns")->number, 1100.0 * kMs);
  EXPECT_EQ(other.items[0].Get("duration_ns")->number, 1.0 * kMs);
  ASSERT_EQ(tj->Get("clusters")->items.size(), a.clusters.size());
  ASSERT_EQ(a.clusters.size(), 2u);
  EXPECT_EQ(tj->Get("clusters")->items[1].Get("samples")->number, 3);
  EXPECT_EQ(tj->Get("expected_clusters")->number, a.expected_clusters);
  EXPECT_EQ(tj->Get("cluster_placements")->number, kClusterPlacements);
  EXPECT_EQ(tj->Get("assist_coupling_by_time")->Get("samples_in_assist")->number, 0);
  const JsonValue& grow = *tj->Get("grow_sample_times_ns");
  ASSERT_EQ(grow.items.size(), 9u);
  EXPECT_EQ(grow.items[0].number, 960.0 * kMs);
  EXPECT_EQ(grow.items[8].number, 1500.0 * kMs);
  const JsonValue& starts = *tj->Get("pause_starts_ns");
  ASSERT_EQ(starts.items.size(), 2u);
  EXPECT_EQ(starts.items[1].number, 1049.0 * kMs);

  // Nothing at all without a timeline; no NaN in JSON (a fraction of no samples is null).
  StackProfile plain;
  plain.Add(kGrow);
  TimeAnalysis none = AnalyzeTimed(plain.profile);
  std::string empty;
  AppendTimeJson(empty, plain.profile, none);
  EXPECT_EQ(empty, "");
  // The features after pre-pause are there, inconclusive for want of a timeline.
  AppendPrePauseFeatureJson(empty, none);
  EXPECT_EQ(empty.find("\"pre-pause\""), std::string::npos) << empty;
  EXPECT_NE(empty.find("\"mark-overlap\":{\"fraction\":null,\"samples\":0,\"verdict\":"
                       "\"inconclusive\",\"cause\":\"no-timeline\""),
            std::string::npos)
      << empty;
  EXPECT_TRUE(JsonParser("{\"x\":0" + empty + "}").ParseDocument().has_value()) << empty;
  TimedProfile no_grow;
  no_grow.Add(kAssign, 10, 1);
  no_grow.sp.profile.timeline.pauses.push_back(StwPause{0, 20 * kMs, 21 * kMs});
  TimeAnalysis zero = AnalyzeTimed(no_grow.sp.profile);
  std::string z = "{\"x\":0";
  AppendPrePauseFeatureJson(z, zero);
  AppendTimeJson(z, no_grow.sp.profile, zero);
  z += "}";
  EXPECT_TRUE(JsonParser(z).ParseDocument().has_value()) << z;
  EXPECT_NE(z.find("\"fraction\":null"), std::string::npos) << z;
  EXPECT_NE(z.find("\"grow_sample_times_ns\":[]"), std::string::npos) << z;
  EXPECT_NE(z.find("\"expected_clusters\":0,\"cluster_placements\":0"), std::string::npos) << z;
  EXPECT_FALSE(JsonParser("{\"a\":nan}").ParseDocument().has_value());
}

}  // namespace
}  // namespace gcspike::testing
