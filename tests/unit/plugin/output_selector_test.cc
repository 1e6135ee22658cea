#include "plugin/output_selector.h"

#include <gtest/gtest.h>

#include "formats/pprof_reader.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

TEST(OutputSelectorTest, FormatFromExtensionUnlessNamed) {
  EXPECT_EQ(*SelectOutputFormat("", "a.pb.gz"), OutputFormat::kPprof);
  EXPECT_EQ(*SelectOutputFormat("", "a.pb"), OutputFormat::kPprof);
  EXPECT_EQ(*SelectOutputFormat("", "dir/a.speedscope.json"), OutputFormat::kSpeedscope);
  EXPECT_EQ(*SelectOutputFormat("", "a.json"), OutputFormat::kJson);
  EXPECT_EQ(*SelectOutputFormat("", "a.folded"), OutputFormat::kFolded);
  EXPECT_EQ(*SelectOutputFormat("", "a.txt"), OutputFormat::kReport);
  EXPECT_EQ(*SelectOutputFormat("", "a.out"), OutputFormat::kPprof);
  EXPECT_EQ(*SelectOutputFormat("", ""), OutputFormat::kPprof);
  EXPECT_EQ(*SelectOutputFormat("folded", "a.pb.gz"), OutputFormat::kFolded);
  EXPECT_EQ(*SelectOutputFormat("", "report.html"), OutputFormat::kHtml);
  EXPECT_EQ(*SelectOutputFormat("html", "a.out"), OutputFormat::kHtml);
  EXPECT_EQ(*SelectOutputFormat("", "a.trace.json"), OutputFormat::kChromeTrace);  // not json
  EXPECT_EQ(*SelectOutputFormat("chrome-trace", ""), OutputFormat::kChromeTrace);
  EXPECT_EQ(OutputFormatName(OutputFormat::kChromeTrace), "chrome-trace");
  EXPECT_FALSE(SelectOutputFormat("svg", "a.svg").ok());
  EXPECT_TRUE(IsBinaryOutput(OutputFormat::kPprof));
  EXPECT_FALSE(IsBinaryOutput(OutputFormat::kSpeedscope));
  EXPECT_FALSE(IsBinaryOutput(OutputFormat::kFolded));
}

class EncodeOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const uint64_t m = h_.Loc({"main.main"});
    h_.profile().SetStrLabel(h_.Add({m}, 10), "gcspike", "grow-spike");
  }
  std::string Text(OutputOptions o) {
    Profile copy = h_.profile();
    auto bytes = EncodeOutput(copy, o);
    EXPECT_OK(bytes);
    return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "";
  }
  testing::HandBuiltProfile h_;
};

TEST_F(EncodeOutputTest, PseudoFramesDefaultPerFormat) {
  OutputOptions o;
  o.format = OutputFormat::kFolded;
  EXPECT_EQ(Text(o), "[gcspike grow-spike];main.main 10\n");
  o.pseudo_frames = PseudoFramePlacement::kNone;
  EXPECT_EQ(Text(o), "main.main 10\n");
  o.pseudo_frames = PseudoFramePlacement::kLeaf;
  EXPECT_EQ(Text(o), "main.main;[gcspike grow-spike] 10\n");
  o.format = OutputFormat::kSpeedscope;
  o.pseudo_frames.reset();
  EXPECT_NE(Text(o).find("{\"name\":\"[gcspike grow-spike]\",\"file\":\"gcspike\"}"),
            std::string::npos);

  // pprof: none by default, root when asked.
  o.format = OutputFormat::kPprof;
  o.pprof.gzip = false;
  for (bool root : {false, true}) {
    o.pseudo_frames = root ? std::optional(PseudoFramePlacement::kRoot) : std::nullopt;
    const std::string bytes = Text(o);
    auto back =
        ReadPprofMessage(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ASSERT_OK(back);
    EXPECT_EQ(back->samples[0].location_ids.size(), root ? 2u : 1u);
  }
}

TEST_F(EncodeOutputTest, ReportNeedsAnEncoder) {
  OutputOptions o;
  o.format = OutputFormat::kJson;
  Profile copy = h_.profile();
  EXPECT_FALSE(EncodeOutput(copy, o).ok());
  o.report = [](const Profile& p, bool json) -> Result<std::string> {
    return std::string(json ? "json " : "text ") + std::to_string(p.samples.size());
  };
  EXPECT_EQ(Text(o), "json 1");
  o.format = OutputFormat::kReport;
  EXPECT_EQ(Text(o), "text 1");
}

}  // namespace
}  // namespace gcspike
