#include "plugin/cli/args.h"

#include <gflags/gflags.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace gcspike::cli {
namespace {

std::set<std::string>& Repeatable() {
  static std::set<std::string> names;
  return names;
}

// gflags names use underscores; users may type dashes (--fail-on, --pre-pause-ms).
std::string Normalize(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// A word on the command line that names an input rather than a command.
bool IsInputName(const std::string& word) {
  struct stat st;
  return word == "-" || word.find("://") != std::string::npos || ::stat(word.c_str(), &st) == 0;
}

// Flags of go tool pprof that people type without -- (pprof's output and filter options).
bool IsPprofFlag(const std::string& name) {
  static const std::set<std::string> kPprofFlags = {"top",
                                                    "http",
                                                    "list",
                                                    "web",
                                                    "peek",
                                                    "traces",
                                                    "tree",
                                                    "text",
                                                    "svg",
                                                    "png",
                                                    "pdf",
                                                    "dot",
                                                    "raw",
                                                    "proto",
                                                    "disasm",
                                                    "weblist",
                                                    "tagfocus",
                                                    "tagignore",
                                                    "tagshow",
                                                    "taghide",
                                                    "tags",
                                                    "tagroot",
                                                    "tagleaf",
                                                    "nodecount",
                                                    "nodefraction",
                                                    "edgefraction",
                                                    "cum",
                                                    "flat",
                                                    "functions",
                                                    "lines",
                                                    "files",
                                                    "addresses",
                                                    "granularity",
                                                    "show",
                                                    "hide",
                                                    "show_from",
                                                    "sample_index",
                                                    "mean",
                                                    "compact_labels",
                                                    "call_tree",
                                                    "relative_percentages",
                                                    "trim",
                                                    "unit",
                                                    "no_browser"};
  return kPprofFlags.count(name) != 0;
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: distance between the first i characters of a and the first j of b.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> SuggestName(std::string_view word,
                                       const std::vector<std::string>& commands) {
  std::optional<std::string> best;
  size_t best_distance = 3;
  for (const std::string& c : commands) {
    const size_t d = EditDistance(word, c);
    if (d == 0) return std::nullopt;
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

Status DefaultToStdin(Args& args, bool stdin_is_terminal) {
  if (!args.positional.empty()) return {};
  if (args.command != "annotate" && args.command != "report" && args.command != "pprof" &&
      args.command != "merge") {
    return {};
  }
  if (stdin_is_terminal) {
    return MakeError("no input: name a profile (gcspike " + args.command +
                     " cpu.pprof) or pipe one into standard input (gcspike " + args.command +
                     " < cpu.pprof); gcspike " + args.command + " --help shows more");
  }
  args.positional.push_back("-");
  return {};
}

void RegisterRepeatableFlag(const std::string& name) { Repeatable().insert(name); }

namespace {

// The command word, if argv[1] is one (else annotate, unless argv[1] looks like a mistyped
// command); returns the index of the first argument after it.
Result<int> ParseCommand(int argc, char** argv, const std::vector<std::string>& commands,
                         Args& args) {
  int i = 1;
  if (i < argc && std::find(commands.begin(), commands.end(), argv[i]) != commands.end()) {
    args.command = argv[i++];
    args.command_named = true;
    return i;
  }
  args.command = "annotate";
  if (i < argc && argv[i][0] != '-' && !IsInputName(argv[i])) {
    if (auto suggestion = SuggestName(argv[i], commands)) {
      return MakeError("unknown command '" + std::string(argv[i]) + "' (did you mean '" +
                       *suggestion + "'?)");
    }
  }
  return i;
}

// The names of gcspike's own flags (not gflags' --flagfile, --fromenv...), as gflags has them.
std::vector<std::string> OwnFlagNames() {
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  std::vector<std::string> names;
  for (const gflags::CommandLineFlagInfo& f : all) {
    if (f.filename.find("gflags") == std::string::npos) names.push_back(f.name);
  }
  return names;
}

// The gflags flag `name`, typed as `a`. --noNAME and --no-NAME of a bool flag find NAME (name
// is changed to it) and set *negated.
Result<gflags::CommandLineFlagInfo> FindFlag(const std::string& a, std::string& name,
                                             bool has_value, const Args& args, bool* negated) {
  gflags::CommandLineFlagInfo info;
  if (gflags::GetCommandLineFlagInfo(name.c_str(), &info)) return info;
  // --noflag and --no-flag both turn a bool flag off.
  std::string base = name.rfind("no_", 0) == 0  ? name.substr(3)
                     : name.rfind("no", 0) == 0 ? name.substr(2)
                                                : std::string();
  if (!base.empty() && !has_value && gflags::GetCommandLineFlagInfo(base.c_str(), &info) &&
      info.type == "bool") {
    *negated = true;
    name = base;
    return info;
  }
  if (args.command == "pprof") {
    return MakeError("unknown flag " + a +
                     ": flags for go tool pprof go after --, as in "
                     "gcspike pprof INPUT -- " +
                     a);
  }
  if (IsPprofFlag(name)) {
    return MakeError("unknown flag " + a +
                     ": it is a go tool pprof flag; give it to gcspike "
                     "pprof after --, as in gcspike pprof INPUT -- " +
                     a);
  }
  std::string did_you_mean;
  if (auto suggestion = SuggestName(name, OwnFlagNames())) {
    std::replace(suggestion->begin(), suggestion->end(), '_', '-');
    did_you_mean = "did you mean --" + *suggestion + "? ";
  }
  return MakeError("unknown flag " + a + " (" + did_you_mean + "see gcspike " +
                   (args.command_named ? args.command + " " : std::string()) + "--help)");
}

// Parses the flag argv[i] (and its value, argv[i + 1] when it takes one: i is advanced).
Status ParseFlag(int argc, char** argv, int& i, Args& args) {
  const std::string a = argv[i];
  std::string body = a.substr(a[1] == '-' ? 2 : 1);
  std::string name = body, value;
  bool has_value = false;
  if (const size_t eq = body.find('='); eq != std::string::npos) {
    name = body.substr(0, eq);
    value = body.substr(eq + 1);
    has_value = true;
  }
  name = Normalize(name);
  if (name == "h" || name == "help") {
    args.help = true;
    return {};
  }
  if (name == "version") {
    args.version = true;
    return {};
  }
  bool negated = false;
  GCSPIKE_ASSIGN_OR_RETURN(gflags::CommandLineFlagInfo info,
                           FindFlag(a, name, has_value, args, &negated));
  if (info.type == "bool") {
    if (!has_value) value = negated ? "false" : "true";
  } else if (!has_value) {
    if (i + 1 >= argc) return MakeError("flag " + a + " needs a value");
    value = argv[++i];
  }
  if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
    return MakeError("invalid value '" + value + "' for flag --" + name + " (" + info.type + ")");
  }
  if (Repeatable().count(name) != 0) args.repeated[name].push_back(value);
  return {};
}

}  // namespace

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& commands) {
  Args args;
  GCSPIKE_ASSIGN_OR_RETURN(int i, ParseCommand(argc, argv, commands, args));
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      args.passthrough.assign(argv + i + 1, argv + argc);
      break;
    }
    if (a == "-" || a.empty() || a[0] != '-') {
      args.positional.push_back(a);
      continue;
    }
    GCSPIKE_RETURN_IF_ERROR(ParseFlag(argc, argv, i, args));
  }
  return args;
}

}  // namespace gcspike::cli
