#include "formats/pprof_writer.h"

#include <cstring>
#include <optional>
#include <string>

#include "core/sample_spool.h"
#include "formats/gzip_codec.h"

namespace gcspike {
namespace {

class Encoder {
 public:
  explicit Encoder(std::vector<uint8_t>& out) : out_(out) {}

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
  template <typename T>
  void Packed(uint32_t field, const std::vector<T>& vs, std::vector<uint8_t>& scratch) {
    if (vs.empty()) return;
    scratch.clear();
    Encoder e(scratch);
    for (T v : vs) e.Varint(static_cast<uint64_t>(v));
    Message(field, scratch);
  }

 private:
  std::vector<uint8_t>& out_;
};

size_t VarintSize(uint64_t v) { return 1 + static_cast<size_t>(63 - __builtin_clzll(v | 1)) / 7; }

uint8_t* PutVarint(uint8_t* w, uint64_t v) {
  while (v >= 0x80) {
    *w++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *w++ = static_cast<uint8_t>(v);
  return w;
}

// A Label message's fields (zero ones omitted, as Encoder::Uint does) and their size.
size_t LabelSize(uint64_t key, uint64_t str, int64_t num, uint64_t unit) {
  size_t n = 0;
  for (uint64_t v : {key, str, static_cast<uint64_t>(num), unit}) {
    if (v != 0) n += 1 + VarintSize(v);
  }
  return n;
}

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

}  // namespace

Status WritePprof(const Profile& p, const PprofWriteOptions& options, const ByteSink& sink) {
  GCSPIKE_RETURN_IF_ERROR(p.Validate());
  auto negative = [&p](const std::string& which, int64_t v, size_t j) {
    return MakeError(which + " has negative value " + std::to_string(v) + " for " +
                     p.str(p.sample_types[j].type) +
                     "; gcspike writes no negative values (viewers such as speedscope reject "
                     "them; diff profiles are not supported)");
  };
  // A spooled profile's stack samples only hold sums; its records are checked as they are written.
  if (p.spool == nullptr && !options.allow_negative) {
    for (size_t i = 0; i < p.samples.size(); ++i) {
      for (size_t j = 0; j < p.samples[i].values.size(); ++j) {
        if (p.samples[i].values[j] < 0) {
          return negative("sample " + std::to_string(i), p.samples[i].values[j], j);
        }
      }
    }
  }

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
      if (id >= p.strings.size()) return MakeError("invalid profile: a spooled label names a missing string");
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
  strs.Use(p.drop_frames);
  strs.Use(p.keep_frames);
  strs.Use(p.period_type.type);
  strs.Use(p.period_type.unit);
  for (StrId c : p.comments) strs.Use(c);
  strs.Use(p.default_sample_type);
  strs.Use(p.doc_url);
  strs.Finish();

  // The encoded message goes out 256 KiB at a time as it is produced (through the gzip
  // writer's compression thread, or straight to the sink), so a large profile never exists
  // whole in memory, encoded or compressed.
  std::vector<uint8_t> out;
  std::optional<GzipWriter> gz;
  constexpr size_t kChunk = 1 << 18;
  if (options.gzip) gz.emplace(options.gzip_level, sink);
  out.reserve(kChunk + 65536);
  Status out_status;
  auto flush = [&](bool force) {
    if (!out_status.ok() || (!force && out.size() < kChunk)) return;
    out_status = gz ? gz->Write(out) : sink(out);
    out.clear();
  };
  Encoder e(out);
  std::vector<uint8_t> body, inner, scratch;
  Encoder b(body);
  auto value_type = [&](uint32_t field, const ValueType& vt) {
    body.clear();
    b.Uint(1, strs(vt.type));
    b.Uint(2, strs(vt.unit));
    e.Message(field, body);
  };

  for (const ValueType& vt : p.sample_types) value_type(1, vt);
  auto put_label = [&](Encoder& to, const Label& l) {
    inner.clear();
    Encoder le(inner);
    le.Uint(1, strs(l.key));
    le.Uint(2, strs(l.str));
    le.Int(3, l.num);
    le.Uint(4, strs(l.num_unit));
    to.Message(3, inner);
  };
  const uint64_t total = p.SampleRecordCount();
  uint64_t done = 0;
  auto progress = [&] {
    if (options.diagnostics != nullptr && (++done & 0xffff) == 0) {
      options.diagnostics->Progress("writing pprof", done, total);
    }
  };
  if (p.spool == nullptr) {
    for (const Sample& s : p.samples) {
      progress();
      body.clear();
      b.Packed(1, s.location_ids, scratch);
      b.Packed(2, s.values, scratch);
      for (const Label& l : s.labels) put_label(b, l);
      e.Message(2, body);
      flush(false);
    }
  } else {
    // Each record: its stack sample's locations and, after the record's own values and labels,
    // the stack sample's labels; both encoded once per stack into one buffer: stack i's
    // locations are [at[2i], at[2i+1]) and its labels [at[2i+1], at[2i+2]).
    std::vector<uint8_t> stack_bytes;
    std::vector<size_t> at;
    at.reserve(p.samples.size() * 2 + 1);
    Encoder se(stack_bytes);
    for (const Sample& s : p.samples) {
      at.push_back(stack_bytes.size());
      se.Packed(1, s.location_ids, scratch);
      at.push_back(stack_bytes.size());
      for (const Label& l : s.labels) put_label(se, l);
    }
    at.push_back(stack_bytes.size());
    stack_bytes.shrink_to_fit();
    uint64_t record = 0;
    std::vector<size_t> label_lens;
    Status spooled = p.spool->ForEach(p.samples.size(), [&](const SampleSpool::Record& r) -> Status {
      progress();
      if (r.values.size() != p.sample_types.size()) {
        return MakeError("invalid profile: spooled sample " + std::to_string(record) + " has " +
                         std::to_string(r.values.size()) + " values for " +
                         std::to_string(p.sample_types.size()) + " sample types");
      }
      for (size_t j = 0; j < r.values.size(); ++j) {
        if (r.values[j] < 0 && !options.allow_negative) {
          return negative("sample " + std::to_string(record), r.values[j], j);
        }
      }
      ++record;
      // Written straight into `out` (the hot loop of a large perf.data): the Sample message's
      // length is known up front from the pieces' sizes.
      const uint8_t* stack = stack_bytes.data();
      const size_t locs = at[2 * r.sample + 1] - at[2 * r.sample];
      const size_t stack_labels = at[2 * r.sample + 2] - at[2 * r.sample + 1];
      size_t values_len = 0;
      for (int64_t v : r.values) values_len += VarintSize(static_cast<uint64_t>(v));
      size_t len = locs + stack_labels;
      if (values_len != 0) len += 1 + VarintSize(values_len) + values_len;
      label_lens.clear();
      for (const Label& l : r.labels) {
        const size_t n = LabelSize(strs(l.key), strs(l.str), l.num, strs(l.num_unit));
        label_lens.push_back(n);
        len += 1 + VarintSize(n) + n;
      }
      const size_t start = out.size();
      out.resize(start + 1 + VarintSize(len) + len);
      uint8_t* w = out.data() + start;
      *w++ = (2 << 3) | 2;
      w = PutVarint(w, len);
      std::memcpy(w, stack + at[2 * r.sample], locs);
      w += locs;
      if (values_len != 0) {
        *w++ = (2 << 3) | 2;
        w = PutVarint(w, values_len);
        for (int64_t v : r.values) w = PutVarint(w, static_cast<uint64_t>(v));
      }
      for (size_t i = 0; i < r.labels.size(); ++i) {
        const Label& l = r.labels[i];
        *w++ = (3 << 3) | 2;
        w = PutVarint(w, label_lens[i]);
        w = PutLabelFields(w, strs(l.key), strs(l.str), l.num, strs(l.num_unit));
      }
      std::memcpy(w, stack + at[2 * r.sample + 1], stack_labels);
      flush(false);
      return out_status;
    });
    GCSPIKE_RETURN_IF_ERROR(spooled);
  }
  for (const Mapping& m : p.mappings) {
    body.clear();
    b.Uint(1, m.id);
    b.Uint(2, m.memory_start);
    b.Uint(3, m.memory_limit);
    b.Uint(4, m.file_offset);
    b.Uint(5, strs(m.filename));
    b.Uint(6, strs(m.build_id));
    b.Bool(7, m.has_functions);
    b.Bool(8, m.has_filenames);
    b.Bool(9, m.has_line_numbers);
    b.Bool(10, m.has_inline_frames);
    e.Message(3, body);
  }
  for (const Location& loc : p.locations) {
    body.clear();
    b.Uint(1, loc.id);
    b.Uint(2, loc.mapping_id);
    b.Uint(3, loc.address);
    for (const Line& ln : loc.lines) {
      inner.clear();
      Encoder le(inner);
      le.Uint(1, ln.function_id);
      le.Int(2, ln.line);
      le.Int(3, ln.column);
      b.Message(4, inner);
    }
    b.Bool(5, loc.is_folded);
    e.Message(4, body);
    flush(false);
  }
  for (const Function& f : p.functions) {
    body.clear();
    b.Uint(1, f.id);
    b.Uint(2, strs(f.name));
    b.Uint(3, strs(f.system_name));
    b.Uint(4, strs(f.filename));
    b.Int(5, f.start_line);
    e.Message(5, body);
    flush(false);
  }
  for (size_t i = 0; i < p.strings.size(); ++i) {
    if (!strs.used(i)) continue;
    const std::string& s = p.strings[static_cast<StrId>(i)];
    e.Bytes(6, s.data(), s.size());
    flush(false);
  }
  e.Uint(7, strs(p.drop_frames));
  e.Uint(8, strs(p.keep_frames));
  e.Int(9, p.time_nanos);
  e.Int(10, p.duration_nanos);
  if (p.period_type.type != 0 || p.period_type.unit != 0) value_type(11, p.period_type);
  e.Int(12, p.period);
  if (!p.comments.empty()) {
    std::vector<uint64_t> ids;
    ids.reserve(p.comments.size());
    for (StrId c : p.comments) ids.push_back(strs(c));
    e.Packed(13, ids, scratch);
  }
  e.Uint(14, strs(p.default_sample_type));
  e.Uint(15, strs(p.doc_url));

  flush(true);
  GCSPIKE_RETURN_IF_ERROR(out_status);
  if (gz) GCSPIKE_RETURN_IF_ERROR(gz->Finish());
  return {};
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
