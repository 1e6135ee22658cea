// Misuse of the command line gets a sentence that says what to do: a mistyped command is named
// with the command it is closest to, go tool pprof's flags are sent after --, and no input with
// stdin on a terminal says so (with stdin a pipe or file, it is read).
#include "plugin/cli/args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike::cli {
namespace {

const std::vector<std::string> kCommands = {"annotate", "pprof", "report", "help", "trace-stats"};

Result<Args> Parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  std::string program = "gcspike";
  argv.push_back(program.data());
  for (std::string& w : words) argv.push_back(w.data());
  return ParseArgs(static_cast<int>(argv.size()), argv.data(), kCommands);
}

std::string ErrorOf(const Result<Args>& r) { return r.ok() ? "(ok)" : r.error().ToString(); }

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(EditDistance("report", "report"), 0u);
  EXPECT_EQ(EditDistance("reprot", "report"), 1u);  // one transposition
  EXPECT_EQ(EditDistance("reort", "report"), 1u);
  EXPECT_EQ(EditDistance("reports", "report"), 1u);
  EXPECT_EQ(EditDistance("rapirt", "report"), 2u);
  EXPECT_EQ(EditDistance("", "help"), 4u);
  EXPECT_EQ(EditDistance("cpu.pprof", "pprof"), 4u);
}

TEST(SuggestNameTest, NearestCommandWithinTwoEdits) {
  EXPECT_EQ(SuggestName("reprot", kCommands), "report");
  EXPECT_EQ(SuggestName("anotate", kCommands), "annotate");
  EXPECT_EQ(SuggestName("prof", kCommands), "pprof");
  EXPECT_EQ(SuggestName("hlep", kCommands), "help");
  EXPECT_EQ(SuggestName("trace-stat", kCommands), "trace-stats");
  EXPECT_EQ(SuggestName("report", kCommands), std::nullopt);
  EXPECT_EQ(SuggestName("cpu.pprof", kCommands), std::nullopt);
  EXPECT_EQ(SuggestName("flamegraph", kCommands), std::nullopt);
}

TEST(ParseArgsTest, MistypedCommandIsAUsageError) {
  EXPECT_EQ(ErrorOf(Parse({"reprot", "cpu.pprof"})),
            "unknown command 'reprot' (did you mean 'report'?)");
  EXPECT_EQ(ErrorOf(Parse({"anotate"})), "unknown command 'anotate' (did you mean 'annotate'?)");
}

TEST(ParseArgsTest, ExistingFilesUrlsAndStdinAreInputsEvenWhenNamedLikeCommands) {
  // This source file's directory holds no file named "reprot", but "-" and URLs are inputs.
  auto stdin_input = Parse({"-"});
  ASSERT_OK(stdin_input);
  EXPECT_EQ(stdin_input->command, "annotate");
  EXPECT_EQ(stdin_input->positional, std::vector<std::string>{"-"});
  EXPECT_OK(Parse({"http://reprot"}));
  // A file that exists is an input, whatever its name.
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/reprot";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto existing = Parse({path});
  std::remove(path.c_str());
  ASSERT_OK(existing) << ErrorOf(existing);
  EXPECT_EQ(existing->positional, std::vector<std::string>{path});
  // Far from every command: left to the reader, which says it cannot open it.
  auto far = Parse({"no-such-profile.pb.gz"});
  ASSERT_OK(far);
  EXPECT_EQ(far->positional, std::vector<std::string>{"no-such-profile.pb.gz"});
}

TEST(ParseArgsTest, PprofFlagsBeforeDoubleDashGetAHint) {
  EXPECT_EQ(ErrorOf(Parse({"pprof", "cpu.pprof", "-top"})),
            "unknown flag -top: flags for go tool pprof go after --, as in gcspike pprof INPUT "
            "-- -top");
  EXPECT_EQ(ErrorOf(Parse({"pprof", "cpu.pprof", "-http=:8080"})),
            "unknown flag -http=:8080: flags for go tool pprof go after --, as in gcspike pprof "
            "INPUT -- -http=:8080");
  EXPECT_EQ(ErrorOf(Parse({"cpu.pprof", "-top"})),
            "unknown flag -top: it is a go tool pprof flag; give it to gcspike pprof after --, "
            "as in gcspike pprof INPUT -- -top");
  EXPECT_EQ(ErrorOf(Parse({"report", "cpu.pprof", "--no-such-flag"})),
            "unknown flag --no-such-flag (see gcspike report --help)");
  EXPECT_EQ(ErrorOf(Parse({"cpu.pprof", "--no-such-flag"})),
            "unknown flag --no-such-flag (see gcspike --help)");
  // A flag a typo away from one of gcspike's is named, in the form it is typed in.
  EXPECT_EQ(ErrorOf(Parse({"report", "cpu.pprof", "--jsn"})),
            "unknown flag --jsn (did you mean --json? see gcspike report --help)");
  EXPECT_EQ(ErrorOf(Parse({"report", "cpu.pprof", "--fail-onn=grow-spike>5%"})),
            "unknown flag --fail-onn=grow-spike>5% (did you mean --fail-on? see gcspike report "
            "--help)");
  auto passed = Parse({"pprof", "cpu.pprof", "--", "-top"});
  ASSERT_OK(passed);
  EXPECT_EQ(passed->passthrough, std::vector<std::string>{"-top"});
}

TEST(DefaultToStdinTest, NoInputReadsStdinUnlessItIsATerminal) {
  auto piped = Parse({"report"});
  ASSERT_OK(piped);
  ASSERT_OK(DefaultToStdin(*piped, /*stdin_is_terminal=*/false));
  EXPECT_EQ(piped->positional, std::vector<std::string>{"-"});

  auto terminal = Parse({"report"});
  ASSERT_OK(terminal);
  Status s = DefaultToStdin(*terminal, /*stdin_is_terminal=*/true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "no input: name a profile (gcspike report cpu.pprof) or pipe one into standard "
            "input (gcspike report < cpu.pprof); gcspike report --help shows more");

  // Named inputs stay as they are; trace-stats and help never read stdin by default.
  auto named = Parse({"report", "a.pb.gz"});
  ASSERT_OK(named);
  ASSERT_OK(DefaultToStdin(*named, false));
  EXPECT_EQ(named->positional, std::vector<std::string>{"a.pb.gz"});
  auto stats = Parse({"trace-stats"});
  ASSERT_OK(stats);
  ASSERT_OK(DefaultToStdin(*stats, false));
  EXPECT_TRUE(stats->positional.empty());
}

TEST(ErrorTest, UsageErrorsHaveNoInputPrefix) {
  EXPECT_EQ(MakeError("no input given").ToString(), "no input given");
  EXPECT_EQ(MakeErrorAt(3, "bad tag").ToString(), "<input>: byte 3: bad tag");
  Error e = MakeError("cannot open");
  e.file = "a.pb";
  EXPECT_EQ(e.ToString(), "a.pb: cannot open");
}

}  // namespace
}  // namespace gcspike::cli
