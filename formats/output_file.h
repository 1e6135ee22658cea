// OutputFile: where a command's result goes. A named file is written to an unnamed temporary
// file in the target's directory (O_TMPFILE) and given its name only on Commit(), so no exit,
// crash or signal (SIGKILL included) leaves a partial file or a stray temporary behind, and an
// existing file stays untouched until it is atomically replaced. Where O_TMPFILE is unsupported
// (some file systems, no /proc), a named temporary beside the target is used instead and
// removed by the SIGINT/SIGTERM/SIGHUP handlers of formats/signal_cleanup.h (SIGKILL can then
// leave it). A replaced file keeps its mode, and its owner when we are root. Without a name the
// bytes go to stdout at Commit(); binary data is refused when stdout is a terminal.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gcspike {

class OutputFile {
 public:
  // path "" or "-": stdout.
  static Result<std::unique_ptr<OutputFile>> Open(const std::string& path, bool binary);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  Status Write(std::span<const uint8_t> bytes);
  Status Write(std::string_view text);
  Status Commit();
  bool is_stdout() const { return fd_ < 0 && !direct_; }
  const std::string& path() const { return path_; }

 private:
  OutputFile() = default;
  std::string path_;
  Status Publish();
  // Open's two ways to a file beside the target: unnamed (O_TMPFILE; fd_ stays -1 when that is
  // not possible) and the named fallback.
  void OpenUnnamed(const std::string& dir);
  Status OpenNamedTemp(const std::string& dir, size_t slash);
  std::string temp_path_;    // the named fallback's temporary file; empty with O_TMPFILE
  int temp_slot_ = -1;       // its signal-cleanup registration
  std::string target_path_;  // path_ with symlinks resolved
  int fd_ = -1;              // -1: stdout, or a non-regular file (buffered until Commit)
  bool direct_ = false;      // path_ is a device, FIFO or socket: written in place
  std::vector<uint8_t> buffer_;
  bool committed_ = false;
};

}  // namespace gcspike
