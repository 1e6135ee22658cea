// The structure-aware mutator of the pprof targets (pprof, detect, viewer_outputs): it decodes
// the (possibly gzipped) profile with the wire walker (protobuf_wire.h), changes what the
// readers and detectors interpret — sample values (negative, huge), a stack's location ids and
// depth, duplicated samples that merge, string-table indexes, ids and references, hostile
// strings — and encodes it again, gzipped when the input was. Field numbers:
// docs/formats/pprof.md#profile-fields. Half of the calls (and all with
// GCSPIKE_FUZZ_BYTES_ONLY=1) are libFuzzer's byte-level mutation.
#include <cstring>
#include <string>

#include "formats/gzip_codec.h"
#include "tests/fuzz/mutation.h"
#include "tests/fuzz/protobuf_wire.h"

namespace gcspike::fuzz {
namespace {

// Profile's fields.
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kPeriodType = 11;
// Sample's.
constexpr uint32_t kLocationIds = 1, kValues = 2, kLabel = 3;

// Applies `edit` to the submessage in field `at` of `profile`; false when it does not parse.
template <typename Edit>
bool EditSubmessage(WireMessage& profile, size_t at, Edit edit) {
  WireMessage sub;
  if (!ParseWire(profile[at].bytes, &sub)) return false;
  edit(sub);
  profile[at].bytes = EncodeWire(sub);
  return true;
}

// A random field numbered `number`, or SIZE_MAX when there is none.
size_t PickField(const WireMessage& m, uint32_t number, Rng& rng) {
  const std::vector<size_t> at = FieldsNumbered(m, number);
  return at.empty() ? SIZE_MAX : at[rng.Below(at.size())];
}

bool MutateSampleValue(WireMessage& p, Rng& rng) {
  const size_t at = PickField(p, kSample, rng);
  if (at == SIZE_MAX) return false;
  return EditSubmessage(p, at, [&rng](WireMessage& s) {
    std::vector<uint64_t> values = RepeatedVarints(s, kValues);
    if (values.empty() || rng.OneIn(8)) values.push_back(0);  // a value count that disagrees
    uint64_t& v = values[rng.Below(values.size())];
    v = rng.Interesting(v);
    SetRepeatedVarints(s, kValues, values);
  });
}

bool MutateStack(WireMessage& p, Rng& rng) {
  const size_t at = PickField(p, kSample, rng);
  if (at == SIZE_MAX) return false;
  const size_t locations = FieldsNumbered(p, kLocation).size();
  return EditSubmessage(p, at, [&](WireMessage& s) {
    std::vector<uint64_t> ids = RepeatedVarints(s, kLocationIds);
    switch (rng.Below(4)) {
      case 0:  // a deep stack: repeat a frame (recursion) or the whole stack
        for (size_t n = 1 + rng.Below(ids.size() > 8 ? 16 : 256), i = 0; i < n; ++i) {
          ids.push_back(ids.empty() ? 1 : ids[rng.Below(ids.size())]);
        }
        break;
      case 1:
        ids.resize(rng.Below(ids.size() + 1));
        break;  // shallower, possibly empty
      case 2:   // another existing location
        if (!ids.empty()) ids[rng.Below(ids.size())] = 1 + rng.Below(locations + 1);
        break;
      default:  // a missing or absurd location id
        if (ids.empty()) ids.push_back(0);
        ids[rng.Below(ids.size())] = rng.Interesting(locations);
    }
    SetRepeatedVarints(s, kLocationIds, ids);
  });
}

// Copies of one sample: the same stack and labels, so readers and writers merge them; a few
// copies get one value or frame changed so they almost merge.
bool DuplicateSample(WireMessage& p, Rng& rng) {
  const size_t at = PickField(p, kSample, rng);
  if (at == SIZE_MAX) return false;
  const WireField copy = p[at];
  const size_t n = 1 + rng.Below(rng.OneIn(16) ? 128 : 4);
  p.insert(p.begin() + static_cast<ptrdiff_t>(at), n, copy);
  if (rng.OneIn(2))
    EditSubmessage(p, at + rng.Below(n), [&rng](WireMessage& s) {
      std::vector<uint64_t> values = RepeatedVarints(s, kValues);
      if (!values.empty()) values[rng.Below(values.size())] += 1;
      SetRepeatedVarints(s, kValues, values);
    });
  return true;
}

// A varint field of a message that holds string-table indexes or ids: {number of the message
// in Profile, field numbers inside it}.
struct Reference {
  uint32_t message;
  std::vector<uint32_t> fields;
};
const Reference kReferences[] = {
    {kSampleType, {1, 2}},           // ValueType type, unit (strings)
    {kPeriodType, {1, 2}},           //
    {kFunction, {1, 2, 3, 4, 5}},    // id, name, system_name, filename (strings), start_line
    {kMapping, {1, 2, 3, 4, 5, 6}},  // id, start, limit, offset, filename, build_id
    {kLocation, {1, 2, 3}},          // id, mapping_id, address
};

bool MutateReference(WireMessage& p, Rng& rng) {
  const Reference& r = kReferences[rng.Below(std::size(kReferences))];
  const size_t at = PickField(p, r.message, rng);
  const uint64_t strings = FieldsNumbered(p, kStringTable).size();
  if (at == SIZE_MAX) return false;
  return EditSubmessage(p, at, [&](WireMessage& m) {
    const uint32_t field = r.fields[rng.Below(r.fields.size())];
    const size_t i = PickField(m, field, rng);
    if (i != SIZE_MAX && m[i].wire == kVarint) {
      m[i].value = rng.Interesting(rng.OneIn(2) ? strings : m[i].value);
    } else {
      m.push_back(WireField{field, kVarint, rng.Interesting(strings), {}});
    }
  });
}

// Labels and lines: the nested messages two levels down.
bool MutateNested(WireMessage& p, Rng& rng) {
  const bool label = rng.OneIn(2);
  const size_t at = PickField(p, label ? kSample : kLocation, rng);
  if (at == SIZE_MAX) return false;
  return EditSubmessage(p, at, [&](WireMessage& outer) {
    const uint32_t inner_number = label ? kLabel : 4;  // Sample.label, Location.line
    size_t i = PickField(outer, inner_number, rng);
    if (i == SIZE_MAX) {
      outer.push_back(WireField{inner_number, kBytes, 0, {}});
      i = outer.size() - 1;
    }
    EditSubmessage(outer, i, [&rng](WireMessage& inner) {
      // Label: key, str, num, num_unit; Line: function_id, line, column.
      const uint32_t field = static_cast<uint32_t>(1 + rng.Below(4));
      inner.push_back(WireField{field, kVarint, rng.Interesting(), {}});
    });
  });
}

bool MutateStrings(WireMessage& p, Rng& rng) {
  static const std::string kHostile[] = {"",
                                         "a;b",
                                         "line\nbreak",
                                         std::string("nul\0byte", 8),
                                         "\xff\xfe invalid utf-8",
                                         "\"quote\\",
                                         "runtime.growslice",
                                         "runtime.mapassign_fast64",
                                         "<script>x</script>",
                                         std::string(1024, 'x')};
  const std::string& s = kHostile[rng.Below(std::size(kHostile))];
  WireField f{kStringTable, kBytes, 0, std::vector<uint8_t>(s.begin(), s.end())};
  const size_t at = PickField(p, kStringTable, rng);
  if (at != SIZE_MAX && at > 0 && rng.OneIn(2)) {
    p[at] = std::move(f);  // replace (the first string must stay "": readers check it)
  } else if (rng.OneIn(8) && at != SIZE_MAX) {
    p.erase(p.begin() + static_cast<ptrdiff_t>(at));  // every later index shifts
  } else {
    p.push_back(std::move(f));
  }
  return true;
}

// Drops fields, duplicates or moves one.
bool ShuffleFields(WireMessage& p, Rng& rng) {
  if (p.empty()) return false;
  const size_t i = rng.Below(p.size()), j = rng.Below(p.size());
  switch (rng.Below(3)) {
    case 0:  // a run of fields: keeps inputs small, as the duplications grow them
      p.erase(p.begin() + static_cast<ptrdiff_t>(i),
              p.begin() +
                  static_cast<ptrdiff_t>(i + 1 + rng.Below(std::min<size_t>(64, p.size() - i))));
      break;
    case 1:
      p.insert(p.begin() + static_cast<ptrdiff_t>(j), p[i]);
      break;
    default:
      std::swap(p[i], p[j]);
  }
  return true;
}

bool MutateProfile(WireMessage& p, Rng& rng) {
  switch (rng.Below(7)) {
    case 0:
      return MutateSampleValue(p, rng);
    case 1:
      return MutateStack(p, rng);
    case 2:
      return DuplicateSample(p, rng);
    case 3:
      return MutateReference(p, rng);
    case 4:
      return MutateNested(p, rng);
    case 5:
      return MutateStrings(p, rng);
    default:
      return ShuffleFields(p, rng);
  }
}

// The profile's bytes, gunzipped when needed; false when they are not a message.
bool Decode(std::span<const uint8_t> data, bool* gzipped, WireMessage* out) {
  *gzipped = LooksGzipped(data);
  if (!*gzipped) return ParseWire(data, out);
  auto raw = Gunzip(data, uint64_t{64} << 20);
  return raw.ok() && ParseWire(*raw, out);
}

std::vector<uint8_t> Encode(const WireMessage& p, bool gzip) {
  std::vector<uint8_t> raw = EncodeWire(p);
  if (!gzip) return raw;
  auto z = Gzip(raw, 1);
  return z.ok() ? std::move(*z) : raw;
}

std::optional<std::vector<uint8_t>> Mutate(std::span<const uint8_t> data, Rng& rng) {
  bool gzipped = false;
  WireMessage p;
  if (!Decode(data, &gzipped, &p)) return std::nullopt;
  for (size_t n = 1 + rng.Below(3), i = 0; i < n; ++i) {
    if (!MutateProfile(p, rng)) return std::nullopt;
  }
  // Mostly keep the input's compression; sometimes switch, so both paths see every shape.
  return Encode(p, gzipped != rng.OneIn(16));
}

// Splices one kind of message (samples, locations, functions, strings) from the second profile
// into the first, so ids and string indexes meet a table they were not written for.
std::optional<std::vector<uint8_t>> CrossOver(std::span<const uint8_t> first,
                                              std::span<const uint8_t> second, Rng& rng) {
  bool gzipped = false, gzipped2 = false;
  WireMessage a, b;
  if (!Decode(first, &gzipped, &a) || !Decode(second, &gzipped2, &b)) return std::nullopt;
  const uint32_t kinds[] = {kSample, kLocation, kFunction, kStringTable, kMapping};
  const uint32_t kind = kinds[rng.Below(std::size(kinds))];
  for (size_t i : FieldsNumbered(b, kind)) {
    if (rng.OneIn(2)) a.push_back(b[i]);
  }
  return Encode(a, gzipped);
}

}  // namespace
}  // namespace gcspike::fuzz

GCSPIKE_FUZZ_MUTATOR(gcspike::fuzz::Mutate, gcspike::fuzz::CrossOver)
