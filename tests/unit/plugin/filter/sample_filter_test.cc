// The sample filters on hand-built profiles: which samples survive each condition is known from
// how the profile was built, and the pruned tables must be dense and exactly what is referenced.
#include "plugin/filter/sample_filter.h"

#include <gtest/gtest.h>

#include <set>

#include "plugin/filter/profile_pruner.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;
using testing::SumValues;

// Six samples: worker a/b/none, tid 1/2/3 (numeric), goroutine "7"/"8" (string, as pprof.Do
// writes), timestamps 1000..6000 ns except sample 5, and cpu values 10, 20, ..., 60.
// Stacks: grow samples pass through main.grow -> runtime.mapassign (+ inlined growslice in
// sample 1), presized ones through main.presized.
class SampleFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const uint64_t main_fn = h_.Loc({"main.main"});
    const uint64_t grow = h_.Loc({"main.grow"});
    const uint64_t presized = h_.Loc({"main.presized"});
    const uint64_t assign = h_.Loc({"runtime.mapassign"});
    const uint64_t assign_inlined = h_.Loc({"runtime.growslice", "runtime.mapassign"});
    const uint64_t unused = h_.Loc({"main.neverSampled"});
    (void)unused;
    Profile& p = h_.profile();
    struct Spec {
      std::vector<uint64_t> stack;
      const char* worker;
      int64_t tid;
      const char* goroutine;
      int64_t ts;
    };
    const Spec specs[] = {
        {{assign, grow, main_fn}, "a", 1, "7", 1000},
        {{assign_inlined, grow, main_fn}, "a", 2, "7", 2000},
        {{assign, presized, main_fn}, "b", 1, "8", 3000},
        {{presized, main_fn}, "b", 3, "8", 4000},
        {{grow, main_fn}, nullptr, 2, nullptr, 0},
        {{main_fn}, "c", 3, "8", 6000},
    };
    int64_t cpu = 10;
    for (const Spec& s : specs) {
      Sample& sample = h_.Add(s.stack, cpu);
      cpu += 10;
      if (s.worker != nullptr) p.SetStrLabel(sample, "worker", s.worker);
      p.SetNumLabel(sample, "tid", s.tid, "");
      if (s.goroutine != nullptr) p.SetStrLabel(sample, "goroutine", s.goroutine);
      if (s.ts != 0) p.SetNumLabel(sample, kTimestampLabel, s.ts, "nanoseconds");
    }
    ASSERT_OK(p.Validate());
  }

  // The cpu values of the samples that survive, which identify them (10 = sample 0, ...).
  std::vector<int64_t> Survivors(const SampleFilterSpec& spec) {
    Profile copy = h_.profile();
    CollectingDiagnostics diag;
    auto stats = FilterSamples(copy, spec, &diag);
    EXPECT_OK(stats);
    if (!stats.ok()) return {};
    EXPECT_OK(copy.Validate());
    EXPECT_EQ(stats->samples_out, copy.samples.size());
    std::vector<int64_t> out;
    for (const Sample& s : copy.samples) out.push_back(s.values[1]);
    warnings_ = diag.warnings;
    return out;
  }

  static LabelCondition Cond(const std::string& text) {
    auto c = ParseLabelCondition(text);
    EXPECT_OK(c) << text;
    return c.ok() ? *c : LabelCondition{};
  }

  HandBuiltProfile h_;
  std::vector<std::string> warnings_;
};

using V = std::vector<int64_t>;

TEST_F(SampleFilterTest, NoConditionsKeepsEverything) {
  EXPECT_EQ(Survivors({}), (V{10, 20, 30, 40, 50, 60}));
}

TEST_F(SampleFilterTest, KeepExactString) {
  SampleFilterSpec s;
  s.keep = {Cond("worker=a")};
  EXPECT_EQ(Survivors(s), (V{10, 20}));
}

TEST_F(SampleFilterTest, KeepRegexpIsUnanchored) {
  SampleFilterSpec s;
  s.keep = {Cond("worker~[ab]")};
  EXPECT_EQ(Survivors(s), (V{10, 20, 30, 40}));
  s.keep = {Cond("worker~^(a|c)$")};
  EXPECT_EQ(Survivors(s), (V{10, 20, 60}));
}

TEST_F(SampleFilterTest, SameKeyIsOrDifferentKeysAreAnd) {
  SampleFilterSpec s;
  s.keep = {Cond("worker=a"), Cond("worker=c")};
  EXPECT_EQ(Survivors(s), (V{10, 20, 60}));
  s.keep = {Cond("worker=a"), Cond("worker=b"), Cond("tid=1")};
  EXPECT_EQ(Survivors(s), (V{10, 30}));
}

TEST_F(SampleFilterTest, NumericLabelsCompareAsNumbers) {
  SampleFilterSpec s;
  s.keep = {Cond("tid=2")};
  EXPECT_EQ(Survivors(s), (V{20, 50}));
  s.keep = {Cond("tid=+02")};  // the same integer written differently
  EXPECT_EQ(Survivors(s), (V{20, 50}));
  s.keep = {Cond("tid>=2")};
  EXPECT_EQ(Survivors(s), (V{20, 40, 50, 60}));
  s.keep = {Cond("tid<2")};
  EXPECT_EQ(Survivors(s), (V{10, 30}));
  s.keep = {Cond("tid>2")};
  EXPECT_EQ(Survivors(s), (V{40, 60}));
  s.keep = {Cond("tid<=1")};
  EXPECT_EQ(Survivors(s), (V{10, 30}));
  s.keep = {Cond("tid~^3$")};  // a regexp sees the decimal text
  EXPECT_EQ(Survivors(s), (V{40, 60}));
  s.keep = {Cond("tid=two")};  // not a number: no numeric label equals it
  EXPECT_EQ(Survivors(s), V{});
}

TEST_F(SampleFilterTest, IntegerStringLabelsCompareAsNumbersToo) {
  SampleFilterSpec s;
  s.keep = {Cond("goroutine>7")};
  EXPECT_EQ(Survivors(s), (V{30, 40, 60}));
  s.keep = {Cond("worker>0")};  // "a", "b", "c" are not integers
  EXPECT_EQ(Survivors(s), V{});
}

TEST_F(SampleFilterTest, DropAndMissingLabels) {
  SampleFilterSpec s;
  s.drop = {Cond("worker=b")};
  EXPECT_EQ(Survivors(s), (V{10, 20, 50, 60}));  // sample 4 has no worker: not dropped
  s.drop = {Cond("worker=b"), Cond("tid=2")};
  EXPECT_EQ(Survivors(s), (V{10, 60}));
  s.keep = {Cond("worker~.")};
  s.drop = {Cond("worker=a")};
  EXPECT_EQ(Survivors(s), (V{30, 40, 60}));
  EXPECT_TRUE(warnings_.empty());  // every key is on some sample
  s = {};
  s.keep = {Cond("nosuchkey=1")};
  EXPECT_EQ(Survivors(s), V{});
}

// A condition on a key no sample carries is named in one warning, with the keys there are;
// a key some samples lack (worker, goroutine) is no such key.
TEST_F(SampleFilterTest, ConditionsOnAKeyNoSampleCarriesAreWarnedAbout) {
  SampleFilterSpec s;
  s.keep = {Cond("pid=1"), Cond("pid=2"), Cond("goroutine=7")};
  s.drop = {Cond("comm=x")};
  EXPECT_EQ(Survivors(s), V{});
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_EQ(warnings_[0],
            "--keep pid=1: no sample has a 'pid' label, so it keeps none (labels: goroutine, tid, "
            "timestamp_ns, worker)");
  EXPECT_EQ(warnings_[1].rfind("--drop comm=x: no sample has a 'comm' label, so it drops none", 0),
            0u)
      << warnings_[1];
  s = {};
  s.keep = {Cond("goroutine=8")};
  EXPECT_EQ(Survivors(s), (V{30, 40, 60}));
  EXPECT_TRUE(warnings_.empty());
  // --pid 5 is --keep pid=5: the warning names the option the user typed, then what it means.
  s = {};
  s.keep = {Cond("pid=5")};
  s.keep[0].option = "--pid 5";
  EXPECT_EQ(Survivors(s), V{});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0].rfind("--pid 5 (--keep pid=5): no sample has a 'pid' label", 0), 0u)
      << warnings_[0];
}

TEST_F(SampleFilterTest, FocusAndIgnoreSeeInlinedFrames) {
  SampleFilterSpec s;
  s.focus = "growslice";  // only an inlined Line of sample 1's leaf location
  EXPECT_EQ(Survivors(s), (V{20}));
  s.focus = "^main\\.grow$";
  EXPECT_EQ(Survivors(s), (V{10, 20, 50}));
  s.focus = "";
  s.ignore = "mapassign";
  EXPECT_EQ(Survivors(s), (V{40, 50, 60}));
  s.focus = "main\\.";
  s.ignore = "presized";
  EXPECT_EQ(Survivors(s), (V{10, 20, 50, 60}));
}

TEST_F(SampleFilterTest, TimeWindowAbsoluteAndRelative) {
  SampleFilterSpec s;
  s.from = *ParseTimeBound("2000");
  s.to = *ParseTimeBound("4000");
  EXPECT_EQ(Survivors(s), (V{20, 30}));  // [from, to)
  ASSERT_EQ(warnings_.size(), 1u);       // sample 4 has no timestamp
  EXPECT_NE(warnings_[0].find("1 sample"), std::string::npos) << warnings_[0];
  s.from = *ParseTimeBound("+2us");  // first sample is at 1000 ns: from 3000
  s.to.reset();
  EXPECT_EQ(Survivors(s), (V{30, 40, 60}));
  s.from.reset();
  s.to = *ParseTimeBound("+0.001ms");  // 1000 + 1000
  EXPECT_EQ(Survivors(s), (V{10}));
}

// A window whose --to is not after its --from, in either form or mixed, holds no time: an
// error naming both, not a warning that the filters kept nothing.
TEST_F(SampleFilterTest, AnEmptyTimeWindowIsAnError) {
  for (const auto& [from, to] : std::vector<std::pair<const char*, const char*>>{
           {"+1s", "+0.5s"}, {"+2us", "+2us"}, {"4000", "3000"}, {"3000", "+1us"}}) {
    SampleFilterSpec s;
    s.from = *ParseTimeBound(from);
    s.to = *ParseTimeBound(to);
    Profile p = h_.profile();
    auto r = FilterSamples(p, s, nullptr);
    ASSERT_FALSE(r.ok()) << from << " " << to;
    EXPECT_EQ(r.error().message, std::string("--to ") + to + " is not after --from " + from +
                                     ": the window [from, to) holds no time");
  }
  // One nanosecond is a window; and the stats give the samples' time span.
  SampleFilterSpec s;
  s.from = *ParseTimeBound("+2us");
  s.to = *ParseTimeBound("3001");
  Profile p = h_.profile();
  auto r = FilterSamples(p, s, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->samples_out, 1u);
  EXPECT_EQ(r->first_ns, 1000);
  EXPECT_EQ(r->last_ns, 6000);
}

TEST_F(SampleFilterTest, TimeWindowWithoutTimestampsIsAnError) {
  Profile p = h_.profile();
  for (Sample& s : p.samples) {
    std::erase_if(s.labels, [&](const Label& l) { return p.str(l.key) == kTimestampLabel; });
  }
  SampleFilterSpec s;
  s.from = *ParseTimeBound("+1s");
  auto r = FilterSamples(p, s, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("timestamp_ns"), std::string::npos);
}

TEST_F(SampleFilterTest, BadRegexpIsAnError) {
  SampleFilterSpec s;
  s.focus = "(";
  Profile p = h_.profile();
  EXPECT_FALSE(FilterSamples(p, s, nullptr).ok());
  EXPECT_FALSE(ParseLabelCondition("worker~(").ok());
}

TEST_F(SampleFilterTest, PruningKeepsExactlyWhatIsReferencedAndRenumbers) {
  SampleFilterSpec s;
  s.keep = {Cond("worker=b")};
  Profile p = h_.profile();
  ASSERT_OK(FilterSamples(p, s, nullptr));
  ASSERT_OK(p.Validate());
  std::set<std::string> names;
  for (const Function& f : p.functions) names.insert(p.str(f.name));
  EXPECT_EQ(names, (std::set<std::string>{"main.main", "main.presized", "runtime.mapassign"}));
  EXPECT_EQ(p.locations.size(), 3u);
  std::set<uint64_t> referenced;
  for (const Sample& sm : p.samples) {
    referenced.insert(sm.location_ids.begin(), sm.location_ids.end());
  }
  EXPECT_EQ(referenced.size(), p.locations.size());
  // The stacks still name the same functions, leaf first.
  auto leaf_name = [&](const Sample& sm) {
    return p.str(p.function(p.location(sm.location_ids[0]).lines[0].function_id).name);
  };
  EXPECT_EQ(leaf_name(p.samples[0]), "runtime.mapassign");
  EXPECT_EQ(leaf_name(p.samples[1]), "main.presized");
}

TEST_F(SampleFilterTest, PruningKeepsAssistStacksAlive) {
  Profile p = h_.profile();
  AssistInterval a;
  a.stack = {p.samples[1].location_ids[0]};  // mapassign+growslice
  p.timeline.assists.push_back(a);
  p.samples.clear();
  const PruneCounts counts = PruneUnreferenced(p);
  ASSERT_OK(p.Validate());
  EXPECT_EQ(p.locations.size(), 1u);
  EXPECT_EQ(p.functions.size(), 2u);
  EXPECT_EQ(counts.locations_dropped, 5u);
  EXPECT_EQ(p.timeline.assists[0].stack[0], 1u);
}

TEST(LabelConditionTest, Syntax) {
  auto c = ParseLabelCondition("gcspike~grow-spike");
  ASSERT_OK(c);
  EXPECT_EQ(c->key, "gcspike");
  EXPECT_EQ(c->op, LabelCondition::Op::kMatch);
  c = ParseLabelCondition("bytes>=4096");
  ASSERT_OK(c);
  EXPECT_EQ(c->key, "bytes");
  EXPECT_EQ(c->op, LabelCondition::Op::kGreaterEqual);
  EXPECT_EQ(c->number, 4096);
  c = ParseLabelCondition("k=a=b");  // only the first = separates
  ASSERT_OK(c);
  EXPECT_EQ(c->value, "a=b");
  EXPECT_FALSE(ParseLabelCondition("novalue").ok());
  EXPECT_FALSE(ParseLabelCondition("=x").ok());
  EXPECT_FALSE(ParseLabelCondition("k=").ok());
  EXPECT_FALSE(ParseLabelCondition("k>abc").ok());
  EXPECT_FALSE(ParseLabelCondition("k<").ok());
}

TEST(TimeBoundTest, Forms) {
  EXPECT_EQ(ParseTimeBound("123456789")->ns, 123456789);
  EXPECT_FALSE(ParseTimeBound("123456789")->relative);
  EXPECT_TRUE(ParseTimeBound("+1.5s")->relative);
  EXPECT_EQ(ParseTimeBound("+1.5s")->ns, 1500000000);
  EXPECT_EQ(ParseTimeBound("+0")->ns, 0);
  EXPECT_EQ(*ParseDurationNs("1m30s"), 90000000000);
  EXPECT_EQ(*ParseDurationNs("250ms"), 250000000);
  EXPECT_EQ(*ParseDurationNs("2us"), 2000);
  EXPECT_EQ(*ParseDurationNs("2\xC2\xB5s"), 2000);
  EXPECT_EQ(*ParseDurationNs("1h"), 3600000000000);
  EXPECT_EQ(*ParseDurationNs("7ns"), 7);
  EXPECT_FALSE(ParseTimeBound("1.5s").ok());  // relative times need +
  EXPECT_FALSE(ParseTimeBound("+1.5").ok());  // unit required
  EXPECT_FALSE(ParseTimeBound("+s").ok());
  EXPECT_FALSE(ParseTimeBound("+1.2.3s").ok());
  EXPECT_FALSE(ParseTimeBound("+1parsec").ok());
  EXPECT_FALSE(ParseTimeBound("").ok());
}

}  // namespace
}  // namespace gcspike
