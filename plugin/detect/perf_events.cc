#include "plugin/detect/perf_events.h"

#include <algorithm>
#include <array>
#include <map>

namespace gcspike {
namespace {

constexpr std::string_view kSamplesSuffix = "_samples";
constexpr std::string_view kPeriodSuffix = "_period";

// perf's modifier letters after "EVENT:" (docs/formats/perf-data.md#event-names); a tracepoint's
// "SYSTEM:NAME" has a name there instead.
bool IsModifiers(std::string_view s) {
  return !s.empty() && s.find_first_not_of("ukhIGHpPSDWeb") == std::string_view::npos;
}

}  // namespace

bool IsCpuTimeEvent(std::string_view event) {
  std::string_view name = event;
  if (const size_t slash = event.find('/'); slash != std::string_view::npos) {
    // PMU/TERMS/MODIFIERS: the event is the first term when it is a name, not "event=0x3c".
    name = event.substr(slash + 1);
    name = name.substr(0, std::min(name.find('/'), name.find(',')));
    if (name.find('=') != std::string_view::npos) return false;
  } else if (const size_t colon = event.find(':'); colon != std::string_view::npos) {
    if (!IsModifiers(event.substr(colon + 1))) return false;  // a tracepoint
    name = event.substr(0, colon);
  }
  static constexpr std::array<std::string_view, 5> kCpuTime = {"cpu-clock", "task-clock", "cycles",
                                                               "cpu-cycles", "ref-cycles"};
  for (std::string_view t : kCpuTime) {
    if (name == t) return true;
  }
  return false;
}

PerfEvents FindPerfEvents(const Profile& profile) {
  PerfEvents out;
  for (size_t i = 0; i < profile.sample_types.size(); ++i) {
    const std::string_view t = profile.str(profile.sample_types[i].type);
    if (!t.ends_with(kSamplesSuffix)) continue;
    const std::string_view event = t.substr(0, t.size() - kSamplesSuffix.size());
    if (!out.any) out.first_event = std::string(event);
    out.any = true;
    if (out.cpu_samples || !IsCpuTimeEvent(event)) continue;
    out.cpu_samples = i;
    const std::string period = std::string(event) + std::string(kPeriodSuffix);
    for (size_t k = 0; k < profile.sample_types.size(); ++k) {
      if (profile.str(profile.sample_types[k].type) == period) out.cpu_period = k;
    }
  }
  return out;
}

Result<std::vector<ProcessShare>> ProcessShares(const Profile& profile) {
  const StrId pid_key = profile.strings.Find("pid");
  const StrId comm_key = profile.strings.Find("comm");
  std::vector<ProcessShare> out;
  if (pid_key == 0) return out;
  const std::optional<size_t> cpu = FindPerfEvents(profile).cpu_samples;
  std::map<int64_t, ProcessShare> by_pid;
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    const Label* pid = r.Find(pid_key);
    if (pid == nullptr || !pid->numeric || pid->num <= 0) return {};
    ProcessShare& p = by_pid[pid->num];
    p.pid = pid->num;
    if (const Label* comm = r.Find(comm_key); comm != nullptr && !comm->numeric) {
      p.comm = profile.str(comm->str);
    }
    p.samples += cpu && *cpu < r.values.size() ? static_cast<double>(r.values[*cpu]) : 1.0;
    return {};
  }));
  for (auto& [pid, p] : by_pid) out.push_back(std::move(p));
  std::stable_sort(out.begin(), out.end(), [](const ProcessShare& a, const ProcessShare& b) {
    return a.samples > b.samples;
  });
  return out;
}

size_t ReportValueIndex(const Profile& profile) {
  const PerfEvents events = FindPerfEvents(profile);
  return events.cpu_period ? *events.cpu_period : profile.DefaultValueIndex();
}

}  // namespace gcspike
