// Command-line parsing on top of gflags: flags are defined with DEFINE_* where they are used and
// set through gflags (which parses and validates their values), but the argument walk is ours so
// that a bad flag exits with status 2 (gflags would exit 1), `-` stays a positional input, a
// flag may repeat (--fail-on, --keep, ...), and everything after `--` is passed through.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gcspike::cli {

struct Args {
  std::string command;                   // "annotate" when none was named
  bool command_named = false;            // the command was on the command line
  std::vector<std::string> positional;   // inputs
  std::vector<std::string> passthrough;  // after "--"
  // Every value given to a repeatable flag, in order.
  std::map<std::string, std::vector<std::string>> repeated;
  bool help = false;
  bool version = false;
};

// Flags that may be given more than once; their values are collected in Args::repeated.
void RegisterRepeatableFlag(const std::string& name);

// Parses the command line. Usage errors are plain sentences (no input name, no offset):
//   - a first word that is not a command, not an existing file, not a URL and not -, but is
//     within edit distance 2 of a command name, is a mistyped command:
//     "unknown command 'reprot' (did you mean 'report'?)";
//   - an unknown flag given to `gcspike pprof` (or a go tool pprof flag given to another
//     command) says that go tool pprof's flags go after --.
Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& commands);

// Edit distance with adjacent transpositions counted as one edit (optimal string alignment):
// "reprot" is one edit from "report".
size_t EditDistance(std::string_view a, std::string_view b);

// The command or flag name `word` is most likely a misspelling of: the nearest of `names`
// within edit distance 2 (the first of equals), or nullopt. An exact name is not a misspelling.
std::optional<std::string> SuggestName(std::string_view word,
                                       const std::vector<std::string>& names);

// The commands that read inputs (annotate, pprof, report) read standard input when no input is
// named and it is not a terminal (`gcspike report < cpu.pprof`); with a terminal there, no input
// is a usage error that says so.
Status DefaultToStdin(Args& args, bool stdin_is_terminal);

}  // namespace gcspike::cli
