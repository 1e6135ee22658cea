#include "formats/pprof_writer.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "core/sample_spool.h"
#include "formats/gzip_codec.h"

namespace gcspike {
namespace {

// 1 + floor(log2(v) / 7), with a multiply and a shift in place of the division.
size_t VarintSize(uint64_t v) {
  return (static_cast<size_t>(63 - __builtin_clzll(v | 1)) * 9 + 73) >> 6;
}

uint8_t* PutVarint(uint8_t* w, uint64_t v) {
  while (v >= 0x80) {
    *w++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *w++ = static_cast<uint8_t>(v);
  return w;
}

// Appends protobuf fields to a byte vector.
class FieldWriter {
 public:
  explicit FieldWriter(std::vector<uint8_t>& out) : out_(out) {}

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }
  void Tag(uint32_t field, uint32_t wire) { Varint((static_cast<uint64_t>(field) << 3) | wire); }
  // proto3: zero scalars are not written.
  void Uint(uint32_t field, uint64_t v) {
    if (v == 0) return;
    Tag(field, 0);
    Varint(v);
  }
  void Int(uint32_t field, int64_t v) { Uint(field, static_cast<uint64_t>(v)); }
  void Bool(uint32_t field, bool v) { Uint(field, v ? 1 : 0); }
  void Bytes(uint32_t field, const void* data, size_t n) {
    Tag(field, 2);
    Varint(n);
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  void Message(uint32_t field, const std::vector<uint8_t>& body) {
    Bytes(field, body.data(), body.size());
  }
  // Sized first, then written in place (EncodeStacks writes one per stack sample).
  template <typename T>
  void Packed(uint32_t field, const std::vector<T>& vs) {
    if (vs.empty()) return;
    size_t n = 0;
    for (T v : vs) n += VarintSize(static_cast<uint64_t>(v));
    Tag(field, 2);
    Varint(n);
    const size_t at = out_.size();
    out_.resize(at + n);
    uint8_t* w = out_.data() + at;
    for (T v : vs) w = PutVarint(w, static_cast<uint64_t>(v));
  }

 private:
  std::vector<uint8_t>& out_;
};

// Copies n bytes, reading and writing up to kCopySlack bytes past both ends (the buffers have
// that room): up to 64 bytes (most pieces of a spooled record) as one fixed-size copy, a few
// vector moves and no branch on the size, where a memcpy of a size known only at run time is a
// call into libc and a loop on it a mispredicted branch.
constexpr size_t kCopySlack = 64;
uint8_t* CopyShort(uint8_t* w, const uint8_t* from, size_t n) {
  if (n <= 64) [[likely]] {
    std::memcpy(w, from, 64);
  } else {
    for (size_t i = 0; i < n; i += 64) std::memcpy(w + i, from + i, 64);
  }
  return w + n;
}

// A Label message's fields (zero ones omitted, as FieldWriter::Uint does).
uint8_t* PutLabelFields(uint8_t* w, uint64_t key, uint64_t str, int64_t num, uint64_t unit) {
  const uint64_t fields[4] = {key, str, static_cast<uint64_t>(num), unit};
  for (uint8_t f = 0; f < 4; ++f) {
    if (fields[f] == 0) continue;
    *w++ = static_cast<uint8_t>((f + 1) << 3);
    w = PutVarint(w, fields[f]);
  }
  return w;
}

// Old (model) string ids -> compact output indices, in model order.
class StringRemap {
 public:
  explicit StringRemap(size_t n) : map_(n, 0), used_(n, false) { used_[0] = true; }
  void Use(StrId id) { used_[id] = true; }
  void Finish() {
    uint64_t next = 0;
    for (size_t i = 0; i < used_.size(); ++i) {
      if (used_[i]) map_[i] = next++;
    }
  }
  uint64_t operator()(StrId id) const { return map_[id]; }
  bool used(size_t i) const { return used_[i]; }

 private:
  std::vector<uint64_t> map_;
  std::vector<bool> used_;
};

// The strings the profile uses, each marked; fails when a spooled label names a missing string.
Result<StringRemap> UsedStrings(const Profile& p) {
  StringRemap strs(p.strings.size());
  for (const ValueType& vt : p.sample_types) {
    strs.Use(vt.type);
    strs.Use(vt.unit);
  }
  for (const Sample& s : p.samples) {
    for (const Label& l : s.labels) {
      strs.Use(l.key);
      strs.Use(l.str);
      strs.Use(l.num_unit);
    }
  }
  if (p.spool != nullptr) {
    for (StrId id : p.spool->UsedStrings()) {
      if (id >= p.strings.size()) {
        return MakeError("invalid profile: a spooled label names a missing string");
      }
      strs.Use(id);
    }
  }
  for (const Mapping& m : p.mappings) {
    strs.Use(m.filename);
    strs.Use(m.build_id);
  }
  for (const Function& f : p.functions) {
    strs.Use(f.name);
    strs.Use(f.system_name);
    strs.Use(f.filename);
  }
  for (StrId id : {p.drop_frames, p.keep_frames, p.period_type.type, p.period_type.unit}) {
    strs.Use(id);
  }
  for (StrId c : p.comments) strs.Use(c);
  strs.Use(p.default_sample_type);
  strs.Use(p.doc_url);
  strs.Finish();
  return strs;
}

// One Profile message, written field by field in profile.proto's order. The encoded message goes
// out 256 KiB at a time as it is produced (through the gzip writer's compression thread, or
// straight to the sink), so a large profile never exists whole in memory, encoded or compressed.
// Negative values are written as they are: a delta profile (go tool pprof -diff_base, or -base)
// has them, and pprof itself reads them back.
class PprofWriter {
 public:
  PprofWriter(const Profile& p, StringRemap strs, const PprofWriteOptions& options,
              const ByteSink& sink)
      : p_(p), strs_(std::move(strs)), options_(options), sink_(sink) {
    if (options.gzip) gz_.emplace(options.gzip_level, sink);
    out_.reserve(kChunk + 65536);
  }

  Status Write() {
    for (const ValueType& vt : p_.sample_types) WriteValueType(1, vt);
    if (p_.spool == nullptr) {
      WriteSamples();
    } else {
      GCSPIKE_RETURN_IF_ERROR(WriteSpooledSamples());
    }
    WriteMappings();
    WriteLocations();
    WriteFunctions();
    WriteStringTable();
    WriteTrailer();
    Flush(true);
    GCSPIKE_RETURN_IF_ERROR(out_status_);
    if (gz_) GCSPIKE_RETURN_IF_ERROR(gz_->Finish());
    return {};
  }

 private:
  static constexpr size_t kChunk = 1 << 18;

  void Flush(bool force) {
    if (!out_status_.ok() || (!force && out_.size() < kChunk)) return;
    out_status_ = gz_ ? gz_->Write(out_) : sink_(out_);
    out_.clear();
  }
  void Progress() {
    if (options_.diagnostics != nullptr && (++done_ & 0xffff) == 0) {
      options_.diagnostics->Progress("writing pprof", done_, total_);
    }
  }
  void WriteValueType(uint32_t field, const ValueType& vt) {
    body_.clear();
    b_.Uint(1, strs_(vt.type));
    b_.Uint(2, strs_(vt.unit));
    e_.Message(field, body_);
  }
  void WriteLabel(FieldWriter& to, const Label& l) {
    inner_.clear();
    FieldWriter le(inner_);
    le.Uint(1, strs_(l.key));
    le.Uint(2, strs_(l.str));
    le.Int(3, l.num);
    le.Uint(4, strs_(l.num_unit));
    to.Message(3, inner_);
  }
  void WriteSamples() {
    for (const Sample& s : p_.samples) {
      Progress();
      body_.clear();
      b_.Packed(1, s.location_ids);
      b_.Packed(2, s.values);
      for (const Label& l : s.labels) WriteLabel(b_, l);
      e_.Message(2, body_);
      Flush(false);
    }
  }
  void EncodeStacks();
  Status WriteSpooledSamples();
  struct EncodedLabel;
  size_t WriteSpooledRecord(const SampleSpool::Reader& r, size_t used);
  void EncodeValues(std::span<const int64_t> values);
  void EncodeLabel(const Label& l, EncodedLabel& e) const;
  void WriteMappings();
  void WriteLocations();
  void WriteFunctions();
  void WriteStringTable();
  void WriteTrailer();

  const Profile& p_;
  const StringRemap strs_;
  const PprofWriteOptions& options_;
  const ByteSink& sink_;
  std::optional<GzipWriter> gz_;
  std::vector<uint8_t> out_;
  Status out_status_;
  FieldWriter e_{out_};
  // A submessage's body, and a Label's or Line's inside it.
  std::vector<uint8_t> body_, inner_;
  FieldWriter b_{body_};
  const uint64_t total_ = p_.SampleRecordCount();
  uint64_t done_ = 0;
  // Spooled profiles: every stack sample's locations and labels, encoded once (EncodeStacks):
  // stack i's locations are stack_bytes_[at_[2i], at_[2i+1]) and its labels [at_[2i+1],
  // at_[2i+2]).
  std::vector<uint8_t> stack_bytes_;
  std::vector<size_t> at_;
  uint64_t record_ = 0;
  // WriteSpooledRecord: the encoding of the last label written in each position (a Label field:
  // tag, length and at most four 10-byte varints with their tags: 46 bytes at most).
  struct EncodedLabel {
    uint8_t bytes[48];
    uint8_t size = 0;
  };
  std::vector<EncodedLabel> label_bytes_;
  // The last record's values field (EncodeValues).
  std::vector<uint8_t> values_bytes_ = std::vector<uint8_t>(kCopySlack);
  size_t values_size_ = 0;
};

void PprofWriter::EncodeStacks() {
  at_.reserve(p_.samples.size() * 2 + 1);
  FieldWriter se(stack_bytes_);
  for (const Sample& s : p_.samples) {
    at_.push_back(stack_bytes_.size());
    se.Packed(1, s.location_ids);
    at_.push_back(stack_bytes_.size());
    for (const Label& l : s.labels) WriteLabel(se, l);
  }
  at_.push_back(stack_bytes_.size());
  stack_bytes_.resize(stack_bytes_.size() + kCopySlack);  // for CopyShort
  stack_bytes_.shrink_to_fit();
}

// Each record: its stack sample's locations and, after the record's own values and labels, the
// stack sample's labels. Written straight into out_, which is kept longer than what it holds
// (no resize per record) and handed on, as in Flush (the same pieces), once it holds kChunk
// bytes.
Status PprofWriter::WriteSpooledSamples() {
  EncodeStacks();
  SampleSpool::Reader records(*p_.spool, p_.samples.size());
  size_t used = out_.size();
  out_.resize(out_.capacity());
  while (records.Next()) {
    Progress();
    if (records.values().size() != p_.sample_types.size()) {
      return MakeError("invalid profile: spooled sample " + std::to_string(record_) + " has " +
                       std::to_string(records.values().size()) + " values for " +
                       std::to_string(p_.sample_types.size()) + " sample types");
    }
    ++record_;
    used = WriteSpooledRecord(records, used);
    if (used >= kChunk) {
      // Handed to the compression thread whole: no copy (gzip), or to the sink.
      out_status_ = gz_ ? gz_->WriteBuffer(out_, used) : sink_({out_.data(), used});
      GCSPIKE_RETURN_IF_ERROR(out_status_);
      used = 0;
      if (out_.size() < kChunk + 65536) out_.resize(kChunk + 65536);
    }
  }
  out_.resize(used);
  return records.status();
}

// The record's Sample message at out_[used], and where it ends. A record's labels mostly repeat
// the previous record's in the same position (pid, tid, thread name; not the timestamp): their
// encodings are kept per position and copied when the spool says the label is unchanged. The
// message's length is known up front from the pieces' sizes.
size_t PprofWriter::WriteSpooledRecord(const SampleSpool::Reader& r, size_t used) {
  const std::span<const Label> labels = r.labels();
  // The next record's stack can be anywhere in stack_bytes_: its offsets are fetched now and
  // its bytes at the end of this record, so that neither is waited for as long.
  const uint64_t next = r.PeekSample();
  const size_t* next_at = next < p_.samples.size() ? &at_[2 * next] : nullptr;
  if (next_at != nullptr) __builtin_prefetch(next_at);
  const uint8_t* stack = stack_bytes_.data();
  const size_t* at = &at_[2 * r.sample()];
  const size_t locs = at[1] - at[0], stack_labels = at[2] - at[1];
  if (!r.values_unchanged()) EncodeValues(r.values());
  size_t len = locs + stack_labels + values_size_;
  if (label_bytes_.size() < labels.size()) label_bytes_.resize(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!r.unchanged(i)) EncodeLabel(labels[i], label_bytes_[i]);
    len += label_bytes_[i].size;
  }
  // Room for copying whole EncodedLabel buffers (a fixed-size copy is a few moves) and for
  // CopyShort.
  static_assert(kCopySlack >= sizeof(EncodedLabel::bytes));
  constexpr size_t kSlack = kCopySlack;
  const size_t end = used + 1 + VarintSize(len) + len;
  if (out_.size() < end + kSlack) out_.resize(end + kSlack + 65536);
  uint8_t* w = out_.data() + used;
  *w++ = (2 << 3) | 2;
  w = PutVarint(w, len);
  w = CopyShort(w, stack + at[0], locs);
  w = CopyShort(w, values_bytes_.data(), values_size_);
  for (size_t i = 0; i < labels.size(); ++i) {
    std::memcpy(w, label_bytes_[i].bytes, sizeof(EncodedLabel::bytes));
    w += label_bytes_[i].size;
  }
  CopyShort(w, stack + at[1], stack_labels);
  if (next_at != nullptr) __builtin_prefetch(stack + next_at[0]);
  return end;
}

// The packed values field (none for no values: an empty packed field is not written) in
// values_bytes_[0, values_size_), which has kCopySlack bytes of room after it for CopyShort.
void PprofWriter::EncodeValues(std::span<const int64_t> values) {
  size_t n = 0;
  for (int64_t v : values) n += VarintSize(static_cast<uint64_t>(v));
  values_size_ = n == 0 ? 0 : 1 + VarintSize(n) + n;
  values_bytes_.resize(std::max(values_bytes_.size(), values_size_ + kCopySlack));
  if (n == 0) return;
  uint8_t* w = values_bytes_.data();
  *w++ = (2 << 3) | 2;
  w = PutVarint(w, n);
  for (int64_t v : values) w = PutVarint(w, static_cast<uint64_t>(v));
}

void PprofWriter::EncodeLabel(const Label& l, EncodedLabel& e) const {
  // At most 44 bytes of fields: their length is a one-byte varint, set once they are written.
  const uint8_t* end =
      PutLabelFields(e.bytes + 2, strs_(l.key), strs_(l.str), l.num, strs_(l.num_unit));
  e.size = static_cast<uint8_t>(end - e.bytes);
  e.bytes[0] = (3 << 3) | 2;
  e.bytes[1] = static_cast<uint8_t>(e.size - 2);
}

void PprofWriter::WriteMappings() {
  for (const Mapping& m : p_.mappings) {
    body_.clear();
    b_.Uint(1, m.id);
    b_.Uint(2, m.memory_start);
    b_.Uint(3, m.memory_limit);
    b_.Uint(4, m.file_offset);
    b_.Uint(5, strs_(m.filename));
    b_.Uint(6, strs_(m.build_id));
    b_.Bool(7, m.has_functions);
    b_.Bool(8, m.has_filenames);
    b_.Bool(9, m.has_line_numbers);
    b_.Bool(10, m.has_inline_frames);
    e_.Message(3, body_);
  }
}

void PprofWriter::WriteLocations() {
  for (const Location& loc : p_.locations) {
    body_.clear();
    b_.Uint(1, loc.id);
    b_.Uint(2, loc.mapping_id);
    b_.Uint(3, loc.address);
    for (const Line& ln : loc.lines) {
      inner_.clear();
      FieldWriter le(inner_);
      le.Uint(1, ln.function_id);
      le.Int(2, ln.line);
      le.Int(3, ln.column);
      b_.Message(4, inner_);
    }
    b_.Bool(5, loc.is_folded);
    e_.Message(4, body_);
    Flush(false);
  }
}

void PprofWriter::WriteFunctions() {
  for (const Function& f : p_.functions) {
    body_.clear();
    b_.Uint(1, f.id);
    b_.Uint(2, strs_(f.name));
    b_.Uint(3, strs_(f.system_name));
    b_.Uint(4, strs_(f.filename));
    b_.Int(5, f.start_line);
    e_.Message(5, body_);
    Flush(false);
  }
}

void PprofWriter::WriteStringTable() {
  for (size_t i = 0; i < p_.strings.size(); ++i) {
    if (!strs_.used(i)) continue;
    const std::string& s = p_.strings[static_cast<StrId>(i)];
    e_.Bytes(6, s.data(), s.size());
    Flush(false);
  }
}

// The scalar fields after the string table (7 to 15).
void PprofWriter::WriteTrailer() {
  e_.Uint(7, strs_(p_.drop_frames));
  e_.Uint(8, strs_(p_.keep_frames));
  e_.Int(9, p_.time_nanos);
  e_.Int(10, p_.duration_nanos);
  if (p_.period_type.type != 0 || p_.period_type.unit != 0) WriteValueType(11, p_.period_type);
  e_.Int(12, p_.period);
  if (!p_.comments.empty()) {
    std::vector<uint64_t> ids;
    ids.reserve(p_.comments.size());
    for (StrId c : p_.comments) ids.push_back(strs_(c));
    e_.Packed(13, ids);
  }
  e_.Uint(14, strs_(p_.default_sample_type));
  e_.Uint(15, strs_(p_.doc_url));
}

}  // namespace

Status WritePprof(const Profile& p, const PprofWriteOptions& options, const ByteSink& sink) {
  GCSPIKE_RETURN_IF_ERROR(p.Validate());
  GCSPIKE_ASSIGN_OR_RETURN(StringRemap strs, UsedStrings(p));
  return PprofWriter(p, std::move(strs), options, sink).Write();
}

Result<std::vector<uint8_t>> EncodePprof(const Profile& p, const PprofWriteOptions& options) {
  std::vector<uint8_t> bytes;
  GCSPIKE_RETURN_IF_ERROR(WritePprof(p, options, [&bytes](std::span<const uint8_t> piece) {
    bytes.insert(bytes.end(), piece.begin(), piece.end());
    return Status();
  }));
  return bytes;
}

}  // namespace gcspike
