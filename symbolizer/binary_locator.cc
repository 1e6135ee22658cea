#include "symbolizer/binary_locator.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/mapped_regions.h"

namespace gcspike {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The kernel names a mapping of a file unlinked before it was recorded "PATH (deleted)" (perf
// record -p of a program whose binary a deploy or `go run` removed): the file was PATH
// (docs/formats/perf-data.md#mmap-file-names).
std::string WithoutDeleted(const std::string& path) {
  constexpr std::string_view kDeleted = " (deleted)";
  return path.ends_with(kDeleted) ? path.substr(0, path.size() - kDeleted.size()) : path;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

std::vector<BinaryCandidate> BinaryCandidates(const std::string& recorded_name,
                                              const std::string& recorded_build_id,
                                              const std::vector<std::string>& binaries,
                                              const std::string& symfs) {
  std::vector<BinaryCandidate> candidates;
  const std::string mapped_path = WithoutDeleted(recorded_name);
  const std::string base = BaseName(mapped_path);
  for (const std::string& b : binaries) {
    if (BaseName(b) == base) candidates.push_back({b});
  }
  // Any other --binary may stand in when the recording names a build id to verify it by.
  if (!recorded_build_id.empty()) {
    for (const std::string& b : binaries) {
      if (BaseName(b) != base) candidates.push_back({b});
    }
  }
  // --symfs is where the binaries are: the recorded path, on this machine, is some other file.
  if (!symfs.empty()) {
    candidates.push_back({symfs + mapped_path});
    return candidates;
  }
  // The recorded path only when the user named no binaries: naming some says where they are.
  if (binaries.empty()) candidates.push_back({mapped_path, /*recorded_path=*/true});
  // perf record copies every binary it saw into its build-id cache (perf-buildid-cache(1)):
  // ~/.debug/.build-id/<first two hex digits>/<the rest>/elf, which outlives rebuilds and
  // deletions of the recorded path.
  const std::string home = Env("HOME");
  if (recorded_build_id.size() > 2 && !home.empty()) {
    candidates.push_back({home + "/.debug/.build-id/" + recorded_build_id.substr(0, 2) + "/" +
                          recorded_build_id.substr(2) + "/elf"});
  }
  return candidates;
}

Status CheckCandidateFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(
        path + ": " +
        (errno == ELOOP ? std::string("a symlink loop") : std::string(std::strerror(errno))));
  }
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISFIFO(st.st_mode)  ? "a FIFO"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device"
                       : S_ISDIR(st.st_mode) ? "a directory"
                                             : "a special file";
    return MakeError(path + ": not a regular file (" + what + ")");
  }
  // A recording names /proc/PID/exe for some processes; read now, that is whatever process has
  // the PID today, gcspike itself included (/proc/self/exe), whose symbols would name the
  // recorded frames wrongly. (A recorded real path of the gcspike binary is a recording of
  // gcspike, and fine.)
  struct stat self;
  if (path.rfind("/proc/", 0) == 0 && ::stat("/proc/self/exe", &self) == 0 &&
      self.st_dev == st.st_dev && self.st_ino == st.st_ino) {
    return MakeError(path + ": is this gcspike process itself, not the recorded binary");
  }
  return {};
}

Status VerifyCandidate(const BinaryCandidate& candidate, const std::string& file_build_id,
                       const RecordedFile& recorded, bool* unverified) {
  *unverified = false;
  if (!recorded.build_id.empty()) {
    if (file_build_id != recorded.build_id) {
      return MakeError(candidate.path + ": build id " +
                       (file_build_id.empty() ? "(none)" : file_build_id) +
                       " differs from the recorded " + recorded.build_id);
    }
    return {};
  }
  if (!candidate.recorded_path) return {};  // named by the user (--binary, --symfs)
  if (recorded.has_inode) {
    struct stat st;
    if (::stat(candidate.path.c_str(), &st) != 0) {
      return MakeError(candidate.path + ": " + std::strerror(errno));
    }
    // The inode decides. The device may legitimately differ: overlayfs (containers) reports
    // its own st_dev while the kernel records the underlying file system's.
    if (static_cast<uint64_t>(st.st_ino) != recorded.ino) {
      return MakeError(candidate.path + ": inode " + std::to_string(st.st_ino) +
                       " is not the recorded " + std::to_string(recorded.ino) + " (device " +
                       std::to_string(recorded.maj) + ":" + std::to_string(recorded.min) +
                       "): the file was replaced after the recording");
    }
    return {};
  }
  *unverified = true;
  return {};
}

std::vector<std::string> DebugFileCandidates(const ElfImage& image, const std::string& debug_root) {
  std::vector<std::string> out;
  const std::string& id = image.build_id();
  if (id.size() > 2) {
    std::string cache = Env("DEBUGINFOD_CACHE_PATH");
    if (cache.empty() && !Env("XDG_CACHE_HOME").empty()) {
      cache = Env("XDG_CACHE_HOME") + "/debuginfod_client";
    }
    if (cache.empty() && !Env("HOME").empty()) cache = Env("HOME") + "/.cache/debuginfod_client";
    if (!cache.empty()) out.push_back(cache + "/" + id + "/debuginfo");
    out.push_back(debug_root + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug");
  }
  if (!image.debuglink().empty() && !image.path().empty() &&
      image.debuglink().find('/') == std::string::npos) {
    const std::string dir = DirName(image.path());
    const std::string& name = image.debuglink();
    out.push_back(dir + "/" + name);
    out.push_back(dir + "/.debug/" + name);
    out.push_back(debug_root + (dir.front() == '/' ? "" : "/") + dir + "/" + name);
  }
  return out;
}

Result<std::shared_ptr<ElfImage>> FindDebugFile(const ElfImage& image,
                                                const std::string& debug_root) {
  for (const std::string& path : DebugFileCandidates(image, debug_root)) {
    if (path == image.path() || !Exists(path) || !CheckCandidateFile(path).ok()) continue;
    auto opened = ElfImage::Open(path);
    if (!opened.ok()) {
      if (IsFileShrankError(opened.error())) return opened.error();
      continue;
    }
    const ElfImage& debug = **opened;
    bool belongs = !image.build_id().empty() && debug.build_id() == image.build_id();
    if (image.build_id().empty() && !image.debuglink().empty()) {
      const std::span<const uint8_t> bytes = debug.file();
      uLong crc = crc32(0L, Z_NULL, 0);
      for (size_t at = 0; at < bytes.size(); at += 1 << 30) {
        const size_t n = std::min<size_t>(bytes.size() - at, 1 << 30);
        crc = crc32(crc, bytes.data() + at, static_cast<uInt>(n));
      }
      belongs = static_cast<uint32_t>(crc) == image.debuglink_crc();
    }
    // A candidate cut short as its CRC was computed is not some other file.
    GCSPIKE_RETURN_IF_ERROR(debug.CheckNotShrunk());
    if (belongs) return std::move(opened).value();
  }
  return std::shared_ptr<ElfImage>();
}

std::shared_ptr<ElfImage> BinaryLocator::Find(const std::string& mapped_path,
                                              const RecordedFile& recorded, std::string* warning) {
  auto found = entries_.find(mapped_path);
  if (found != entries_.end()) {
    if (warning != nullptr) *warning = found->second.warning;
    if (!found->second.found) return nullptr;
    if (auto image = found->second.image.lock()) return image;
  }
  return Locate(mapped_path, recorded, warning);
}

std::shared_ptr<ElfImage> BinaryLocator::Locate(const std::string& mapped_path,
                                                const RecordedFile& recorded,
                                                std::string* warning) {
  std::shared_ptr<ElfImage> chosen;
  std::string chosen_path;
  std::string missing;                // the first candidate that does not exist
  std::vector<std::string> rejected;  // candidates that exist but are not usable
  bool unverified = false;
  for (const BinaryCandidate& c :
       BinaryCandidates(mapped_path, recorded.build_id, binaries_, symfs_)) {
    struct stat st;
    if (::stat(c.path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      if (missing.empty()) missing = c.path + ": " + std::strerror(errno);
      continue;  // not there (a dangling symlink included): the next candidate, quietly
    }
    if (Status ok = CheckCandidateFile(c.path); !ok.ok()) {
      rejected.push_back(ok.error().message);
      continue;
    }
    auto opened = ElfImage::Open(c.path);
    ++opened_;
    if (!opened.ok() && IsFileShrankError(opened.error())) {
      // Not a binary to pass over: the read fails at the cut (CheckNotShrunk).
      if (!cut_.has_value()) cut_ = opened.error();
      entries_[mapped_path] = Entry();
      return nullptr;
    }
    if (!opened.ok()) {
      rejected.push_back(opened.error().message);
      continue;
    }
    if (Status ok = VerifyCandidate(c, (*opened)->build_id(), recorded, &unverified); !ok.ok()) {
      rejected.push_back(ok.error().message);
      continue;
    }
    chosen = std::move(opened).value();
    chosen_path = c.path;
    break;
  }
  std::string reasons;
  for (const std::string& r : rejected) reasons += (reasons.empty() ? "" : "; ") + r;
  Entry& entry = entries_[mapped_path];
  if (chosen == nullptr) {
    entry.warning = "no symbols for " + mapped_path + " (" +
                    (!reasons.empty()   ? reasons
                     : !missing.empty() ? missing
                                        : "no file to look in") +
                    "); its frames keep raw addresses (use --binary or --symfs)";
  } else if (!reasons.empty()) {
    entry.warning =
        "symbols for " + mapped_path + " from " + chosen_path + " (passed over: " + reasons + ")";
  } else if (unverified) {
    entry.warning = "symbols for " + mapped_path +
                    " from the file at that path, which could not "
                    "be verified to be the recorded one (the recording has neither a build id "
                    "nor an inode for it)";
  }
  if (chosen != nullptr) {
    chosen->set_debug_root(symfs_.empty() ? "/usr/lib/debug" : symfs_ + "/usr/lib/debug");
  }
  entry.found = chosen != nullptr;
  entry.image = chosen;
  if (warning != nullptr) *warning = entry.warning;
  return chosen;
}

Status BinaryLocator::CheckNotShrunk() const {
  if (cut_.has_value()) return *cut_;
  for (const auto& [path, entry] : entries_) {
    if (std::shared_ptr<ElfImage> image = entry.image.lock()) {
      GCSPIKE_RETURN_IF_ERROR(image->CheckNotShrunk());
    }
  }
  return {};
}

}  // namespace gcspike
