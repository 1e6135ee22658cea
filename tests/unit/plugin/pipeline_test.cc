// LoadInputs over many files: the merge does not depend on --jobs (decoding on threads, merging
// in input order), the first bad input in input order is the one named, --label-inputs names
// each sample's input, and --inputs-from lists are read one input a line.
#include "plugin/pipeline.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "formats/pprof_writer.h"
#include "tests/unit/plugin/hand_built_profile.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::HandBuiltProfile;
using testing::PprofBytes;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gcspike-pipeline-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    files_.push_back(path);
    return path;
  }
  // Input i: its own leaf function, a shared root, a period that differs for i == 3.
  std::string Input(int i) {
    HandBuiltProfile h;
    const std::string leaf = "main.f" + std::to_string(i % 5);
    const uint64_t l = h.Loc({leaf.c_str()}, 0x100 + i);
    const uint64_t r = h.Loc({"main.main"}, 0x10);
    h.Add({l, r}, 10 + i);
    h.Add({r}, 1);
    h.profile().time_nanos = 1000 + i;
    if (i == 3) h.profile().period = 5;
    auto bytes = EncodePprof(h.profile(), PprofWriteOptions());
    EXPECT_OK(bytes);
    return Write("in" + std::to_string(i) + ".pb.gz", *bytes);
  }
  std::vector<std::string> Inputs(int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back(Input(i));
    return v;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(PipelineTest, SameResultWhateverTheJobs) {
  const std::vector<std::string> inputs = Inputs(23);
  std::vector<uint8_t> first;
  std::vector<std::string> first_warnings;
  for (int jobs : {1, 2, 4, 0, 64}) {
    CollectingDiagnostics diag;
    ReadOptions o;
    o.diagnostics = &diag;
    o.jobs = jobs;
    auto p = LoadInputs(inputs, o);
    ASSERT_OK(p);
    EXPECT_EQ(p->samples.size(), 46u);
    if (jobs == 1) {
      first = PprofBytes(*p);
      first_warnings = diag.warnings;
      ASSERT_EQ(first_warnings.size(), 1u);  // input 3's period
      EXPECT_NE(first_warnings[0].find("in3.pb.gz"), std::string::npos);
    } else {
      EXPECT_EQ(PprofBytes(*p), first) << "jobs " << jobs;
      EXPECT_EQ(diag.warnings, first_warnings) << "jobs " << jobs;
    }
  }
}

TEST_F(PipelineTest, TheFirstBadInputInOrderIsNamed) {
  std::vector<std::string> inputs = Inputs(12);
  inputs[5] = Write("bad5.pb.gz", {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 1, 2});
  inputs[9] = dir_ + "/missing.pb.gz";
  for (int jobs : {1, 3}) {
    ReadOptions o;
    o.jobs = jobs;
    auto p = LoadInputs(inputs, o);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().ToString().find("bad5.pb.gz"), std::string::npos) << p.error().ToString();
  }
}

TEST_F(PipelineTest, LabelInputsNamesEachSamplesInputButKeepsAnExistingLabel) {
  std::vector<std::string> inputs = Inputs(3);
  HandBuiltProfile h;
  h.profile().SetStrLabel(h.Add({h.Loc({"main.g"})}, 7), "input", "pod-7");
  auto bytes = EncodePprof(h.profile(), PprofWriteOptions());
  ASSERT_OK(bytes);
  inputs.push_back(Write("labelled.pb.gz", *bytes));
  ReadOptions o;
  o.jobs = 2;
  o.input_label_key = "input";
  auto p = LoadInputs(inputs, o);
  ASSERT_OK(p);
  ASSERT_EQ(p->samples.size(), 7u);
  EXPECT_EQ(*p->StrLabel(p->samples[0], "input"), inputs[0]);
  EXPECT_EQ(*p->StrLabel(p->samples[5], "input"), inputs[2]);
  EXPECT_EQ(*p->StrLabel(p->samples[6], "input"), "pod-7");
}

// A file named twice, however spelled, would count its samples twice: one warning per repeat,
// naming both. A copy of two samples is not told: so few samples cannot tell a copy from an
// independent recording (plugin/same_samples.h; SameSamplesTest has copies that are told).
TEST_F(PipelineTest, AFileNamedTwiceIsTold) {
  const std::vector<std::string> inputs = Inputs(2);
  const std::string again = dir_ + "/./in0.pb.gz";
  std::ifstream copy_from(inputs[1], std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(copy_from)), {});
  const std::string copy = Write("copy-of-in1.pb.gz", bytes);
  CollectingDiagnostics diag;
  ReadOptions o;
  o.diagnostics = &diag;
  auto p = LoadInputs({inputs[0], inputs[1], again, copy}, o);
  ASSERT_OK(p);
  EXPECT_EQ(p->samples.size(), 8u);     // merged all the same
  ASSERT_EQ(diag.warnings.size(), 1u);  // the copy is another file
  EXPECT_EQ(diag.warnings[0].rfind(again + ": the same file as " + inputs[0] + ", named again", 0),
            0u)
      << diag.warnings[0];
  EXPECT_NE(diag.warnings[0].find("count twice"), std::string::npos);
}

TEST_F(PipelineTest, InputListSkipsBlankLinesAndComments) {
  const std::string list = dir_ + "/list.txt";
  std::ofstream(list)
      << "# fleet\n\n  a.pb.gz  \r\nhttp://pod-1:6060/debug/pprof/profile\n\t# x\nb c.pb.gz";
  files_.push_back(list);
  auto v = ReadInputList(list);
  ASSERT_OK(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"a.pb.gz", "http://pod-1:6060/debug/pprof/profile",
                                          "b c.pb.gz"}));
  auto missing = ReadInputList(dir_ + "/none.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().file, dir_ + "/none.txt");
}

}  // namespace
}  // namespace gcspike
