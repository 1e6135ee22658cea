#include "plugin/cli/args.h"

#include <gflags/gflags.h>

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

}  // namespace

void RegisterRepeatableFlag(const std::string& name) { Repeatable().insert(name); }

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& commands) {
  Args args;
  int i = 1;
  if (i < argc && std::find(commands.begin(), commands.end(), argv[i]) != commands.end()) {
    args.command = argv[i++];
  } else {
    args.command = "annotate";
  }
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      args.passthrough.assign(argv + i + 1, argv + argc);
      break;
    }
    if (a == "-" || a.empty() || a[0] != '-') {
      args.positional.push_back(a);
      continue;
    }
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
      continue;
    }
    if (name == "version") {
      args.version = true;
      continue;
    }
    gflags::CommandLineFlagInfo info;
    bool negated = false;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      // --noflag and --no-flag both turn a bool flag off.
      std::string base = name.rfind("no_", 0) == 0 ? name.substr(3)
                         : name.rfind("no", 0) == 0 ? name.substr(2)
                                                    : std::string();
      if (!base.empty() && !has_value && gflags::GetCommandLineFlagInfo(base.c_str(), &info) &&
          info.type == "bool") {
        negated = true;
        name = base;
      } else {
        return MakeError("unknown flag " + a + " (see gcspike --help)");
      }
    }
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
  }
  return args;
}

}  // namespace gcspike::cli
