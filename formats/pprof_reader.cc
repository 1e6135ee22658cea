// Wire format: protocol buffers encoding (tag = field << 3 | wire type; varint, 64-bit, length
// delimited, 32-bit). Field numbers: docs/formats/pprof.md#profile-fields.
#include "formats/pprof_reader.h"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/byte_cursor.h"
#include "core/distinct_samples.h"
#include "formats/input_sniff.h"
#include "formats/protobuf_fields.h"

namespace gcspike {
namespace {

using protobuf_fields::AppendInts;
using protobuf_fields::ExpectWire;
using protobuf_fields::Field;
using protobuf_fields::kFixed32;
using protobuf_fields::kFixed64;
using protobuf_fields::kLen;
using protobuf_fields::kVarint;
using protobuf_fields::ReadField;

// Memory accounting (Account): an interned string costs its bytes plus the deque entry and the
// index's hash node; a heap allocation about 16 bytes of bookkeeping.
constexpr uint64_t kStringCost = sizeof(std::string) + 64;
constexpr uint64_t kAllocation = 16;

// Maps input ids (any nonzero uint64) to dense model ids.
class IdMap {
 public:
  // Returns false on a duplicate.
  bool Add(uint64_t input_id, uint64_t dense_id) {
    if (input_id < kDirect) {
      if (direct_.size() <= input_id) direct_.resize(input_id + 1, 0);
      if (direct_[input_id] != 0) return false;
      direct_[input_id] = dense_id;
      return true;
    }
    return sparse_.emplace(input_id, dense_id).second;
  }
  uint64_t Get(uint64_t input_id) const {
    if (input_id < kDirect) return input_id < direct_.size() ? direct_[input_id] : 0;
    auto it = sparse_.find(input_id);
    return it == sparse_.end() ? 0 : it->second;
  }

 private:
  static constexpr uint64_t kDirect = 1 << 22;
  std::vector<uint64_t> direct_;
  std::unordered_map<uint64_t, uint64_t> sparse_;
};

class PprofMessageReader {
 public:
  PprofMessageReader(Profile& p, const PprofReadOptions& options)
      : p_(p),
        diagnostics_(options.diagnostics),
        samples_(p, options.spool_samples),
        max_model_bytes_(options.max_model_bytes) {}

  Status Read(ByteCursor c) {
    end_offset_ = c.offset() + c.remaining();
    // Pass 1: strings first (Go writes the string table after everything that refers to it),
    // and remember where each repeated message is.
    while (!c.empty()) {
      Field f;
      const ByteCursor at = c;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      switch (f.number) {
        case 6: {
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kLen, "string_table entry"));
          GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, f.payload.str(f.payload.remaining()));
          if (strings_.empty() && !s.empty()) {
            return MakeErrorAt(f.tag_offset, "string_table[0] must be the empty string");
          }
          strings_.push_back(p_.Intern(s));
          GCSPIKE_RETURN_IF_ERROR(Account(s.size() + kStringCost, f.tag_offset));
          break;
        }
        case 2:
          // Samples are decoded by a second scan from the first one (below), not kept as fields.
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kLen, "message field"));
          if (!samples_from_) samples_from_ = at;
          break;
        case 1:
        case 3:
        case 4:
        case 5:
        case 11:
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kLen, "message field"));
          deferred_.push_back(f);
          GCSPIKE_RETURN_IF_ERROR(Account(sizeof(Field), f.tag_offset));
          break;
        case 13:
          comment_fields_.push_back(f);
          break;
        case 7:
        case 8:
        case 9:
        case 10:
        case 12:
        case 14:
        case 15:
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kVarint, "scalar field"));
          scalars_.push_back(f);
          break;
        default:
          break;  // unknown field: skipped, as protobuf readers do
      }
    }
    if (strings_.empty()) strings_.push_back(0);
    // Pass 2, in dependency order: functions and mappings, then locations, then samples.
    for (Field& f : deferred_) {
      if (f.number == 5) GCSPIKE_RETURN_IF_ERROR(ReadFunction(f));
      if (f.number == 3) GCSPIKE_RETURN_IF_ERROR(ReadMapping(f));
    }
    for (Field& f : deferred_) {
      if (f.number == 4) GCSPIKE_RETURN_IF_ERROR(ReadLocation(f));
    }
    for (Field& f : deferred_) {
      switch (f.number) {
        case 1: {
          GCSPIKE_ASSIGN_OR_RETURN(ValueType vt, ReadValueType(f.payload));
          p_.sample_types.push_back(vt);
          break;
        }
        case 11: {
          GCSPIKE_ASSIGN_OR_RETURN(p_.period_type, ReadValueType(f.payload));
          break;
        }
        default:
          break;
      }
    }
    if (samples_from_) GCSPIKE_RETURN_IF_ERROR(ReadSamples(*samples_from_));
    for (Field& f : comment_fields_) {
      std::vector<uint64_t> ids;
      const uint64_t at = f.tag_offset;
      GCSPIKE_RETURN_IF_ERROR(AppendInts(f, ids, "comment"));
      for (uint64_t id : ids) {
        GCSPIKE_ASSIGN_OR_RETURN(StrId s, Str(id, at, "comment"));
        p_.comments.push_back(s);
      }
    }
    for (const Field& f : scalars_) {
      const auto v = static_cast<int64_t>(f.varint);
      switch (f.number) {
        case 7: {
          GCSPIKE_ASSIGN_OR_RETURN(p_.drop_frames, Str(f.varint, f.tag_offset, "drop_frames"));
          break;
        }
        case 8: {
          GCSPIKE_ASSIGN_OR_RETURN(p_.keep_frames, Str(f.varint, f.tag_offset, "keep_frames"));
          break;
        }
        case 9:
          p_.time_nanos = v;
          break;
        case 10:
          p_.duration_nanos = v;
          break;
        case 12:
          p_.period = v;
          break;
        case 14: {
          GCSPIKE_ASSIGN_OR_RETURN(p_.default_sample_type,
                                   Str(f.varint, f.tag_offset, "default_sample_type"));
          break;
        }
        case 15: {
          GCSPIKE_ASSIGN_OR_RETURN(p_.doc_url, Str(f.varint, f.tag_offset, "doc_url"));
          break;
        }
        default:
          break;
      }
    }
    return {};
  }

 private:
  Result<StrId> Str(uint64_t index, uint64_t at, const char* what) const {
    if (index >= strings_.size()) {
      return MakeErrorAt(at, std::string(what) + " names string " + std::to_string(index) +
                                 " but the string table has " + std::to_string(strings_.size()) +
                                 " entries");
    }
    return strings_[index];
  }

  Result<ValueType> ReadValueType(ByteCursor c) {
    ValueType vt;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      if (f.number == 1 || f.number == 2) {
        GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kVarint, "value type field"));
        GCSPIKE_ASSIGN_OR_RETURN(StrId s, Str(f.varint, f.tag_offset, "value type"));
        (f.number == 1 ? vt.type : vt.unit) = s;
      }
    }
    return vt;
  }

  Status ReadFunction(Field& outer) {
    Function fn;
    uint64_t input_id = 0;
    ByteCursor c = outer.payload;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      if (f.number >= 1 && f.number <= 5) {
        GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kVarint, "function field"));
      }
      switch (f.number) {
        case 1:
          input_id = f.varint;
          break;
        case 2: {
          GCSPIKE_ASSIGN_OR_RETURN(fn.name, Str(f.varint, f.tag_offset, "function name"));
          break;
        }
        case 3: {
          GCSPIKE_ASSIGN_OR_RETURN(fn.system_name,
                                   Str(f.varint, f.tag_offset, "function system_name"));
          break;
        }
        case 4: {
          GCSPIKE_ASSIGN_OR_RETURN(fn.filename, Str(f.varint, f.tag_offset, "function filename"));
          break;
        }
        case 5:
          fn.start_line = static_cast<int64_t>(f.varint);
          break;
        default:
          break;
      }
    }
    if (input_id == 0) return MakeErrorAt(outer.tag_offset, "function has id 0");
    fn.id = p_.functions.size() + 1;
    if (!functions_.Add(input_id, fn.id)) {
      return MakeErrorAt(outer.tag_offset, "duplicate function id " + std::to_string(input_id));
    }
    p_.functions.push_back(fn);
    return Account(sizeof(Function), outer.tag_offset);
  }

  Status ReadMapping(Field& outer) {
    Mapping m;
    uint64_t input_id = 0;
    ByteCursor c = outer.payload;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      if (f.number >= 1 && f.number <= 10) {
        GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kVarint, "mapping field"));
      }
      switch (f.number) {
        case 1:
          input_id = f.varint;
          break;
        case 2:
          m.memory_start = f.varint;
          break;
        case 3:
          m.memory_limit = f.varint;
          break;
        case 4:
          m.file_offset = f.varint;
          break;
        case 5: {
          GCSPIKE_ASSIGN_OR_RETURN(m.filename, Str(f.varint, f.tag_offset, "mapping filename"));
          break;
        }
        case 6: {
          GCSPIKE_ASSIGN_OR_RETURN(m.build_id, Str(f.varint, f.tag_offset, "mapping build_id"));
          break;
        }
        case 7:
          m.has_functions = f.varint != 0;
          break;
        case 8:
          m.has_filenames = f.varint != 0;
          break;
        case 9:
          m.has_line_numbers = f.varint != 0;
          break;
        case 10:
          m.has_inline_frames = f.varint != 0;
          break;
        default:
          break;
      }
    }
    if (input_id == 0) return MakeErrorAt(outer.tag_offset, "mapping has id 0");
    m.id = p_.mappings.size() + 1;
    if (!mappings_.Add(input_id, m.id)) {
      return MakeErrorAt(outer.tag_offset, "duplicate mapping id " + std::to_string(input_id));
    }
    p_.mappings.push_back(m);
    return Account(sizeof(Mapping), outer.tag_offset);
  }

  Status ReadLocation(Field& outer) {
    Location loc;
    uint64_t input_id = 0;
    ByteCursor c = outer.payload;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      switch (f.number) {
        case 1:
        case 2:
        case 3:
        case 5:
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kVarint, "location field"));
          if (f.number == 1) input_id = f.varint;
          if (f.number == 2 && f.varint != 0) {
            loc.mapping_id = mappings_.Get(f.varint);
            if (loc.mapping_id == 0) {
              return MakeErrorAt(
                  f.tag_offset,
                  "location names mapping " + std::to_string(f.varint) + ", which does not exist");
            }
          }
          if (f.number == 3) loc.address = f.varint;
          if (f.number == 5) loc.is_folded = f.varint != 0;
          break;
        case 4: {
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kLen, "location line"));
          Line ln;
          ByteCursor lc = f.payload;
          while (!lc.empty()) {
            Field lf;
            GCSPIKE_RETURN_IF_ERROR(ReadField(lc, lf));
            if (lf.number >= 1 && lf.number <= 3) {
              GCSPIKE_RETURN_IF_ERROR(ExpectWire(lf, kVarint, "line field"));
            }
            if (lf.number == 1) {
              ln.function_id = functions_.Get(lf.varint);
              if (ln.function_id == 0) {
                return MakeErrorAt(
                    lf.tag_offset,
                    "line names function " + std::to_string(lf.varint) + ", which does not exist");
              }
            }
            if (lf.number == 2) ln.line = static_cast<int64_t>(lf.varint);
            if (lf.number == 3) ln.column = static_cast<int64_t>(lf.varint);
          }
          if (ln.function_id == 0) {
            return MakeErrorAt(f.tag_offset, "line has no function (function id 0)");
          }
          loc.lines.push_back(ln);
          break;
        }
        default:
          break;
      }
    }
    if (input_id == 0) return MakeErrorAt(outer.tag_offset, "location has id 0");
    loc.id = p_.locations.size() + 1;
    if (!locations_.Add(input_id, loc.id)) {
      return MakeErrorAt(outer.tag_offset, "duplicate location id " + std::to_string(input_id));
    }
    const uint64_t bytes = sizeof(Location) + kAllocation + sizeof(Line) * loc.lines.size();
    p_.locations.push_back(std::move(loc));
    return Account(bytes, outer.tag_offset);
  }

  // The second scan, from the first sample on: each sample in input order, one at a time
  // through `sample_` (no per-sample allocation), into samples_ (one Sample per distinct stack
  // and labels when spooling).
  Status ReadSamples(ByteCursor c) {
    size_t decoded = 0;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      if (f.number != 2) continue;
      GCSPIKE_RETURN_IF_ERROR(ReadSample(f));
      if (sample_.values.size() != p_.sample_types.size()) {
        return MakeErrorAt(f.tag_offset, "sample has " + std::to_string(sample_.values.size()) +
                                             " values but the profile has " +
                                             std::to_string(p_.sample_types.size()) +
                                             " sample types");
      }
      const uint64_t before = samples_.bytes();
      if (Status s = samples_.Add(sample_); !s.ok()) {
        return MakeErrorAt(f.tag_offset, s.error().message);
      }
      GCSPIKE_RETURN_IF_ERROR(Account(samples_.bytes() - before, f.tag_offset));
      if (diagnostics_ != nullptr && (++decoded & 0xffff) == 0) {
        diagnostics_->Progress("reading pprof", f.tag_offset, end_offset_);
      }
    }
    return samples_.Finish();
  }

  Status ReadSample(Field& outer) {
    Sample& s = sample_;
    s.location_ids.clear();
    s.values.clear();
    s.labels.clear();
    ByteCursor c = outer.payload;
    std::vector<uint64_t>& raw_ids = raw_ids_;
    while (!c.empty()) {
      Field f;
      GCSPIKE_RETURN_IF_ERROR(ReadField(c, f));
      switch (f.number) {
        case 1: {
          raw_ids.clear();
          const uint64_t at = f.tag_offset;
          GCSPIKE_RETURN_IF_ERROR(AppendInts(f, raw_ids, "sample location_id"));
          for (uint64_t id : raw_ids) {
            const uint64_t dense = id == 0 ? 0 : locations_.Get(id);
            if (dense == 0) {
              return MakeErrorAt(
                  at, "sample names location " + std::to_string(id) + ", which does not exist");
            }
            s.location_ids.push_back(dense);
          }
          break;
        }
        case 2:
          GCSPIKE_RETURN_IF_ERROR(AppendInts(f, s.values, "sample value"));
          break;
        case 3: {
          GCSPIKE_RETURN_IF_ERROR(ExpectWire(f, kLen, "sample label"));
          Label l;
          ByteCursor lc = f.payload;
          while (!lc.empty()) {
            Field lf;
            GCSPIKE_RETURN_IF_ERROR(ReadField(lc, lf));
            if (lf.number >= 1 && lf.number <= 4) {
              GCSPIKE_RETURN_IF_ERROR(ExpectWire(lf, kVarint, "label field"));
            }
            switch (lf.number) {
              case 1: {
                GCSPIKE_ASSIGN_OR_RETURN(l.key, Str(lf.varint, lf.tag_offset, "label key"));
                break;
              }
              case 2: {
                GCSPIKE_ASSIGN_OR_RETURN(l.str, Str(lf.varint, lf.tag_offset, "label value"));
                break;
              }
              case 3:
                l.num = static_cast<int64_t>(lf.varint);
                break;
              case 4: {
                GCSPIKE_ASSIGN_OR_RETURN(l.num_unit, Str(lf.varint, lf.tag_offset, "label unit"));
                break;
              }
              default:
                break;
            }
          }
          l.numeric = l.str == 0;
          s.labels.push_back(l);
          break;
        }
        default:
          break;
      }
    }
    return {};
  }

  // Adds `bytes` to what the model takes and refuses to go past the budget.
  Status Account(uint64_t bytes, uint64_t at) {
    model_bytes_ += bytes;
    if (model_bytes_ <= max_model_bytes_) [[likely]]
      return {};
    return MakeErrorAt(at, "the profile decoded so far takes about " +
                               std::to_string(model_bytes_) +
                               " bytes of memory, more than the memory budget of " +
                               std::to_string(max_model_bytes_) + " bytes; --max-memory raises it");
  }

  Profile& p_;
  Diagnostics* diagnostics_;
  uint64_t end_offset_ = 0;
  std::vector<StrId> strings_;  // input string index -> interned id
  std::vector<Field> deferred_;
  std::vector<Field> comment_fields_;
  std::vector<Field> scalars_;
  std::optional<ByteCursor> samples_from_;  // the first sample field
  Sample sample_;
  std::vector<uint64_t> raw_ids_;
  DistinctSamples samples_;
  uint64_t model_bytes_ = 0;
  uint64_t max_model_bytes_;
  IdMap functions_, mappings_, locations_;
};

}  // namespace

Result<Profile> ReadPprofMessage(std::span<const uint8_t> message, uint64_t base_offset,
                                 Diagnostics* diagnostics) {
  PprofReadOptions options;
  options.diagnostics = diagnostics;
  return ReadPprofMessage(message, base_offset, options);
}

Result<Profile> ReadPprofMessage(std::span<const uint8_t> message, uint64_t base_offset,
                                 const PprofReadOptions& options) {
  Profile p;
  PprofMessageReader d(p, options);
  GCSPIKE_RETURN_IF_ERROR(d.Read(ByteCursor(message, base_offset)));
  return p;
}

bool LooksLikePprof(std::span<const uint8_t> prefix) {
  return !prefix.empty() && !CheckPprofPrefix(prefix).has_value();
}

}  // namespace gcspike
