#include "formats/perf_sample_layout.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>

#include "formats/perf_event_abi.h"

namespace gcspike {

namespace sample = perf::sample;

Result<PerfAttr> ReadPerfAttr(ByteCursor c, uint64_t slot_size) {
  const uint64_t start = c.offset();
  if (slot_size < perf::attr::kMinSize) {
    return MakeErrorAt(start, "perf_event_attr of " + std::to_string(slot_size) +
                                  " bytes is smaller than the minimum 64");
  }
  GCSPIKE_ASSIGN_OR_RETURN(ByteCursor slot, c.sub(slot_size));
  // The fields we read end at byte 88; a shorter attr reads as zero past its end.
  uint8_t padded[88] = {};
  const std::span<const uint8_t> have = slot.rest();
  std::copy_n(have.begin(), std::min(have.size(), sizeof padded), padded);
  ByteCursor a(padded, start);
  PerfAttr attr;
  attr.type = *a.u32le();
  const uint32_t self_size = *a.u32le();
  if (self_size != 0 && (self_size < perf::attr::kMinSize || self_size > slot_size)) {
    return MakeErrorAt(start + 4, "perf_event_attr.size " + std::to_string(self_size) +
                                      " does not fit its " + std::to_string(slot_size) +
                                      "-byte slot");
  }
  attr.config = *a.u64le();
  attr.sample_period = *a.u64le();
  attr.sample_type = *a.u64le();
  attr.read_format = *a.u64le();
  attr.flags = *a.u64le();
  GCSPIKE_RETURN_IF_ERROR(a.skip(24));  // wakeup_events, bp_type, config1
  attr.branch_sample_type = *a.u64le();
  attr.sample_regs_user = *a.u64le();
  return attr;
}

std::string DefaultEventName(const PerfAttr& a) {
  static const char* const kHardware[] = {"cycles",
                                          "instructions",
                                          "cache-references",
                                          "cache-misses",
                                          "branches",
                                          "branch-misses",
                                          "bus-cycles",
                                          "stalled-cycles-frontend",
                                          "stalled-cycles-backend",
                                          "ref-cycles"};
  static const char* const kSoftware[] = {"cpu-clock", "task-clock", "page-faults",
                                          "context-switches", "cpu-migrations"};
  if (a.type == perf::attr_type::kHardware && a.config < std::size(kHardware)) {
    return kHardware[a.config];
  }
  if (a.type == perf::attr_type::kSoftware && a.config < std::size(kSoftware)) {
    return kSoftware[a.config];
  }
  return "event-" + std::to_string(a.type) + ":" + std::to_string(a.config);
}

namespace {

// perf's modifier letters after "EVENT:" (docs/formats/perf-data.md#event-names); a tracepoint's
// "SYSTEM:NAME" has a name there instead.
bool IsModifiers(std::string_view s) {
  return !s.empty() && s.find_first_not_of("ukhIGHpPSDWeb") == std::string_view::npos;
}

// An event's name and modifier letters as perf writes them: "NAME[:MODIFIERS]" or
// "PMU/NAME[,TERMS]/[MODIFIERS]"; nullopt for a tracepoint "SYSTEM:NAME" or a PMU event given by
// its terms ("cpu/event=0x3c/"), which name no event.
struct EventNameParts {
  std::string_view name;
  std::string_view modifiers;
};
std::optional<EventNameParts> SplitEventName(std::string_view event) {
  EventNameParts out{event, {}};
  if (const size_t slash = event.find('/'); slash != std::string_view::npos) {
    const std::string_view rest = event.substr(slash + 1);
    out.name = rest.substr(0, std::min(rest.find('/'), rest.find(',')));
    if (out.name.find('=') != std::string_view::npos) return std::nullopt;
    if (const size_t last = rest.find('/'); last != std::string_view::npos) {
      out.modifiers = rest.substr(last + 1);
    }
  } else if (const size_t colon = event.find(':'); colon != std::string_view::npos) {
    out.modifiers = event.substr(colon + 1);
    if (!IsModifiers(out.modifiers)) return std::nullopt;
    out.name = event.substr(0, colon);
  }
  return out;
}

}  // namespace

bool IsCpuTimeEvent(std::string_view event) {
  const std::optional<EventNameParts> parts = SplitEventName(event);
  if (!parts.has_value()) return false;
  static constexpr std::array<std::string_view, 5> kCpuTime = {"cpu-clock", "task-clock", "cycles",
                                                               "cpu-cycles", "ref-cycles"};
  return std::find(kCpuTime.begin(), kCpuTime.end(), parts->name) != kCpuTime.end();
}

bool IsKernelOnlyCpuTimeEvent(std::string_view event) {
  if (!IsCpuTimeEvent(event)) return false;
  const std::string_view m = SplitEventName(event)->modifiers;
  return IsModifiers(m) && m.find('k') != std::string_view::npos &&
         m.find('u') == std::string_view::npos;
}

Result<uint64_t> PerfSampleId(uint64_t sample_type, ByteCursor c) {
  size_t skip = 0;
  if ((sample_type & sample::kIdentifier) == 0) {
    for (uint64_t bit : {sample::kIp, sample::kTid, sample::kTime, sample::kAddr}) {
      if ((sample_type & bit) != 0) ++skip;
    }
  }
  GCSPIKE_RETURN_IF_ERROR(c.skip(skip * 8));
  return c.u64le();
}

namespace {

// READ: {value, [time_enabled], [time_running], [id], [lost]} or, with GROUP, {nr, times,
// nr * {value, [id], [lost]}}.
Status SkipRead(uint64_t rf, ByteCursor& c) {
  namespace read_format = perf::read_format;
  const uint64_t per_value = 1 + ((rf & read_format::kId) != 0) + ((rf & read_format::kLost) != 0);
  const uint64_t times =
      ((rf & read_format::kTotalTimeEnabled) != 0) + ((rf & read_format::kTotalTimeRunning) != 0);
  if ((rf & read_format::kGroup) == 0) return c.skip((per_value + times) * 8);
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t nr, c.u64le());
  uint64_t bytes = 0;
  if (!CheckedMul(nr, per_value * 8, &bytes)) return c.error_here("READ group count overflows");
  GCSPIKE_RETURN_IF_ERROR(c.skip(times * 8));
  return c.skip(bytes);
}

// The fields before READ are one u64 each (TID: u32 pid, u32 tid; CPU: u32 cpu, u32 res).
constexpr uint64_t kFixedHead = sample::kIdentifier | sample::kIp | sample::kTid | sample::kTime |
                                sample::kAddr | sample::kId | sample::kStreamId | sample::kCpu |
                                sample::kPeriod;

// ReadSampleHead for a record that holds all its fixed fields (almost every one): a single bounds
// check, then plain loads. False, with nothing consumed, when the record is too short.
bool ReadFixedSampleHead(const PerfAttr& attr, ByteCursor& c, PerfSample* s) {
  const uint64_t st = attr.sample_type;
  ByteCursor head;
  if (!c.try_sub(8 * static_cast<uint64_t>(__builtin_popcountll(st & kFixedHead)), head)) {
    return false;
  }
  const std::span<const uint8_t> fields = head.rest();
  uint64_t at = 0;
  auto next = [&fields, &at] {
    uint64_t v = 0;
    (void)LoadU64le(fields, at, &v);  // the fields' size was checked
    at += 8;
    return v;
  };
  if ((st & sample::kIdentifier) != 0) at += 8;
  if ((s->has_ip = (st & sample::kIp) != 0)) s->ip = next();
  if ((s->has_tid = (st & sample::kTid) != 0)) {
    const uint64_t v = next();
    s->pid = static_cast<uint32_t>(v);
    s->tid = static_cast<uint32_t>(v >> 32);
  }
  if ((s->has_time = (st & sample::kTime) != 0)) s->time = next();
  for (uint64_t bit : {sample::kAddr, sample::kId, sample::kStreamId, sample::kCpu}) {
    if ((st & bit) != 0) at += 8;
  }
  s->period = (st & sample::kPeriod) != 0 ? next() : attr.sample_period;
  return true;
}

// The fields before CALLCHAIN.
Status ReadSampleHead(const PerfAttr& attr, ByteCursor& c, PerfSample* s) {
  if (ReadFixedSampleHead(attr, c, s)) {
    if ((attr.sample_type & sample::kRead) != 0) return SkipRead(attr.read_format, c);
    return {};
  }
  // A short record: field by field, for the error at the field that is missing.
  const uint64_t st = attr.sample_type;
  if ((st & sample::kIdentifier) != 0) GCSPIKE_RETURN_IF_ERROR(c.skip(8));
  if ((s->has_ip = (st & sample::kIp) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->ip, c.u64le());
  }
  if ((s->has_tid = (st & sample::kTid) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->pid, c.u32le());
    GCSPIKE_ASSIGN_OR_RETURN(s->tid, c.u32le());
  }
  if ((s->has_time = (st & sample::kTime) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->time, c.u64le());
  }
  for (uint64_t bit : {sample::kAddr, sample::kId, sample::kStreamId, sample::kCpu}) {
    if ((st & bit) != 0) GCSPIKE_RETURN_IF_ERROR(c.skip(8));
  }
  s->period = attr.sample_period;
  if ((st & sample::kPeriod) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(s->period, c.u64le());
  }
  if ((st & sample::kRead) != 0) GCSPIKE_RETURN_IF_ERROR(SkipRead(attr.read_format, c));
  return {};
}

}  // namespace

Status ReadPerfSample(const PerfAttr& attr, ByteCursor c, PerfSample* s) {
  s->Reset();
  GCSPIKE_RETURN_IF_ERROR(ReadSampleHead(attr, c, s));
  const uint64_t st = attr.sample_type;
  if ((s->has_callchain = (st & sample::kCallchain) != 0)) {
    const uint64_t nr_offset = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(s->callchain_size, c.u64le());
    if (s->callchain_size > c.remaining() / 8) {
      return MakeErrorAt(nr_offset, "callchain of " + std::to_string(s->callchain_size) +
                                        " entries runs past the end of its record");
    }
    // The size was checked against what remains.
    (void)c.try_sub(s->callchain_size * 8, s->callchain);
  }
  if ((st & sample::kRaw) != 0) {
    GCSPIKE_ASSIGN_OR_RETURN(uint32_t raw_size, c.u32le());
    GCSPIKE_RETURN_IF_ERROR(c.skip(raw_size));
  }
  if ((s->has_branch_stack = (st & sample::kBranchStack) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->branch_count, c.u64le());
    if ((attr.branch_sample_type & perf::attr::kBranchHwIndex) != 0) {
      GCSPIKE_RETURN_IF_ERROR(c.skip(8));
    }
    uint64_t bytes = 0;
    if (!CheckedMul(s->branch_count, 24, &bytes)) {
      return c.error_here("branch stack count overflows");
    }
    GCSPIKE_ASSIGN_OR_RETURN(s->branches, c.sub(bytes));
  }
  // --call-graph dwarf (docs/formats/perf-data.md#sample-record-layout): the user registers and
  // a copy of the top of the user stack.
  if ((s->has_regs_user = (st & sample::kRegsUser) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->regs_user, ReadRegsUser(c, attr.sample_regs_user));
  }
  if ((s->has_stack_user = (st & sample::kStackUser) != 0)) {
    GCSPIKE_ASSIGN_OR_RETURN(s->stack_user, ReadStackUser(c));
  }
  return {};
}

}  // namespace gcspike
