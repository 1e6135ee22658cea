// gcspike: finds Go map-growth GC pressure in profiles and writes annotated pprof.
#include <gflags/gflags.h>
#include <unistd.h>

#include <cstdio>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/cli/args.h"
#include "plugin/cli/commands.h"
#include "plugin/cli/detect_command.h"
#include "plugin/cli/diff_command.h"
#include "plugin/cli/fleet_flags.h"
#include "plugin/cli/help.h"
#include "plugin/cli/trace_flags.h"

namespace {

using namespace gcspike::cli;

// Hidden: the build renders the man page and the shell completions with these, from the same
// tables and flag definitions as --help (plugin/cli/help.cc). The exit status when argv asks
// for one of them; nullopt when not.
std::optional<int> RunBuildHelp(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--help-man") {
    std::fputs(ManPage().c_str(), stdout);
    return kExitOk;
  }
  if (argc == 2 && std::string_view(argv[1]).rfind("--help-completion=", 0) == 0) {
    const std::string script = CompletionScript(std::string_view(argv[1]).substr(18));
    if (script.empty()) {
      std::fprintf(stderr, "gcspike: --help-completion takes bash or zsh\n");
      return kExitBadInput;
    }
    std::fputs(script.c_str(), stdout);
    return kExitOk;
  }
  return std::nullopt;
}

// `gcspike --help` and `gcspike help`: everything; `gcspike report --help` and
// `gcspike help report`: that command's synopsis, description, flags and examples.
int RunHelp(const Args& args) {
  std::string topic = args.command_named && args.command != "help" ? args.command : "";
  if (args.command == "help" && !args.positional.empty()) topic = args.positional[0];
  if (topic.empty()) {
    std::fputs(HelpText().c_str(), stdout);
    return kExitOk;
  }
  const std::string text = CommandHelpText(topic);
  if (text.empty()) {
    std::fprintf(stderr, "gcspike: no command '%s' to show help for (see gcspike --help)\n",
                 topic.c_str());
    return kExitBadInput;
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

// Runs the command args names.
int RunCommand(const Args& args) {
  if (args.command == "pprof") return RunPprof(args);
  if (args.command == "merge" && args.passthrough.empty()) return RunMerge(args);
  if (args.command == "report" && args.passthrough.empty()) return RunReport(args);
  if (args.command == "trace-stats") return RunTraceStats(args);
  if (args.command == "diff" && args.passthrough.empty()) return RunDiff(args);
  if (!args.passthrough.empty()) {
    std::fprintf(stderr, "gcspike: arguments after -- are only for 'gcspike pprof'\n");
    return kExitBadInput;
  }
  return RunAnnotate(args);
}

int Main(int argc, char** argv) {
  gflags::SetVersionString(kVersion);
  const std::vector<std::string> commands = {"annotate",    "pprof", "report", "help",
                                             "trace-stats", "diff",  "merge"};
  RegisterDetectFlags();
  RegisterDiffFlags();
  if (std::optional<int> status = RunBuildHelp(argc, argv)) return *status;
  auto args = ParseArgs(argc, argv, commands);
  if (!args.ok()) {
    std::fprintf(stderr, "gcspike: %s\n", args.error().message.c_str());
    return kExitBadInput;
  }
  if (args->version) {
    // GCSPIKE_GIT_COMMIT and GCSPIKE_BUILD_TYPE are set when the build is configured.
    std::printf("gcspike %s (commit %s, %s build)\n", kVersion, GCSPIKE_GIT_COMMIT,
                GCSPIKE_BUILD_TYPE);
    return kExitOk;
  }
  if (args->help || args->command == "help") return RunHelp(*args);
  if (gcspike::Status s = ExpandInputsFrom(*args); !s.ok()) {
    std::fprintf(stderr, "gcspike: %s\n", s.error().ToString().c_str());
    return kExitBadInput;
  }
  if (gcspike::Status s = DefaultToStdin(*args, ::isatty(STDIN_FILENO) == 1); !s.ok()) {
    std::fprintf(stderr, "gcspike: %s\n", s.error().message.c_str());
    return kExitBadInput;
  }
  return RunCommand(*args);
}

}  // namespace

int main(int argc, char** argv) {
  // The inputs' memory is budgeted (--max-memory), so this is a last resort: one line and
  // exit 2, never an abort. The stack has unwound by here, so an uncommitted output's
  // temporary file is already gone.
  try {
    return Main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs(
        "gcspike: out of memory (std::bad_alloc); no output was written. --max-memory "
        "sets the budget for one input\n",
        stderr);
    return gcspike::cli::kExitBadInput;
  }
}
