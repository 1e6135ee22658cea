#include "plugin/cli/commands.h"

#include <fcntl.h>
#include <gflags/gflags.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "formats/output_file.h"
#include "formats/pprof_writer.h"
#include "formats/signal_cleanup.h"
#include "plugin/cli/detect_command.h"
#include "plugin/cli/fleet_flags.h"
#include "plugin/cli/input_limit_flags.h"
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
DEFINE_bool(in_memory, false,
            "Hold every perf.data and pprof sample in memory as its own sample. By default the "
            "samples are spooled to a temporary file and the model holds one sample per "
            "distinct stack (pprof: per distinct stack and labels), so memory stays flat "
            "however many samples there are; the output is the same.");
// Level 1 is what the Go runtime uses for its own profiles (runtime/pprof: gzip.BestSpeed):
// about a third less CPU than level 6 for ~12 % larger files.
DEFINE_int32(gzip_level, 1, "gzip compression level of pprof output (1 fastest .. 9 smallest).");

namespace gcspike::cli {
namespace {

std::string OutputPath() { return !FLAGS_o.empty() ? FLAGS_o : FLAGS_output; }

// Everything a command does before it writes: read, merge, annotate, filter. Filters run on the
// labelled profile (so --keep gcspike~grow-spike works). The detectors' summary goes to
// *summary (for --fail-on) when they ran; like the report, it describes the samples that are
// written, after the filters. *twice: the inputs' samples that count twice (LoadInputs).
Result<Profile> BuildProfile(const Args& args, Diagnostics* diagnostics,
                             std::optional<DetectionSummary>* summary = nullptr,
                             CountedTwice* twice = nullptr) {
  GCSPIKE_ASSIGN_OR_RETURN(ReadOptions read, ReadOptionsFromFlags(args, diagnostics));
  GCSPIKE_ASSIGN_OR_RETURN(Profile p, LoadInputs(args.positional, read, twice));
  if (FLAGS_detect) {
    GCSPIKE_ASSIGN_OR_RETURN(DetectionSummary s, DetectAndLabel(p, InputName(args), diagnostics));
    if (summary != nullptr) *summary = std::move(s);
  }
  GCSPIKE_ASSIGN_OR_RETURN(SampleFilterSpec filters, FilterSpecFromFlags(args));
  if (filters.empty()) return p;
  auto before = ApplyFilterFlags(args, p, diagnostics);
  if (!before.ok()) return NamingInput(before.error(), args);
  if (FLAGS_detect && summary != nullptr) {
    GCSPIKE_ASSIGN_OR_RETURN(DetectionSummary s, DetectOnly(p, InputName(args), *before));
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

// A watchdog process for `gcspike pprof` that outlives gcspike: if gcspike dies before saying it
// is done (SIGKILL, or a crash: nothing a handler sees), the watchdog removes the temporary
// profile and sends SIGTERM to pprof's process group. It learns of gcspike's death from the
// end of a pipe only gcspike writes to (close-on-exec, so pprof does not hold it open).
class PprofWatchdog {
 public:
  ~PprofWatchdog() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Forks the watchdog for `path`; without one (fork failed), cleanup relies on gcspike alone.
  void Start(const std::string& path) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return;
    }
    if (pid > 0) {
      ::close(fds[0]);
      fd_ = fds[1];
      return;
    }
    // The watchdog: it must survive what ends gcspike, and hold nothing of gcspike's open (a
    // pipe on stdout would not see its end while the watchdog lives).
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::close(fds[1]);
    const int null = ::open("/dev/null", O_RDWR);
    for (int std_fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, std_fd);
    ::dup2(fds[0], 3);
    ::close_range(4, ~0U, 0);
    pid_t pgid = 0;
    while (true) {
      char msg[1 + sizeof(pid_t)];
      const ssize_t n = ::read(3, msg, sizeof msg);
      if (n < 0 && errno == EINTR) continue;
      if (n == static_cast<ssize_t>(sizeof msg) && msg[0] == 'P') {
        std::memcpy(&pgid, msg + 1, sizeof pgid);
        continue;
      }
      if (n > 0 && msg[0] == 'D') ::_exit(0);
      break;  // end of file (or nonsense): gcspike is gone without cleaning up
    }
    ::unlink(path.c_str());
    if (pgid > 0) ::kill(-pgid, SIGTERM);
    ::_exit(0);
  }
  void Watch(pid_t pgid) { Send('P', pgid); }
  // gcspike has cleaned up: the watchdog exits doing nothing.
  void Done() { Send('D', 0); }

 private:
  void Send(char what, pid_t pgid) {
    if (fd_ < 0) return;
    char msg[1 + sizeof(pid_t)];
    msg[0] = what;
    std::memcpy(msg + 1, &pgid, sizeof pgid);
    if (::write(fd_, msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  int fd_ = -1;
};

// The profile `gcspike pprof` hands to pprof: read, annotated, filtered, encoded as pprof.
Result<std::vector<uint8_t>> EncodeForPprof(const Args& args) {
  if (!OutputPath().empty()) {
    return MakeError("gcspike pprof writes to a temporary file; -o is not used here");
  }
  if (auto checked = CheckDetectFlags(args); !checked.ok()) return checked.error();
  TerminalDiagnostics diag;
  GCSPIKE_ASSIGN_OR_RETURN(OutputOptions options, MakeOutputOptions(args, &diag));
  if (options.format != OutputFormat::kPprof) {
    return MakeError("gcspike pprof hands pprof to go tool pprof; --output-format is not used");
  }
  auto profile = BuildProfile(args, &diag);
  diag.ProgressDone();
  if (!profile.ok()) return profile.error();
  auto bytes = EncodeOutput(*profile, options);
  diag.ProgressDone();
  return bytes;
}

// The temporary file pprof reads (go tool pprof cannot read a pipe: it sniffs the first bytes,
// then reopens the path), registered for removal if a signal ends gcspike first.
struct TempPprofFile {
  std::string path;
  int fd = -1;
  int slot = -1;
};

TempPprofFile CreateTempPprofFile() {
  const char* tmpdir = std::getenv("TMPDIR");
  TempPprofFile f;
  f.path = std::string(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp") + "/gcspike-XXXXXX.pb.gz";
  ScopedSignalBlock block;
  f.fd = ::mkostemps(f.path.data(), 6, O_CLOEXEC);
  if (f.fd >= 0) f.slot = RegisterTempPath(f.path);
  return f;
}

// Writes all of `bytes` to fd and closes it; false if either failed.
bool WriteAllAndClose(int fd, const std::vector<uint8_t>& bytes) {
  bool ok = true;
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) ok = false;
  return ok;
}

// The pprof command line: $GCSPIKE_PPROF, else `go tool pprof`, else a standalone pprof on
// PATH; then the arguments after `--`, then the profile.
std::vector<std::string> PprofCommand(const Args& args, const std::string& path) {
  std::vector<std::string> argv_s;
  const std::string tool =
      std::getenv("GCSPIKE_PPROF") != nullptr ? std::getenv("GCSPIKE_PPROF") : "";
  if (!tool.empty()) {
    argv_s = {tool};
  } else if (::system("command -v go >/dev/null 2>&1") == 0) {
    argv_s = {"go", "tool", "pprof"};
  } else {
    argv_s = {"pprof"};
  }
  argv_s.insert(argv_s.end(), args.passthrough.begin(), args.passthrough.end());
  argv_s.push_back(path);
  return argv_s;
}

// The terminal gcspike owns (its process group is the foreground), or -1.
int OwnedTerminal() {
  for (int t : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::isatty(t) && ::tcgetpgrp(t) == ::getpgrp()) return t;
  }
  return -1;
}

// Makes pgid the foreground process group of tty (none if tty < 0).
void SetForeground(int tty, pid_t pgid) {
  if (tty < 0) return;
  // A background process group changing the foreground gets SIGTTOU unless it ignores it.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGTTOU, &ignore, &old);
  ::tcsetpgrp(tty, pgid);
  ::sigaction(SIGTTOU, &old, nullptr);
}

// pprof runs in a process group of its own (go tool pprof is two processes: go, then the
// pprof it starts), so a signal reaches all of it: SIGINT, SIGTERM and SIGHUP sent to
// gcspike are forwarded to the group. When gcspike owns the terminal, the group is made the
// terminal's foreground (as a shell does for a job), so pprof's interactive shell can read
// it and Ctrl-C goes to pprof alone. Returns pprof's pid, or -1 if fork failed.
pid_t StartPprof(std::vector<std::string>& argv_s, int tty, PprofWatchdog& watchdog) {
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  // No signal between fork and ForwardSignalsTo: it would find no group to forward to.
  ScopedSignalBlock block;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    SetForeground(tty, ::getpid());
    // The child starts with gcspike's handlers and blocked mask: give pprof the defaults.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "gcspike: cannot run %s: %m\n", argv[0]);
    ::_exit(127);
  }
  if (pid > 0) {
    ::setpgid(pid, pid);  // also here: whichever of the two runs first
    SetForeground(tty, pid);
    ForwardSignalsTo(pid);
    watchdog.Watch(pid);
  }
  return pid;
}

// Waits for pprof to end and returns its wait status; gcspike takes the terminal back.
int WaitForPprof(pid_t pid, int tty) {
  // SIGQUIT from the terminal goes to pprof's foreground group; one sent to gcspike alone
  // should not leave pprof orphaned, so it is ignored while pprof runs.
  struct sigaction ignore {
  }, old_quit{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ForwardSignalsTo(0);
  SetForeground(tty, ::getpgrp());
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  return status;
}

}  // namespace

Result<ReadOptions> ReadOptionsFromFlags(const Args& args, Diagnostics* diagnostics) {
  ReadOptions r;
  r.diagnostics = diagnostics;
  ApplyTraceReadOptions(r);
  ApplyPerfFlags(args, r);
  ApplyUrlFlags(r);
  ApplyFleetFlags(r);
  GCSPIKE_RETURN_IF_ERROR(ApplyInputLimitFlags(r));
  r.spool_samples = !FLAGS_in_memory;
  return r;
}

int Fail(const Error& e) {
  std::fprintf(stderr, "gcspike: %s\n", e.ToString().c_str());
  return kExitBadInput;
}

int RunMerge(const Args& args) {
  FLAGS_detect = false;
  return RunAnnotate(args);
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
  options->html = [&args](Profile& written) { return RenderHtmlReport(written, InputName(args)); };
  std::optional<DetectionSummary> summary;
  CountedTwice twice;
  auto profile = BuildProfile(args, &diag, &summary, &twice);
  diag.ProgressDone();
  if (!profile.ok()) return Fail(profile.error());
  // The output streams into the file as it is encoded; an error leaves no file (OutputFile
  // commits only at the end).
  auto out = OutputFile::Open(OutputPath(), IsBinaryOutput(options->format));
  if (!out.ok()) return Fail(out.error());
  Status written = WriteOutput(
      *profile, *options, [&out](std::span<const uint8_t> piece) { return (*out)->Write(piece); });
  diag.ProgressDone();
  if (!written.ok()) {
    // A writer's refusal (a delta profile as folded stacks) is about the input's samples.
    return Fail(NamingInput(written.error(), args));
  }
  if (Status s = (*out)->Commit(); !s.ok()) return Fail(s.error());
  KeepUntilExit(std::move(*profile));
  return summary ? CheckFailOn(*fail_on, std::move(*summary), twice) : kExitOk;
}

int RunPprof(const Args& args) {
  auto bytes = EncodeForPprof(args);
  if (!bytes.ok()) return Fail(bytes.error());
  TempPprofFile file = CreateTempPprofFile();
  if (file.fd < 0) return Fail(MakeError("cannot create a temporary file in " + file.path));
  const std::string& path = file.path;
  PprofWatchdog watchdog;
  watchdog.Start(path);
  struct TempProfile {  // removed however RunPprof returns
    std::string path;
    int slot;
    PprofWatchdog& watchdog;
    ~TempProfile() {
      ::unlink(path.c_str());
      UnregisterTempPath(slot);
      watchdog.Done();
    }
  } temp{path, file.slot, watchdog};
  if (!WriteAllAndClose(file.fd, *bytes)) {
    return Fail(MakeError("cannot write the temporary profile " + path));
  }
  std::vector<std::string> argv_s = PprofCommand(args, path);
  const int tty = OwnedTerminal();
  const pid_t pid = StartPprof(argv_s, tty, watchdog);
  if (pid < 0) return Fail(MakeError("fork failed"));
  const int status = WaitForPprof(pid, tty);
  // pprof's status is gcspike's: its exit code, or death by the same signal.
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    ::unlink(path.c_str());
    watchdog.Done();
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
    ::raise(sig);
    return 128 + sig;
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitBadInput;
  if (code != 0)
    std::fprintf(stderr, "gcspike: %s exited with status %d\n", argv_s[0].c_str(), code);
  return code;
}

}  // namespace gcspike::cli
