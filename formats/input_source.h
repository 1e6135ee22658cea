// InputSource: one input as the user named it (a path, or "-" for stdin), readable as a stream
// with a peekable prefix (for format sniffing without reopening: pipes cannot be reopened), or
// all at once. It can also wrap bytes already in memory (a decompressed input).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace gcspike {

class InputSource {
 public:
  // "-" means standard input.
  static Result<std::unique_ptr<InputSource>> Open(const std::string& path);
  static std::unique_ptr<InputSource> FromBytes(std::string display_name,
                                                std::vector<uint8_t> bytes, std::string where);
  // The gzip data read from `compressed` (which must outlive the result), decompressed as it
  // is read: nothing is held but a buffer, so a gzipped perf.data or trace streams like a plain
  // one. Output beyond `max_ratio` times the compressed bytes consumed (or `ratio_base`, when
  // nonzero: the size of an outer input this one was itself decompressed from) plus
  // kGunzipRatioSlack is an error (0: unchecked). Errors in the gzip data name the offset in
  // the compressed input.
  static std::unique_ptr<InputSource> Gunzipping(InputSource& compressed, double max_ratio,
                                                 uint64_t ratio_base);
  ~InputSource();
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  // The name used in messages ("<stdin>" for "-").
  const std::string& name() const { return name_; }
  // What offsets are relative to when the input was transformed (e.g. "decompressed data").
  const std::string& where() const { return where_; }
  // Size in bytes when known (regular files and memory), else 0.
  uint64_t size_hint() const { return size_hint_; }

  // Up to n bytes from the current position without consuming them (fewer only at the end).
  Result<std::span<const uint8_t>> Peek(size_t n);
  // Reads up to n bytes; returns 0 only at the end of input.
  Result<size_t> Read(uint8_t* buf, size_t n);
  // Reads exactly n bytes or fails with "unexpected end of input".
  Status ReadExact(uint8_t* buf, size_t n);
  // Skips n bytes (errors at end of input).
  Status Skip(uint64_t n);
  // Everything from the current position; fails if it exceeds `limit` (a regular file is
  // checked by its size before anything is read, so a huge or sparse file fails at once).
  Result<std::vector<uint8_t>> ReadAll(uint64_t limit);
  // The same bytes as ReadAll, valid as long as this InputSource: a regular file read from its
  // start is mapped (read lazily by the kernel, and its pages stay reclaimable page cache
  // rather than process memory); anything else is read into a buffer held here.
  Result<std::span<const uint8_t>> Contents(uint64_t limit);
  // Releases what Contents() returned (the span becomes invalid).
  void DropContents();
  // Releases the mapped window or the buffer of a stream that has been read as far as its
  // reader needs (a later read maps or fills again).
  void ReleaseBuffer();
  // Bytes consumed so far (the offset of the next byte).
  uint64_t offset() const { return offset_; }

  // Ok, or the error for a regular file that shrank while it was read (truncated by another
  // process), at the byte where it was cut: mapped bytes past the cut read as zeros
  // (core/mapped_regions.h) or the reads ended there, so what a reader made of them is
  // void. Once it fails every read fails with it; ReadProfile checks it after every reader, and
  // its error wins over the reader's.
  Status CheckNotShrunk();

  // An error at an offset of this input, with the input's name filled in.
  Error ErrorAt(uint64_t offset, std::string message) const;
  // A reader's error with this input's name (and what its offsets are in) filled in; an error
  // naming another file (a binary, core/mapped_regions.h) is left as it is.
  Error Annotate(Error e) const;

 private:
  InputSource() = default;
  Status Fill(size_t want);
  // A regular file opened by path is read through a window mapped over the page cache (no copy
  // into a buffer, no read call per buffer): [window_start_, window_end_) of the file at
  // window_. Any failure to map falls back to read().
  Status FillMapped(size_t want);
  void Unmap();
  void StopMapping();
  // The file's size now, noting a cut when it is below the largest size seen (nullopt when
  // fstat fails).
  std::optional<uint64_t> CurrentSize();
  // Records a fault in a mapping at `file_offset` (see CheckNotShrunk); the first cut stays.
  void NoteFault(std::optional<uint64_t> file_offset);
  // CheckNotShrunk without asking the file's size: the faults in the mappings and the cuts
  // seen so far (cheap enough for every read).
  Status CheckFaults();
  const uint8_t* MappedAt(uint64_t offset) const { return window_ + (offset - window_start_); }
  // Reads from the file descriptor, or inflates from the compressed source; `at` is the
  // offset for a read error.
  Result<size_t> ReadRaw(uint8_t* buf, size_t n, uint64_t at);
  struct Inflater;
  // The gzip stream of a Gunzipping source. Inflate fills buf with at least one byte unless
  // the data ends; each InflateStep refills the compressed input, starts a member and inflates
  // (false at the end of the data). RefillCompressed reads more compressed input (false at its
  // end); StartMember starts the next member, or skips trailing zero padding (false: the data
  // ends there); CheckInflateRatio refuses output beyond --max-gzip-ratio.
  Result<size_t> Inflate(uint8_t* buf, size_t n);
  Result<bool> InflateStep();
  Result<bool> RefillCompressed();
  Result<bool> StartMember();
  Status SkipZeroPadding();
  Status CheckInflateRatio() const;
  uint64_t CompressedOffset() const;
  Error CompressedError(std::string message) const;

  std::string name_;
  std::string where_;
  int fd_ = -1;
  bool owns_fd_ = false;
  uint64_t size_hint_ = 0;
  std::vector<uint8_t> buf_;  // buffered bytes [pos_, buf_.size()) not yet consumed
  size_t pos_ = 0;
  bool eof_ = false;
  bool memory_ = false;
  uint64_t offset_ = 0;
  bool mapped_ = false;  // reading through window_ (FillMapped)
  const uint8_t* window_ = nullptr;
  uint64_t window_start_ = 0, window_end_ = 0;
  uint64_t mapped_file_size_ = 0;  // at the last mapping
  void* window_map_ = nullptr;
  size_t window_map_len_ = 0;
  int window_region_ = -1;  // RegisterMappedRegion's handles
  void* map_ = nullptr;     // Contents() of a mapped file
  size_t map_len_ = 0;
  int map_region_ = -1;
  uint64_t largest_size_ = 0;           // of a regular file, as seen by fstat
  std::optional<uint64_t> cut_at_;      // where it was found cut short
  std::vector<uint8_t> contents_;       // Contents() of anything else
  std::unique_ptr<Inflater> inflater_;  // Gunzipping sources
};

}  // namespace gcspike
