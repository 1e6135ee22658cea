#include "plugin/report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "plugin/detect/annotator.h"
#include "tests/unit/plugin/detect/stack_builder.h"

namespace gcspike {
namespace {

using testing::StackProfile;

DetectionSummary Borderline() {
  StackProfile sp;
  sp.Add("runtime.goexit > main.fill > runtime.mapassign_faststr > runtime.hashGrow", 3);
  sp.Add("runtime.goexit > main.work", 97);
  const auto features = ClassifySamples(sp.profile, RuntimeSignatureCatalogue::BuiltIn());
  DetectionSummary s = Summarize(sp.profile, features, DetectionThresholds{});
  s.input = "cpu.pprof";
  return s;
}

TEST(ReportTextTest, ShowsIntervalsVerdictsAndReasonsWrapped) {
  const DetectionSummary s = Borderline();
  for (size_t width : {80u, 60u}) {
    const std::string text = RenderReportText(s, width);
    std::istringstream lines(text);
    std::string line;
    bool reason = false, verdict = false;
    while (std::getline(lines, line)) {
      // The table rows are as wide as they are; the paragraphs are wrapped.
      if (line.rfind("inconclusive (", 0) == 0) reason = true;
      if (line.rfind("verdict: ", 0) == 0) verdict = true;
      if (line.rfind("inconclusive (", 0) == 0 || line.rfind("verdict: ", 0) == 0 ||
          (line.rfind("  ", 0) == 0 && line.find(':') == std::string::npos)) {
        EXPECT_LE(line.size(), width) << line;
      }
    }
    EXPECT_TRUE(reason) << text;
    EXPECT_TRUE(verdict) << text;
    EXPECT_NE(text.find("overall: inconclusive"), std::string::npos) << text;
    EXPECT_NE(text.find("3.0%  [1.0-8.5]"), std::string::npos) << text;
  }
}

TEST(ReportJsonTest, CarriesIntervalsCausesAndTails) {
  const std::string json = RenderReportJson(Borderline(), ",\"pre-pause\":{}", ",\"timeline\":{}");
  EXPECT_NE(json.find("\"overall\":\"inconclusive\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"grow-spike\":{\"fraction\":0.03,\"value_fraction\":0.03,"
                      "\"interval\":[0.0102"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"cause\":\"borderline\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"sites\":[{\"function\":\"main.fill\",\"via\":[]"), std::string::npos)
      << json;
  // The tails land inside "features" and after "sites".
  EXPECT_NE(json.find(",\"pre-pause\":{}},\"shape\""), std::string::npos) << json;
  EXPECT_NE(json.find("],\"timeline\":{},\"verdict\""), std::string::npos) << json;
}

}  // namespace
}  // namespace gcspike
