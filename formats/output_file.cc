#include "formats/output_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "formats/signal_cleanup.h"

namespace gcspike {
namespace {

Error FileError(const std::string& path, const std::string& what) {
  Error e = MakeError(what + ": " + std::strerror(errno));
  e.file = path;
  return e;
}

Status WriteFully(int fd, const uint8_t* p, size_t n, const std::string& name) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return FileError(name, "write failed");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

// The replacement keeps the replaced file's owner (only root may give a file away) and mode
// (after fchown, which clears set-id bits).
void KeepOwnerAndMode(int fd, const struct stat& st) {
  if (::geteuid() == 0) {
    // On failure (a file system without owners) the file stays root's: not worth failing.
    [[maybe_unused]] const int rc = ::fchown(fd, st.st_uid, st.st_gid);
  }
  ::fchmod(fd, st.st_mode & 07777);
}

}  // namespace

Result<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path, bool binary) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  if (path.empty() || path == "-") {
    if (binary && ::isatty(STDOUT_FILENO)) {
      return MakeError(
          "refusing to write a binary profile to a terminal: give -o FILE or redirect stdout");
    }
    out->path_ = "<stdout>";
    return out;
  }
  out->path_ = path;
  // The rename trick is only for regular files. A device, FIFO or socket (-o /dev/null,
  // -o /dev/stderr, a named pipe) is written in place at Commit(); renaming over it would
  // replace the device node itself.
  std::string target = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      errno = EISDIR;
      return FileError(path, "cannot write the output");
    }
    if (!S_ISREG(st.st_mode)) {
      out->direct_ = true;
      return out;
    }
    // A symlink to a regular file: replace the file it points to, not the link.
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) != nullptr) target = resolved;
  }
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : target.substr(0, slash + 1);
  out->target_path_ = target;
  const bool replacing = ::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  out->OpenUnnamed(dir);
  if (out->fd_ < 0) GCSPIKE_RETURN_IF_ERROR(out->OpenNamedTemp(dir, slash));
  if (replacing) KeepOwnerAndMode(out->fd_, st);
  return out;
}

void OutputFile::OpenUnnamed(const std::string& dir) {
  // Unnamed, in the target's directory (linkat cannot cross file systems). 0666 is reduced by
  // the umask, as for any new file.
  // GCSPIKE_NO_O_TMPFILE=1 takes the named fallback (for its tests).
  const char* no_tmpfile = std::getenv("GCSPIKE_NO_O_TMPFILE");
  if (no_tmpfile == nullptr || std::string(no_tmpfile) != "1") {
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  }
  // Publishing goes through /proc/self/fd (linkat with AT_EMPTY_PATH needs a capability).
  if (fd_ >= 0 && ::access("/proc/self/fd", X_OK) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Status OutputFile::OpenNamedTemp(const std::string& dir, size_t slash) {
  const std::string& target = target_path_;
  const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + ".gcspike-XXXXXX";
  temp_slot_ = -1;
  {
    // Registered before a signal can find the file unregistered.
    ScopedSignalBlock block;
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ >= 0) temp_slot_ = RegisterTempPath(tmpl);
  }
  if (fd_ < 0) return FileError(path_, "cannot create a temporary file beside the output");
  temp_path_ = tmpl;
  // mkstemp creates 0600; give the result the usual permissions (respecting umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  return {};
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
  UnregisterTempPath(temp_slot_);
}

// Gives the written file its name. Named fallback: rename over the target. Unnamed: linkat
// from /proc/self/fd. linkat never replaces, so an existing target is replaced by linking to a
// temporary name and renaming that over it; the name exists only for those two calls, with
// SIGINT/SIGTERM/SIGHUP held back (only a SIGKILL in that instant can leave it).
Status OutputFile::Publish() {
  if (!temp_path_.empty()) {
    if (::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
      return FileError(path_, "rename failed");
    }
    return {};
  }
  const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target_path_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    return {};
  }
  if (errno != EEXIST) return FileError(path_, "cannot give the output its name (linkat)");
  const size_t slash = target_path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : target_path_.substr(0, slash + 1);
  const std::string base =
      slash == std::string::npos ? target_path_ : target_path_.substr(slash + 1);
  ScopedSignalBlock block;
  for (int attempt = 0; attempt < 100; ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".gcspike-%d-%d", static_cast<int>(::getpid()), attempt);
    const std::string temp = dir + "." + base + suffix;
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return FileError(path_, "cannot give the output a temporary name (linkat)");
    }
    if (::rename(temp.c_str(), target_path_.c_str()) != 0) {
      Error e = FileError(path_, "rename failed");
      ::unlink(temp.c_str());
      return e;
    }
    return {};
  }
  errno = EEXIST;
  return FileError(path_, "cannot give the output a temporary name (linkat)");
}

Status OutputFile::Write(std::span<const uint8_t> bytes) {
  if (fd_ < 0 || direct_) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return {};
  }
  return WriteFully(fd_, bytes.data(), bytes.size(), path_);
}

Status OutputFile::Write(std::string_view text) {
  return Write(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Status OutputFile::Commit() {
  if (direct_) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return FileError(path_, "cannot open the output");
    Status s = WriteFully(fd, buffer_.data(), buffer_.size(), path_);
    ::close(fd);
    if (s.ok()) committed_ = true;
    return s;
  }
  if (fd_ < 0) {
    GCSPIKE_RETURN_IF_ERROR(WriteFully(STDOUT_FILENO, buffer_.data(), buffer_.size(), path_));
    committed_ = true;
    return {};
  }
  // The named temporary is closed first, so a write error that close reports (NFS) keeps it
  // from replacing the target; an unnamed one must still be open to be linked.
  Status published;
  if (!temp_path_.empty()) {
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return FileError(path_, "close failed");
    published = Publish();
  } else {
    published = Publish();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && published.ok()) return FileError(path_, "close failed");
  }
  if (!published.ok()) return published;
  committed_ = true;
  UnregisterTempPath(temp_slot_);
  temp_slot_ = -1;
  return {};
}

}  // namespace gcspike
