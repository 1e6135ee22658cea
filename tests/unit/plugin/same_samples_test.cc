// Inputs that hold the same samples (plugin/same_samples.h): a copy and a trace-shaped copy
// (inlined frames apart, [...] for type arguments, a root runtime.goexit, one sample per row)
// are told, also when a few samples are missing; independent Poisson draws of the same means
// are not, nor copies of too few samples to tell; the fleet finder finds the copy among many;
// LoadInputs warns and counts; a gate on samples that count twice is judged on them counted once.
#include "plugin/same_samples.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "formats/pprof_writer.h"
#include "plugin/detect/fail_on.h"
#include "plugin/detect/split_mix64.h"
#include "plugin/detect/statistics.h"
#include "plugin/pipeline.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;
using testing::ScratchDir;

constexpr int kStacks = 60;

// Counts per stack: stack i's mean is 1 + (i % 7) * 2, about 6.4 on average (~390 samples).
double MeanOf(int stack) { return 1 + (stack % 7) * 2; }

// Knuth's Poisson draw (means here are small).
int64_t Poisson(double mean, SplitMix64& rng) {
  const double limit = std::exp(-mean);
  int64_t k = 0;
  for (double p = rng.Unit(); p > limit; p *= rng.Unit()) ++k;
  return k;
}

std::vector<int64_t> Draw(uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<int64_t> counts(kStacks);
  for (int i = 0; i < kStacks; ++i) counts[i] = Poisson(MeanOf(i), rng);
  return counts;
}

// As runtime/pprof writes it: stack i is main.f<i> with the generic main.G[...].leaf<i> inlined
// into it (one location of two lines; type arguments spelled out), under main.main and
// runtime.main; one row per stack with its count.
Profile PprofShaped(const std::vector<int64_t>& counts) {
  HandBuiltProfile h;
  const uint64_t main = h.Loc({"main.main"});
  const uint64_t root = h.Loc({"runtime.main"});
  for (int i = 0; i < kStacks; ++i) {
    if (counts[i] == 0) continue;
    const std::string leaf = "main.G[go.shape.struct { a [4]int; b int }].leaf" + std::to_string(i);
    const std::string f = "main.f" + std::to_string(i);
    Sample& s = h.Add({h.Loc({leaf.c_str(), f.c_str()}), main, root}, counts[i] * 10000000);
    s.values[0] = counts[i];
  }
  return std::move(h.profile());
}

// As a trace reads: every frame its own location (at other addresses), type arguments written
// [...], runtime.goexit at the root, one sample per row.
Profile TraceShaped(const std::vector<int64_t>& counts) {
  HandBuiltProfile h;
  const uint64_t goexit = h.Loc({"runtime.goexit"}, 0x9000);
  const uint64_t root = h.Loc({"runtime.main"}, 0x9100);
  const uint64_t main = h.Loc({"main.main"}, 0x9200);
  for (int i = 0; i < kStacks; ++i) {
    const std::string leaf = "main.G[...].leaf" + std::to_string(i);
    const std::string f = "main.f" + std::to_string(i);
    const uint64_t l = h.Loc({leaf.c_str()}, 0xa000 + 16 * i);
    const uint64_t c = h.Loc({f.c_str()}, 0xb000 + 16 * i);
    for (int64_t k = 0; k < counts[i]; ++k) h.Add({l, c, main, root, goexit}, 10000000);
  }
  return std::move(h.profile());
}

SamplesComparison Compare(const Profile& a, const Profile& b) {
  return CompareSamples(FingerprintSamples(a), FingerprintSamples(b));
}

int64_t Sum(const std::vector<int64_t>& v) {
  int64_t s = 0;
  for (int64_t x : v) s += x;
  return s;
}

TEST(SameSamplesTest, ACopyAndATraceOfTheSameSamplesAreTold) {
  const std::vector<int64_t> counts = Draw(1);
  const Profile pprof = PprofShaped(counts);
  EXPECT_EQ(FingerprintSamples(pprof).total, static_cast<uint64_t>(Sum(counts)));
  const SamplesComparison copy = Compare(pprof, PprofShaped(counts));
  EXPECT_TRUE(copy.same);
  EXPECT_EQ(copy.disagreement, 0);
  EXPECT_EQ(copy.agreeing, 1);
  const SamplesComparison trace = Compare(pprof, TraceShaped(counts));
  EXPECT_TRUE(trace.same) << trace.disagreement << " of " << trace.expected;
  EXPECT_EQ(trace.disagreement, 0);
}

// A trace started after the CPU profile misses its first samples.
TEST(SameSamplesTest, ATraceMissingAFewSamplesIsStillTold) {
  const std::vector<int64_t> counts = Draw(2);
  std::vector<int64_t> fewer = counts;
  int missing = 0;
  for (int i = 0; i < kStacks && missing < 12; i += 3) {
    if (fewer[i] > 0) --fewer[i], ++missing;
  }
  ASSERT_EQ(missing, 12);
  const SamplesComparison c = Compare(PprofShaped(counts), TraceShaped(fewer));
  EXPECT_TRUE(c.same) << c.disagreement << " of " << c.expected << " sd " << c.sd;
  EXPECT_EQ(c.disagreement, missing);
  EXPECT_EQ(c.shared, Sum(counts) - missing);
  EXPECT_NEAR(c.agreeing, 1 - static_cast<double>(missing) / Sum(counts), 1e-12);
}

// Independent recordings of one program: the same means, independent Poisson counts. Never told
// as the same; and their disagreement is, on average, what ExpectedDisagreement says.
TEST(SameSamplesTest, IndependentDrawsAreNotToldAndDisagreeAsExpected) {
  double ratio_sum = 0;
  constexpr int kPairs = 200;
  for (int seed = 0; seed < kPairs; ++seed) {
    const SampleFingerprint a = FingerprintSamples(PprofShaped(Draw(100 + seed)));
    const SampleFingerprint b = FingerprintSamples(TraceShaped(Draw(100000 + seed)));
    const SamplesComparison c = CompareSamples(a, b);
    EXPECT_FALSE(c.same) << "seed " << seed << ": " << c.disagreement << " of " << c.expected;
    ratio_sum += c.disagreement / ExpectedDisagreement(a, b).expected;
  }
  EXPECT_NEAR(ratio_sum / kPairs, 1.0, 0.1);
}

// Too few samples, or one stack: a copy cannot be told from an independent recording.
TEST(SameSamplesTest, CopiesOfTooFewSamplesOrOneStackAreNotTold) {
  std::vector<int64_t> few(kStacks, 0);
  few[3] = 2, few[9] = 1;
  EXPECT_FALSE(Compare(PprofShaped(few), PprofShaped(few)).same);
  std::vector<int64_t> one(kStacks, 0);
  one[0] = 5000;
  EXPECT_FALSE(Compare(PprofShaped(one), PprofShaped(one)).same);
  const std::vector<int64_t> none(kStacks, 0);
  EXPECT_FALSE(Compare(PprofShaped(none), PprofShaped(none)).same);
}

TEST(SameSamplesFinderTest, FindsTheInputItRepeatsAmongMany) {
  SameSamplesFinder finder;
  std::vector<SampleFingerprint> fleet;
  for (int i = 0; i < 300; ++i) {
    fleet.push_back(FingerprintSamples(PprofShaped(Draw(1000 + i))));
    EXPECT_FALSE(finder.Add(fleet.back()).has_value()) << "input " << i;
  }
  std::vector<int64_t> late = Draw(1000 + 17);
  for (int i = 0; i < kStacks; i += 20) late[i] = late[i] > 0 ? late[i] - 1 : 0;
  const auto match = finder.Add(FingerprintSamples(TraceShaped(late)));
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->earlier, 17u);
  const auto copy = finder.Add(fleet[250]);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->earlier, 250u);
  EXPECT_EQ(copy->agreeing, 1);
}

// More earlier inputs of the very same total than are compared: a copy is found by its hash.
TEST(SameSamplesFinderTest, AnExactCopyIsFoundHoweverManyShareItsTotal) {
  SameSamplesFinder finder;
  std::vector<SampleFingerprint> fleet;
  for (int i = 0; i < static_cast<int>(3 * kMaxCandidates); ++i) {
    std::vector<int64_t> counts = Draw(3000 + i);
    counts[0] += 600 - Sum(counts);  // every input 600 samples
    ASSERT_GE(counts[0], 0);
    fleet.push_back(FingerprintSamples(PprofShaped(counts)));
    EXPECT_EQ(fleet.back().total, 600u);
    EXPECT_FALSE(finder.Add(fleet.back()).has_value()) << "input " << i;
  }
  const auto copy = finder.Add(fleet[5]);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->earlier, 5u);
}

// A gate crossed on samples that count twice stands only if it is crossed on them counted once.
TEST(SameSamplesGateTest, GatesAreJudgedOnTheSamplesCountedOnce) {
  DetectionSummary s;
  s.samples = 318;  // 159 samples, each twice: 50 of them grow
  for (FeatureSummary& f : s.features) {
    f.fraction = 100.0 / 318;
    f.interval = WilsonInterval(100, 318);
    f.verdict = Verdict::kSpike;
  }
  const FailOnExpr near = *ParseFailOn("grow-spike>25%");
  ASSERT_EQ(EvaluateFailOn(near, s).outcome, GateResult::Outcome::kCrossed);  // as if 318
  s.counted_twice = 0.5;
  s.counted_twice_what = "b.trace holds the same samples as a.pb.gz";
  const GateResult undecided = EvaluateFailOn(near, s);
  EXPECT_EQ(undecided.outcome, GateResult::Outcome::kUndecided);
  const Interval once = WilsonInterval(50, 159);
  EXPECT_NEAR(undecided.interval.lo, once.lo, 1e-9);
  EXPECT_LT(once.lo, 0.25);
  EXPECT_EQ(undecided.reason.rfind(s.counted_twice_what + " (50.0% of the samples count twice)"),
            0u)
      << undecided.reason;
  EXPECT_NE(undecided.reason.find("pass one of them"), std::string::npos);
  // Far from the limit, the gate stands, on the interval of the samples counted once.
  const GateResult crossed = EvaluateFailOn(*ParseFailOn("grow-spike>10%"), s);
  EXPECT_EQ(crossed.outcome, GateResult::Outcome::kCrossed);
  EXPECT_NEAR(crossed.interval.lo, once.lo, 1e-9);
  EXPECT_EQ(EvaluateFailOn(*ParseFailOn("grow-spike<10%"), s).outcome, GateResult::Outcome::kPass);
}

// Writes `p` as a gzipped pprof file in the scratch directory.
std::string WritePprof(const ScratchDir& dir, const std::string& name, const Profile& p) {
  auto bytes = EncodePprof(p, PprofWriteOptions());
  EXPECT_OK(bytes);
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes->data()),
             static_cast<std::streamsize>(bytes->size()));
  return path;
}

TEST(SameSamplesPipelineTest, ACopyIsToldAndCountedAndIndependentInputsAreNot) {
  const ScratchDir dir;
  const std::vector<int64_t> a = Draw(11);
  const std::string first = WritePprof(dir, "a.pb.gz", PprofShaped(a));
  const std::string other = WritePprof(dir, "b.pb.gz", PprofShaped(Draw(12)));
  const std::string copy = WritePprof(dir, "a-copy.pb.gz", PprofShaped(a));
  CollectingDiagnostics diag;
  ReadOptions o;
  o.diagnostics = &diag;
  CountedTwice twice;
  auto p = LoadInputs({first, other, copy}, o, &twice);
  ASSERT_OK(p);
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_EQ(
      diag.warnings[0].rfind(copy + " and " + first + ": they hold the same samples (100.0%", 0),
      0u)
      << diag.warnings[0];
  EXPECT_NE(diag.warnings[0].find("each counts twice, so every share's 95% interval is narrower"),
            std::string::npos);
  EXPECT_EQ(twice.samples, static_cast<uint64_t>(Sum(a)));
  EXPECT_EQ(twice.total, static_cast<uint64_t>(2 * Sum(a) + Sum(Draw(12))));
  EXPECT_EQ(twice.first, copy + " holds the same samples as " + first);

  CollectingDiagnostics quiet;
  o.diagnostics = &quiet;
  CountedTwice none;
  ASSERT_OK(LoadInputs({first, other}, o, &none));
  EXPECT_TRUE(quiet.warnings.empty());
  EXPECT_EQ(none.samples, 0u);
}

// A trace that misses a few samples, named first: the samples counted twice are those both hold,
// not the larger input's.
TEST(SameSamplesPipelineTest, TheSamplesCountedTwiceAreThoseBothHold) {
  const ScratchDir dir;
  const std::vector<int64_t> full = Draw(31);
  std::vector<int64_t> fewer = full;
  for (int i = 0; i < kStacks; i += 10) fewer[i] = fewer[i] > 0 ? fewer[i] - 1 : 0;
  ASSERT_LT(Sum(fewer), Sum(full));
  const std::string trace = WritePprof(dir, "trace.pb.gz", TraceShaped(fewer));
  const std::string cpu = WritePprof(dir, "cpu.pb.gz", PprofShaped(full));
  CollectingDiagnostics diag;
  ReadOptions o;
  o.diagnostics = &diag;
  CountedTwice twice;
  ASSERT_OK(LoadInputs({trace, cpu}, o, &twice));
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_EQ(twice.samples, static_cast<uint64_t>(Sum(fewer)));
  EXPECT_EQ(twice.total, static_cast<uint64_t>(Sum(fewer) + Sum(full)));
}

// Many copies: the first few are told one by one, then how many more.
TEST(SameSamplesPipelineTest, ManyCopiesAreToldAtMostAFewTimes) {
  const ScratchDir dir;
  const Profile p = PprofShaped(Draw(21));
  std::vector<std::string> inputs;
  const size_t n = kMaxCountedTwiceTold + 4;
  for (size_t i = 0; i < n; ++i)
    inputs.push_back(WritePprof(dir, "c" + std::to_string(i) + ".pb.gz", p));
  CollectingDiagnostics diag;
  ReadOptions o;
  o.diagnostics = &diag;
  o.jobs = 2;
  CountedTwice twice;
  ASSERT_OK(LoadInputs(inputs, o, &twice));
  ASSERT_EQ(diag.warnings.size(), kMaxCountedTwiceTold + 1);
  EXPECT_EQ(
      diag.warnings.back().rfind(
          std::to_string(n - 1 - kMaxCountedTwiceTold) + " more inputs hold the same samples", 0),
      0u)
      << diag.warnings.back();
  EXPECT_NEAR(twice.fraction(), static_cast<double>(n - 1) / n, 1e-12);
}

}  // namespace
}  // namespace gcspike
