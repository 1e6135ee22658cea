// Command-line parsing on top of gflags: flags are defined with DEFINE_* where they are used and
// set through gflags (which parses and validates their values), but the argument walk is ours so
// that a bad flag exits with status 2 (gflags would exit 1), `-` stays a positional input, a
// flag may repeat (--fail-on, --keep, ...), and everything after `--` is passed through.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace gcspike::cli {

struct Args {
  std::string command;                  // "annotate" when none was named
  std::vector<std::string> positional;  // inputs
  std::vector<std::string> passthrough; // after "--"
  // Every value given to a repeatable flag, in order.
  std::map<std::string, std::vector<std::string>> repeated;
  bool help = false;
  bool version = false;
};

// Flags that may be given more than once; their values are collected in Args::repeated.
void RegisterRepeatableFlag(const std::string& name);

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& commands);

}  // namespace gcspike::cli
