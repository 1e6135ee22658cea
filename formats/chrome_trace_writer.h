// The Trace Event Format (Chrome's JSON trace format, read by Perfetto UI, chrome://tracing and
// speedscope's Chrome importer), as specified in "Trace Event Format" (Google doc
// 1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
//   {"traceEvents": [...], "stackFrames": {...}, "displayTimeUnit": "ms", "otherData": {...}}
// What the model's Timeline holds becomes duration events ("ph":"X", "ts" and "dur" in
// microseconds from the earliest time of the profile, with nanosecond decimals):
//   pid 1 "Go runtime"  tid 1 "GC cycles" (name "GC cycle", args.seq), tid 2 "STW pauses"
//                       (name = the pause kind)
//   pid 2 "goroutines"  tid = goroutine id: "mark assist" X events, and the CPU samples as
//                       instant events ("ph":"i", "s":"t", name = the leaf function) whose
//                       "sf" names their stack in "stackFrames" and whose args carry every
//                       label of the sample (gcspike, gcspike_site, ...) as it is: this writer
//                       chooses no label.
// Every track gets process_name/thread_name metadata ("ph":"M"). Samples without timestamp_ns
// (pprof and perf.data inputs) have no place on a timeline and are counted in
// otherData.untimed_samples. Unfinished intervals end at the profile's last time.
#pragma once

#include <string>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

struct ChromeTraceWriteOptions {
  std::string exporter;  // "gcspike@0.1.0", in otherData
  Diagnostics* diagnostics = nullptr;
};

Result<std::string> EncodeChromeTrace(const Profile& profile,
                                      const ChromeTraceWriteOptions& options);

}  // namespace gcspike
