#include "plugin/cli/commands.h"

#include <gflags/gflags.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "formats/output_file.h"
#include "formats/pprof_writer.h"
#include "plugin/cli/detect_command.h"
#include "plugin/cli/output_flags.h"
#include "plugin/cli/perf_flags.h"
#include "plugin/cli/terminal_diagnostics.h"
#include "plugin/cli/trace_flags.h"
#include "plugin/cli/url_flags.h"
#include "plugin/pipeline.h"
#include "plugin/report.h"

DEFINE_string(o, "", "Write the output to this file (default: stdout, if it is not a terminal).");
DEFINE_string(output, "", "Same as -o.");
DEFINE_bool(uncompressed, false, "Write pprof output as raw profile.proto instead of gzip.");
DEFINE_bool(detect, true,
            "Run the detectors (--no-detect converts and filters only, adding no labels).");
// Level 1 is what the Go runtime uses for its own profiles (runtime/pprof: gzip.BestSpeed):
// about a third less CPU than level 6 for ~12 % larger files.
DEFINE_bool(in_memory, false,
            "Hold every perf.data sample in memory as its own sample. By default the samples are "
            "spooled to a temporary file and the model holds one sample per distinct stack, so "
            "memory stays flat however long the recording; the output is the same.");
DEFINE_int32(gzip_level, 1, "gzip compression level of pprof output (1 fastest .. 9 smallest).");

namespace gcspike::cli {
namespace {

std::string OutputPath() { return !FLAGS_o.empty() ? FLAGS_o : FLAGS_output; }

ReadOptions MakeReadOptions(const Args& args, Diagnostics* diagnostics) {
  ReadOptions r;
  r.diagnostics = diagnostics;
  ApplyTraceReadOptions(r);
  ApplyPerfFlags(args, r);
  ApplyUrlFlags(r);
  r.spool_samples = !FLAGS_in_memory;
  return r;
}

// Everything a command does before it writes: read, merge, annotate, filter. Filters run on the
// labelled profile (so --keep gcspike~grow-spike works). The detectors' summary goes to
// *summary (for --fail-on) when they ran; like the report, it describes the samples that are
// written, after the filters.
Result<Profile> BuildProfile(const Args& args, Diagnostics* diagnostics,
                             std::optional<DetectionSummary>* summary = nullptr) {
  GCSPIKE_ASSIGN_OR_RETURN(Profile p,
                           LoadInputs(args.positional, MakeReadOptions(args, diagnostics)));
  if (FLAGS_detect) {
    GCSPIKE_ASSIGN_OR_RETURN(DetectionSummary s, DetectAndLabel(p, InputName(args), diagnostics));
    if (summary != nullptr) *summary = std::move(s);
  }
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterSpec filters, FilterSpecFromFlags(args));
  if (filters.empty()) return p;
  GCSPIKE_RETURN_IF_ERROR(ApplyFilterFlags(args, p, diagnostics));
  if (FLAGS_detect && summary != nullptr) {
    GCSPIKE_ASSIGN_OR_RETURN(DetectionSummary s, DetectOnly(p, InputName(args)));
    *summary = std::move(s);
  }
  return p;
}

// The output the flags ask for (format, pseudo frames, compression).
Result<OutputOptions> MakeOutputOptions(const Args& args, Diagnostics* diagnostics) {
  if (FLAGS_gzip_level < 1 || FLAGS_gzip_level > 9) {
    return MakeError("--gzip_level must be between 1 and 9");
  }
  GCSPIKE_ASSIGN_OR_RETURN(OutputOptions o, OutputOptionsFromFlags(args, OutputPath()));
  o.pprof.gzip = !FLAGS_uncompressed;
  o.pprof.gzip_level = FLAGS_gzip_level;
  o.diagnostics = diagnostics;
  return o;
}

// The process ends right after a command: handing a large profile's millions of small
// allocations back one by one would cost several percent of a round trip, and the kernel
// reclaims them at once. Kept reachable (not leaked), so leak checkers stay quiet.
void KeepUntilExit(Profile&& profile) {
  static auto* kept = new std::vector<Profile>();
  kept->push_back(std::move(profile));
}

}  // namespace

int Fail(const Error& e) {
  std::fprintf(stderr, "gcspike: %s\n", e.ToString().c_str());
  return kExitBadInput;
}

int RunAnnotate(const Args& args) {
  auto fail_on = CheckDetectFlags(args);
  if (!fail_on.ok()) return Fail(fail_on.error());
  TerminalDiagnostics diag;
  auto options = MakeOutputOptions(args, &diag);
  if (!options.ok()) return Fail(options.error());
  // report/json describe the samples that are written, i.e. after the filters: the detectors
  // summarize the filtered profile again.
  options->report = [&args](const Profile& filtered, bool json) -> Result<std::string> {
    Profile copy = filtered;
    GCSPIKE_ASSIGN_OR_RETURN(DetectionSummary s, DetectAndLabel(copy, InputName(args)));
    return json ? RenderReportJson(s) : RenderReportText(s);
  };
  std::optional<DetectionSummary> summary;
  auto profile = BuildProfile(args, &diag, &summary);
  diag.ProgressDone();
  if (!profile.ok()) return Fail(profile.error());
  // The output streams into the file as it is encoded; an error leaves no file (OutputFile
  // commits only at the end).
  auto out = OutputFile::Open(OutputPath(), IsBinaryOutput(options->format));
  if (!out.ok()) return Fail(out.error());
  Status written = WriteOutput(*profile, *options, [&out](std::span<const uint8_t> piece) {
    return (*out)->Write(piece);
  });
  diag.ProgressDone();
  if (!written.ok()) return Fail(written.error());
  if (Status s = (*out)->Commit(); !s.ok()) return Fail(s.error());
  KeepUntilExit(std::move(*profile));
  return summary ? CheckFailOn(*fail_on, *summary) : kExitOk;
}

int RunPprof(const Args& args) {
  if (!OutputPath().empty()) {
    return Fail(MakeError("gcspike pprof writes to a temporary file; -o is not used here"));
  }
  if (auto checked = CheckDetectFlags(args); !checked.ok()) return Fail(checked.error());
  TerminalDiagnostics diag;
  auto options = MakeOutputOptions(args, &diag);
  if (!options.ok()) return Fail(options.error());
  if (options->format != OutputFormat::kPprof) {
    return Fail(
        MakeError("gcspike pprof hands pprof to go tool pprof; --output-format is not used"));
  }
  auto profile = BuildProfile(args, &diag);
  diag.ProgressDone();
  if (!profile.ok()) return Fail(profile.error());
  auto bytes = EncodeOutput(*profile, *options);
  diag.ProgressDone();
  if (!bytes.ok()) return Fail(bytes.error());

  // go tool pprof cannot read a pipe (it sniffs the first bytes, then reopens the path), so the
  // profile goes to a real file.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp") +
                     "/gcspike-XXXXXX.pb.gz";
  const int fd = ::mkstemps(path.data(), 6);
  if (fd < 0) return Fail(MakeError("cannot create a temporary file in " + path));
  bool ok = true;
  for (size_t done = 0; done < bytes->size();) {
    const ssize_t n = ::write(fd, bytes->data() + done, bytes->size() - done);
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Fail(MakeError("cannot write the temporary profile " + path));
  }

  // Prefer `go tool pprof`; fall back to a standalone pprof on PATH.
  std::vector<std::string> argv_s;
  const std::string tool = std::getenv("GCSPIKE_PPROF") != nullptr ? std::getenv("GCSPIKE_PPROF") : "";
  if (!tool.empty()) {
    argv_s = {tool};
  } else if (::system("command -v go >/dev/null 2>&1") == 0) {
    argv_s = {"go", "tool", "pprof"};
  } else {
    argv_s = {"pprof"};
  }
  argv_s.insert(argv_s.end(), args.passthrough.begin(), args.passthrough.end());
  argv_s.push_back(path);
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  // While pprof runs (it may serve -http until interrupted), Ctrl-C is for it; we only clean up.
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "gcspike: cannot run %s: %m\n", argv[0]);
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  ::unlink(path.c_str());
  if (pid < 0) return Fail(MakeError("fork failed"));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return kExitOk;
  std::fprintf(stderr, "gcspike: %s exited with status %d\n", argv_s[0].c_str(),
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return kExitBadInput;
}

}  // namespace gcspike::cli
