#include "plugin/detect/perf_events.h"

#include <algorithm>
#include <map>

namespace gcspike {
namespace {

constexpr std::string_view kSamplesSuffix = "_samples";
constexpr std::string_view kPeriodSuffix = "_period";

}  // namespace

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
    out.cpu_event = std::string(event);
    out.cpu_kernel_only = IsKernelOnlyCpuTimeEvent(event);
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
  // Per pid, the samples of each of its threads' names (a process renames itself at exec, and
  // its threads may have names of their own): the process goes by the name of most samples.
  std::map<int64_t, std::map<StrId, double>> by_pid;
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    const Label* pid = r.Find(pid_key);
    if (pid == nullptr || !pid->numeric || pid->num <= 0) return {};
    const Label* comm = r.Find(comm_key);
    by_pid[pid->num][comm != nullptr && !comm->numeric ? comm->str : 0] +=
        cpu && *cpu < r.values.size() ? static_cast<double>(r.values[*cpu]) : 1.0;
    return {};
  }));
  for (const auto& [pid, comms] : by_pid) {
    ProcessShare p;
    p.pid = pid;
    double most = -1;
    for (const auto& [comm, samples] : comms) {
      p.samples += samples;
      const std::string name(profile.str(comm));
      if (samples > most || (samples == most && name < p.comm)) {
        most = samples;
        p.comm = name;
      }
    }
    out.push_back(std::move(p));
  }
  // Largest first; equal ones by pid.
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
