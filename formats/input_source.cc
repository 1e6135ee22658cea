#include "formats/input_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/mapped_regions.h"
#include "formats/gzip_codec.h"

namespace gcspike {

// zlib state of a decompressing source (Gunzipping).
struct InputSource::Inflater {
  InputSource* source = nullptr;  // the gzip bytes
  z_stream zs{};
  bool initialized = false;
  bool in_member = false;  // inside a gzip member (between its header and its trailer)
  bool any_member = false;
  bool finished = false;
  std::vector<uint8_t> in_buf = std::vector<uint8_t>(1 << 16);
  uint64_t total_out = 0;
  double max_ratio = 0;
  uint64_t ratio_base = 0;
  ~Inflater() {
    if (initialized) inflateEnd(&zs);
  }
};

Result<std::unique_ptr<InputSource>> InputSource::Open(const std::string& path) {
  std::unique_ptr<InputSource> in(new InputSource());
  if (path == "-") {
    in->name_ = "<stdin>";
    in->fd_ = STDIN_FILENO;
  } else {
    in->name_ = path;
    in->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in->fd_ < 0) {
      Error e = MakeError(std::string("cannot open: ") + std::strerror(errno));
      e.file = path;
      return e;
    }
    in->owns_fd_ = true;
  }
  struct stat st {};
  if (::fstat(in->fd_, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      Error e = MakeError("is a directory");
      e.file = in->name_;
      return e;
    }
    if (S_ISREG(st.st_mode)) in->size_hint_ = static_cast<uint64_t>(st.st_size);
  }
  in->mapped_ = in->owns_fd_ && in->size_hint_ > 0;
  in->largest_size_ = in->size_hint_;
  return in;
}

std::unique_ptr<InputSource> InputSource::FromBytes(std::string display_name,
                                                    std::vector<uint8_t> bytes, std::string where) {
  std::unique_ptr<InputSource> in(new InputSource());
  in->name_ = std::move(display_name);
  in->where_ = std::move(where);
  in->size_hint_ = bytes.size();
  in->buf_ = std::move(bytes);
  in->memory_ = true;
  in->eof_ = true;
  return in;
}

InputSource::~InputSource() {
  Unmap();
  DropContents();
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

namespace {

std::string OverBudget(uint64_t size, uint64_t limit) {
  return "the input is " + std::to_string(size) + " bytes, more than the memory budget of " +
         std::to_string(limit) + " bytes for holding it; --max-memory raises it";
}

}  // namespace

void InputSource::ReleaseBuffer() {
  if (mapped_) {
    Unmap();
  } else if (!memory_ && pos_ == buf_.size()) {
    buf_ = std::vector<uint8_t>();
    pos_ = 0;
  }
}

void InputSource::DropContents() {
  NoteFault(UnregisterMappedRegion(map_region_));
  map_region_ = -1;
  if (map_ != nullptr) ::munmap(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
  contents_ = std::vector<uint8_t>();
}

Result<std::span<const uint8_t>> InputSource::Contents(uint64_t limit) {
  GCSPIKE_RETURN_IF_ERROR(CheckNotShrunk());
  if (!memory_ && offset_ == 0 && size_hint_ > 0 && map_ == nullptr) {
    if (size_hint_ > limit) return ErrorAt(0, OverBudget(size_hint_, limit));
    void* m = ::mmap(nullptr, size_hint_, PROT_READ, MAP_PRIVATE, fd_, 0);
    // A file cut short while mapped must not kill us (core/mapped_regions.h).
    const int region = m != MAP_FAILED ? RegisterMappedRegion(m, size_hint_, 0) : -1;
    if (m != MAP_FAILED && region < 0) ::munmap(m, size_hint_);
    if (region >= 0) {
      ::madvise(m, size_hint_, MADV_SEQUENTIAL);
      map_ = m;
      map_len_ = size_hint_;
      map_region_ = region;
      Unmap();
      mapped_ = false;
      buf_.clear();
      pos_ = 0;
      eof_ = true;
      offset_ = size_hint_;
      return std::span<const uint8_t>(static_cast<const uint8_t*>(m), map_len_);
    }
    // Not mappable (some special file systems), or every region taken: read it.
  }
  GCSPIKE_ASSIGN_OR_RETURN(contents_, ReadAll(limit));
  return std::span<const uint8_t>(contents_);
}

std::optional<uint64_t> InputSource::CurrentSize() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return std::nullopt;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < largest_size_ && !cut_at_.has_value()) cut_at_ = size;
  largest_size_ = std::max(largest_size_, size);
  return size;
}

void InputSource::NoteFault(std::optional<uint64_t> file_offset) {
  if (!file_offset.has_value() || cut_at_.has_value()) return;
  // The faulting page starts at or after the cut; the file's size names the byte (unless it
  // has grown again since).
  const std::optional<uint64_t> size = CurrentSize();
  cut_at_ = std::min(*file_offset, size.value_or(*file_offset));
}

Status InputSource::CheckFaults() {
  if (!cut_at_.has_value()) {
    NoteFault(MappedRegionFault(window_region_));
    NoteFault(MappedRegionFault(map_region_));
  }
  if (!cut_at_.has_value()) return {};
  return Annotate(FileShrankError({}, *cut_at_));
}

Status InputSource::CheckNotShrunk() {
  // A cut inside the last page read faults nowhere (the kernel zeroes the page's tail): the
  // file's size tells.
  if (!cut_at_.has_value() && largest_size_ > 0) (void)CurrentSize();
  return CheckFaults();
}

Error InputSource::ErrorAt(uint64_t offset, std::string message) const {
  Error e = MakeErrorAt(offset, std::move(message));
  e.file = name_;
  e.where = where_;
  return e;
}

Error InputSource::Annotate(Error e) const {
  // Another file's error (a binary the perf.data reader symbolized with) stays as it is.
  if (!e.file.empty() && e.file != name_) return e;
  e.file = name_;
  if (e.where.empty()) e.where = where_;
  return e;
}

void InputSource::Unmap() {
  NoteFault(UnregisterMappedRegion(window_region_));
  window_region_ = -1;
  if (window_map_ != nullptr) ::munmap(window_map_, window_map_len_);
  window_map_ = nullptr;
  window_map_len_ = 0;
  window_ = nullptr;
  window_start_ = window_end_ = offset_;
}

// Back to read(): from the current offset, with nothing buffered.
void InputSource::StopMapping() {
  Unmap();
  mapped_ = false;
  if (::lseek(fd_, static_cast<off_t>(offset_), SEEK_SET) < 0) eof_ = true;
}

Status InputSource::FillMapped(size_t want) {
  const bool in_window = window_ != nullptr && window_start_ <= offset_;
  // Enough mapped, or the window reaches the end of the file.
  if (in_window && (offset_ + want <= window_end_ || window_end_ == mapped_file_size_)) return {};
  // The file's size now, not at open: a file cut short since fails here (CheckNotShrunk) rather
  // than being mapped past its end, one still growing is read as far as it has grown.
  const std::optional<uint64_t> now = CurrentSize();
  if (!now.has_value()) {
    StopMapping();
    return {};
  }
  GCSPIKE_RETURN_IF_ERROR(CheckFaults());
  const uint64_t size = *now;
  mapped_file_size_ = size;
  Unmap();
  if (offset_ >= size) {
    eof_ = true;
    return {};
  }
  // 1 MiB windows, page aligned, populated at once: a few system calls per window and no copy.
  constexpr uint64_t kWindow = uint64_t{1} << 20;
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t start = offset_ / page * page;
  const uint64_t len = std::min(size - start, std::max<uint64_t>(kWindow, offset_ - start + want));
  void* m =
      ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, static_cast<off_t>(start));
  const int region = m != MAP_FAILED ? RegisterMappedRegion(m, len, start) : -1;
  if (region < 0) {
    if (m != MAP_FAILED) ::munmap(m, len);
    StopMapping();
    return {};
  }
  window_region_ = region;
  window_map_ = m;
  window_map_len_ = len;
  window_ = static_cast<const uint8_t*>(m);
  window_start_ = start;
  window_end_ = start + len;
  return {};
}

Status InputSource::Fill(size_t want) {
  // Ensures buf_ (or the mapped window) holds `want` unconsumed bytes, or everything left
  // before end of input.
  if (memory_) return {};
  GCSPIKE_RETURN_IF_ERROR(CheckFaults());
  if (mapped_) GCSPIKE_RETURN_IF_ERROR(FillMapped(want));
  if (mapped_) return {};
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
    pos_ = 0;
  }
  while (!eof_ && buf_.size() - pos_ < want) {
    const size_t old = buf_.size();
    const size_t chunk = std::max<size_t>(want - (old - pos_), 1 << 16);
    buf_.resize(old + chunk);
    auto n = ReadRaw(buf_.data() + old, chunk, offset_ + (old - pos_));
    if (!n.ok()) {
      buf_.resize(old);
      return n.error();
    }
    buf_.resize(old + *n);
    if (*n == 0) eof_ = true;
  }
  return {};
}

Result<std::span<const uint8_t>> InputSource::Peek(size_t n) {
  GCSPIKE_RETURN_IF_ERROR(Fill(n));
  if (mapped_) {
    if (window_ == nullptr) return std::span<const uint8_t>();
    return std::span<const uint8_t>(MappedAt(offset_),
                                    std::min<uint64_t>(n, window_end_ - offset_));
  }
  const size_t have = std::min(n, buf_.size() - pos_);
  return std::span<const uint8_t>(buf_.data() + pos_, have);
}

Result<size_t> InputSource::Read(uint8_t* out, size_t n) {
  if (n == 0) return size_t{0};
  if (cut_at_.has_value()) return CheckFaults().error();
  if (mapped_) {
    GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> have, Peek(std::min<size_t>(n, 1 << 20)));
    if (mapped_) {
      std::memcpy(out, have.data(), have.size());
      // A page past a new end of the file read as zeros: fail at once.
      GCSPIKE_RETURN_IF_ERROR(CheckFaults());
      offset_ += have.size();
      return have.size();
    }
  }
  if (pos_ == buf_.size() && !memory_ && n >= (1 << 16)) {
    // Large read with nothing buffered: straight into the caller's buffer.
    buf_.clear();
    pos_ = 0;
    GCSPIKE_ASSIGN_OR_RETURN(size_t r, ReadRaw(out, n, offset_));
    if (r == 0) eof_ = true;
    offset_ += r;
    return r;
  }
  GCSPIKE_RETURN_IF_ERROR(Fill(std::min<size_t>(n, 1 << 16)));
  const size_t have = std::min(n, buf_.size() - pos_);
  std::memcpy(out, buf_.data() + pos_, have);
  pos_ += have;
  offset_ += have;
  return have;
}

Status InputSource::ReadExact(uint8_t* out, size_t n) {
  const uint64_t start = offset_;
  size_t done = 0;
  while (done < n) {
    GCSPIKE_ASSIGN_OR_RETURN(size_t got, Read(out + done, n - done));
    if (got == 0) {
      return ErrorAt(start, "unexpected end of input: need " + std::to_string(n) + " bytes, " +
                                std::to_string(done) + " left");
    }
    done += got;
  }
  return {};
}

Status InputSource::Skip(uint64_t n) {
  const uint64_t start = offset_;
  if (mapped_) {
    GCSPIKE_RETURN_IF_ERROR(CheckFaults());
    std::optional<uint64_t> size;
    if (window_ == nullptr || offset_ + n > window_end_) size = CurrentSize();
    GCSPIKE_RETURN_IF_ERROR(CheckFaults());
    if ((window_ != nullptr && offset_ + n <= window_end_) ||
        (size.has_value() && offset_ + n <= *size)) {
      offset_ += n;  // the window moves with the next Fill
      return {};
    }
  }
  if (n <= buf_.size() - pos_) {  // already buffered (Peek, then Skip): no copy
    pos_ += static_cast<size_t>(n);
    offset_ += n;
    return {};
  }
  uint8_t tmp[1 << 14];
  uint64_t left = n;
  while (left > 0) {
    GCSPIKE_ASSIGN_OR_RETURN(size_t got, Read(tmp, std::min<uint64_t>(left, sizeof tmp)));
    if (got == 0) {
      return ErrorAt(start,
                     "unexpected end of input while skipping " + std::to_string(n) + " bytes");
    }
    left -= got;
  }
  return {};
}

Result<std::vector<uint8_t>> InputSource::ReadAll(uint64_t limit) {
  std::vector<uint8_t> out;
  if (memory_) {
    if (pos_ == 0) {
      out = std::move(buf_);
      buf_.clear();
    } else {
      out.assign(buf_.begin() + static_cast<ptrdiff_t>(pos_), buf_.end());
    }
    pos_ = buf_.size();
    offset_ += out.size();
    if (out.size() > limit) return ErrorAt(0, OverBudget(out.size(), limit));
    return out;
  }
  GCSPIKE_RETURN_IF_ERROR(CheckNotShrunk());
  if (mapped_) StopMapping();
  // A regular file's size is known: refuse a too large one before reading a byte of it (a
  // 10 GB sparse file would otherwise be read, zeros and all, until the limit).
  if (size_hint_ > 0 && size_hint_ - offset_ > limit) {
    return ErrorAt(offset_, OverBudget(size_hint_ - offset_, limit));
  }
  out.assign(buf_.begin() + static_cast<ptrdiff_t>(pos_), buf_.end());
  offset_ += out.size();
  buf_.clear();
  pos_ = 0;
  if (size_hint_ > 0) out.reserve(std::min<uint64_t>(size_hint_, limit) + 1);
  // Memory is counted as in Gunzip: a regrowth holds the old and the new storage at once, so it
  // needs room for twice what has been read.
  auto over = [&]() {
    const std::string what = inflater_ != nullptr ? "decompressed data" : "the input";
    Error e = ErrorAt(offset_, what + " reached " + std::to_string(out.size()) +
                                   " bytes; holding more would exceed the memory budget of " +
                                   std::to_string(limit) + " bytes; --max-memory raises it");
    // The offset that means something to the user is the one in the file.
    if (inflater_ != nullptr) {
      e.offset = CompressedOffset();
      e.where = "compressed data";
    }
    return e;
  };
  while (!eof_) {
    if (out.size() > limit) return over();
    const size_t old = out.size();
    // One byte past the limit at most: enough to know it was crossed.
    const uint64_t room = limit - old == UINT64_MAX ? UINT64_MAX : limit - old + 1;
    const size_t chunk = std::min<uint64_t>(std::max<size_t>(1 << 20, old / 2), room);
    if (old + chunk > out.capacity()) {
      if (2 * uint64_t{old} > limit) return over();
      uint64_t new_cap = std::max<uint64_t>(2 * uint64_t{out.capacity()}, old + chunk);
      if (new_cap - old > room) new_cap = old + room;
      out.reserve(new_cap);
    }
    out.resize(old + chunk);
    GCSPIKE_ASSIGN_OR_RETURN(size_t n, ReadRaw(out.data() + old, chunk, offset_));
    out.resize(old + n);
    offset_ += n;
    if (n == 0) eof_ = true;
  }
  if (out.size() > limit) return over();
  return out;
}

uint64_t InputSource::CompressedOffset() const {
  return inflater_->source->offset() - inflater_->zs.avail_in;
}

Error InputSource::CompressedError(std::string message) const {
  Error e = MakeErrorAt(CompressedOffset(), std::move(message));
  e.file = name_;
  e.where = "compressed data";
  return e;
}

std::unique_ptr<InputSource> InputSource::Gunzipping(InputSource& compressed, double max_ratio,
                                                     uint64_t ratio_base) {
  std::unique_ptr<InputSource> in(new InputSource());
  in->name_ = compressed.name();
  in->where_ = "decompressed data";
  in->inflater_ = std::make_unique<Inflater>();
  in->inflater_->source = &compressed;
  in->inflater_->max_ratio = max_ratio;
  in->inflater_->ratio_base = ratio_base;
  return in;
}

Result<size_t> InputSource::ReadRaw(uint8_t* out, size_t n, uint64_t at) {
  if (inflater_ != nullptr) return Inflate(out, n);
  ssize_t r;
  do {
    r = ::read(fd_, out, n);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrorAt(at, std::string("read error: ") + std::strerror(errno));
  return static_cast<size_t>(r);
}

Result<size_t> InputSource::Inflate(uint8_t* out, size_t n) {
  Inflater& f = *inflater_;
  z_stream& zs = f.zs;
  if (f.finished || n == 0) return size_t{0};
  const size_t room = std::min<size_t>(n, UINT_MAX);
  zs.next_out = out;
  zs.avail_out = static_cast<uInt>(room);
  while (zs.avail_out == room) {  // until something is produced, or the end
    GCSPIKE_ASSIGN_OR_RETURN(bool more, InflateStep());
    if (!more) break;
  }
  const size_t produced = room - zs.avail_out;
  f.total_out += produced;
  GCSPIKE_RETURN_IF_ERROR(CheckInflateRatio());
  return produced;
}

Result<bool> InputSource::InflateStep() {
  Inflater& f = *inflater_;
  z_stream& zs = f.zs;
  if (zs.avail_in == 0) {
    GCSPIKE_ASSIGN_OR_RETURN(bool more, RefillCompressed());
    if (!more) {
      if (f.in_member) {
        return CompressedError("truncated gzip data (stream ends before its trailer)");
      }
      f.finished = true;
      return false;
    }
  }
  if (!f.in_member) {
    GCSPIKE_ASSIGN_OR_RETURN(bool started, StartMember());
    if (!started) return false;
  }
  const uInt avail_in = zs.avail_in;
  const int rc = inflate(&zs, Z_NO_FLUSH);
  if (rc == Z_STREAM_END) {
    f.in_member = false;
  } else if (rc == Z_BUF_ERROR && zs.avail_in == avail_in && avail_in != 0) {
    return CompressedError("corrupt gzip data: inflate makes no progress");
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    return CompressedError(std::string("corrupt gzip data: ") +
                           (zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc)));
  }
  return true;
}

Result<bool> InputSource::RefillCompressed() {
  Inflater& f = *inflater_;
  GCSPIKE_ASSIGN_OR_RETURN(size_t got, f.source->Read(f.in_buf.data(), f.in_buf.size()));
  if (got == 0) return false;
  f.zs.next_in = f.in_buf.data();
  f.zs.avail_in = static_cast<uInt>(got);
  return true;
}

Result<bool> InputSource::StartMember() {
  Inflater& f = *inflater_;
  z_stream& zs = f.zs;
  // Between members: another member, or trailing zero padding (tolerated, as by gzip(1)).
  if (f.any_member && zs.next_in[0] == 0) {
    GCSPIKE_RETURN_IF_ERROR(SkipZeroPadding());
    f.finished = true;
    return false;
  }
  if (f.any_member && (zs.next_in[0] != 0x1f)) {
    return CompressedError("trailing garbage after gzip data");
  }
  const int rc = f.initialized ? inflateReset(&zs) : inflateInit2(&zs, 15 + 32);
  if (rc != Z_OK) return CompressedError("zlib: cannot start inflating");
  f.initialized = true;
  f.in_member = true;
  f.any_member = true;
  return true;
}

Status InputSource::SkipZeroPadding() {
  z_stream& zs = inflater_->zs;
  while (true) {
    for (uInt i = 0; i < zs.avail_in; ++i) {
      if (zs.next_in[i] != 0) {
        zs.next_in += i;
        zs.avail_in -= i;
        return CompressedError("trailing garbage after gzip data");
      }
    }
    zs.avail_in = 0;
    GCSPIKE_ASSIGN_OR_RETURN(bool more, RefillCompressed());
    if (!more) return {};
  }
}

Status InputSource::CheckInflateRatio() const {
  const Inflater& f = *inflater_;
  // As Gunzip (gzip_codec.h): output per compressed byte, with a slack for tiny inputs.
  const uint64_t base = f.ratio_base != 0 ? f.ratio_base : CompressedOffset();
  if (f.total_out <= ExpansionCap(f.max_ratio, base)) return {};
  return CompressedError(
      ExpansionError("gzip data", f.max_ratio, f.total_out, base, "compressed input"));
}

}  // namespace gcspike
