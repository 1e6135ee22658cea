#include "formats/output_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <cstring>

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
  const std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string tmpl = dir + "." + base + ".gcspike-XXXXXX";
  out->fd_ = ::mkstemp(tmpl.data());
  if (out->fd_ < 0) return FileError(path, "cannot create a temporary file beside the output");
  out->temp_path_ = tmpl;
  out->target_path_ = target;
  // mkstemp creates 0600; give the result the usual permissions (respecting umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(out->fd_, 0666 & ~mask);
  return out;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status OutputFile::Write(std::span<const uint8_t> bytes) {
  if (fd_ < 0 || direct_) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return {};
  }
  return WriteFully(fd_, bytes.data(), bytes.size(), path_);
}

Status OutputFile::Write(std::string_view text) {
  return Write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
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
  if (::close(fd_) != 0) {
    fd_ = -1;
    return FileError(path_, "close failed");
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
    return FileError(path_, "rename failed");
  }
  committed_ = true;
  return {};
}

}  // namespace gcspike
