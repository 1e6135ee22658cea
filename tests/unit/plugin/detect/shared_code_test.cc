#include "plugin/detect/shared_code.h"

#include <gtest/gtest.h>

#include "plugin/detect/fail_on.h"
#include "plugin/detect/profile_diff.h"
#include "tests/unit/plugin/hand_built_profile.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;

TEST(SharedCodeTest, UserFunctionsAreOutsideTheRuntimeAndTheStandardLibrary) {
  EXPECT_TRUE(IsUserFunction("main.main"));
  EXPECT_TRUE(IsUserFunction("main.(*server).handle.func1"));
  EXPECT_TRUE(IsUserFunction("github.com/acme/svc/store.(*DB).Get"));
  EXPECT_TRUE(IsUserFunction("golang.org/x/sync/errgroup.(*Group).Go"));
  EXPECT_FALSE(IsUserFunction("runtime.mallocgc"));
  EXPECT_FALSE(IsUserFunction("internal/runtime/maps.(*table).grow"));
  EXPECT_FALSE(IsUserFunction("encoding/json.Marshal"));
  EXPECT_FALSE(IsUserFunction("fmt.Sprintf"));
  EXPECT_FALSE(IsUserFunction("aeshashbody"));
  // Type arguments name other packages; the function is the standard library's.
  EXPECT_FALSE(IsUserFunction("slices.SortFunc[go.shape.*example.com/x.T]"));
  EXPECT_TRUE(IsUserFunction("main.Set[go.shape.string].Add"));
}

// Side A: 3 samples in main.parse (one through fmt: the innermost user frame counts), 1 in
// main.Set[int].Add inlined into main.load, 1 with no user frame at all. Side B: 2 in
// main.parse, 1 in main.Set[string].Add, 5 in main.render.
TEST(SharedCodeTest, InnermostUserFunctionsShared) {
  HandBuiltProfile a;
  const uint64_t main_a = a.Loc({"main.main"});
  a.Add({a.Loc({"main.parse"}), main_a}, 1);
  a.Add({a.Loc({"main.parse"}), main_a}, 1);
  a.Add({a.Loc({"fmt.Sprintf"}), a.Loc({"main.parse"}), main_a}, 1);
  a.Add({a.Loc({"runtime.mapassign", "main.Set[go.shape.int].Add", "main.load"}), main_a}, 1);
  a.Add({a.Loc({"runtime.gcBgMarkWorker"})}, 1);
  HandBuiltProfile b;
  const uint64_t main_b = b.Loc({"main.main"});
  for (int i = 0; i < 2; ++i) b.Add({b.Loc({"main.parse"}), main_b}, 1);
  b.Add({b.Loc({"main.Set[go.shape.string].Add"}), main_b}, 1);
  for (int i = 0; i < 5; ++i) b.Add({b.Loc({"main.render"}), main_b}, 1);

  const UserCode ua = CollectUserCode(a.profile());
  const UserCode ub = CollectUserCode(b.profile());
  EXPECT_EQ(ua.samples, 4);
  EXPECT_EQ(ua.innermost.at("main.parse"), 3);
  EXPECT_EQ(ua.innermost.at("main.Set[...].Add"), 1);
  EXPECT_DOUBLE_EQ(*SharedShare(ua, ub), 4.0 / 4);  // parse and Set.Add are both on B
  EXPECT_DOUBLE_EQ(*SharedShare(ub, ua), 3.0 / 8);  // render is not on A
  EXPECT_FALSE(SharedShare(UserCode{}, ua).has_value());
}

DetectionSummary Summary(double x, double n) {
  DetectionSummary s;
  s.samples = static_cast<uint64_t>(n);
  s.go_runtime = "swiss";
  for (FeatureSummary& f : s.features) {
    f.fraction = x / n;
    f.interval = WilsonInterval(x, n);
  }
  return s;
}

UserCode Code(std::initializer_list<std::pair<const std::string, double>> functions) {
  UserCode u;
  u.innermost = functions;
  for (const auto& [name, w] : functions) u.samples += w;
  return u;
}

// Different programs: every change is inconclusive and every gate undecided, with the reason
// naming both shares; one program's two sides (a share of kMinSharedCode and up) keep theirs.
TEST(SharedCodeTest, DifferentProgramsMakeTheDiffUndecided) {
  const UserCode one = Code({{"main.markSeen", 200}, {"main.makeKeys", 50}});
  const UserCode other = Code({{"main.encode", 120}, {"main.makeKeys", 30}, {"main.x", 50}});
  ProfileDiff diff = DiffSummaries(Summary(0, 400), Summary(160, 400), 0.1);
  ASSERT_EQ(diff.overall, ChangeVerdict::kRegressed);
  JudgeSharedCode(diff, one, other);
  EXPECT_DOUBLE_EQ(*diff.base_shared, 50.0 / 250);
  EXPECT_DOUBLE_EQ(*diff.now_shared, 30.0 / 200);
  EXPECT_EQ(diff.overall, ChangeVerdict::kInconclusive);
  ASSERT_EQ(diff.notes.size(), 1u);
  EXPECT_NE(diff.notes[0].find("20.0% of the base's"), std::string::npos) << diff.notes[0];
  EXPECT_NE(diff.notes[0].find("15.0% of the new side's"), std::string::npos) << diff.notes[0];
  for (const FeatureDiff& f : diff.features) {
    EXPECT_EQ(f.verdict, ChangeVerdict::kInconclusive);
    EXPECT_EQ(f.cause, kDifferentPrograms);
  }
  const GateResult r = EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), diff);
  EXPECT_EQ(r.outcome, GateResult::Outcome::kUndecided);
  EXPECT_EQ(r.reason, diff.notes[0]);

  // Exactly at the threshold on the lower side: one program.
  const UserCode half = Code({{"main.markSeen", 100}, {"main.other", 100}});
  ProfileDiff same = DiffSummaries(Summary(0, 400), Summary(160, 400), 0.1);
  JudgeSharedCode(same, one, half);
  EXPECT_DOUBLE_EQ(*same.now_shared, kMinSharedCode);
  EXPECT_EQ(same.overall, ChangeVerdict::kRegressed);
  EXPECT_TRUE(same.notes.empty());
  EXPECT_EQ(EvaluateDiffFailOn(*ParseFailOn("grow-spike>+3pp"), same).outcome,
            GateResult::Outcome::kCrossed);
  // A side without user frames (unsymbolized, say) cannot be compared: nothing changes.
  ProfileDiff blind = DiffSummaries(Summary(0, 400), Summary(160, 400), 0.1);
  JudgeSharedCode(blind, one, UserCode{});
  EXPECT_FALSE(blind.now_shared.has_value());
  EXPECT_EQ(blind.overall, ChangeVerdict::kRegressed);
}

}  // namespace
}  // namespace gcspike
