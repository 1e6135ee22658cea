// The tables --help, the man page and the completions are rendered from: complete, consistent
// with the constants the code uses, and rendered without roff or shell syntax surprises.
#include "plugin/cli/help.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "plugin/cli/commands.h"
#include "plugin/cli/detect_command.h"
#include "plugin/cli/output_flags.h"
#include "plugin/cli/perf_flags.h"
#include "plugin/cli/trace_flags.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/stack_rules.h"
#include "plugin/detect/time_rules.h"
#include "plugin/filter/sample_filter.h"

namespace gcspike::cli {
namespace {

const LabelDoc* FindLabel(std::string_view key) {
  for (const LabelDoc& l : Labels()) {
    if (l.key == key) return &l;
  }
  return nullptr;
}

TEST(HelpTest, LabelsCoverEveryKeyAndFeatureTheDetectorsWrite) {
  for (std::string_view key : {kFeatureLabelKey, kSiteLabelKey, kWorkerLabelKey, kClusterLabelKey,
                               std::string_view(kTimestampLabel)}) {
    EXPECT_NE(FindLabel(key), nullptr) << key;
  }
  const LabelDoc* features = FindLabel(kFeatureLabelKey);
  ASSERT_NE(features, nullptr);
  for (std::string_view name : kFeatureNames) {
    EXPECT_NE(features->values.find(name), std::string_view::npos) << name;
    EXPECT_NE(features->meaning.find(std::string(name) + ":"), std::string_view::npos) << name;
  }
  EXPECT_NE(features->values.find(kPrePauseName), std::string_view::npos);
  const LabelDoc* worker = FindLabel(kWorkerLabelKey);
  ASSERT_NE(worker, nullptr);
  for (GcWorkerKind k : {GcWorkerKind::kAssist, GcWorkerKind::kDedicated, GcWorkerKind::kFractional,
                         GcWorkerKind::kIdle}) {
    EXPECT_NE(worker->values.find(GcWorkerName(k)), std::string_view::npos) << GcWorkerName(k);
  }
}

TEST(HelpTest, EveryCommandHasAnExampleRunningIt) {
  for (const CommandDoc& c : Commands()) {
    bool found = false;
    for (std::string_view e : c.examples) {
      EXPECT_NE(e.find("gcspike "), std::string_view::npos) << e;
      if (e.find("gcspike " + std::string(c.name)) != std::string_view::npos) found = true;
    }
    EXPECT_TRUE(found) << c.name;
    EXPECT_FALSE(c.summary.empty()) << c.name;
    EXPECT_FALSE(c.description.empty()) << c.name;
  }
}

TEST(HelpTest, ExitStatusesMatchTheConstants) {
  std::set<int> codes;
  for (const ExitStatusDoc& e : ExitStatuses()) codes.insert(e.code);
  EXPECT_EQ(codes, (std::set<int>{kExitOk, kExitThreshold, kExitBadInput, 3}));
}

TEST(HelpTest, HelpTextShowsEveryCommandExampleAndExitStatus) {
  const std::string help = HelpText();
  for (const CommandDoc& c : Commands()) {
    EXPECT_NE(help.find("  gcspike " + std::string(c.synopsis)), std::string::npos) << c.name;
    for (std::string_view e : c.examples) {
      EXPECT_NE(help.find("  " + std::string(e) + "\n"), std::string::npos) << e;
    }
  }
  for (const ExitStatusDoc& e : ExitStatuses()) {
    EXPECT_NE(help.find(std::to_string(e.code) + "  " + std::string(e.meaning)), std::string::npos);
  }
  // No line wider than the 100 columns the text keeps to, except the flag descriptions
  // (gflags' own, one line each).
  std::istringstream lines(help.substr(0, help.find("\nFlags:\n")));
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;
}

TEST(HelpTest, ManPageIsPlainRoff) {
  const std::string man = ManPage();
  const std::set<std::string> macros = {".TH", ".SH", ".TP", ".B",  ".BI", ".BR", ".PP",
                                        ".RS", ".RE", ".nf", ".fi", ".br", ".nh", ".\\\""};
  std::istringstream lines(man);
  int sections = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    const std::string macro = line.substr(0, line.find(' '));
    EXPECT_EQ(macros.count(macro), 1u) << "a text line read as a request: " << line;
    if (macro == ".SH") ++sections;
  }
  EXPECT_GE(sections, 8);
  for (const char* section : {"NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS", "LABELS"}) {
    EXPECT_NE(man.find(std::string(".SH ") + section + "\n"), std::string::npos) << section;
  }
  // Every dash is a minus, so options can be searched for and copied.
  EXPECT_NE(man.find("\\-\\-help"), std::string::npos);
  EXPECT_EQ(man.find("--help", man.find('\n')), std::string::npos);  // (after the comment)
  EXPECT_NE(man.find("gcspike " + std::string(kVersion)), std::string::npos);
}

// The flags are defined in the files that use them; this links those files into the test.
void LinkFlagDefinitions() {
  static volatile bool never = false;
  if (!never) return;
  Args args;
  (void)RunAnnotate(args);
  (void)RunReport(args);
  (void)RunTraceStats(args);
  (void)FilterSpecFromFlags(args);
  ReadOptions options;
  ApplyPerfFlags(args, options);
}

TEST(HelpTest, EachCommandHasItsOwnHelp) {
  LinkFlagDefinitions();
  const std::string report = CommandHelpText("report");
  EXPECT_EQ(report.rfind("gcspike report: per-feature shares", 0), 0u) << report;
  EXPECT_NE(report.find("Usage:\n  gcspike report [--json|--html] [flags] INPUT... [-o OUT]\n"),
            std::string::npos);
  EXPECT_NE(report.find("Prints each feature's share"), std::string::npos);
  EXPECT_NE(report.find("  gcspike report --json cpu.pprof --fail-on 'grow-spike>10%'\n"),
            std::string::npos);
  // The flags that matter for it, and not those that only shape pprof output.
  for (const char* flag : {"\n  --json\n", "\n  --fail-on=string\n", "\n  --keep=string\n",
                           "\n  -o string\n", "\n  --rules=string\n"}) {
    EXPECT_NE(report.find(flag), std::string::npos) << flag;
  }
  for (const char* flag : {"--uncompressed", "--gzip-level", "--stacks", "--pseudo-frames"}) {
    EXPECT_EQ(report.find(flag), std::string::npos) << flag;
  }
  // Other commands' examples are not there.
  EXPECT_EQ(report.find("gcspike pprof"), std::string::npos);
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;

  const std::string pprof = CommandHelpText("pprof");
  EXPECT_NE(pprof.find("gcspike pprof cpu.pprof -- -top"), std::string::npos);
  EXPECT_EQ(pprof.find("\n  -o string\n"), std::string::npos);
  EXPECT_EQ(pprof.find("--json"), std::string::npos);
  EXPECT_NE(CommandHelpText("annotate").find("\n  --uncompressed\n"), std::string::npos);
  const std::string stats = CommandHelpText("trace-stats");
  EXPECT_NE(stats.find("\n  --stacks\n"), std::string::npos);
  EXPECT_EQ(stats.find("--keep"), std::string::npos);
  for (const CommandDoc& c : Commands()) EXPECT_NE(CommandHelpText(c.name), "") << c.name;
  EXPECT_EQ(CommandHelpText("reprot"), "");
}

TEST(HelpTest, TraceStatsIsDocumentedAsADiagnostic) {
  bool found = false;
  for (const CommandDoc& c : Commands()) {
    if (c.name != "trace-stats") continue;
    found = true;
    EXPECT_EQ(c.summary.rfind("diagnostic", 0), 0u);
  }
  EXPECT_TRUE(found);
  EXPECT_NE(ManPage().find("trace\\-stats"), std::string::npos);
}

TEST(HelpTest, KeepHelpSaysEqualIsMembershipOnTheGcspikeKey) {
  LinkFlagDefinitions();
  bool found = false;
  for (const FlagDoc& f : Flags()) {
    if (f.name == "keep") {
      found = true;
      EXPECT_NE(f.description.find("gcspike=grow-spike keeps grow-spike+key-copy"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(found);
}

TEST(HelpTest, CompletionScriptsForBashAndZshOnly) {
  const std::string bash = CompletionScript("bash");
  EXPECT_NE(bash.find("complete -o filenames -F _gcspike gcspike"), std::string::npos);
  const std::string zsh = CompletionScript("zsh");
  EXPECT_EQ(zsh.rfind("#compdef gcspike\n", 0), 0u);
  for (const CommandDoc& c : Commands()) {
    EXPECT_NE(bash.find(std::string(c.name)), std::string::npos) << c.name;
    EXPECT_NE(zsh.find("'" + std::string(c.name) + ":"), std::string::npos) << c.name;
  }
  EXPECT_EQ(CompletionScript("fish"), "");
}

}  // namespace
}  // namespace gcspike::cli
