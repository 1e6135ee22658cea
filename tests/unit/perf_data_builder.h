// Typed builders for perf.data inputs in tests: attrs, records (COMM, MMAP, MMAP2, FORK, LOST,
// SAMPLE laid out by its attr's sample_type, FINISHED_ROUND, COMPRESSED, ...) and the whole
// file in file mode (header, attrs with ids, data, feature sections) or pipe mode (HEADER_ATTR
// and HEADER_FEATURE records). Layouts: docs/formats/perf-data.md.
#pragma once

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "formats/perf_event_abi.h"
#include "tests/unit/test_support.h"

namespace gcspike::testing {

// Little-endian byte assembly.
class PerfBytes {
 public:
  PerfBytes& u8(uint8_t v) { return le(v, 1); }
  PerfBytes& u16(uint16_t v) { return le(v, 2); }
  PerfBytes& u32(uint32_t v) { return le(v, 4); }
  PerfBytes& u64(uint64_t v) { return le(v, 8); }
  // `s` NUL-padded to `padded` bytes (cut when longer).
  PerfBytes& str(const std::string& s, size_t padded) {
    const size_t n = std::min(s.size(), padded);
    v.insert(v.end(), s.begin(), s.begin() + static_cast<ptrdiff_t>(n));
    v.resize(v.size() + padded - n, 0);
    return *this;
  }
  PerfBytes& raw(const std::vector<uint8_t>& b) {
    v.insert(v.end(), b.begin(), b.end());
    return *this;
  }
  std::vector<uint8_t> v;

 private:
  PerfBytes& le(uint64_t x, int n) {
    PutLe(v, x, n);
    return *this;
  }
};

struct PerfAttrSpec {
  uint32_t type = perf::attr_type::kSoftware;
  uint64_t config = perf::sw::kCpuClock;
  uint64_t sample_period = 999;  // a frequency with kFlagFreq
  uint64_t sample_type = perf::sample::kIp | perf::sample::kTid | perf::sample::kTime |
                         perf::sample::kCallchain | perf::sample::kPeriod;
  uint64_t read_format = 0;
  uint64_t flags = perf::attr::kFlagFreq;
  uint64_t branch_sample_type = 0;
  uint64_t sample_regs_user = 0;
  uint32_t size = 128;        // perf 6.1's perf_event_attr
  std::vector<uint64_t> ids;  // the ids its samples carry (several events)
};

// perf_event_attr bytes (`size` of them).
inline std::vector<uint8_t> PerfAttrBytes(const PerfAttrSpec& a) {
  PerfBytes b;
  b.u32(a.type).u32(a.size).u64(a.config).u64(a.sample_period).u64(a.sample_type);
  b.u64(a.read_format).u64(a.flags).u32(0).u32(0).u64(0).u64(0);  // wakeup, bp_type, config1
  b.u64(a.branch_sample_type).u64(a.sample_regs_user);
  b.v.resize(a.size, 0);
  return b.v;
}

inline std::vector<uint8_t> PerfRecord(uint32_t type, uint16_t misc,
                                       const std::vector<uint8_t>& body) {
  PerfBytes r;
  r.u32(type).u16(misc).u16(static_cast<uint16_t>(perf::kRecordHeaderSize + body.size()));
  return r.raw(body).v;
}

struct PerfBranch {
  uint64_t from = 0, to = 0, flags = 0;
};

// One SAMPLE; only the fields its attr's sample_type names are written.
struct PerfSampleSpec {
  uint16_t misc = perf::misc::kUser;
  uint64_t id = 0;  // IDENTIFIER, ID
  uint64_t ip = 0;
  uint32_t pid = 0, tid = 0;
  uint64_t time = 0;
  uint64_t period = 1000003;
  std::vector<uint64_t> read_values;  // READ, as many u64 as read_format lays out
  std::vector<uint64_t> callchain;    // context markers included
  std::vector<uint8_t> raw;
  std::vector<PerfBranch> branches;
  uint64_t branch_hw_index = 0;
  uint64_t regs_abi = 2;       // PERF_SAMPLE_REGS_ABI_64
  std::vector<uint64_t> regs;  // one per bit of sample_regs_user
  std::vector<uint8_t> stack;  // STACK_USER copy
  uint64_t stack_dyn_size = 0;
};

inline std::vector<uint8_t> PerfSampleBody(const PerfAttrSpec& a, const PerfSampleSpec& s) {
  namespace sample = perf::sample;
  const uint64_t st = a.sample_type;
  PerfBytes b;
  if (st & sample::kIdentifier) b.u64(s.id);
  if (st & sample::kIp) b.u64(s.ip);
  if (st & sample::kTid) b.u32(s.pid).u32(s.tid);
  if (st & sample::kTime) b.u64(s.time);
  if (st & sample::kAddr) b.u64(0);
  if (st & sample::kId) b.u64(s.id);
  if (st & sample::kStreamId) b.u64(s.id);
  if (st & sample::kCpu) b.u32(0).u32(0);
  if (st & sample::kPeriod) b.u64(s.period);
  if (st & sample::kRead) {
    for (uint64_t v : s.read_values) b.u64(v);
  }
  if (st & sample::kCallchain) {
    b.u64(s.callchain.size());
    for (uint64_t x : s.callchain) b.u64(x);
  }
  if (st & sample::kRaw) b.u32(static_cast<uint32_t>(s.raw.size())).raw(s.raw);
  if (st & sample::kBranchStack) {
    b.u64(s.branches.size());
    if (a.branch_sample_type & perf::attr::kBranchHwIndex) b.u64(s.branch_hw_index);
    for (const PerfBranch& br : s.branches) b.u64(br.from).u64(br.to).u64(br.flags);
  }
  if (st & sample::kRegsUser) {
    b.u64(s.regs_abi);
    for (uint64_t r : s.regs) b.u64(r);
  }
  if (st & sample::kStackUser) {
    b.u64(s.stack.size()).raw(s.stack);
    if (!s.stack.empty()) b.u64(s.stack_dyn_size);
  }
  return b.v;
}

// perf's tracing data (docs/formats/perf-data.md#tracing-data) with one format text
// "name: NAME\nID: ID\n..." per {system, name, id}.
struct PerfTracepoint {
  std::string system, name;
  uint64_t id = 0;
};
inline std::vector<uint8_t> PerfTracingData(const std::vector<PerfTracepoint>& events) {
  PerfBytes b;
  b.raw({0x17, 0x08, 0x44}).str("tracing", 7).str("0.6", 4).u8(0).u8(8).u32(4096);
  b.str("header_page", 12).u64(4).u32(0).str("header_event", 13).u64(0);
  b.u32(0);  // ftrace formats
  b.u32(static_cast<uint32_t>(events.size()));
  for (const PerfTracepoint& e : events) {
    const std::string text =
        "name: " + e.name + "\nID: " + std::to_string(e.id) + "\nformat:\n\tfield:int x;\n";
    b.str(e.system, e.system.size() + 1).u32(1).u64(text.size()).str(text, text.size());
  }
  b.u32(0).u32(0).u64(0);  // kallsyms, printk formats, saved command lines
  return b.v;
}

// A perf.data file, built record by record.
class PerfDataBuilder {
 public:
  explicit PerfDataBuilder(PerfAttrSpec attr = {}) { attrs_.push_back(std::move(attr)); }
  PerfDataBuilder& AddAttr(PerfAttrSpec attr) {
    attrs_.push_back(std::move(attr));
    return *this;
  }
  const PerfAttrSpec& attr(size_t i = 0) const { return attrs_[i]; }

  PerfDataBuilder& Comm(uint32_t pid, uint32_t tid, const std::string& name) {
    return Add(perf::record::kComm, 0, PerfBytes().u32(pid).u32(tid).str(name, 16).v);
  }
  PerfDataBuilder& Mmap(uint32_t pid, uint64_t start, uint64_t len, const std::string& file,
                        uint16_t misc = perf::misc::kUser, uint64_t pgoff = 0) {
    return Add(perf::record::kMmap, misc,
               PerfBytes().u32(pid).u32(pid).u64(start).u64(len).u64(pgoff).str(file, 32).v);
  }
  // MMAP2 with a build id (hex, at most 20 bytes), or with device/inode when it is empty.
  PerfDataBuilder& Mmap2(uint32_t pid, uint64_t start, uint64_t len, const std::string& file,
                         const std::vector<uint8_t>& build_id = {}, uint64_t ino = 0) {
    PerfBytes b;
    b.u32(pid).u32(pid).u64(start).u64(len).u64(0);
    uint16_t misc = perf::misc::kUser;
    if (!build_id.empty()) {
      misc |= perf::misc::kMmapBuildId;
      std::vector<uint8_t> id = build_id;
      id.resize(20, 0);
      b.u8(static_cast<uint8_t>(build_id.size())).u8(0).u16(0).raw(id);
    } else {
      b.u32(8).u32(1).u64(ino).u64(0);  // maj, min, ino, ino_generation
    }
    b.u32(5).u32(2);  // prot, flags
    return Add(perf::record::kMmap2, misc, b.str(file, 32).v);
  }
  PerfDataBuilder& Fork(uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid) {
    return Add(perf::record::kFork, 0, PerfBytes().u32(pid).u32(ppid).u32(tid).u32(ptid).u64(0).v);
  }
  PerfDataBuilder& Lost(uint64_t n) {
    return Add(perf::record::kLost, 0, PerfBytes().u64(1).u64(n).v);
  }
  PerfDataBuilder& FinishedRound() { return Add(perf::record::kFinishedRound, 0, {}); }
  // A SAMPLE of event `attr_index`.
  PerfDataBuilder& Sample(const PerfSampleSpec& s, size_t attr_index = 0) {
    return Add(perf::record::kSample, s.misc, PerfSampleBody(attrs_[attr_index], s));
  }
  PerfDataBuilder& Add(uint32_t type, uint16_t misc, const std::vector<uint8_t>& body) {
    return Raw(PerfRecord(type, misc, body));
  }
  // Bytes appended to the record stream as they are.
  PerfDataBuilder& Raw(const std::vector<uint8_t>& bytes) {
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  // The records added so far, zstd-compressed into `parts` COMPRESSED records (one stream
  // split at even byte counts, as perf splits it across its ring buffers).
  PerfDataBuilder& CompressRecords(size_t parts = 1) {
    std::vector<uint8_t> z(ZSTD_compressBound(data_.size()));
    z.resize(ZSTD_compress(z.data(), z.size(), data_.data(), data_.size(), 3));
    data_.clear();
    const size_t step = (z.size() + parts - 1) / parts;
    for (size_t at = 0; at < z.size(); at += step) {
      const size_t n = std::min(step, z.size() - at);
      Add(perf::record::kCompressed, 0, std::vector<uint8_t>(z.begin() + at, z.begin() + at + n));
    }
    return *this;
  }
  // A feature section (file mode) or HEADER_FEATURE record (pipe mode) holding `body`.
  PerfDataBuilder& Feature(int bit, std::vector<uint8_t> body) {
    features_.emplace_back(bit, std::move(body));
    std::sort(features_.begin(), features_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return *this;
  }
  // A perf_header_string feature (HOSTNAME, OSRELEASE, VERSION).
  PerfDataBuilder& StringFeature(int bit, const std::string& s) {
    const size_t padded = (s.size() + 1 + 7) / 8 * 8;
    return Feature(bit, PerfBytes().u32(static_cast<uint32_t>(padded)).str(s, padded).v);
  }

  // HEADER_TRACING_DATA {u32 size} and its payload, padded to 8 outside the record (a pipe
  // stream's way; a file holds the same bytes as feature kTracingData).
  PerfDataBuilder& TracingDataRecord(const std::vector<uint8_t>& tracing) {
    Add(perf::record::kHeaderTracingData, 0,
        PerfBytes().u32(static_cast<uint32_t>(tracing.size())).u32(0).v);
    std::vector<uint8_t> padded = tracing;
    padded.resize((padded.size() + 7) / 8 * 8, 0);
    return Raw(padded);
  }

  const std::vector<uint8_t>& data() const { return data_; }
  // Where the data section starts in FileMode() (the header, the attr entries and their ids).
  uint64_t data_offset() const {
    uint64_t n = perf::kFileHeaderSize;
    for (const auto& a : attrs_) n += a.size + 16 + 8 * a.ids.size();
    return n;
  }
  std::vector<uint8_t> FileMode() const;
  std::vector<uint8_t> PipeMode() const;

 private:
  std::vector<PerfAttrSpec> attrs_;
  std::vector<uint8_t> data_;
  std::vector<std::pair<int, std::vector<uint8_t>>> features_;
};

// header | attr entries {attr, ids section} | ids | data | feature table | feature sections.
inline std::vector<uint8_t> PerfDataBuilder::FileMode() const {
  const uint64_t entry = attrs_[0].size + 16;
  const uint64_t attrs_offset = perf::kFileHeaderSize;
  uint64_t ids_offset = attrs_offset + entry * attrs_.size();
  const uint64_t data_at = data_offset();
  uint64_t bits[4] = {};
  for (const auto& f : features_) bits[f.first / 64] |= uint64_t{1} << (f.first % 64);
  PerfBytes b;
  b.str(perf::kMagic, 8).u64(perf::kFileHeaderSize).u64(entry);
  b.u64(attrs_offset).u64(entry * attrs_.size()).u64(data_at).u64(data_.size()).u64(0).u64(0);
  for (uint64_t w : bits) b.u64(w);
  for (const auto& a : attrs_) {
    b.raw(PerfAttrBytes(a)).u64(a.ids.empty() ? 0 : ids_offset).u64(8 * a.ids.size());
    ids_offset += 8 * a.ids.size();
  }
  for (const auto& a : attrs_) {
    for (uint64_t id : a.ids) b.u64(id);
  }
  b.raw(data_);
  uint64_t section = b.v.size() + 16 * features_.size();
  for (const auto& f : features_) {
    b.u64(section).u64(f.second.size());
    section += f.second.size();
  }
  for (const auto& f : features_) b.raw(f.second);
  return b.v;
}

// header | HEADER_ATTR per attr | HEADER_FEATURE per feature | data.
inline std::vector<uint8_t> PerfDataBuilder::PipeMode() const {
  PerfBytes b;
  b.str(perf::kMagic, 8).u64(perf::kPipeHeaderSize);
  for (const auto& a : attrs_) {
    PerfBytes body;
    body.raw(PerfAttrBytes(a));
    for (uint64_t id : a.ids) body.u64(id);
    b.raw(PerfRecord(perf::record::kHeaderAttr, 0, body.v));
  }
  for (const auto& f : features_) {
    b.raw(PerfRecord(perf::record::kHeaderFeature, 0,
                     PerfBytes().u64(static_cast<uint64_t>(f.first)).raw(f.second).v));
  }
  return b.raw(data_).v;
}

}  // namespace gcspike::testing
