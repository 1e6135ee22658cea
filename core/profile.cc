#include "core/profile.h"

#include "core/sample_spool.h"

namespace gcspike {

size_t Profile::DefaultValueIndex() const {
  if (sample_types.empty()) return 0;
  if (default_sample_type != 0) {
    for (size_t i = 0; i < sample_types.size(); ++i) {
      if (sample_types[i].type == default_sample_type) return i;
    }
  }
  return sample_types.size() - 1;
}

const Label* Profile::FindLabel(const Sample& s, StrId key) const {
  if (key == 0) return nullptr;
  for (const Label& l : s.labels) {
    if (l.key == key) return &l;
  }
  return nullptr;
}

std::optional<int64_t> Profile::NumLabel(const Sample& s, std::string_view key) const {
  const Label* l = FindLabel(s, strings.Find(key));
  if (l == nullptr || !l->numeric) return std::nullopt;
  return l->num;
}

std::optional<std::string_view> Profile::StrLabel(const Sample& s, std::string_view key) const {
  const Label* l = FindLabel(s, strings.Find(key));
  if (l == nullptr || l->numeric) return std::nullopt;
  return std::string_view(strings[l->str]);
}

void Profile::SetStrLabel(Sample& s, std::string_view key, std::string_view value) {
  Label nl;
  nl.key = Intern(key);
  nl.str = Intern(value);
  for (Label& l : s.labels) {
    if (l.key == nl.key) {
      l = nl;
      return;
    }
  }
  s.labels.push_back(nl);
}

void Profile::SetNumLabel(Sample& s, std::string_view key, int64_t value, std::string_view unit) {
  Label nl;
  nl.key = Intern(key);
  nl.num = value;
  nl.num_unit = Intern(unit);
  nl.numeric = true;
  for (Label& l : s.labels) {
    if (l.key == nl.key) {
      l = nl;
      return;
    }
  }
  s.labels.push_back(nl);
}

Status Profile::Validate() const {
  auto bad = [](std::string m) { return MakeError("invalid profile: " + std::move(m)); };
  for (size_t i = 0; i < mappings.size(); ++i) {
    if (mappings[i].id != i + 1) return bad("mapping ids are not dense");
  }
  for (size_t i = 0; i < functions.size(); ++i) {
    if (functions[i].id != i + 1) return bad("function ids are not dense");
  }
  for (size_t i = 0; i < locations.size(); ++i) {
    const Location& loc = locations[i];
    if (loc.id != i + 1) return bad("location ids are not dense");
    if (loc.mapping_id > mappings.size()) {
      return bad("location " + std::to_string(loc.id) + " names a missing mapping");
    }
    for (const Line& ln : loc.lines) {
      if (ln.function_id == 0 || ln.function_id > functions.size()) {
        return bad("location " + std::to_string(loc.id) + " names a missing function");
      }
    }
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    if (s.values.size() != sample_types.size()) {
      return bad("sample " + std::to_string(i) + " has " + std::to_string(s.values.size()) +
                 " values for " + std::to_string(sample_types.size()) + " sample types");
    }
    for (uint64_t id : s.location_ids) {
      if (id == 0 || id > locations.size()) {
        return bad("sample " + std::to_string(i) + " names missing location " + std::to_string(id));
      }
    }
  }
  if (spool != nullptr && spool->size() != 0 && samples.empty()) {
    return bad("a sample spool without stack samples");
  }
  for (const AssistInterval& a : timeline.assists) {
    for (uint64_t id : a.stack) {
      if (id == 0 || id > locations.size()) return bad("assist stack names a missing location");
    }
  }
  return {};
}

uint64_t Profile::SampleRecordCount() const {
  return spool != nullptr ? spool->size() : samples.size();
}

uint64_t Profile::RecordsOf(size_t sample) const {
  return spool != nullptr ? spool->RecordsOf(static_cast<uint32_t>(sample)) : 1;
}

const Label* SampleRecord::Find(StrId key) const {
  if (key == 0) return nullptr;
  for (const Label& l : own) {
    if (l.key == key) return &l;
  }
  for (const Label& l : stack->labels) {
    if (l.key == key) return &l;
  }
  return nullptr;
}

Status ForEachSampleRecord(const Profile& profile,
                           const std::function<Status(const SampleRecord&)>& visit) {
  SampleRecord r;
  if (profile.spool == nullptr) {
    for (const Sample& s : profile.samples) {
      r.stack = &s;
      r.values = s.values;
      GCSPIKE_RETURN_IF_ERROR(visit(r));
      ++r.index;
    }
    return {};
  }
  const std::vector<Sample>& stacks = profile.samples;
  return profile.spool->ForEach(stacks.size(), [&](const SampleSpool::Record& rec) -> Status {
    if (rec.values.size() != profile.sample_types.size()) {
      return MakeError("invalid profile: a spooled sample has " +
                       std::to_string(rec.values.size()) + " values for " +
                       std::to_string(profile.sample_types.size()) + " sample types");
    }
    r.stack = &stacks[rec.sample];
    r.values = rec.values;
    r.own = rec.labels;
    GCSPIKE_RETURN_IF_ERROR(visit(r));
    ++r.index;
    return {};
  });
}

uint64_t MaterializedSampleBytes(size_t frames, size_t values, size_t labels) {
  return sizeof(Sample) + 48 + 8 * frames + 8 * values + sizeof(Label) * labels;
}

namespace {

Error OverBudget(uint64_t records, uint64_t bytes, uint64_t max_memory) {
  return MakeError("expanding the " + std::to_string(records) +
                   " spooled samples into one model sample each takes at least " +
                   std::to_string(bytes) + " bytes of memory, more than the memory budget of " +
                   std::to_string(max_memory) + " bytes; --max-memory raises it");
}

}  // namespace

Status MaterializeSpool(Profile& profile, uint64_t max_memory) {
  if (profile.spool == nullptr) return {};
  // The least the samples take (their own labels not counted): refused before any is made.
  const std::vector<Sample>& stacks = profile.samples;
  uint64_t bytes = 0;
  for (size_t i = 0; i < stacks.size(); ++i) {
    uint64_t each = MaterializedSampleBytes(stacks[i].location_ids.size(), stacks[i].values.size(),
                                            stacks[i].labels.size());
    if (__builtin_mul_overflow(each, profile.spool->RecordsOf(static_cast<uint32_t>(i)), &each) ||
        __builtin_add_overflow(bytes, each, &bytes) || bytes > max_memory) {
      return OverBudget(profile.spool->size(), bytes, max_memory);
    }
  }
  std::vector<Sample> expanded;
  expanded.reserve(profile.spool->size());
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    bytes += sizeof(Label) * r.own.size();
    if (bytes > max_memory) return OverBudget(profile.spool->size(), bytes, max_memory);
    Sample s;
    s.location_ids = r.stack->location_ids;
    s.values.assign(r.values.begin(), r.values.end());
    s.labels.reserve(r.own.size() + r.stack->labels.size());
    s.labels.assign(r.own.begin(), r.own.end());
    s.labels.insert(s.labels.end(), r.stack->labels.begin(), r.stack->labels.end());
    expanded.push_back(std::move(s));
    return {};
  }));
  profile.samples = std::move(expanded);
  profile.spool.reset();
  return {};
}

}  // namespace gcspike
