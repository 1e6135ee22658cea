// Finding the file behind a mapping a recording names, and checking that it is that file:
// --binary, --symfs, the recorded path, perf's build-id cache; and the separate debug file of a
// binary (.gnu_debuglink, /usr/lib/debug, debuginfod's cache). One BinaryLocator serves the
// symbolizer and the unwinder of a reader, so each binary is found, checked and opened once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "symbolizer/elf_image.h"

namespace gcspike {

// What a recording says about the file behind a mapping, so a file found at the recorded path
// can be checked to be that file rather than a later build or something else by that name.
struct RecordedFile {
  std::string build_id;  // GNU build id (MMAP2 with a build id, or a BUILD_ID record); may be empty
  // MMAP2 without a build id: the device and inode the kernel mapped.
  bool has_inode = false;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0, ino_generation = 0;
};

struct BinaryCandidate {
  std::string path;
  bool recorded_path = false;  // the path the recording names (verified before use)
};

// The files that may hold the binary an MMAP record names, in the order they are tried: the
// --binary files whose base name matches (any --binary when a build id was recorded: it is
// checked); with --symfs, <symfs>/<path> and nothing else; with neither, the recorded path
// itself; and, with a recorded build id and no --symfs, perf's build-id cache
// ~/.debug/.build-id/xx/yyyy.../elf (perf-buildid-cache(1)). A name "PATH (deleted)" (a file
// unlinked before the recording saw it) is looked for as PATH.
std::vector<BinaryCandidate> BinaryCandidates(const std::string& recorded_name,
                                              const std::string& recorded_build_id,
                                              const std::vector<std::string>& binaries,
                                              const std::string& symfs);

// Checks, before opening it, that a candidate is a file we may read as a binary: a regular
// file (not a FIFO or /dev/zero), no symlink loop, and not a /proc path resolving to this
// gcspike process itself (a recorded /proc/PID/exe, read now, may be any process). The error
// is a sentence naming it.
Status CheckCandidateFile(const std::string& path);

// Whether an opened candidate whose GNU build id is `file_build_id` stands for the recorded
// file: the build ids must agree when one was recorded; otherwise the recorded path must be
// the recorded inode when the recording has one (MMAP2). *unverified is set when the recorded
// path is accepted with nothing to compare. The error is a sentence naming the file.
Status VerifyCandidate(const BinaryCandidate& candidate, const std::string& file_build_id,
                       const RecordedFile& recorded, bool* unverified);

// Where the separate debug file of `image` may be, in the order tried
// (docs/formats/elf-dwarf.md#separate-debug-files): by build id in debuginfod's cache
// ($DEBUGINFOD_CACHE_PATH, else $XDG_CACHE_HOME/debuginfod_client, else
// ~/.cache/debuginfod_client: <id>/debuginfo) and under <debug_root>/.build-id/xx/yyyy.debug;
// then by .gnu_debuglink name next to the binary, in its .debug directory, and under
// <debug_root>/<the binary's directory>.
std::vector<std::string> DebugFileCandidates(const ElfImage& image, const std::string& debug_root);

// The first debug file candidate that opens and belongs to `image`: the same GNU build id when
// the image has one, else the .gnu_debuglink CRC-32 of its contents; nullptr when none does.
// A candidate found cut short while it was read is an error (FileShrankError), not passed over.
Result<std::shared_ptr<ElfImage>> FindDebugFile(const ElfImage& image,
                                                const std::string& debug_root);

// Finds the ElfImage for paths named in MMAP records (BinaryCandidates, CheckCandidateFile,
// VerifyCandidate), once per path: the symbolizer's and the unwinder's caches ask it, and get
// the same image as long as either still holds it. A candidate that exists but is rejected is
// never passed over in silence: the warning names it and why; so does a recorded path used
// unverified.
class BinaryLocator {
 public:
  BinaryLocator(std::vector<std::string> binaries, std::string symfs)
      : binaries_(std::move(binaries)), symfs_(std::move(symfs)) {}
  // nullptr when no usable binary was found; `warning` (may be null) gets the sentence about
  // this path, every time (the symbolizer reports it, once).
  std::shared_ptr<ElfImage> Find(const std::string& mapped_path, const RecordedFile& recorded,
                                 std::string* warning);
  // How many files were opened as binaries (measurement and tests).
  uint64_t opened() const { return opened_; }
  // Ok, or the first binary or debug file found cut short by another process while it was read
  // (FileShrankError; ElfImage::CheckNotShrunk): a candidate as it was opened, or an image found
  // here and still held. Asked once everything is made of the images, before they are released:
  // what was made of them is then void (never wrong in silence).
  Status CheckNotShrunk() const;

 private:
  struct Entry {
    std::weak_ptr<ElfImage> image;
    bool found = false;  // false: no usable candidate (remembered)
    std::string warning;
  };
  std::shared_ptr<ElfImage> Locate(const std::string& mapped_path, const RecordedFile& recorded,
                                   std::string* warning);
  std::vector<std::string> binaries_;
  std::string symfs_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t opened_ = 0;
  std::optional<Error> cut_;  // a candidate found cut short as it was opened
};

}  // namespace gcspike
