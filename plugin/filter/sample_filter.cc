#include "plugin/filter/sample_filter.h"

#include <limits>
#include <map>
#include <regex>
#include <set>

#include "plugin/filter/profile_pruner.h"

namespace gcspike {
namespace {

Result<std::regex> CompileFrameRegexp(const std::string& flag, const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return MakeError("--" + flag + " '" + pattern + "': bad regular expression: " + e.what());
  }
}

// Per location id: does any of its Lines name a function matching `re`? Each function name is
// tried once.
std::vector<bool> LocationsMatching(const Profile& p, const std::regex& re) {
  std::vector<bool> function_matches(p.functions.size() + 1, false);
  for (const Function& f : p.functions) {
    function_matches[f.id] = std::regex_search(p.str(f.name), re);
  }
  std::vector<bool> out(p.locations.size() + 1, false);
  for (const Location& loc : p.locations) {
    for (const Line& ln : loc.lines) {
      if (function_matches[ln.function_id]) {
        out[loc.id] = true;
        break;
      }
    }
  }
  return out;
}

bool AnyLocation(const Sample& s, const std::vector<bool>& matches) {
  for (uint64_t id : s.location_ids) {
    if (matches[id]) return true;
  }
  return false;
}

// A --keep or --drop condition on a key that no sample carries matches nothing: --keep then
// empties the profile and --drop removes nothing, and a misspelt or absent key (--keep pid=1 on
// a Go profile, whose samples have no pid) would pass for a real result. One warning per such
// key, naming the keys the samples do carry.
void WarnAbsentLabelKeys(const Profile& profile, const SampleFilterSpec& spec,
                         Diagnostics* diagnostics) {
  if (diagnostics == nullptr || profile.samples.empty()) return;
  std::set<StrId> present;
  for (const Sample& s : profile.samples) {
    for (const Label& l : s.labels) present.insert(l.key);
  }
  std::set<std::string> warned;
  for (const auto& [flag, conditions] : {std::pair{"--keep", &spec.keep}, {"--drop", &spec.drop}}) {
    for (const LabelCondition& c : *conditions) {
      const StrId key = profile.strings.Find(c.key);
      if ((key != 0 && present.contains(key)) || !warned.insert(c.key).second) continue;
      std::set<std::string> names;
      for (StrId k : present) names.insert(std::string(profile.str(k)));
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      const std::string named = c.option.empty() ? std::string(flag) + " " + c.text
                                                 : c.option + " (" + flag + " " + c.text + ")";
      diagnostics->Warn(named + ": no sample has a '" + c.key + "' label, so it " +
                        (conditions == &spec.keep ? "keeps" : "drops") + " none (" +
                        (known.empty() ? "the samples have no labels" : "labels: " + known) + ")");
    }
  }
}

}  // namespace

Result<SampleFilterStats> FilterSamples(Profile& profile, const SampleFilterSpec& spec,
                                        Diagnostics* diagnostics) {
  SampleFilterStats stats;
  if (spec.empty()) {
    stats.samples_in = stats.samples_out = profile.SampleRecordCount();
    return stats;
  }
  // The filters look at each sample's own labels (time, thread): a spooled profile's records
  // become samples first.
  GCSPIKE_RETURN_IF_ERROR(MaterializeSpool(profile, spec.max_memory));
  stats.samples_in = profile.samples.size();
  WarnAbsentLabelKeys(profile, spec, diagnostics);

  // --keep: one group of alternatives per key, in the order the keys were first named.
  std::map<std::string, std::vector<LabelConditionMatcher>> keep_groups;
  for (const LabelCondition& c : spec.keep) keep_groups[c.key].emplace_back(profile, c);
  std::vector<LabelConditionMatcher> drops;
  for (const LabelCondition& c : spec.drop) drops.emplace_back(profile, c);

  std::vector<bool> focus_locations, ignore_locations;
  if (!spec.focus.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(std::regex re, CompileFrameRegexp("focus", spec.focus));
    focus_locations = LocationsMatching(profile, re);
  }
  if (!spec.ignore.empty()) {
    GCSPIKE_ASSIGN_OR_RETURN(std::regex re, CompileFrameRegexp("ignore", spec.ignore));
    ignore_locations = LocationsMatching(profile, re);
  }

  int64_t from = std::numeric_limits<int64_t>::min();
  int64_t to = std::numeric_limits<int64_t>::max();
  const StrId ts_key = profile.strings.Find(kTimestampLabel);
  const bool windowed = spec.from.has_value() || spec.to.has_value();
  if (windowed) {
    std::optional<int64_t> first, last;
    for (const Sample& s : profile.samples) {
      const Label* l = profile.FindLabel(s, ts_key);
      if (l == nullptr || !l->numeric) continue;
      if (!first || l->num < *first) first = l->num;
      if (!last || l->num > *last) last = l->num;
    }
    if (!first) {
      return MakeError(std::string("--from/--to need samples with a numeric ") + kTimestampLabel +
                       " label, and this profile has none");
    }
    stats.first_ns = *first;
    stats.last_ns = *last;
    auto resolve = [&](const TimeBound& b) { return b.relative ? *first + b.ns : b.ns; };
    if (spec.from) from = resolve(*spec.from);
    if (spec.to) to = resolve(*spec.to);
    if (spec.from && spec.to && to <= from) {
      return MakeError("--to " + spec.to->text + " is not after --from " + spec.from->text +
                       ": the window [from, to) holds no time");
    }
  }

  size_t kept = 0;
  const size_t n = profile.samples.size();
  for (size_t i = 0; i < n; ++i) {
    if (diagnostics != nullptr && (i & 0xffff) == 0 && i != 0) {
      diagnostics->Progress("filtering samples", i, n);
    }
    const Sample& s = profile.samples[i];
    bool keep = true;
    for (const auto& [key, alternatives] : keep_groups) {
      bool any = false;
      for (const LabelConditionMatcher& m : alternatives) {
        if (m.Matches(s)) {
          any = true;
          break;
        }
      }
      if (!any) {
        keep = false;
        break;
      }
    }
    for (size_t d = 0; keep && d < drops.size(); ++d) keep = !drops[d].Matches(s);
    if (keep && !focus_locations.empty()) keep = AnyLocation(s, focus_locations);
    if (keep && !ignore_locations.empty()) keep = !AnyLocation(s, ignore_locations);
    if (keep && windowed) {
      const Label* l = profile.FindLabel(s, ts_key);
      if (l == nullptr || !l->numeric) {
        ++stats.without_timestamp;
        keep = false;
      } else {
        keep = l->num >= from && l->num < to;
      }
    }
    if (!keep) continue;
    if (kept != i) profile.samples[kept] = std::move(profile.samples[i]);
    ++kept;
  }
  profile.samples.resize(kept);
  stats.samples_out = kept;
  if (stats.without_timestamp != 0 && diagnostics != nullptr) {
    diagnostics->Warn(std::to_string(stats.without_timestamp) + " sample(s) without a " +
                      kTimestampLabel + " label were dropped by --from/--to");
  }
  PruneUnreferenced(profile);
  return stats;
}

}  // namespace gcspike
