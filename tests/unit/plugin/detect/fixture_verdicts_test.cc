// Golden tests on the real fixtures (fixtures/pprof/go*/, from scripts/make-fixtures): every grow
// program is a grow-spike for every Go version, presized and control programs are not. The
// expectations are computed from the fixtures themselves, not typed in.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "formats/pprof_reader.h"
#include "formats/pprof_writer.h"
#include "formats/profile_reader.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

enum class Program { kGrow, kPresized, kControl, kOther };

Program ProgramOf(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  if (name.find("cpu") == std::string::npos) return Program::kOther;
  if (name.find("tiny") != std::string::npos) return Program::kOther;  // too short to judge
  if (name.rfind("grow", 0) == 0 || name.rfind("generic", 0) == 0) return Program::kGrow;
  if (name.rfind("presized", 0) == 0) return Program::kPresized;
  if (name.rfind("control", 0) == 0) return Program::kControl;
  return Program::kOther;
}

Profile Read(const std::filesystem::path& path) {
  auto p = ReadProfileFile(path.string(), ReadOptions{});
  EXPECT_OK(p);
  return p.ok() ? std::move(*p) : Profile{};
}

// An independent reading of "grows a map under a map assign": the names, written out here, of
// the grow frames and an index comparison per sample.
bool GrowsUnderAssign(const Profile& p, const Sample& s) {
  static const std::set<std::string> kGrow = {"runtime.hashGrow",
                                              "runtime.growWork",
                                              "runtime.growWork_fast32",
                                              "runtime.growWork_fast64",
                                              "runtime.growWork_faststr",
                                              "runtime.evacuate",
                                              "runtime.evacuate_fast32",
                                              "runtime.evacuate_fast64",
                                              "runtime.evacuate_faststr",
                                              "runtime.advanceEvacuationMark",
                                              "internal/runtime/maps.(*Map).growToSmall",
                                              "internal/runtime/maps.(*Map).growToTable",
                                              "internal/runtime/maps.(*table).rehash",
                                              "internal/runtime/maps.(*table).grow",
                                              "internal/runtime/maps.(*table).split",
                                              "internal/runtime/maps.(*Map).installTableSplit",
                                              "internal/runtime/maps.(*Map).replaceTable"};
  int index = 0, first_grow = -1, last_assign = -1;
  for (uint64_t id : s.location_ids) {
    for (const Line& line : p.location(id).lines) {
      const std::string& name = p.str(p.function(line.function_id).name);
      if (first_grow < 0 && kGrow.count(name)) first_grow = index;
      if (name.rfind("runtime.mapassign", 0) == 0 || name.rfind("reflect.mapassign", 0) == 0 ||
          name.rfind("internal/runtime/maps.(*Map).putSlotSmall", 0) == 0 ||
          name == "internal/runtime/maps.(*Map).PutSlot") {
        last_assign = index;
      }
      ++index;
    }
  }
  return first_grow >= 0 && first_grow < last_assign;
}

TEST(FixtureVerdictsTest, GrowIsSpikeAndPresizedAndControlAreNormal) {
  const auto files = testing::FixtureFiles("pprof", ".pb.gz");
  ASSERT_FALSE(files.empty()) << "fixtures/pprof is empty: run scripts/make-fixtures";
  const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  std::set<std::string> grow_versions, versions;
  int normal_checked = 0;
  for (const auto& path : files) {
    const Program program = ProgramOf(path);
    if (program == Program::kOther) continue;
    SCOPED_TRACE(path.string());
    versions.insert(path.parent_path().filename().string());
    const Profile p = Read(path);
    const auto features = ClassifySamples(p, catalogue);
    const DetectionSummary s = Summarize(p, features, DetectionThresholds{});
    if (program == Program::kGrow) {
      grow_versions.insert(path.parent_path().filename().string());
      EXPECT_EQ(s.features[0].verdict, Verdict::kSpike)
          << "grow-spike fraction " << s.features[0].fraction;
      EXPECT_EQ(s.overall, Verdict::kSpike);
      EXPECT_NE(s.go_runtime, "unknown");
      EXPECT_FALSE(s.sites.empty());
    } else {
      ++normal_checked;
      // Not merely "not a spike": normal with 95 % confidence, judged on enough samples.
      for (int f = 0; f < 4; ++f) {
        EXPECT_EQ(s.features[f].verdict, Verdict::kNormal)
            << kFeatureNames[f] << " fraction " << s.features[f].fraction << " "
            << s.features[f].reason;
      }
    }
    // Every sample's grow-spike bit agrees with the independent reading above.
    for (size_t i = 0; i < p.samples.size(); ++i) {
      ASSERT_EQ((features[i].features & kFeatureGrowSpike) != 0, GrowsUnderAssign(p, p.samples[i]))
          << "sample " << i;
    }
  }
  // Every Go version with fixtures has a grow program, and its presized/control peers ran.
  EXPECT_EQ(grow_versions, versions);
  EXPECT_GT(normal_checked, 0);
}

TEST(FixtureVerdictsTest, LabelsSurviveThePprofWriter) {
  const auto files = testing::FixtureFiles("pprof", ".pb.gz");
  ASSERT_FALSE(files.empty()) << "fixtures/pprof is empty: run scripts/make-fixtures";
  const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  for (const auto& path : files) {
    if (ProgramOf(path) != Program::kGrow) continue;
    SCOPED_TRACE(path.string());
    Profile p = Read(path);
    const auto features = ClassifySamples(p, catalogue);
    ApplyLabels(p, features, "gcspike 0.1.0");
    auto bytes = EncodePprof(p, PprofWriteOptions{.gzip = false});
    ASSERT_OK(bytes);
    auto back = ReadPprofMessage(*bytes);
    ASSERT_OK(back);
    ASSERT_EQ(back->samples.size(), p.samples.size());
    size_t labelled = 0;
    for (size_t i = 0; i < p.samples.size(); ++i) {
      const auto want = FeatureLabel(features[i].features);
      const auto got = back->StrLabel(back->samples[i], "gcspike");
      if (want.empty()) {
        EXPECT_FALSE(got.has_value()) << i;
      } else {
        ++labelled;
        ASSERT_TRUE(got.has_value()) << i;
        EXPECT_EQ(*got, want) << i;
      }
    }
    EXPECT_GT(labelled, 0u);
  }
}

}  // namespace
}  // namespace gcspike
