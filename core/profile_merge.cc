#include "core/profile_merge.h"

#include <algorithm>
#include <unordered_set>

#include "core/profile_builder.h"

namespace gcspike {
namespace {

std::string TypesString(const Profile& p) {
  std::string s;
  for (const ValueType& vt : p.sample_types) {
    if (!s.empty()) s += ", ";
    s += p.str(vt.type) + "/" + p.str(vt.unit);
  }
  return s.empty() ? "(none)" : s;
}

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

Result<Profile> MergeProfiles(std::vector<Profile> inputs, const std::vector<std::string>& names,
                              Diagnostics* diagnostics) {
  if (inputs.empty()) return MakeError("no profiles to merge");
  if (inputs.size() == 1) return std::move(inputs[0]);
  // Merging renumbers each input's samples; spooled records become samples first.
  for (Profile& p : inputs) GCSPIKE_RETURN_IF_ERROR(MaterializeSpool(p));
  const Profile& first = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Profile& p = inputs[i];
    bool same = p.sample_types.size() == first.sample_types.size();
    for (size_t j = 0; same && j < p.sample_types.size(); ++j) {
      same = p.str(p.sample_types[j].type) == first.str(first.sample_types[j].type) &&
             p.str(p.sample_types[j].unit) == first.str(first.sample_types[j].unit);
    }
    if (!same) {
      Error e = MakeError("cannot merge: its sample types [" + TypesString(p) +
                          "] differ from those of " + names[0] + " [" + TypesString(first) + "]");
      e.file = names[i];
      return e;
    }
  }

  Profile out;
  ProfileBuilder builder(out);
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

  const int64_t first_period = first.period;
  const std::string first_name = names[0];
  int64_t start = 0, duration = 0;
  std::unordered_set<std::string> seen_comments;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Profile& p = inputs[i];
    if (p.period != first_period && diagnostics != nullptr) {
      diagnostics->Warn(names[i] + ": period " + std::to_string(p.period) + " differs from " +
                        std::to_string(first_period) + " of " + first_name +
                        "; keeping the first");
    }
    // As google/pprof's profile.Merge (combineHeaders), which `go tool pprof -proto a b c`
    // uses: the earliest time and the sum of the durations (profiling time, not wall time).
    // pprof lets a zero time after a non-zero one win; here a zero time means unknown.
    if (p.time_nanos != 0) start = start == 0 ? p.time_nanos : std::min(start, p.time_nanos);
    duration += p.duration_nanos;
    for (StrId c : p.comments) {
      if (seen_comments.insert(p.str(c)).second) out.comments.push_back(out.Intern(p.str(c)));
    }
    Importer(out, builder, p).Run();
    inputs[i] = Profile();  // release as we go
  }
  out.time_nanos = start;
  out.duration_nanos = duration;
  return out;
}

}  // namespace gcspike
