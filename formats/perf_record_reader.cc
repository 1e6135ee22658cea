#include "formats/perf_record_reader.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>

#include "formats/gzip_codec.h"
#include "formats/perf_event_abi.h"

namespace gcspike {
namespace {

namespace record = perf::record;
namespace feature = perf::feature;
using perf::kFileHeaderSize;
using perf::kPipeHeaderSize;

// Bytes between the file header and the data section (attrs and their ids) that we hold in
// memory; real files have a few hundred bytes per event.
constexpr uint64_t kMaxPrelude = uint64_t{64} << 20;
constexpr uint64_t kMaxFeatureSection = uint64_t{64} << 20;

// Unknown record types counted one by one for the warning; records of further types are
// counted together (a map entry per type would grow with the input).
constexpr size_t kUnknownTypes = 256;

// Reads up to n bytes; fewer only at the end of the input.
Result<size_t> ReadUpTo(InputSource& in, uint8_t* buf, size_t n) {
  size_t total = 0;
  while (total < n) {
    GCSPIKE_ASSIGN_OR_RETURN(size_t got, in.Read(buf + total, n - total));
    if (got == 0) break;
    total += got;
  }
  return total;
}

// The feature sections ProcessFeature reads.
bool IsReadFeature(int bit) {
  for (int f : {feature::kTracingData, feature::kBuildId, feature::kHostname, feature::kOsRelease,
                feature::kVersion, feature::kCmdline, feature::kEventDesc, feature::kClockData}) {
    if (bit == f) return true;
  }
  return false;
}

struct RecordHeader {
  uint32_t type = 0;
  uint16_t misc = 0;
  uint16_t size = 0;
};

RecordHeader ReadRecordHeader(std::span<const uint8_t> bytes) {  // 8 bytes
  ByteCursor c(bytes);
  RecordHeader h;
  h.type = *c.u32le();
  h.misc = *c.u16le();
  h.size = *c.u16le();
  return h;
}

}  // namespace

PerfRecordReader::~PerfRecordReader() {
  if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
}

void PerfRecordReader::Warn(const std::string& m) {
  if (diagnostics_ != nullptr) diagnostics_->Warn(in_.name() + ": " + m);
}

Status PerfRecordReader::Read() {
  GCSPIKE_ASSIGN_OR_RETURN(auto prefix, in_.Peek(kPipeHeaderSize));
  if (prefix.size() < kPipeHeaderSize) return MakeErrorAt(0, "perf.data header truncated");
  if (std::memcmp(prefix.data(), perf::kMagicBigEndian, 8) == 0) {
    return MakeErrorAt(0,
                       "big-endian perf.data (recorded on a big-endian machine) is not "
                       "supported; convert it with perf on such a machine");
  }
  if (std::memcmp(prefix.data(), perf::kMagic, 8) != 0) {
    return MakeErrorAt(0, "bad perf.data magic (want \"PERFILE2\")");
  }
  ByteCursor pc(prefix);
  GCSPIKE_RETURN_IF_ERROR(pc.skip(8));
  const uint64_t size = *pc.u64le();
  if (size == kPipeHeaderSize) {
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(kPipeHeaderSize));
    GCSPIKE_RETURN_IF_ERROR(ReadPipeMode());
  } else if (size == kFileHeaderSize) {
    uint8_t hdr[kFileHeaderSize];
    GCSPIKE_ASSIGN_OR_RETURN(size_t total, ReadUpTo(in_, hdr, sizeof hdr));
    if (total < sizeof hdr) {
      return MakeErrorAt(
          total, "perf.data file header truncated (" + std::to_string(total) + " of 104 bytes)");
    }
    GCSPIKE_RETURN_IF_ERROR(ReadFileMode(ByteCursor(std::span<const uint8_t>(hdr, sizeof hdr))));
  } else {
    return MakeErrorAt(8, "perf.data header size " + std::to_string(size) +
                              " is neither 104 (file) nor 16 (pipe)");
  }
  return {};
}

namespace {

// The file header's sections, checked (docs/formats/perf-data.md#file-header).
struct FileHeader {
  uint64_t at = 0;  // of attr_size: the header's errors are reported here
  uint64_t attr_size = 0, attrs_offset = 0, attrs_size = 0;
  uint64_t data_offset = 0, data_end = 0;
  uint64_t features[4] = {};
};

Result<FileHeader> ReadFileHeader(ByteCursor h, uint64_t input_size) {
  FileHeader f;
  GCSPIKE_RETURN_IF_ERROR(h.skip(16));  // magic, size
  f.at = h.offset();
  GCSPIKE_ASSIGN_OR_RETURN(f.attr_size, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(f.attrs_offset, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(f.attrs_size, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(f.data_offset, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t data_size, h.u64le());
  GCSPIKE_RETURN_IF_ERROR(h.skip(16));  // event_types: legacy
  for (uint64_t& bits : f.features) {
    GCSPIKE_ASSIGN_OR_RETURN(bits, h.u64le());
  }
  // Each attrs entry is {perf_event_attr; perf_file_section ids}.
  if (f.attr_size < perf::attr::kMinSize + 16) {
    return MakeErrorAt(f.at, "attr_size " + std::to_string(f.attr_size) +
                                 " is smaller than an attr (64) plus its ids section");
  }
  if (f.attrs_size % f.attr_size != 0) {
    return MakeErrorAt(f.at + 16, "attrs section size " + std::to_string(f.attrs_size) +
                                      " is not a multiple of attr_size " +
                                      std::to_string(f.attr_size));
  }
  if (f.data_offset < kFileHeaderSize || !CheckedAdd(f.data_offset, data_size, &f.data_end) ||
      f.data_offset - kFileHeaderSize > kMaxPrelude) {
    return MakeErrorAt(f.at + 24, "data section [" + std::to_string(f.data_offset) + ", +" +
                                      std::to_string(data_size) +
                                      ") is not a plausible section after the header");
  }
  if (input_size != 0 && f.data_end > input_size) {
    return MakeErrorAt(f.at + 24, "data section ends at byte " + std::to_string(f.data_end) +
                                      " past the end of the file (" + std::to_string(input_size) +
                                      " bytes)");
  }
  return f;
}

// A section of the prelude (the bytes between the header and the data section).
Result<ByteCursor> PreludeSection(ByteCursor prelude, const FileHeader& h, uint64_t off,
                                  uint64_t size, const char* what) {
  uint64_t end = 0;
  if (off < kFileHeaderSize || !CheckedAdd(off, size, &end) || end > h.data_offset) {
    return MakeErrorAt(h.at, std::string(what) + " [" + std::to_string(off) + ", +" +
                                 std::to_string(size) +
                                 ") is not between the header and the data section");
  }
  GCSPIKE_RETURN_IF_ERROR(prelude.seek(off - kFileHeaderSize));
  return prelude.sub(size);
}

// Adds the ids section [off, off + size) of the attr at entry_offset to `seen` (start -> end of
// the sections so far). perf writes each event's ids once, one event's after another
// (docs/formats/perf-data.md#event-attributes); a section that overlaps another's is refused,
// so the ids copied for all attrs together are no more than the prelude holds.
Status AddIdsSection(std::map<uint64_t, uint64_t>& seen, uint64_t off, uint64_t size,
                     uint64_t entry_offset) {
  const uint64_t end = off + size;  // within the prelude (PreludeSection)
  auto next = seen.lower_bound(off);
  auto clash = next != seen.end() && next->first < end ? next : seen.end();
  if (next != seen.begin() && std::prev(next)->second > off) clash = std::prev(next);
  if (clash != seen.end()) {
    return MakeErrorAt(entry_offset, "event ids [" + std::to_string(off) + ", +" +
                                         std::to_string(size) + ") overlap another event's [" +
                                         std::to_string(clash->first) + ", +" +
                                         std::to_string(clash->second - clash->first) +
                                         "); perf writes each event's ids once");
  }
  seen.emplace(off, end);
  return {};
}

}  // namespace

Status PerfRecordReader::ReadFileMode(ByteCursor header) {
  GCSPIKE_ASSIGN_OR_RETURN(FileHeader h, ReadFileHeader(header, in_.size_hint()));
  // Attrs and their ids lie between the header and the data section in files perf writes;
  // hold that small prelude in memory (counted) so the stream is never rewound.
  GCSPIKE_RETURN_IF_ERROR(Grow(h.data_offset - kFileHeaderSize, kFileHeaderSize));
  std::vector<uint8_t> prelude(h.data_offset - kFileHeaderSize);
  GCSPIKE_RETURN_IF_ERROR(in_.ReadExact(prelude.data(), prelude.size()));
  const ByteCursor pc(prelude, kFileHeaderSize);
  GCSPIKE_ASSIGN_OR_RETURN(ByteCursor attrs,
                           PreludeSection(pc, h, h.attrs_offset, h.attrs_size, "attrs section"));
  std::map<uint64_t, uint64_t> ids_sections;
  while (!attrs.empty()) {
    const uint64_t entry_offset = attrs.offset();
    GCSPIKE_ASSIGN_OR_RETURN(PerfAttr attr, ReadPerfAttr(attrs, h.attr_size - 16));
    GCSPIKE_RETURN_IF_ERROR(attrs.skip(h.attr_size - 16));
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t ids_offset, attrs.u64le());
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t ids_size, attrs.u64le());
    std::vector<uint64_t> ids;
    if (ids_size != 0) {
      GCSPIKE_ASSIGN_OR_RETURN(ByteCursor ic,
                               PreludeSection(pc, h, ids_offset, ids_size, "event ids"));
      GCSPIKE_RETURN_IF_ERROR(AddIdsSection(ids_sections, ids_offset, ids_size, entry_offset));
      GCSPIKE_RETURN_IF_ERROR(Grow(ids_size, entry_offset));  // their copy, while it is held
      while (ic.remaining() >= 8) {
        GCSPIKE_ASSIGN_OR_RETURN(ids.emplace_back(), ic.u64le());
      }
    }
    GCSPIKE_RETURN_IF_ERROR(AddAttr(std::move(attr), ids, entry_offset));
    Release(ids_size);
  }
  if (attrs_ == 0) return MakeErrorAt(h.at + 8, "perf.data has no events (attrs)");
  Release(prelude.size());
  prelude = {};
  GCSPIKE_RETURN_IF_ERROR(ReadRecords(h.data_end));
  return ReadFeatureSections(h.features, h.data_end);
}

Result<bool> PerfRecordReader::ReadFeatureTable(std::vector<uint8_t>& table, uint64_t data_end) {
  GCSPIKE_ASSIGN_OR_RETURN(size_t total, ReadUpTo(in_, table.data(), table.size()));
  if (total < table.size()) {
    Warn("feature section table truncated at byte " + std::to_string(data_end + total) +
         "; host and build-id information is missing");
    return false;
  }
  return true;
}

// Feature sections: one perf_file_section per set bit, right after the data
// (docs/formats/perf-data.md#feature-sections).
Status PerfRecordReader::ReadFeatureSections(const uint64_t (&features)[4], uint64_t data_end) {
  std::vector<int> bits;
  for (int bit = 0; bit < feature::kCount; ++bit) {
    if ((features[bit / 64] >> (bit % 64) & 1) != 0) bits.push_back(bit);
  }
  if (bits.empty()) return {};
  std::vector<uint8_t> table(bits.size() * 16);
  GCSPIKE_ASSIGN_OR_RETURN(bool complete, ReadFeatureTable(table, data_end));
  if (!complete) return {};
  struct Section {
    int bit;
    uint64_t offset, size;
  };
  std::vector<Section> sections;
  ByteCursor tc(table, data_end);
  for (int bit : bits) {
    Section s{bit, 0, 0};
    GCSPIKE_ASSIGN_OR_RETURN(s.offset, tc.u64le());
    GCSPIKE_ASSIGN_OR_RETURN(s.size, tc.u64le());
    sections.push_back(s);
  }
  std::stable_sort(sections.begin(), sections.end(),
                   [](const Section& a, const Section& b) { return a.offset < b.offset; });
  for (const Section& s : sections) {
    if (!IsReadFeature(s.bit)) continue;
    if (s.offset < in_.offset() || s.size > kMaxFeatureSection) {
      Warn("feature section " + std::to_string(s.bit) + " at byte " + std::to_string(s.offset) +
           " overlaps earlier data or is too large; skipped");
      continue;
    }
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(s.offset - in_.offset()));
    GCSPIKE_RETURN_IF_ERROR(Grow(s.size, s.offset));  // while it is held
    std::vector<uint8_t> body(s.size);
    GCSPIKE_RETURN_IF_ERROR(in_.ReadExact(body.data(), body.size()));
    GCSPIKE_RETURN_IF_ERROR(ProcessFeature(s.bit, ByteCursor(body, s.offset)));
    Release(s.size);
  }
  uint64_t sections_end = in_.offset();
  for (const Section& s : sections) {
    if (s.size <= kMaxFeatureSection && s.offset >= data_end) {
      sections_end = std::max(sections_end, s.offset + s.size);
    }
  }
  CheckSectionsEnd(sections_end);
  return {};
}

// The sections not read must still be there: a file cut inside them (a copy interrupted after
// the samples) is not silently taken for complete.
void PerfRecordReader::CheckSectionsEnd(uint64_t sections_end) {
  if (sections_end > in_.offset() && !in_.Skip(sections_end - in_.offset()).ok()) {
    Warn("the feature sections end at byte " + std::to_string(sections_end) +
         " but the input ends at byte " + std::to_string(in_.offset()) +
         ": the file was cut short (its samples are complete)");
  }
}

Status PerfRecordReader::ReadPipeMode() {
  GCSPIKE_RETURN_IF_ERROR(ReadRecords(0));
  if (attrs_ == 0) return MakeErrorAt(kPipeHeaderSize, "perf.data stream has no HEADER_ATTR");
  // perf record ends every round of samples it writes with FINISHED_ROUND, the last one
  // included (builtin-record.c, record__mmap_read_all): samples after the last FINISHED_ROUND
  // mean the stream was cut, here exactly at a record boundary (a cut inside a record is an
  // error above).
  if (saw_sample_ && last_record_type_ != record::kFinishedRound) {
    Warn("the stream ends at byte " + std::to_string(in_.offset()) + " after a record of type " +
         std::to_string(last_record_type_) +
         ", not perf's closing FINISHED_ROUND: the recording was probably cut short");
  }
  return {};
}

// The hot loop of a large recording: the records in the source's buffer are processed where
// they lie, a window at a time, and the input moves once per window. A record the window does
// not hold whole (or one past `end`), and the two kinds followed by payload, go through
// ReadOneRecord, which reads or reports them.
Status PerfRecordReader::ReadRecords(uint64_t end) {
  GCSPIKE_RETURN_IF_ERROR(ReadRecordWindows(end));
  return handler_.Sync();
}

Status PerfRecordReader::ReadRecordWindows(uint64_t end) {
  constexpr size_t kWindow = size_t{1} << 18;
  while (end == 0 || in_.offset() < end) {
    const uint64_t at = in_.offset();
    GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> window, in_.Peek(kWindow));
    if (window.empty() && end == 0) break;  // a stream ends between records
    if (end != 0) window = window.first(std::min<uint64_t>(window.size(), end - at));
    size_t used = 0;
    while (window.size() - used >= perf::kRecordHeaderSize) {
      const RecordHeader h = ReadRecordHeader(window.subspan(used, perf::kRecordHeaderSize));
      if (h.size < perf::kRecordHeaderSize || h.size > window.size() - used ||
          h.type == record::kAuxtrace || h.type == record::kHeaderTracingData) {
        break;
      }
      CountRecord(h.type, at + used);
      const std::span<const uint8_t> body =
          window.subspan(used + perf::kRecordHeaderSize, h.size - perf::kRecordHeaderSize);
      GCSPIKE_RETURN_IF_ERROR(
          ProcessRecord(h.type, h.misc, ByteCursor(body, at + used + 8), at + used));
      used += h.size;
    }
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(used));
    if (used == 0) GCSPIKE_RETURN_IF_ERROR(ReadOneRecord(end));
  }
  return {};
}

void PerfRecordReader::CountRecord(uint32_t type, uint64_t offset) {
  if (diagnostics_ != nullptr && (++records_read_ & 0xffff) == 0) {
    diagnostics_->Progress("reading perf.data", offset, in_.size_hint());
  }
  last_record_type_ = type;
  if (type == record::kSample) saw_sample_ = true;
}

Status PerfRecordReader::ReadOneRecord(uint64_t end) {
  const uint64_t offset = in_.offset();
  // Read in place, in the source's buffer (a record is at most 64 KiB).
  GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> header, in_.Peek(perf::kRecordHeaderSize));
  if (header.size() < perf::kRecordHeaderSize) {
    return MakeErrorAt(offset, "record header truncated");
  }
  const RecordHeader h = ReadRecordHeader(header);
  CountRecord(h.type, offset);
  if (h.size < perf::kRecordHeaderSize) {
    return MakeErrorAt(
        offset, "record size " + std::to_string(h.size) + " is smaller than its 8-byte header");
  }
  if (end != 0 && offset + h.size > end) {
    return MakeErrorAt(offset, "record of " + std::to_string(h.size) +
                                   " bytes runs past the end of the data section at byte " +
                                   std::to_string(end));
  }
  GCSPIKE_ASSIGN_OR_RETURN(std::span<const uint8_t> whole, in_.Peek(h.size));
  if (whole.size() < h.size) {
    return MakeErrorAt(
        offset, "record of " + std::to_string(h.size) + " bytes runs past the end of the input");
  }
  const std::span<const uint8_t> body = whole.subspan(perf::kRecordHeaderSize);
  GCSPIKE_RETURN_IF_ERROR(ProcessRecord(h.type, h.misc, ByteCursor(body, offset + 8), offset));
  // Only SkipPayloadAfter reads the input again, after it has read what it needs of `body`.
  GCSPIKE_RETURN_IF_ERROR(in_.Skip(h.size));
  return SkipPayloadAfter(h.type, body, offset, end);
}

// Records followed by payload not counted in header.size
// (docs/formats/perf-data.md#record-types, #pipe-mode).
Status PerfRecordReader::SkipPayloadAfter(uint32_t type, std::span<const uint8_t> body,
                                          uint64_t offset, uint64_t end) {
  if (type != record::kAuxtrace && type != record::kHeaderTracingData) return {};
  ByteCursor c(body, offset + 8);
  uint64_t extra = 0;
  uint32_t tracing_size = 0;
  if (type == record::kAuxtrace) {
    GCSPIKE_ASSIGN_OR_RETURN(extra, c.u64le());
  } else {
    GCSPIKE_ASSIGN_OR_RETURN(tracing_size, c.u32le());
    extra = (uint64_t{tracing_size} + 7) & ~uint64_t{7};
  }
  if (end != 0 && extra > end - in_.offset()) {
    return MakeErrorAt(offset, "payload after record runs past the end of the data section");
  }
  if (type == record::kHeaderTracingData) {
    GCSPIKE_RETURN_IF_ERROR(handler_.Sync());
    return ReadTracingDataPayload(tracing_size, extra);
  }
  return in_.Skip(extra);
}

Status PerfRecordReader::ReadTracingDataPayload(uint32_t size, uint64_t padded) {
  if (size > kMaxFeatureSection) return in_.Skip(padded);
  const uint64_t at = in_.offset();
  GCSPIKE_RETURN_IF_ERROR(Grow(size, at));  // while it is held
  std::vector<uint8_t> payload(size);
  GCSPIKE_RETURN_IF_ERROR(in_.ReadExact(payload.data(), payload.size()));
  GCSPIKE_RETURN_IF_ERROR(ReadTracingData(ByteCursor(payload, at)));
  Release(size);
  return in_.Skip(padded - size);
}

Status PerfRecordReader::AddAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) {
  ++attrs_;
  return handler_.OnAttr(std::move(attr), ids, offset);
}

Status PerfRecordReader::ProcessRecord(uint32_t type, uint16_t misc, ByteCursor c,
                                       uint64_t offset) {
  switch (type) {
    case record::kFinishedRound:
      return {};  // we do not reorder, so round boundaries carry no information
    case record::kHeaderAttr:
      return ProcessHeaderAttr(c, offset);
    case record::kHeaderFeature: {
      GCSPIKE_RETURN_IF_ERROR(handler_.Sync());
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t bit, c.u64le());
      if (bit < feature::kCount) return ProcessFeature(static_cast<int>(bit), c);
      return {};
    }
    case record::kHeaderBuildId:
      GCSPIKE_RETURN_IF_ERROR(handler_.Sync());
      return ReadBuildIdEntry(misc, c, offset);  // the record is one build_id_event
    case record::kCompressed:
      return ProcessCompressed(c.rest(), c.offset());
    case record::kCompressed2: {
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t data_size, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(auto payload, c.bytes(data_size));
      return ProcessCompressed(payload, c.offset() - data_size);
    }
    default:
      if (type <= record::kMaxKernelRecord ||
          (type >= record::kHeaderAttr && type <= record::kMaxUserRecord)) {
        return handler_.OnRecord(type, misc, c, offset);
      }
      if (auto it = unknown_records_.find(type); it != unknown_records_.end()) {
        ++it->second;
      } else if (unknown_records_.size() < kUnknownTypes) {
        unknown_records_.emplace(type, 1);
      } else {
        ++unknown_other_records_;
      }
      return {};
  }
}

// {perf_event_attr attr; u64 id[]} (docs/formats/perf-data.md#pipe-mode); attr.size says where
// the ids start.
Status PerfRecordReader::ProcessHeaderAttr(ByteCursor c, uint64_t offset) {
  ByteCursor peek = c;
  GCSPIKE_RETURN_IF_ERROR(peek.skip(4));
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t attr_size, peek.u32le());
  if (attr_size < perf::attr::kMinSize || attr_size > c.remaining()) {
    return MakeErrorAt(c.offset() + 4, "HEADER_ATTR attr.size " + std::to_string(attr_size) +
                                           " does not fit its " + std::to_string(c.remaining()) +
                                           "-byte record");
  }
  GCSPIKE_ASSIGN_OR_RETURN(PerfAttr attr, ReadPerfAttr(c, attr_size));
  GCSPIKE_RETURN_IF_ERROR(c.skip(attr_size));
  std::vector<uint64_t> ids;
  while (c.remaining() >= 8) {
    GCSPIKE_ASSIGN_OR_RETURN(ids.emplace_back(), c.u64le());
  }
  return AddAttr(std::move(attr), ids, offset);
}

// COMPRESSED/COMPRESSED2 (docs/formats/perf-data.md#compression): one zstd stream across all
// such records; the decompressed bytes are ordinary records, and one may straddle two payloads.
// They are handed on a chunk at a time, so only a record's worth is held however much a
// payload expands; and the stream may expand at most limits_.max_zstd_ratio times the payloads
// read (a zstd frame of runs turns 45 KB into 512 MiB).
Status PerfRecordReader::ProcessCompressed(std::span<const uint8_t> payload, uint64_t offset) {
  if (zstd_ == nullptr) {
    zstd_ = ZSTD_createDCtx();
    if (zstd_ == nullptr) return MakeErrorAt(offset, "cannot allocate a zstd context");
    // The window a frame asks for is allocated whole: at most the budget (a larger one is "bad
    // zstd data ... Frame requires too much memory").
    int window_log = 10;
    while (window_log < 27 && (uint64_t{2} << window_log) <= limits_.memory_budget) ++window_log;
    ZSTD_DCtx_setParameter(zstd_, ZSTD_d_windowLogMax, window_log);
  }
  ZSTD_inBuffer input{payload.data(), payload.size(), 0};
  std::vector<uint8_t> chunk(ZSTD_DStreamOutSize());
  zstd_in_ += payload.size();
  // Loop until the payload is consumed and zstd has nothing buffered (a full output chunk
  // means more may be pending).
  bool output_full = true;
  while (input.pos < input.size || output_full) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    const size_t rc = ZSTD_decompressStream(zstd_, &out, &input);
    if (ZSTD_isError(rc)) {
      return MakeErrorAt(offset + input.pos, std::string("bad zstd data in COMPRESSED record: ") +
                                                 ZSTD_getErrorName(rc));
    }
    zstd_out_ += out.pos;
    GCSPIKE_RETURN_IF_ERROR(CheckZstdRatio(offset));
    decompressed_.insert(decompressed_.end(), chunk.data(), chunk.data() + out.pos);
    output_full = out.pos == out.size;
    GCSPIKE_RETURN_IF_ERROR(DispatchDecompressed(offset));
  }
  return {};
}

Status PerfRecordReader::CheckZstdRatio(uint64_t offset) const {
  if (zstd_out_ <= ExpansionCap(limits_.max_zstd_ratio, zstd_in_)) return {};
  return MakeErrorAt(
      offset, ExpansionError("zstd data of COMPRESSED records", limits_.max_zstd_ratio, zstd_out_,
                             zstd_in_, "compressed records"));
}

// The whole records in decompressed_, all reported at the COMPRESSED record's `offset`.
Status PerfRecordReader::DispatchDecompressed(uint64_t offset) {
  const std::span<const uint8_t> bytes(decompressed_);
  size_t pos = 0;
  while (bytes.size() - pos >= perf::kRecordHeaderSize) {
    const RecordHeader h = ReadRecordHeader(bytes.subspan(pos, perf::kRecordHeaderSize));
    if (h.size < perf::kRecordHeaderSize) {
      return MakeErrorAt(offset, "record of size " + std::to_string(h.size) +
                                     " inside the COMPRESSED record at this offset");
    }
    if (bytes.size() - pos < h.size) break;  // completed by the next payload
    ByteCursor body(bytes.subspan(pos + 8, h.size - 8), offset);
    if (h.type == record::kCompressed || h.type == record::kCompressed2) {
      return MakeErrorAt(offset, "nested COMPRESSED record");
    }
    GCSPIKE_RETURN_IF_ERROR(ProcessRecord(h.type, h.misc, body, offset));
    pos += h.size;
  }
  decompressed_.erase(decompressed_.begin(), decompressed_.begin() + static_cast<ptrdiff_t>(pos));
  return {};
}

void PerfRecordReader::WarnSkipped() {
  for (const auto& [type, count] : unknown_records_) {
    Warn("skipped " + std::to_string(count) + " records of unknown type " + std::to_string(type));
  }
  if (unknown_other_records_ != 0) {
    Warn("skipped " + std::to_string(unknown_other_records_) +
         " records of further unknown types (only the first " + std::to_string(kUnknownTypes) +
         " are named)");
  }
  if (!decompressed_.empty()) {
    Warn(std::to_string(decompressed_.size()) +
         " trailing bytes of compressed records do not form a whole record; ignored");
  }
}

}  // namespace gcspike
