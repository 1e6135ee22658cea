#include "formats/chrome_trace_writer.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "formats/json_text.h"
#include "formats/viewer_frames.h"

namespace gcspike {
namespace {

constexpr int kRuntimePid = 1;
constexpr int kGoroutinePid = 2;
constexpr int kGcTid = 1;
constexpr int kStwTid = 2;

// Microseconds with the nanoseconds as three decimals, so no time is rounded.
std::string Micros(int64_t ns) {
  const bool negative = ns < 0;
  const uint64_t v = negative ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%03llu", negative ? "-" : "",
                static_cast<unsigned long long>(v / 1000),
                static_cast<unsigned long long>(v % 1000));
  return buf;
}

void AppendMeta(std::string& out, const char* what, int pid, int64_t tid, const std::string& name) {
  out += ",\n{\"name\":\"";
  out += what;
  out += "\",\"ph\":\"M\",\"ts\":0,\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"args\":{\"name\":";
  AppendJsonString(out, name);
  out += "}}";
}

void AppendDuration(std::string& out, const std::string& name, const char* cat, int pid,
                    int64_t tid, int64_t start, int64_t end, const std::string& args) {
  out += ",\n{\"name\":";
  AppendJsonString(out, name);
  out += ",\"cat\":\"";
  out += cat;
  out += "\",\"ph\":\"X\",\"ts\":" + Micros(start) +
         ",\"dur\":" + Micros(std::max<int64_t>(0, end - start)) +
         ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
  if (!args.empty()) out += ",\"args\":{" + args + "}";
  out += "}";
}

// The stackFrames of the samples drawn: one node per (parent, frame name), made in the order
// stacks are first drawn, and each stack sample's leaf node (0: no frames) and name, once.
class StackFrames {
 public:
  explicit StackFrames(const Profile& profile)
      : profile_(profile),
        expanded_(ExpandLocations(profile)),
        of_stack_(profile.samples.size(), {-1, ""}) {}

  const std::pair<int64_t, std::string>& Of(const Sample& s) {
    auto& made = of_stack_[static_cast<size_t>(&s - profile_.samples.data())];
    if (made.first >= 0) return made;
    int64_t parent = 0;
    std::string leaf = "(no frames)";
    for (auto it = s.location_ids.rbegin(); it != s.location_ids.rend(); ++it) {
      for (const ViewerFrame& f : expanded_[*it]) {
        auto [found, added] =
            ids_.emplace(std::make_pair(parent, f.name), static_cast<int64_t>(ids_.size()) + 1);
        if (added) {
          json += json.empty() ? "\n\"" : ",\n\"";
          json += std::to_string(found->second) + "\":{\"category\":\"go\",\"name\":";
          AppendJsonString(json, f.name);
          if (parent != 0) json += ",\"parent\":\"" + std::to_string(parent) + "\"";
          json += "}";
        }
        parent = found->second;
        leaf = f.name;
      }
    }
    made = {parent, std::move(leaf)};
    return made;
  }

  std::string json;  // the members of "stackFrames"

 private:
  const Profile& profile_;
  const std::vector<std::vector<ViewerFrame>> expanded_;
  std::map<std::pair<int64_t, std::string>, int64_t> ids_;  // (parent, name) -> id
  std::vector<std::pair<int64_t, std::string>> of_stack_;   // (leaf id, name); -1: not made
};

}  // namespace

Result<std::string> EncodeChromeTrace(const Profile& profile,
                                      const ChromeTraceWriteOptions& options) {
  GCSPIKE_RETURN_IF_ERROR(profile.Validate());
  const Timeline& tl = profile.timeline;
  const StrId ts_key = [&profile] {
    for (StrId i = 0; i < profile.strings.size(); ++i) {
      if (profile.strings[i] == "timestamp_ns") return i;
    }
    return StrId{0};
  }();
  const StrId g_key = [&profile] {
    for (StrId i = 0; i < profile.strings.size(); ++i) {
      if (profile.strings[i] == "goroutine") return i;
    }
    return StrId{0};
  }();

  // The origin and the end: the earliest and the latest time of anything drawn.
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  auto see = [&lo, &hi](int64_t t) {
    if (t == kNoTime) return;
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  };
  // A spooled profile's records are read from the spool (twice), never made samples.
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    const Label* l = r.Find(ts_key);
    if (l != nullptr && l->numeric) see(l->num);
    return {};
  }));
  for (const GcCycle& c : tl.gc_cycles) {
    see(c.start_ns);
    see(c.end_ns);
  }
  for (const StwPause& p : tl.pauses) {
    see(p.start_ns);
    see(p.end_ns);
  }
  for (const AssistInterval& a : tl.assists) {
    see(a.start_ns);
    see(a.end_ns);
  }
  if (lo == INT64_MAX) lo = hi = 0;
  auto start_of = [lo](int64_t t) { return (t == kNoTime ? lo : t) - lo; };
  auto end_of = [lo, hi](int64_t t) { return (t == kNoTime ? hi : t) - lo; };

  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  // The first event has no leading comma; the helpers write one, so start with a metadata
  // event written by hand.
  out +=
      "{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":0,"
      "\"args\":{\"name\":\"Go runtime\"}}";
  AppendMeta(out, "process_name", kGoroutinePid, 0, "goroutines");
  AppendMeta(out, "thread_name", kRuntimePid, kGcTid, "GC cycles");
  AppendMeta(out, "thread_name", kRuntimePid, kStwTid, "STW pauses");

  for (const GcCycle& c : tl.gc_cycles) {
    AppendDuration(out, "GC cycle", "gc", kRuntimePid, kGcTid, start_of(c.start_ns),
                   end_of(c.end_ns), "\"seq\":" + std::to_string(c.seq));
  }
  for (const StwPause& p : tl.pauses) {
    AppendDuration(out, p.kind == 0 ? std::string("STW pause") : profile.str(p.kind), "stw",
                   kRuntimePid, kStwTid, start_of(p.start_ns), end_of(p.end_ns), "");
  }
  std::set<int64_t> goroutines;
  for (const AssistInterval& a : tl.assists) {
    goroutines.insert(a.goroutine);
    AppendDuration(out, "mark assist", "assist", kGoroutinePid, a.goroutine, start_of(a.start_ns),
                   end_of(a.end_ns), "\"goroutine\":" + std::to_string(a.goroutine));
  }

  // Samples: instant events on their goroutine's track, stacks in stackFrames.
  StackFrames stack_frames(profile);
  uint64_t untimed = 0, timed = 0;
  const uint64_t records = profile.SampleRecordCount();
  GCSPIKE_RETURN_IF_ERROR(ForEachSampleRecord(profile, [&](const SampleRecord& r) -> Status {
    if (options.diagnostics != nullptr && (r.index & 0xffff) == 0 && r.index != 0) {
      options.diagnostics->Progress("writing the chrome trace", r.index, records);
    }
    const Label* ts = r.Find(ts_key);
    if (ts == nullptr || !ts->numeric) {
      ++untimed;
      return {};
    }
    ++timed;
    const auto& [parent, leaf] = stack_frames.Of(*r.stack);
    const Label* g = r.Find(g_key);
    const int64_t tid = g != nullptr && g->numeric ? g->num : 0;
    goroutines.insert(tid);
    out += ",\n{\"name\":";
    AppendJsonString(out, leaf);
    out += ",\"cat\":\"cpu\",\"ph\":\"i\",\"s\":\"t\",\"ts\":" + Micros(ts->num - lo) +
           ",\"pid\":" + std::to_string(kGoroutinePid) + ",\"tid\":" + std::to_string(tid);
    if (parent != 0) out += ",\"sf\":\"" + std::to_string(parent) + "\"";
    out += ",\"args\":{";
    bool first = true;
    for (std::span<const Label> labels : {r.own, std::span<const Label>(r.stack->labels)}) {
      for (const Label& l : labels) {
        out += first ? "" : ",";
        first = false;
        AppendJsonString(out, profile.str(l.key));
        out += ":";
        if (l.numeric) {
          out += std::to_string(l.num);
        } else {
          AppendJsonString(out, profile.str(l.str));
        }
      }
    }
    out += "}}";
    return {};
  }));
  for (int64_t g : goroutines) {
    AppendMeta(out, "thread_name", kGoroutinePid, g,
               g == 0 ? "no goroutine" : "goroutine " + std::to_string(g));
  }
  out += "\n],\"stackFrames\":{" + stack_frames.json + "\n},\"otherData\":{\"exporter\":";
  AppendJsonString(out, options.exporter);
  out += ",\"origin_ns\":\"" + std::to_string(lo) +
         "\",\"timed_samples\":" + std::to_string(timed) +
         ",\"untimed_samples\":" + std::to_string(untimed) + "}}\n";
  return out;
}

}  // namespace gcspike
