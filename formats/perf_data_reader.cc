#include "formats/perf_data_reader.h"

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/utsname.h>

#include "core/byte_cursor.h"
#include "core/hex.h"
#include "core/profile_builder.h"
#include "core/sample_spool.h"
#include "symbolizer/dwarf_unwinder.h"
#include "symbolizer/elf_symbolizer.h"
#include "symbolizer/kernel_symbols.h"

namespace gcspike {
namespace {

// Record types (docs/formats/perf-data.md#record-types).
constexpr uint32_t kRecordMmap = 1;
constexpr uint32_t kRecordLost = 2;
constexpr uint32_t kRecordComm = 3;
constexpr uint32_t kRecordExit = 4;
constexpr uint32_t kRecordFork = 7;
constexpr uint32_t kRecordSample = 9;
constexpr uint32_t kRecordMmap2 = 10;
constexpr uint32_t kMaxKernelRecord = 21;
constexpr uint32_t kRecordHeaderAttr = 64;
constexpr uint32_t kRecordHeaderTracingData = 66;
constexpr uint32_t kRecordHeaderBuildId = 67;
constexpr uint32_t kRecordFinishedRound = 68;
constexpr uint32_t kRecordAuxtrace = 71;
constexpr uint32_t kRecordHeaderFeature = 80;
constexpr uint32_t kRecordCompressed = 81;
constexpr uint32_t kRecordCompressed2 = 83;
constexpr uint32_t kMaxUserRecord = 86;

// sample_type bits (docs/formats/perf-data.md#event-attributes).
constexpr uint64_t kSampleIp = 1 << 0;
constexpr uint64_t kSampleTid = 1 << 1;
constexpr uint64_t kSampleTime = 1 << 2;
constexpr uint64_t kSampleAddr = 1 << 3;
constexpr uint64_t kSampleRead = 1 << 4;
constexpr uint64_t kSampleCallchain = 1 << 5;
constexpr uint64_t kSampleId = 1 << 6;
constexpr uint64_t kSampleCpu = 1 << 7;
constexpr uint64_t kSamplePeriod = 1 << 8;
constexpr uint64_t kSampleStreamId = 1 << 9;
constexpr uint64_t kSampleRaw = 1 << 10;
constexpr uint64_t kSampleBranchStack = 1 << 11;
constexpr uint64_t kSampleRegsUser = 1 << 12;
constexpr uint64_t kSampleStackUser = 1 << 13;
constexpr uint64_t kSampleIdentifier = 1 << 16;

// read_format bits.
constexpr uint64_t kReadTotalTimeEnabled = 1 << 0;
constexpr uint64_t kReadTotalTimeRunning = 1 << 1;
constexpr uint64_t kReadId = 1 << 2;
constexpr uint64_t kReadGroup = 1 << 3;
constexpr uint64_t kReadLost = 1 << 4;

constexpr uint64_t kAttrFlagFreq = uint64_t{1} << 10;
constexpr uint64_t kBranchHwIndex = uint64_t{1} << 17;

// Feature bits (docs/formats/perf-data.md#feature-sections).
constexpr int kFeatBuildId = 2;
constexpr int kFeatHostname = 3;
constexpr int kFeatOsRelease = 4;
constexpr int kFeatVersion = 5;
constexpr int kFeatCmdline = 11;
constexpr int kFeatEventDesc = 12;
constexpr int kFeatClockData = 29;

constexpr uint64_t kContextMax = static_cast<uint64_t>(-4095);
constexpr uint64_t kContextKernel = static_cast<uint64_t>(-128);
constexpr uint64_t kContextUser = static_cast<uint64_t>(-512);
constexpr uint16_t kMiscCpumodeMask = 7;
constexpr uint16_t kMiscKernel = 1;
constexpr uint16_t kMiscCommExec = 1 << 13;
constexpr uint16_t kMiscMmapBuildId = 1 << 14;
constexpr uint16_t kMiscBuildIdSize = 1 << 15;

constexpr uint64_t kFileHeaderSize = 104;
constexpr uint64_t kPipeHeaderSize = 16;
constexpr uint64_t kMinAttrSize = 64;  // PERF_ATTR_SIZE_VER0
// Bytes between the file header and the data section (attrs and their ids) that we hold in
// memory; real files have a few hundred bytes per event.
constexpr uint64_t kMaxPrelude = uint64_t{64} << 20;
constexpr uint64_t kMaxFeatureSection = uint64_t{64} << 20;

struct Attr {
  uint32_t type = 0;
  uint64_t config = 0;
  uint64_t sample_period = 0;
  uint64_t sample_type = 0;
  uint64_t read_format = 0;
  uint64_t flags = 0;
  uint64_t branch_sample_type = 0;
  uint64_t sample_regs_user = 0;
  std::string name;
};

// perf_event_attr (docs/formats/perf-data.md#event-attributes). `size` is the attr's own size field
// or the container's; a shorter attr is zero-filled, a longer one's tail is ignored.
Result<Attr> ParseAttr(ByteCursor c, uint64_t outer_size) {
  const uint64_t start = c.offset();
  if (outer_size < kMinAttrSize) {
    return MakeErrorAt(start, "perf_event_attr of " + std::to_string(outer_size) +
                                  " bytes is smaller than the minimum 64");
  }
  GCSPIKE_ASSIGN_OR_RETURN(ByteCursor a, c.sub(outer_size));
  uint8_t raw[136] = {};
  std::memcpy(raw, a.rest().data(), std::min<size_t>(sizeof raw, a.remaining()));
  auto u32 = [&](size_t off) {
    uint32_t v;
    std::memcpy(&v, raw + off, 4);
    return v;
  };
  auto u64 = [&](size_t off) {
    uint64_t v;
    std::memcpy(&v, raw + off, 8);
    return v;
  };
  Attr attr;
  attr.type = u32(0);
  const uint32_t self_size = u32(4);
  if (self_size != 0 && (self_size < kMinAttrSize || self_size > outer_size)) {
    return MakeErrorAt(start + 4, "perf_event_attr.size " + std::to_string(self_size) +
                                      " does not fit its " + std::to_string(outer_size) +
                                      "-byte slot");
  }
  attr.config = u64(8);
  attr.sample_period = u64(16);
  attr.sample_type = u64(24);
  attr.read_format = u64(32);
  attr.flags = u64(40);
  attr.branch_sample_type = u64(72);
  attr.sample_regs_user = u64(80);
  return attr;
}

std::string DefaultEventName(const Attr& a) {
  static const char* const kHardware[] = {"cycles", "instructions", "cache-references",
                                          "cache-misses", "branches", "branch-misses"};
  static const char* const kSoftware[] = {"cpu-clock", "task-clock", "page-faults",
                                          "context-switches", "cpu-migrations"};
  if (a.type == 0 && a.config < std::size(kHardware)) return kHardware[a.config];
  if (a.type == 1 && a.config < std::size(kSoftware)) return kSoftware[a.config];
  return "event-" + std::to_string(a.type) + ":" + std::to_string(a.config);
}

// NUL-padded string filling the rest of a record body up to its first NUL.
std::string CString(std::span<const uint8_t> b) {
  const auto* p = reinterpret_cast<const char*>(b.data());
  return std::string(p, strnlen(p, b.size()));
}

// perf_header_string {u32 len; char str[len]} (docs/formats/perf-data.md#feature-sections).
Result<std::string> HeaderString(ByteCursor& c) {
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t len, c.u32le());
  GCSPIKE_ASSIGN_OR_RETURN(auto bytes, c.bytes(len));
  return CString(bytes);
}

struct Mmap {
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t pgoff = 0;
  std::string filename;
  std::string build_id;  // from MMAP2 with MMAP_BUILD_ID
  // From MMAP2 without a build id: the mapped file's device and inode, to check that the file
  // at the recorded path is still the one recorded.
  bool has_inode = false;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0, ino_generation = 0;
};

// What the symbolizer checks a found binary against.
RecordedFile Recorded(const Mmap& m, std::string build_id) {
  RecordedFile r;
  r.build_id = std::move(build_id);
  r.has_inode = m.has_inode;
  r.maj = m.maj;
  r.min = m.min;
  r.ino = m.ino;
  r.ino_generation = m.ino_generation;
  return r;
}

// A frame before symbolization. mmap_index -1: no mapping was known at sample time; `pid`
// lets the end-of-file pass try again (records are not time-ordered across CPUs, 5.6).
struct RawFrame {
  int64_t mmap_index = -1;
  uint64_t address = 0;
  uint32_t pid = 0;
  bool kernel = false;
  bool caller = false;  // a return address: symbolize address - 1
  bool operator==(const RawFrame&) const = default;
};

struct RawFrameHash {
  size_t operator()(const RawFrame& f) const {
    uint64_t h = f.address * 0x9e3779b97f4a7c15ULL;
    h ^= static_cast<uint64_t>(f.mmap_index) + 0x7f4a7c15 + (h << 6) + (h >> 2);
    h ^= (static_cast<uint64_t>(f.pid) << 2 | (f.kernel ? 2 : 0) | (f.caller ? 1 : 0)) +
         (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
};

class PerfDataParser {
 public:
  PerfDataParser(InputSource& in, const ReadOptions& options)
      : in_(in), options_(options), builder_(profile_),
        locator_(options.binaries, options.symfs), binaries_(std::in_place, locator_),
        unwind_images_(locator_) {
    if (options.spool_samples) spool_ = std::make_shared<SampleSpool>();
  }
  ~PerfDataParser() {
    if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
  }

  Result<Profile> Run();

 private:
  Status ReadFileMode(ByteCursor header);
  Status ReadPipeMode();
  // Reads one record from the input at its current offset; `end` bounds it (0: none).
  Status ReadOneRecord(uint64_t end);
  Status ProcessRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t record_offset);
  Status ProcessSample(uint16_t misc, ByteCursor c);
  Status ProcessCompressed(std::span<const uint8_t> payload, uint64_t offset);
  Status ProcessFeature(int feature, ByteCursor c);
  Status ParseBuildIds(ByteCursor c);
  Status ParseBuildIdEntry(uint16_t misc, ByteCursor entry);
  Status AddAttr(Attr attr, std::span<const uint64_t> ids, uint64_t offset);
  Result<size_t> AttrIndexForSample(ByteCursor c) const;
  const Mmap* FindMmap(uint32_t pid, uint64_t addr, int64_t* index) const;
  uint32_t InternFrame(const RawFrame& f);
  // The build id perf recorded for a mapping (MMAP2 with a build id, else the BUILD_ID
  // feature section), empty when none.
  const std::string& RecordedBuildId(const Mmap& m) const;
  // With a spool: the index of the distinct stack `refs`, added with zero values when new.
  uint32_t InternStack(std::span<const uint32_t> refs);
  Result<Profile> Finish();
  std::vector<Line> SymbolizeFrame(const RawFrame& f, uint64_t* mapping_id);
  // Kernel frame names from /proc/kallsyms, only for files recorded on the running kernel
  // release (the file names this machine's kernel), and only the symbols our frames fall in.
  void LoadKernelSymbols();
  void Warn(const std::string& m) {
    if (options_.diagnostics != nullptr) options_.diagnostics->Warn(in_.name() + ": " + m);
  }

  InputSource& in_;
  const ReadOptions& options_;
  Profile profile_;
  ProfileBuilder builder_;
  BinaryLocator locator_;  // finds each binary once for binaries_ and unwind_images_
  std::optional<ElfSymbolizerCache> binaries_;  // released once every frame is symbolized

  std::vector<Attr> attrs_;
  std::unordered_map<uint64_t, size_t> attr_by_id_;
  std::vector<Mmap> mmaps_;
  std::unordered_map<uint32_t, std::map<uint64_t, size_t>> maps_by_pid_;  // start -> mmaps_ index
  std::map<uint64_t, size_t> kernel_maps_;
  std::unordered_map<uint32_t, std::string> comm_by_tid_;
  std::unordered_map<std::string, std::string> build_id_by_file_;
  std::vector<RawFrame> frames_;
  std::unordered_map<RawFrame, uint32_t, RawFrameHash> frame_index_;
  // In front of FindMmap + InternFrame for callchain entries: (pid, address, kernel, caller)
  // -> frame ref, open addressing. Which mapping an address falls in changes only with MMAP
  // and FORK records, which empty it.
  struct CachedFrame {
    uint64_t address = 0;
    uint32_t pid = 0;
    uint32_t ref_and_flags = 0;  // ref << 2 | kernel << 1 | caller; 0: empty slot
  };
  std::vector<CachedFrame> frame_cache_ = std::vector<CachedFrame>(1 << 12);
  size_t frame_cache_used_ = 0;
  uint32_t CachedFrameRef(uint32_t pid, uint64_t address, bool kernel, bool caller);
  void ClearFrameCache() {
    if (frame_cache_used_ == 0) return;
    std::fill(frame_cache_.begin(), frame_cache_.end(), CachedFrame());
    frame_cache_used_ = 0;
  }
  // String ids of the labels every sample carries, interned on first use.
  StrId Key(StrId& cached, std::string_view s) {
    if (cached == 0) cached = profile_.Intern(s);
    return cached;
  }
  StrId pid_key_ = 0, tid_key_ = 0, comm_key_ = 0, time_key_ = 0, ns_unit_ = 0;
  std::unordered_map<uint32_t, StrId> comm_id_by_tid_;  // cache of Intern(comm); emptied on COMM/FORK
  std::vector<uint8_t> record_body_;
  std::vector<std::string> event_desc_names_;
  std::unordered_map<uint64_t, std::string> event_desc_name_by_id_;
  std::string os_release_;
  std::optional<KernelSymbols> kernel_symbols_;
  std::optional<std::pair<uint64_t, uint64_t>> clock_data_;  // wall clock ns, sample clock ns

  uint64_t records_read_ = 0;

  uint32_t last_record_type_ = 0;  // of the last top-level record read

  bool saw_sample_ = false;
  uint64_t lost_samples_ = 0;
  uint64_t lost_records_ = 0;
  uint64_t dwarf_samples_ = 0;
  uint64_t unwound_by_[3] = {};  // indexed by UnwindMethod
  uint64_t user_callchain_samples_ = 0;  // dwarf samples whose callchain has user frames
  UnwindImageCache unwind_images_;
  DwarfUnwinder unwinder_;
  std::vector<uint64_t> unwound_pcs_;  // one sample's user stack, reused
  uint64_t unknown_id_samples_ = 0;
  std::map<uint32_t, uint64_t> unknown_records_;
  int64_t first_time_ = INT64_MAX;
  int64_t last_time_ = INT64_MIN;

  // With ReadOptions::spool_samples: the records go to spool_, and the distinct stacks (frame
  // refs, leaf first) are kept flat in stack_refs_ (stack i is [stack_begin_[i],
  // stack_begin_[i + 1])) with their records' values summed in stack_values_ (attrs * 2 per
  // stack), chained per hash (stack_heads_: hash -> first index, stack_next_: index -> next).
  // Finish turns them into profile_.samples once the symbolizer's memory is released.
  std::shared_ptr<SampleSpool> spool_;
  std::vector<uint32_t> stack_refs_;
  std::vector<uint64_t> stack_begin_ = {0};
  std::vector<int64_t> stack_values_;
  std::unordered_map<uint64_t, uint32_t> stack_heads_;
  std::vector<uint32_t> stack_next_;
  std::vector<int64_t> record_values_;
  std::vector<uint32_t> location_refs_;
  std::vector<Label> record_labels_;

  ZSTD_DCtx* zstd_ = nullptr;
  std::vector<uint8_t> decompressed_;  // carried-over bytes of a record split across payloads
};

Result<Profile> PerfDataParser::Run() {
  uint8_t hdr[kFileHeaderSize];
  GCSPIKE_ASSIGN_OR_RETURN(auto prefix, in_.Peek(kPipeHeaderSize));
  if (prefix.size() < kPipeHeaderSize) return MakeErrorAt(0, "perf.data header truncated");
  if (std::memcmp(prefix.data(), "2ELIFREP", 8) == 0) {
    return MakeErrorAt(0, "big-endian perf.data (recorded on a big-endian machine) is not "
                          "supported; convert it with perf on such a machine");
  }
  if (std::memcmp(prefix.data(), "PERFILE2", 8) != 0) {
    return MakeErrorAt(0, "bad perf.data magic (want \"PERFILE2\")");
  }
  uint64_t size = 0;
  std::memcpy(&size, prefix.data() + 8, 8);
  if (size == kPipeHeaderSize) {
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(kPipeHeaderSize));
    GCSPIKE_RETURN_IF_ERROR(ReadPipeMode());
  } else if (size == kFileHeaderSize) {
    GCSPIKE_ASSIGN_OR_RETURN(size_t got, in_.Read(hdr, sizeof hdr));
    size_t total = got;
    while (got != 0 && total < sizeof hdr) {
      GCSPIKE_ASSIGN_OR_RETURN(got, in_.Read(hdr + total, sizeof hdr - total));
      total += got;
    }
    if (total < sizeof hdr) {
      return MakeErrorAt(total, "perf.data file header truncated (" + std::to_string(total) +
                                    " of 104 bytes)");
    }
    GCSPIKE_RETURN_IF_ERROR(ReadFileMode(ByteCursor(std::span<const uint8_t>(hdr, sizeof hdr))));
  } else {
    return MakeErrorAt(8, "perf.data header size " + std::to_string(size) +
                              " is neither 104 (file) nor 16 (pipe)");
  }
  return Finish();
}

Status PerfDataParser::ReadFileMode(ByteCursor h) {
  GCSPIKE_RETURN_IF_ERROR(h.skip(16));  // magic, size
  const uint64_t attr_size_offset = h.offset();
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t attr_size, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t attrs_offset, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t attrs_size, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t data_offset, h.u64le());
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t data_size, h.u64le());
  GCSPIKE_RETURN_IF_ERROR(h.skip(16));  // event_types: legacy
  uint64_t features[4];
  for (uint64_t& f : features) {
    GCSPIKE_ASSIGN_OR_RETURN(f, h.u64le());
  }

  // Each attrs entry is {perf_event_attr; perf_file_section ids}
  // (docs/formats/perf-data.md#file-header).
  if (attr_size < kMinAttrSize + 16) {
    return MakeErrorAt(attr_size_offset, "attr_size " + std::to_string(attr_size) +
                                             " is smaller than an attr (64) plus its ids section");
  }
  if (attrs_size % attr_size != 0) {
    return MakeErrorAt(attr_size_offset + 16,
                       "attrs section size " + std::to_string(attrs_size) +
                           " is not a multiple of attr_size " + std::to_string(attr_size));
  }
  uint64_t data_end = 0;
  if (data_offset < kFileHeaderSize || !CheckedAdd(data_offset, data_size, &data_end) ||
      data_offset - kFileHeaderSize > kMaxPrelude) {
    return MakeErrorAt(attr_size_offset + 24, "data section [" + std::to_string(data_offset) +
                                                  ", +" + std::to_string(data_size) +
                                                  ") is not a plausible section after the header");
  }
  if (in_.size_hint() != 0 && data_end > in_.size_hint()) {
    return MakeErrorAt(attr_size_offset + 24,
                       "data section ends at byte " + std::to_string(data_end) +
                           " past the end of the file (" + std::to_string(in_.size_hint()) +
                           " bytes)");
  }
  // Attrs and their ids lie between the header and the data section in files perf writes;
  // hold that small prelude in memory so the stream is never rewound.
  std::vector<uint8_t> prelude(data_offset - kFileHeaderSize);
  GCSPIKE_RETURN_IF_ERROR(in_.ReadExact(prelude.data(), prelude.size()));
  ByteCursor pc(prelude, kFileHeaderSize);
  auto section = [&](uint64_t off, uint64_t sz, const char* what) -> Result<ByteCursor> {
    uint64_t end = 0;
    if (off < kFileHeaderSize || !CheckedAdd(off, sz, &end) || end > data_offset) {
      return MakeErrorAt(attr_size_offset, std::string(what) + " [" + std::to_string(off) +
                                               ", +" + std::to_string(sz) +
                                               ") is not between the header and the data section");
    }
    ByteCursor c = pc;
    GCSPIKE_RETURN_IF_ERROR(c.seek(off - kFileHeaderSize));
    return c.sub(sz);
  };
  GCSPIKE_ASSIGN_OR_RETURN(ByteCursor attrs, section(attrs_offset, attrs_size, "attrs section"));
  while (!attrs.empty()) {
    const uint64_t entry_offset = attrs.offset();
    GCSPIKE_ASSIGN_OR_RETURN(Attr attr, ParseAttr(attrs, attr_size - 16));
    GCSPIKE_RETURN_IF_ERROR(attrs.skip(attr_size - 16));
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t ids_offset, attrs.u64le());
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t ids_size, attrs.u64le());
    std::vector<uint64_t> ids;
    if (ids_size != 0) {
      GCSPIKE_ASSIGN_OR_RETURN(ByteCursor ic, section(ids_offset, ids_size, "event ids"));
      while (ic.remaining() >= 8) {
        GCSPIKE_ASSIGN_OR_RETURN(ids.emplace_back(), ic.u64le());
      }
    }
    GCSPIKE_RETURN_IF_ERROR(AddAttr(std::move(attr), ids, entry_offset));
  }
  if (attrs_.empty()) return MakeErrorAt(attr_size_offset + 8, "perf.data has no events (attrs)");

  while (in_.offset() < data_end) GCSPIKE_RETURN_IF_ERROR(ReadOneRecord(data_end));

  // Feature sections: one perf_file_section per set bit, right after the data
  // (docs/formats/perf-data.md#feature-sections).
  std::vector<int> bits;
  for (int bit = 0; bit < 256; ++bit) {
    if ((features[bit / 64] >> (bit % 64) & 1) != 0) bits.push_back(bit);
  }
  if (bits.empty()) return {};
  std::vector<uint8_t> table(bits.size() * 16);
  auto got = in_.Read(table.data(), table.size());
  GCSPIKE_RETURN_IF_ERROR(got.ok() ? Status() : Status(got.error()));
  if (*got < table.size()) {
    size_t total = *got;
    while (total < table.size()) {
      GCSPIKE_ASSIGN_OR_RETURN(size_t more, in_.Read(table.data() + total, table.size() - total));
      if (more == 0) break;
      total += more;
    }
    if (total < table.size()) {
      Warn("feature section table truncated at byte " + std::to_string(data_end + total) +
           "; host and build-id information is missing");
      return {};
    }
  }
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
    const bool wanted = s.bit == kFeatBuildId || s.bit == kFeatHostname ||
                        s.bit == kFeatOsRelease || s.bit == kFeatVersion ||
                        s.bit == kFeatCmdline || s.bit == kFeatEventDesc ||
                        s.bit == kFeatClockData;
    if (!wanted) continue;
    if (s.offset < in_.offset() || s.size > kMaxFeatureSection) {
      Warn("feature section " + std::to_string(s.bit) + " at byte " + std::to_string(s.offset) +
           " overlaps earlier data or is too large; skipped");
      continue;
    }
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(s.offset - in_.offset()));
    std::vector<uint8_t> body(s.size);
    GCSPIKE_RETURN_IF_ERROR(in_.ReadExact(body.data(), body.size()));
    GCSPIKE_RETURN_IF_ERROR(ProcessFeature(s.bit, ByteCursor(body, s.offset)));
  }
  // The sections not read must still be there: a file cut inside them (a copy interrupted
  // after the samples) is not silently taken for complete.
  uint64_t sections_end = in_.offset();
  for (const Section& s : sections) {
    if (s.size <= kMaxFeatureSection && s.offset >= data_end) {
      sections_end = std::max(sections_end, s.offset + s.size);
    }
  }
  if (sections_end > in_.offset()) {
    const uint64_t want = sections_end;
    if (!in_.Skip(want - in_.offset()).ok()) {
      Warn("the feature sections end at byte " + std::to_string(want) +
           " but the input ends at byte " + std::to_string(in_.offset()) +
           ": the file was cut short (its samples are complete)");
    }
  }
  return {};
}

Status PerfDataParser::ReadPipeMode() {
  while (true) {
    GCSPIKE_ASSIGN_OR_RETURN(auto peek, in_.Peek(1));
    if (peek.empty()) break;
    GCSPIKE_RETURN_IF_ERROR(ReadOneRecord(0));
  }
  if (attrs_.empty()) return MakeErrorAt(kPipeHeaderSize, "perf.data stream has no HEADER_ATTR");
  // perf record ends every round of samples it writes with FINISHED_ROUND, the last one
  // included (builtin-record.c, record__mmap_read_all): samples after the last FINISHED_ROUND
  // mean the stream was cut, here exactly at a record boundary (a cut inside a record is an
  // error above).
  if (saw_sample_ && last_record_type_ != kRecordFinishedRound) {
    Warn("the stream ends at byte " + std::to_string(in_.offset()) + " after a record of type " +
         std::to_string(last_record_type_) +
         ", not perf's closing FINISHED_ROUND: the recording was probably cut short");
  }
  return {};
}

Status PerfDataParser::ReadOneRecord(uint64_t end) {
  const uint64_t offset = in_.offset();
  if (options_.diagnostics != nullptr && (++records_read_ & 0xffff) == 0) {
    options_.diagnostics->Progress("reading perf.data", offset, in_.size_hint());
  }
  uint8_t header[8];
  size_t have = 0;
  while (have < sizeof header) {
    GCSPIKE_ASSIGN_OR_RETURN(size_t got, in_.Read(header + have, sizeof header - have));
    if (got == 0) break;
    have += got;
  }
  if (have < sizeof header) return MakeErrorAt(offset, "record header truncated");
  ByteCursor hc(std::span<const uint8_t>(header, sizeof header), offset);
  const uint32_t type = *hc.u32le();
  const uint16_t misc = *hc.u16le();
  const uint16_t size = *hc.u16le();
  last_record_type_ = type;
  if (type == kRecordSample) saw_sample_ = true;
  if (size < 8) {
    return MakeErrorAt(offset, "record size " + std::to_string(size) +
                                   " is smaller than its 8-byte header");
  }
  if (end != 0 && offset + size > end) {
    return MakeErrorAt(offset, "record of " + std::to_string(size) +
                                   " bytes runs past the end of the data section at byte " +
                                   std::to_string(end));
  }
  std::vector<uint8_t>& body = record_body_;
  body.resize(size - 8);
  if (!body.empty()) {
    size_t total = 0;
    while (total < body.size()) {
      GCSPIKE_ASSIGN_OR_RETURN(size_t got, in_.Read(body.data() + total, body.size() - total));
      if (got == 0) break;
      total += got;
    }
    if (total < body.size()) {
      return MakeErrorAt(offset, "record of " + std::to_string(size) +
                                     " bytes runs past the end of the input");
    }
  }
  GCSPIKE_RETURN_IF_ERROR(ProcessRecord(type, misc, ByteCursor(body, offset + 8), offset));
  // Records followed by payload not counted in header.size (docs/formats/perf-data.md#record-types,
  // #pipe-mode).
  if (type == kRecordAuxtrace || type == kRecordHeaderTracingData) {
    ByteCursor c(body, offset + 8);
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t extra, type == kRecordAuxtrace ? c.u64le() : [&]() {
      auto v = c.u32le();
      return v.ok() ? Result<uint64_t>(*v) : Result<uint64_t>(v.error());
    }());
    if (type == kRecordHeaderTracingData) extra = (extra + 7) & ~uint64_t{7};
    if (end != 0 && extra > end - in_.offset()) {
      return MakeErrorAt(offset, "payload after record runs past the end of the data section");
    }
    GCSPIKE_RETURN_IF_ERROR(in_.Skip(extra));
  }
  return {};
}

Status PerfDataParser::AddAttr(Attr attr, std::span<const uint64_t> ids, uint64_t offset) {
  // Every sample has one value pair per event, so events must all be known before samples.
  if (!profile_.samples.empty() || !stack_next_.empty()) {
    return MakeErrorAt(offset, "event attr after samples");
  }
  const size_t index = attrs_.size();
  for (uint64_t id : ids) attr_by_id_[id] = index;
  if (!attrs_.empty()) {
    // All events must put the sample id at the same place for samples to be attributed.
    const uint64_t id_bits = kSampleIdentifier | kSampleId;
    if ((attr.sample_type & id_bits) == 0) {
      return MakeErrorAt(offset, "several events but this one's samples carry no id");
    }
  }
  attrs_.push_back(std::move(attr));
  return {};
}

Status PerfDataParser::ProcessRecord(uint32_t type, uint16_t misc, ByteCursor c,
                                     uint64_t record_offset) {
  switch (type) {
    case kRecordSample:
      return ProcessSample(misc, c);
    case kRecordMmap:
    case kRecordMmap2: {
      Mmap m;
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t pid, c.u32le());
      GCSPIKE_RETURN_IF_ERROR(c.skip(4));  // tid
      GCSPIKE_ASSIGN_OR_RETURN(m.start, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(m.len, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(m.pgoff, c.u64le());
      if (type == kRecordMmap2) {
        if ((misc & kMiscMmapBuildId) != 0) {
          GCSPIKE_ASSIGN_OR_RETURN(uint8_t bid_size, c.u8());
          GCSPIKE_RETURN_IF_ERROR(c.skip(3));
          GCSPIKE_ASSIGN_OR_RETURN(auto bid, c.bytes(20));
          m.build_id = HexBytes(bid.first(std::min<size_t>(bid_size, 20)));
        } else {
          GCSPIKE_ASSIGN_OR_RETURN(m.maj, c.u32le());
          GCSPIKE_ASSIGN_OR_RETURN(m.min, c.u32le());
          GCSPIKE_ASSIGN_OR_RETURN(m.ino, c.u64le());
          GCSPIKE_ASSIGN_OR_RETURN(m.ino_generation, c.u64le());
          // Anonymous and special mappings record inode 0.
          m.has_inode = m.ino != 0;
        }
        GCSPIKE_RETURN_IF_ERROR(c.skip(8));  // prot, flags
      }
      m.filename = CString(c.rest());
      const size_t index = mmaps_.size();
      const bool kernel = (misc & kMiscCpumodeMask) == kMiscKernel || pid == 0xffffffffu;
      mmaps_.push_back(std::move(m));
      (kernel ? kernel_maps_ : maps_by_pid_[pid])[mmaps_.back().start] = index;
      ClearFrameCache();
      return {};
    }
    case kRecordComm: {
      GCSPIKE_RETURN_IF_ERROR(c.skip(4));  // pid
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t tid, c.u32le());
      comm_by_tid_[tid] = CString(c.rest());
      comm_id_by_tid_.clear();
      (void)kMiscCommExec;  // an exec keeps the pid; its new MMAPs override by start address
      return {};
    }
    case kRecordFork: {
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t pid, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t ppid, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t tid, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t ptid, c.u32le());
      // A new process inherits its parent's mappings and name; a new thread shares them.
      if (pid != ppid) {
        auto parent = maps_by_pid_.find(ppid);
        if (parent != maps_by_pid_.end()) maps_by_pid_[pid] = parent->second;
        ClearFrameCache();
      }
      comm_id_by_tid_.clear();
      auto name = comm_by_tid_.find(ptid);
      if (name != comm_by_tid_.end() && !comm_by_tid_.contains(tid)) {
        comm_by_tid_[tid] = name->second;
      }
      return {};
    }
    case kRecordExit:
      return {};
    case kRecordLost: {
      GCSPIKE_RETURN_IF_ERROR(c.skip(8));  // id
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t lost, c.u64le());
      lost_samples_ += lost;
      ++lost_records_;
      return {};
    }
    case kRecordFinishedRound:
      return {};  // we do not reorder (see Finish), so round boundaries carry no information
    case kRecordHeaderAttr: {
      // {perf_event_attr attr; u64 id[]} (docs/formats/perf-data.md#pipe-mode); attr.size says
      // where the ids start.
      ByteCursor peek = c;
      GCSPIKE_RETURN_IF_ERROR(peek.skip(4));
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t attr_size, peek.u32le());
      if (attr_size < kMinAttrSize || attr_size > c.remaining()) {
        return MakeErrorAt(c.offset() + 4, "HEADER_ATTR attr.size " + std::to_string(attr_size) +
                                               " does not fit its " +
                                               std::to_string(c.remaining()) + "-byte record");
      }
      GCSPIKE_ASSIGN_OR_RETURN(Attr attr, ParseAttr(c, attr_size));
      GCSPIKE_RETURN_IF_ERROR(c.skip(attr_size));
      std::vector<uint64_t> ids;
      while (c.remaining() >= 8) {
        GCSPIKE_ASSIGN_OR_RETURN(ids.emplace_back(), c.u64le());
      }
      return AddAttr(std::move(attr), ids, record_offset);
    }
    case kRecordHeaderFeature: {
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t feature, c.u64le());
      if (feature < 256) return ProcessFeature(static_cast<int>(feature), c);
      return {};
    }
    case kRecordHeaderBuildId:
      return ParseBuildIdEntry(misc, c);  // the record is one build_id_event
    case kRecordCompressed:
      return ProcessCompressed(c.rest(), c.offset());
    case kRecordCompressed2: {
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t data_size, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(auto payload, c.bytes(data_size));
      return ProcessCompressed(payload, c.offset() - data_size);
    }
    default:
      if (type <= kMaxKernelRecord || (type >= kRecordHeaderAttr && type <= kMaxUserRecord)) {
        return {};  // known, carries nothing we use (THROTTLE, KSYMBOL, BPF_EVENT, CPU_MAP, ...)
      }
      ++unknown_records_[type];
      return {};
  }
}

// COMPRESSED/COMPRESSED2 (docs/formats/perf-data.md#compression): one zstd stream across all such
// records; the decompressed bytes are ordinary records, and one may straddle two payloads.
Status PerfDataParser::ProcessCompressed(std::span<const uint8_t> payload, uint64_t offset) {
  if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
  if (zstd_ == nullptr) return MakeErrorAt(offset, "cannot allocate a zstd context");
  ZSTD_inBuffer input{payload.data(), payload.size(), 0};
  std::vector<uint8_t> chunk(ZSTD_DStreamOutSize());
  // Loop until the payload is consumed and zstd has nothing buffered (a full output chunk
  // means more may be pending).
  bool output_full = true;
  while (input.pos < input.size || output_full) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    const size_t rc = ZSTD_decompressStream(zstd_, &out, &input);
    if (ZSTD_isError(rc)) {
      return MakeErrorAt(offset + input.pos,
                         std::string("bad zstd data in COMPRESSED record: ") +
                             ZSTD_getErrorName(rc));
    }
    decompressed_.insert(decompressed_.end(), chunk.data(), chunk.data() + out.pos);
    output_full = out.pos == out.size;
    if (decompressed_.size() > (uint64_t{1} << 30)) {
      return MakeErrorAt(offset, "a decompressed record grew beyond 1 GiB");
    }
  }
  size_t pos = 0;
  while (decompressed_.size() - pos >= 8) {
    ByteCursor hc(std::span<const uint8_t>(decompressed_).subspan(pos, 8), offset);
    const uint32_t type = *hc.u32le();
    const uint16_t misc = *hc.u16le();
    const uint16_t size = *hc.u16le();
    if (size < 8) {
      return MakeErrorAt(offset, "record of size " + std::to_string(size) +
                                     " inside the COMPRESSED record at this offset");
    }
    if (decompressed_.size() - pos < size) break;  // completed by the next payload
    ByteCursor body(std::span<const uint8_t>(decompressed_).subspan(pos + 8, size - 8), offset);
    if (type == kRecordCompressed || type == kRecordCompressed2) {
      return MakeErrorAt(offset, "nested COMPRESSED record");
    }
    GCSPIKE_RETURN_IF_ERROR(ProcessRecord(type, misc, body, offset));
    pos += size;
  }
  decompressed_.erase(decompressed_.begin(), decompressed_.begin() + static_cast<ptrdiff_t>(pos));
  return {};
}

Status PerfDataParser::ParseBuildIds(ByteCursor c) {
  // A sequence of build_id_event {perf_event_header; pid_t pid; u8 build_id[24];
  // char filename[]} (docs/formats/perf-data.md#feature-sections).
  while (!c.empty()) {
    const uint64_t offset = c.offset();
    GCSPIKE_RETURN_IF_ERROR(c.skip(4));
    GCSPIKE_ASSIGN_OR_RETURN(uint16_t misc, c.u16le());
    GCSPIKE_ASSIGN_OR_RETURN(uint16_t size, c.u16le());
    if (size < 8) {
      return MakeErrorAt(offset, "build id entry of " + std::to_string(size) +
                                     " bytes is smaller than its header");
    }
    GCSPIKE_ASSIGN_OR_RETURN(ByteCursor e, c.sub(size - 8));
    GCSPIKE_RETURN_IF_ERROR(ParseBuildIdEntry(misc, e));
  }
  return {};
}

// The part of a build_id_event after its header: pid, build_id[24], filename.
Status PerfDataParser::ParseBuildIdEntry(uint16_t misc, ByteCursor e) {
  GCSPIKE_RETURN_IF_ERROR(e.skip(4));  // pid
  GCSPIKE_ASSIGN_OR_RETURN(auto id, e.bytes(24));
  size_t n = 20;
  if ((misc & kMiscBuildIdSize) != 0) n = std::min<size_t>(id[20], 20);
  build_id_by_file_[CString(e.rest())] = HexBytes(id.first(n));
  return {};
}

Status PerfDataParser::ProcessFeature(int feature, ByteCursor c) {
  switch (feature) {
    case kFeatBuildId:
      return ParseBuildIds(c);
    case kFeatHostname:
    case kFeatOsRelease:
    case kFeatVersion: {
      GCSPIKE_ASSIGN_OR_RETURN(std::string s, HeaderString(c));
      const char* key = feature == kFeatHostname    ? "hostname: "
                        : feature == kFeatOsRelease ? "os-release: "
                                                    : "perf-version: ";
      if (feature == kFeatOsRelease) os_release_ = s;
      profile_.comments.push_back(profile_.Intern(key + s));
      return {};
    }
    case kFeatCmdline: {
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr, c.u32le());
      std::string line;
      for (uint32_t i = 0; i < nr; ++i) {
        GCSPIKE_ASSIGN_OR_RETURN(std::string arg, HeaderString(c));
        if (!line.empty()) line += ' ';
        line += arg;
      }
      profile_.comments.push_back(profile_.Intern("perf-command: " + line));
      return {};
    }
    case kFeatEventDesc: {
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr, c.u32le());
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t attr_size, c.u32le());
      event_desc_names_.clear();
      for (uint32_t i = 0; i < nr; ++i) {
        GCSPIKE_RETURN_IF_ERROR(c.skip(attr_size));
        GCSPIKE_ASSIGN_OR_RETURN(uint32_t nr_ids, c.u32le());
        GCSPIKE_ASSIGN_OR_RETURN(std::string name, HeaderString(c));
        for (uint32_t k = 0; k < nr_ids; ++k) {
          GCSPIKE_ASSIGN_OR_RETURN(uint64_t id, c.u64le());
          event_desc_name_by_id_[id] = name;
        }
        event_desc_names_.push_back(std::move(name));
      }
      return {};
    }
    case kFeatClockData: {
      // {u32 version, clockid; u64 wall_clock_ns, clockid_time_ns}: one instant on both clocks
      // (perf record -k), which places the samples' clock on the wall clock.
      GCSPIKE_RETURN_IF_ERROR(c.skip(8));
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t wall, c.u64le());
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t clock, c.u64le());
      clock_data_ = std::make_pair(wall, clock);
      return {};
    }
    default:
      return {};
  }
}

Result<size_t> PerfDataParser::AttrIndexForSample(ByteCursor c) const {
  if (attrs_.size() == 1) return size_t{0};
  // 5.4: IDENTIFIER is the first u64; otherwise ID sits after IP, TID, TIME and ADDR.
  const uint64_t st = attrs_[0].sample_type;
  size_t skip = 0;
  if ((st & kSampleIdentifier) == 0) {
    for (uint64_t bit : {kSampleIp, kSampleTid, kSampleTime, kSampleAddr}) {
      if ((st & bit) != 0) ++skip;
    }
  }
  GCSPIKE_RETURN_IF_ERROR(c.skip(skip * 8));
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t id, c.u64le());
  auto it = attr_by_id_.find(id);
  if (it == attr_by_id_.end()) return SIZE_MAX;
  return it->second;
}

Status PerfDataParser::ProcessSample(uint16_t misc, ByteCursor c) {
  const uint64_t record_at = c.offset() - 8;  // the record's header
  if (attrs_.empty()) return MakeErrorAt(record_at, "SAMPLE record before any event attr");
  GCSPIKE_ASSIGN_OR_RETURN(size_t ai, AttrIndexForSample(c));
  if (ai == SIZE_MAX) {
    ++unknown_id_samples_;
    return {};
  }
  const Attr& attr = attrs_[ai];
  const uint64_t st = attr.sample_type;
  uint64_t ip = 0, time = 0, period = attr.sample_period;
  uint32_t pid = 0, tid = 0;
  bool has_tid = false, has_time = false;
  if ((st & kSampleIdentifier) != 0) GCSPIKE_RETURN_IF_ERROR(c.skip(8));
  if ((st & kSampleIp) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(ip, c.u64le());
  }
  if ((st & kSampleTid) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(pid, c.u32le());
    GCSPIKE_ASSIGN_OR_RETURN(tid, c.u32le());
    has_tid = true;
  }
  if ((st & kSampleTime) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(time, c.u64le());
    has_time = true;
  }
  for (uint64_t bit : {kSampleAddr, kSampleId, kSampleStreamId, kSampleCpu}) {
    if ((st & bit) != 0) GCSPIKE_RETURN_IF_ERROR(c.skip(8));
  }
  if ((st & kSamplePeriod) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(period, c.u64le());
  }
  if ((st & kSampleRead) != 0) {
    const uint64_t rf = attr.read_format;
    const uint64_t per_value = 1 + ((rf & kReadId) != 0) + ((rf & kReadLost) != 0);
    const uint64_t times = ((rf & kReadTotalTimeEnabled) != 0) + ((rf & kReadTotalTimeRunning) != 0);
    if ((rf & kReadGroup) != 0) {
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t nr, c.u64le());
      uint64_t bytes = 0;
      if (!CheckedMul(nr, per_value * 8, &bytes)) return c.error_here("READ group count overflows");
      GCSPIKE_RETURN_IF_ERROR(c.skip(times * 8));
      GCSPIKE_RETURN_IF_ERROR(c.skip(bytes));
    } else {
      GCSPIKE_RETURN_IF_ERROR(c.skip((per_value + times) * 8));
    }
  }
  // Callchain (docs/formats/perf-data.md#callchains): markers switch kernel/user context and are
  // not frames; the first entry repeats the sample IP; later entries are return addresses, except
  // the first of each context (the user PC at which the kernel was entered).
  const bool sample_in_kernel = (misc & kMiscCpumodeMask) == kMiscKernel;
  std::vector<uint32_t>& location_refs = location_refs_;  // reused: one per sample is costly
  location_refs.clear();
  if ((st & kSampleCallchain) != 0) {
    const uint64_t nr_offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t nr, c.u64le());
    if (nr > c.remaining() / 8) {
      return MakeErrorAt(nr_offset, "callchain of " + std::to_string(nr) +
                                        " entries runs past the end of its record");
    }
    bool kernel = sample_in_kernel;
    bool first = true;
    const uint8_t* entries = c.rest().data();  // nr * 8 bytes, checked above
    GCSPIKE_RETURN_IF_ERROR(c.skip(nr * 8));
    for (uint64_t i = 0; i < nr; ++i) {
      uint64_t a;
      std::memcpy(&a, entries + i * 8, 8);
      if (a >= kContextMax) {
        if (a == kContextKernel) kernel = true;
        if (a == kContextUser) kernel = false;
        // The first frame of each context is the interrupted PC, not a return address.
        first = true;
        continue;
      }
      location_refs.push_back(CachedFrameRef(pid, a, kernel, !first));
      first = false;
    }
  }
  if ((st & kSampleRaw) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t raw_size, c.u32le());
    GCSPIKE_RETURN_IF_ERROR(c.skip(raw_size));
  }
  if ((st & kSampleBranchStack) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t nr, c.u64le());
    if ((attr.branch_sample_type & kBranchHwIndex) != 0) GCSPIKE_RETURN_IF_ERROR(c.skip(8));
    uint64_t bytes = 0;
    if (!CheckedMul(nr, 24, &bytes)) return c.error_here("branch stack count overflows");
    GCSPIKE_RETURN_IF_ERROR(c.skip(bytes));
  }
  // --call-graph dwarf (docs/formats/perf-data.md#sample-record-layout): the user registers and a
  // copy of the top of the user stack, unwound here, at sample time, so the stack bytes are never
  // kept.
  UserRegs user_regs;
  std::span<const uint8_t> user_stack;
  if ((st & kSampleRegsUser) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(user_regs, ParseRegsUser(c, attr.sample_regs_user));
  }
  if ((st & kSampleStackUser) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(user_stack, ParseStackUser(c));
    ++dwarf_samples_;
    bool callchain_has_user = false;
    for (uint32_t r : location_refs) callchain_has_user |= !frames_[r - 1].kernel;
    std::vector<uint64_t>& pcs = unwound_pcs_;
    UnwindMethod method = UnwindMethod::kIpOnly;
    if (!callchain_has_user && user_regs.Has(kPerfRegIp)) {
      const ImageLookup lookup = [&](uint64_t addr, MappedImage* out) {
        int64_t index = -1;
        const Mmap* m = FindMmap(pid, addr, &index);
        if (m == nullptr || m->filename.empty() || m->filename[0] == '[' ||
            m->filename.rfind("//", 0) == 0 || m->filename.rfind("/memfd:", 0) == 0) {
          return false;
        }
        out->image = unwind_images_.Get(m->filename, Recorded(*m, RecordedBuildId(*m)));
        out->start = m->start;
        out->len = m->len;
        out->pgoff = m->pgoff;
        return out->image != nullptr;
      };
      // The address space changes with the process and with every new mapping.
      method = unwinder_.Unwind(user_regs, user_stack, lookup,
                                uint64_t{pid} << 32 ^ mmaps_.size(), &pcs);
      // Kernel frames (callchain) stay leaf-most; the user IP, then return addresses, follow.
      for (size_t i = 0; i < pcs.size(); ++i) {
        RawFrame f;
        f.address = pcs[i];
        f.caller = i != 0;
        f.pid = pid;
        FindMmap(pid, pcs[i], &f.mmap_index);
        location_refs.push_back(InternFrame(f));
      }
    }
    // A user callchain recorded as well (perf record --user-callchains) is the stack already.
    if (callchain_has_user) {
      ++user_callchain_samples_;
    } else {
      ++unwound_by_[static_cast<size_t>(method)];
    }
  }
  bool has_user_frame = false;
  for (uint32_t r : location_refs) has_user_frame |= !frames_[r - 1].kernel;
  if (location_refs.empty() || (!has_user_frame && !sample_in_kernel && (st & kSampleIp) != 0)) {
    // No callchain (or, in dwarf mode, only its kernel part): the IP is the user leaf.
    RawFrame f;
    f.address = ip;
    f.kernel = sample_in_kernel;
    f.pid = pid;
    FindMmap(sample_in_kernel ? 0xffffffffu : pid, ip, &f.mmap_index);
    if (location_refs.empty() || !sample_in_kernel) {
      const uint32_t ref = InternFrame(f);
      if (location_refs.empty()) {
        location_refs.push_back(ref);
      } else if (!has_user_frame) {
        location_refs.push_back(ref);  // kernel frames stay leaf-most; the user IP is below
      }
    }
  }

  // Values are signed (profile.proto int64): a period past 2^63 - 1 is corrupt, not a count.
  if (period > static_cast<uint64_t>(INT64_MAX)) {
    return MakeErrorAt(record_at, "SAMPLE record has period " + std::to_string(period) +
                                      ", beyond the largest value a profile holds (2^63 - 1)");
  }
  std::vector<int64_t>& values = record_values_;
  values.assign(attrs_.size() * 2, 0);
  values[ai * 2] = 1;
  values[ai * 2 + 1] = static_cast<int64_t>(period);
  std::vector<Label>& labels = record_labels_;
  labels.clear();
  if (has_tid) {
    const StrId pid_key = Key(pid_key_, "pid");
    labels.push_back({pid_key, 0, pid, pid_key, true});
    const StrId tid_key = Key(tid_key_, "tid");
    labels.push_back({tid_key, 0, tid, tid_key, true});
    auto [cached, missing] = comm_id_by_tid_.try_emplace(tid, 0);
    if (missing) {
      // A thread whose FORK came out of order (docs/formats/perf-data.md#ordering) has no name yet:
      // use its process's.
      auto name = comm_by_tid_.find(tid);
      if (name == comm_by_tid_.end()) name = comm_by_tid_.find(pid);
      if (name != comm_by_tid_.end()) {
        Key(comm_key_, "comm");  // the key's string before the first name's
        cached->second = profile_.Intern(name->second);
      }
    }
    if (cached->second != 0) labels.push_back({comm_key_, cached->second, 0, 0, false});
  }
  if (has_time) {
    const auto t = static_cast<int64_t>(time);
    const StrId time_key = Key(time_key_, "timestamp_ns");
    labels.push_back({time_key, 0, t, Key(ns_unit_, "nanoseconds"), true});
    first_time_ = std::min(first_time_, t);
    last_time_ = std::max(last_time_, t);
  }
  if (spool_ != nullptr) {
    const uint32_t stack = InternStack(location_refs);
    int64_t* sums = &stack_values_[stack * attrs_.size() * 2];
    sums[ai * 2] += 1;
    if (__builtin_add_overflow(sums[ai * 2 + 1], static_cast<int64_t>(period), &sums[ai * 2 + 1])) {
      return MakeErrorAt(record_at, "the periods of one stack's samples add up past 2^63 - 1 "
                                    "at this SAMPLE record");
    }
    spool_->Append(stack, values, labels);
    return {};
  }
  Sample s;
  s.location_ids.assign(location_refs.begin(), location_refs.end());
  s.values = values;
  s.labels = labels;
  profile_.samples.push_back(std::move(s));
  return {};
}

const std::string& PerfDataParser::RecordedBuildId(const Mmap& m) const {
  if (!m.build_id.empty()) return m.build_id;
  static const std::string kNone;
  auto b = build_id_by_file_.find(m.filename);
  return b != build_id_by_file_.end() ? b->second : kNone;
}

uint32_t PerfDataParser::InternStack(std::span<const uint32_t> refs) {
  uint64_t h = 0xcbf29ce484222325ULL ^ refs.size();
  for (uint32_t r : refs) h = (h ^ r) * 0x100000001b3ULL;
  auto [head, inserted] = stack_heads_.try_emplace(h, UINT32_MAX);
  for (uint32_t i = head->second; i != UINT32_MAX; i = stack_next_[i]) {
    const auto first = stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i]);
    const auto last = stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i + 1]);
    if (std::equal(first, last, refs.begin(), refs.end())) return i;
  }
  const auto index = static_cast<uint32_t>(stack_next_.size());
  stack_refs_.insert(stack_refs_.end(), refs.begin(), refs.end());
  stack_begin_.push_back(stack_refs_.size());
  stack_values_.resize(stack_values_.size() + attrs_.size() * 2, 0);
  stack_next_.push_back(head->second);
  head->second = index;
  return index;
}

const Mmap* PerfDataParser::FindMmap(uint32_t pid, uint64_t addr, int64_t* index) const {
  *index = -1;
  const std::map<uint64_t, size_t>* maps = nullptr;
  if (pid == 0xffffffffu) {
    maps = &kernel_maps_;
  } else {
    auto it = maps_by_pid_.find(pid);
    if (it == maps_by_pid_.end()) return nullptr;
    maps = &it->second;
  }
  auto it = maps->upper_bound(addr);
  if (it == maps->begin()) return nullptr;
  --it;
  const Mmap& m = mmaps_[it->second];
  // Kernel maps are recorded with huge lengths; user maps must contain the address.
  if (addr - m.start >= m.len) return nullptr;
  *index = static_cast<int64_t>(it->second);
  return &m;
}

uint32_t PerfDataParser::CachedFrameRef(uint32_t pid, uint64_t address, bool kernel,
                                        bool caller) {
  const uint32_t flags = (kernel ? 2u : 0u) | (caller ? 1u : 0u);
  uint64_t h = (address ^ (static_cast<uint64_t>(pid) << 32 | flags)) * 0x9e3779b97f4a7c15ULL;
  const size_t mask = frame_cache_.size() - 1;
  for (size_t i = static_cast<size_t>(h >> 32) & mask;; i = (i + 1) & mask) {
    CachedFrame& e = frame_cache_[i];
    if (e.ref_and_flags == 0) break;
    if (e.address == address && e.pid == pid && (e.ref_and_flags & 3u) == flags) {
      return e.ref_and_flags >> 2;
    }
  }
  RawFrame f;
  f.address = address;
  f.kernel = kernel;
  f.caller = caller;
  f.pid = pid;
  FindMmap(kernel ? 0xffffffffu : pid, address, &f.mmap_index);
  const uint32_t ref = InternFrame(f);
  if (ref >= (1u << 30)) return ref;  // too many frames to cache; still correct
  if ((frame_cache_used_ + 1) * 2 > frame_cache_.size()) {
    // Grow: the old entries are dropped (they are found again through InternFrame).
    frame_cache_.assign(frame_cache_.size() * 2, CachedFrame());
    frame_cache_used_ = 0;
  }
  const size_t m = frame_cache_.size() - 1;
  for (size_t i = static_cast<size_t>(h >> 32) & m;; i = (i + 1) & m) {
    if (frame_cache_[i].ref_and_flags == 0) {
      frame_cache_[i] = {address, pid, ref << 2 | flags};
      break;
    }
  }
  ++frame_cache_used_;
  return ref;
}

uint32_t PerfDataParser::InternFrame(const RawFrame& f) {
  RawFrame key = f;
  if (key.mmap_index >= 0) key.pid = 0;  // the mapping identifies the address space
  auto [it, inserted] = frame_index_.try_emplace(key, static_cast<uint32_t>(frames_.size() + 1));
  if (inserted) frames_.push_back(key);
  return it->second;
}

std::vector<Line> PerfDataParser::SymbolizeFrame(const RawFrame& f, uint64_t* mapping_id) {
  *mapping_id = 0;
  std::vector<Line> lines;
  int64_t index = f.mmap_index;
  if (index < 0 && !f.kernel) FindMmap(f.pid, f.address, &index);
  const Mmap* m = index >= 0 ? &mmaps_[static_cast<size_t>(index)] : nullptr;
  const uint64_t lookup = f.caller ? f.address - 1 : f.address;
  Mapping mapping;
  if (m != nullptr) {
    mapping.memory_start = m->start;
    mapping.memory_limit = m->start + m->len;
    mapping.file_offset = m->pgoff;
    mapping.filename = profile_.Intern(m->filename);
    mapping.build_id = profile_.Intern(RecordedBuildId(*m));
  }
  if (f.kernel) {
    std::string_view name =
        kernel_symbols_.has_value() ? kernel_symbols_->Lookup(lookup) : std::string_view();
    if (name.empty()) name = "[kernel]";
    mapping.has_functions = true;
    if (m != nullptr) *mapping_id = builder_.InternMapping(mapping);
    lines.push_back({builder_.InternFunction(name, ""), 0, 0});
    return lines;
  }
  if (m == nullptr) return lines;
  const ElfSymbolizer* bin = nullptr;
  const bool pseudo = m->filename.empty() || m->filename[0] == '[' ||
                      m->filename.rfind("//", 0) == 0 || m->filename.rfind("/memfd:", 0) == 0;
  if (!pseudo) {
    std::string warning;
    bin = binaries_->Get(m->filename, Recorded(*m, std::string(profile_.str(mapping.build_id))),
                         &warning);
    if (!warning.empty()) Warn(warning);
  } else if (m->filename == "[vdso]" && !options_.kallsyms.empty()) {
    // The vDSO is the kernel's: ours is the recorded one if the build ids agree or, without a
    // recorded build id, if the recording names the running kernel release.
    const std::string build_id(profile_.str(mapping.build_id));
    struct utsname u;
    if (!build_id.empty() || (uname(&u) == 0 && os_release_ == u.release)) {
      bin = binaries_->RunningVdso(build_id);
    }
  }
  if (bin != nullptr) {
    mapping.has_functions = bin->has_symbols();
    mapping.has_filenames = mapping.has_line_numbers = mapping.has_inline_frames =
        bin->has_dwarf();
    std::vector<SourceFrame> frames;
    if (auto vaddr = bin->FileOffsetToVaddr(lookup - m->start + m->pgoff); vaddr.has_value()) {
      frames = bin->Symbolize(*vaddr);
    }
    // A "return address" that starts a function (a signal frame's restorer, pushed by the
    // kernel rather than by a call) has nothing at address - 1: use the address itself.
    if (frames.empty() && f.caller) {
      if (auto vaddr = bin->FileOffsetToVaddr(f.address - m->start + m->pgoff)) {
        frames = bin->Symbolize(*vaddr);
      }
    }
    {
      for (const SourceFrame& sf : frames) {
        lines.push_back({builder_.InternFunction(sf.function, sf.file), sf.line, 0});
      }
    }
  }
  *mapping_id = builder_.InternMapping(mapping);
  return lines;
}

void PerfDataParser::LoadKernelSymbols() {
  std::vector<uint64_t> lookups;
  for (const RawFrame& f : frames_) {
    if (f.kernel) lookups.push_back(f.caller ? f.address - 1 : f.address);
  }
  if (lookups.empty() || options_.kallsyms.empty()) return;
  struct utsname u;
  if (uname(&u) != 0 || (!os_release_.empty() && os_release_ != u.release)) return;
  std::sort(lookups.begin(), lookups.end());
  lookups.erase(std::unique(lookups.begin(), lookups.end()), lookups.end());
  kernel_symbols_ = KernelSymbols::Load(options_.kallsyms, lookups);
}

Result<Profile> PerfDataParser::Finish() {
  // Sample types: two per event (see the header comment).
  for (size_t i = 0; i < attrs_.size(); ++i) {
    Attr& a = attrs_[i];
    if (event_desc_names_.size() == attrs_.size()) a.name = event_desc_names_[i];
    for (const auto& [id, index] : attr_by_id_) {
      if (index != i) continue;
      auto n = event_desc_name_by_id_.find(id);
      if (n != event_desc_name_by_id_.end()) a.name = n->second;
    }
    if (a.name.empty()) a.name = DefaultEventName(a);
    const bool clock = a.type == 1 && (a.config == 0 || a.config == 1);
    profile_.sample_types.push_back({profile_.Intern(a.name + "_samples"),
                                     profile_.Intern("count")});
    profile_.sample_types.push_back({profile_.Intern(a.name + "_period"),
                                     profile_.Intern(clock ? "nanoseconds" : "events")});
  }
  profile_.period_type = profile_.sample_types[1];
  if ((attrs_[0].flags & kAttrFlagFreq) == 0) {
    profile_.period = static_cast<int64_t>(attrs_[0].sample_period);
  }
  if (first_time_ <= last_time_) profile_.duration_nanos = last_time_ - first_time_;
  if (first_time_ <= last_time_ && clock_data_.has_value()) {
    const auto [wall, clock] = *clock_data_;
    profile_.time_nanos = static_cast<int64_t>(wall) + (first_time_ - static_cast<int64_t>(clock));
  }

  // What only reading needed goes before the symbolizer loads the binaries, and the stacks
  // shed their growth slack: memory peaks while symbolizing.
  frame_cache_ = {};
  frame_index_ = {};
  stack_heads_ = {};
  record_body_ = {};
  stack_refs_.shrink_to_fit();
  stack_begin_.shrink_to_fit();
  stack_values_.shrink_to_fit();
  stack_next_.shrink_to_fit();
  profile_.locations.reserve(frames_.size());
  LoadKernelSymbols();
  std::vector<uint64_t> location_of_frame(frames_.size());
  for (size_t i = 0; i < frames_.size(); ++i) {
    if (options_.diagnostics != nullptr && (i & 0xff) == 0) {
      options_.diagnostics->Progress("symbolizing", i, frames_.size());
    }
    uint64_t mapping_id = 0;
    std::vector<Line> lines = SymbolizeFrame(frames_[i], &mapping_id);
    location_of_frame[i] = builder_.InternLocation(mapping_id, frames_[i].address, lines);
  }
  // The symbolizer (binaries, DWARF, kernel symbols) is done: release it before the stack
  // samples are built, so the two never take memory at once.
  binaries_.reset();
  kernel_symbols_.reset();
  // Without kernel symbols, consecutive kernel frames collapse into one "[kernel]" frame.
  auto to_location_ids = [&](auto first, auto last) {
    std::vector<uint64_t> ids;
    ids.reserve(static_cast<size_t>(last - first));
    for (auto it = first; it != last; ++it) {
      const uint64_t id = location_of_frame[*it - 1];
      if (!ids.empty() && ids.back() == id && frames_[*it - 1].kernel) continue;
      ids.push_back(id);
    }
    return ids;
  };
  if (spool_ != nullptr) {
    const size_t n = stack_next_.size();
    const size_t width = attrs_.size() * 2;
    stack_next_ = {};
    profile_.samples.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      Sample s;
      s.location_ids = to_location_ids(stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i]),
                                       stack_refs_.begin() + static_cast<ptrdiff_t>(stack_begin_[i + 1]));
      s.values.assign(stack_values_.begin() + static_cast<ptrdiff_t>(i * width),
                      stack_values_.begin() + static_cast<ptrdiff_t>((i + 1) * width));
      profile_.samples.push_back(std::move(s));
    }
    stack_refs_ = {};
    stack_begin_ = {};
    stack_values_ = {};
  } else {
    for (Sample& s : profile_.samples) {
      s.location_ids = to_location_ids(s.location_ids.begin(), s.location_ids.end());
    }
  }

  if (lost_samples_ != 0) {
    Warn(std::to_string(lost_samples_) + " samples were lost while recording (" +
         std::to_string(lost_records_) + " PERF_RECORD_LOST records)");
  }
  if (unknown_id_samples_ != 0) {
    Warn(std::to_string(unknown_id_samples_) + " samples name an event id no attr declares; "
                                               "skipped");
  }
  if (dwarf_samples_ != 0) {
    Warn(std::to_string(dwarf_samples_) + " samples with --call-graph dwarf stacks: " +
         std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kCfi)]) +
         " unwound by CFI" + unwinder_.CfiSourceSuffix() + ", " +
         std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kFramePointers)]) +
         " by frame pointers, " +
         std::to_string(unwound_by_[static_cast<size_t>(UnwindMethod::kIpOnly)]) + " IP only" +
         (user_callchain_samples_ != 0
              ? ", " + std::to_string(user_callchain_samples_) + " from the recorded callchain"
              : std::string()));
    unwind_images_.Clear();  // every sample is unwound: release the mapped files
  }
  for (const auto& [type, count] : unknown_records_) {
    Warn("skipped " + std::to_string(count) + " records of unknown type " + std::to_string(type));
  }
  if (!decompressed_.empty()) {
    Warn(std::to_string(decompressed_.size()) +
         " trailing bytes of compressed records do not form a whole record; ignored");
  }
  if (spool_ != nullptr) {
    GCSPIKE_RETURN_IF_ERROR(spool_->Close());
    profile_.spool = std::move(spool_);
  }
  GCSPIKE_RETURN_IF_ERROR(profile_.Validate());
  return std::move(profile_);
}

}  // namespace

Result<Profile> ReadPerfData(InputSource& in, const ReadOptions& options) {
  PerfDataParser parser(in, options);
  return parser.Run();
}

}  // namespace gcspike
