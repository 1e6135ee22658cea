#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gcspike::cli {

// project(VERSION) in CMakeLists.txt, passed in by the build.
#ifndef GCSPIKE_VERSION
#error "GCSPIKE_VERSION must be defined by the build (plugin/CMakeLists.txt)"
#endif
inline constexpr const char* kVersion = GCSPIKE_VERSION;

// The documentation of the command line, as data: --help, the man page and the shell
// completions are all rendered from these tables and from the gflags definitions, so they
// cannot disagree.
struct CommandDoc {
  std::string_view name;
  std::string_view synopsis;     // what follows "gcspike "
  std::string_view summary;      // one line
  std::string_view description;  // a paragraph for the man page
  std::vector<std::string_view> examples;
};
struct ExitStatusDoc {
  int code;
  std::string_view meaning;
};
struct LabelDoc {
  std::string_view key;
  std::string_view values;
  std::string_view meaning;
};
// One user-visible flag, as gflags defines it (name with dashes, as users type it).
struct FlagDoc {
  std::string name;
  std::string type;  // "bool", "string", "int32", "double", ...
  std::string description;
  std::string default_value;  // "" when there is none worth printing
};

const std::vector<CommandDoc>& Commands();
const std::vector<ExitStatusDoc>& ExitStatuses();
const std::vector<LabelDoc>& Labels();
// gcspike's own flags in gflags' order, then -h/--help and --version.
std::vector<FlagDoc> Flags();

// The flags `command` uses (gcspike's own, without -h/--version), in Flags() order.
std::vector<FlagDoc> CommandFlags(std::string_view command);

// The --help text: usage, real examples, then every flag with its default.
std::string HelpText();
// `gcspike COMMAND --help`: the command's synopsis, description, examples and the flags it
// uses; "" for a name that is not a command.
std::string CommandHelpText(std::string_view command);
// The man page gcspike.1 (roff, man macros); the build writes it with `gcspike --help-man`.
std::string ManPage();
// A completion script for "bash" or "zsh" (`gcspike --help-completion=SHELL`); "" otherwise.
std::string CompletionScript(std::string_view shell);

}  // namespace gcspike::cli
