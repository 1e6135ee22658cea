#include "core/profile_merge.h"

#include <algorithm>
#include <unordered_set>

#include "core/profile_builder.h"

namespace gcspike {

std::string SampleTypesString(const Profile& p) {
  std::string s;
  for (const ValueType& vt : p.sample_types) {
    if (!s.empty()) s += ", ";
    s += p.str(vt.type) + "/" + p.str(vt.unit);
  }
  return s.empty() ? "(none)" : s;
}

namespace {

class Importer {
 public:
  Importer(Profile& dst, ProfileBuilder& b, const Profile& src) : dst_(dst), b_(b), src_(src) {}

  StrId S(StrId id) { return dst_.Intern(src_.str(id)); }

  void Run() {
    std::vector<uint64_t> mapping_ids(src_.mappings.size() + 1, 0);
    for (const Mapping& m : src_.mappings) {
      Mapping c = m;
      c.filename = S(m.filename);
      c.build_id = S(m.build_id);
      const uint64_t id = b_.InternMapping(c);
      Mapping& stored = dst_.mappings[id - 1];
      stored.has_functions |= m.has_functions;
      stored.has_filenames |= m.has_filenames;
      stored.has_line_numbers |= m.has_line_numbers;
      stored.has_inline_frames |= m.has_inline_frames;
      mapping_ids[m.id] = id;
    }
    std::vector<uint64_t> function_ids(src_.functions.size() + 1, 0);
    for (const Function& f : src_.functions) {
      function_ids[f.id] = b_.InternFunction(src_.str(f.name), src_.str(f.filename), f.start_line,
                                             src_.str(f.system_name));
    }
    location_ids_.assign(src_.locations.size() + 1, 0);
    std::vector<Line> lines;
    for (const Location& loc : src_.locations) {
      lines = loc.lines;
      for (Line& l : lines) l.function_id = function_ids[l.function_id];
      location_ids_[loc.id] =
          b_.InternLocation(mapping_ids[loc.mapping_id], loc.address, lines, loc.is_folded);
    }
    for (const Sample& s : src_.samples) {
      Sample c;
      c.values = s.values;
      c.location_ids.reserve(s.location_ids.size());
      for (uint64_t id : s.location_ids) c.location_ids.push_back(location_ids_[id]);
      c.labels = s.labels;
      for (Label& l : c.labels) {
        l.key = S(l.key);
        l.str = S(l.str);
        l.num_unit = S(l.num_unit);
      }
      dst_.samples.push_back(std::move(c));
    }
    const Timeline& t = src_.timeline;
    Timeline& d = dst_.timeline;
    d.gc_cycles.insert(d.gc_cycles.end(), t.gc_cycles.begin(), t.gc_cycles.end());
    for (StwPause p : t.pauses) {
      p.kind = S(p.kind);
      d.pauses.push_back(p);
    }
    for (AssistInterval a : t.assists) {
      for (uint64_t& id : a.stack) id = location_ids_[id];
      d.assists.push_back(std::move(a));
    }
    d.heap_alloc.insert(d.heap_alloc.end(), t.heap_alloc.begin(), t.heap_alloc.end());
    d.heap_goal.insert(d.heap_goal.end(), t.heap_goal.begin(), t.heap_goal.end());
  }

 private:
  Profile& dst_;
  ProfileBuilder& b_;
  const Profile& src_;
  std::vector<uint64_t> location_ids_;
};

}  // namespace

ProfileMerger::ProfileMerger(Diagnostics* diagnostics, uint64_t max_memory)
    : diagnostics_(diagnostics), max_memory_(max_memory) {}
ProfileMerger::~ProfileMerger() = default;

Status ProfileMerger::Add(Profile input, const std::string& name) {
  ++count_;
  if (count_ == 1) {
    first_types_.clear();
    for (const ValueType& vt : input.sample_types) {
      first_types_.emplace_back(input.str(vt.type), input.str(vt.unit));
    }
    first_period_ = input.period;
    first_name_ = name;
    first_ = std::move(input);
    return Status();
  }
  if (first_.has_value()) {
    Profile first = std::move(*first_);
    first_.reset();
    GCSPIKE_RETURN_IF_ERROR(Start(first));
    GCSPIKE_RETURN_IF_ERROR(Import(first, first_name_));
  }
  return Import(input, name);
}

Status ProfileMerger::Start(const Profile& first) {
  out_ = std::make_unique<Profile>();
  builder_ = std::make_unique<ProfileBuilder>(*out_);
  Profile& out = *out_;
  for (const ValueType& vt : first.sample_types) {
    out.sample_types.push_back({out.Intern(first.str(vt.type)), out.Intern(first.str(vt.unit))});
  }
  out.period_type = {out.Intern(first.str(first.period_type.type)),
                     out.Intern(first.str(first.period_type.unit))};
  out.period = first.period;
  out.drop_frames = out.Intern(first.str(first.drop_frames));
  out.keep_frames = out.Intern(first.str(first.keep_frames));
  out.default_sample_type = out.Intern(first.str(first.default_sample_type));
  out.doc_url = out.Intern(first.str(first.doc_url));
  return Status();
}

Status ProfileMerger::Import(Profile& p, const std::string& name) {
  bool same = p.sample_types.size() == first_types_.size();
  for (size_t j = 0; same && j < p.sample_types.size(); ++j) {
    same = p.str(p.sample_types[j].type) == first_types_[j].first &&
           p.str(p.sample_types[j].unit) == first_types_[j].second;
  }
  if (!same) {
    std::string first_types;
    for (const auto& [type, unit] : first_types_) {
      if (!first_types.empty()) first_types += ", ";
      first_types += type + "/" + unit;
    }
    if (first_types.empty()) first_types = "(none)";
    Error e = MakeError("cannot merge: its sample types [" + SampleTypesString(p) +
                        "] differ from those of " + first_name_ + " [" + first_types + "]");
    e.file = name;
    return e;
  }
  // Merging renumbers each input's samples; spooled records become samples first.
  if (Status s = MaterializeSpool(p, max_memory_); !s.ok()) {
    Error e = s.error();
    e.file = name;
    return e;
  }
  if (p.period != first_period_ && diagnostics_ != nullptr) {
    // A count of samples (gcspike's shares, pprof -sample_index=samples) then counts a sample
    // of the shorter period, which stands for less time, as much as one of the longer.
    diagnostics_->Warn(name + ": period " + std::to_string(p.period) + " differs from " +
                       std::to_string(first_period_) + " of " + first_name_ +
                       "; keeping the largest, as go tool pprof does; shares of samples count "
                       "the CPU time of the input with the shorter period more than the other's, "
                       "so record every input at one rate");
  }
  // The largest period, as combineHeaders does: associative and commutative, like the rest.
  out_->period = std::max(out_->period, p.period);
  // As google/pprof's profile.Merge (combineHeaders), which `go tool pprof -proto a b c`
  // uses: the earliest time and the sum of the durations (profiling time, not wall time).
  // pprof lets a zero time after a non-zero one win; here a zero time means unknown (which
  // keeps the rule associative).
  if (p.time_nanos != 0) start_ = start_ == 0 ? p.time_nanos : std::min(start_, p.time_nanos);
  duration_ += p.duration_nanos;
  for (StrId c : p.comments) {
    if (seen_comments_.insert(p.str(c)).second) out_->comments.push_back(out_->Intern(p.str(c)));
  }
  Importer(*out_, *builder_, p).Run();
  return Status();
}

Result<Profile> ProfileMerger::Finish() {
  if (count_ == 0) return MakeError("no profiles to merge");
  if (first_.has_value()) {
    Profile p = std::move(*first_);
    first_.reset();
    count_ = 0;
    return p;
  }
  Profile out = std::move(*out_);
  builder_.reset();
  out_.reset();
  out.time_nanos = start_;
  out.duration_nanos = duration_;
  CanonicalizeStrings(out);
  count_ = 0;
  return out;
}

Result<Profile> MergeProfiles(std::vector<Profile> inputs, const std::vector<std::string>& names,
                              Diagnostics* diagnostics) {
  if (inputs.empty()) return MakeError("no profiles to merge");
  if (inputs.size() == 1) return std::move(inputs[0]);
  ProfileMerger merger(diagnostics);
  for (size_t i = 0; i < inputs.size(); ++i) {
    GCSPIKE_RETURN_IF_ERROR(merger.Add(std::move(inputs[i]), names[i]));
    inputs[i] = Profile();  // release as we go
  }
  return merger.Finish();
}

void CanonicalizeStrings(Profile& p) {
  if (p.spool != nullptr) return;
  StringTable table;
  std::vector<StrId> map(p.strings.size(), 0);
  std::vector<bool> mapped(p.strings.size(), false);
  mapped[0] = true;
  auto use = [&](StrId& id) {
    if (!mapped[id]) {
      map[id] = table.Intern(p.strings[id]);
      mapped[id] = true;
    }
    id = map[id];
  };
  for (ValueType& vt : p.sample_types) {
    use(vt.type);
    use(vt.unit);
  }
  for (Sample& s : p.samples) {
    for (Label& l : s.labels) {
      use(l.key);
      use(l.str);
      use(l.num_unit);
    }
  }
  for (Mapping& m : p.mappings) {
    use(m.filename);
    use(m.build_id);
  }
  for (Function& f : p.functions) {
    use(f.name);
    use(f.system_name);
    use(f.filename);
  }
  use(p.drop_frames);
  use(p.keep_frames);
  use(p.period_type.type);
  use(p.period_type.unit);
  for (StrId& c : p.comments) use(c);
  use(p.default_sample_type);
  use(p.doc_url);
  for (StwPause& pause : p.timeline.pauses) use(pause.kind);
  p.strings = std::move(table);
}

}  // namespace gcspike
