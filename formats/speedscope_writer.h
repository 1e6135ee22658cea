// speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json; the schema
// ships in the speedscope npm package as dist/release/file-format-schema.json):
//   {"$schema": ..., "shared": {"frames": [{"name", "file"?, "line"?}]},
//    "profiles": [{"type": "sampled", "name", "unit", "startValue", "endValue",
//                  "samples": [[frame index, ... root first]], "weights": [...]}],
//    "name"?, "activeProfileIndex"?, "exporter"?}
// What speedscope's own pprof import loses, this keeps: inlined calls are separate frames,
// unsymbolized locations are frames named by address (formats/viewer_frames.h), and samples
// are split into one profile per goroutine (label "goroutine") or else per thread (label "tid"),
// in time order when they carry timestamp_ns. Labels themselves have no place in the format;
// plugin/filter/pseudo_frames.h turns the ones that matter into frames before this runs.
#pragma once

#include <string>

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

struct SpeedscopeWriteOptions {
  std::string name;            // shown as the page title; e.g. the input file name
  std::string exporter;        // "gcspike@0.1.0"
  bool merge_threads = false;  // one profile for all samples
  Diagnostics* diagnostics = nullptr;
};

// Fails on a negative value in the default sample type (speedscope rejects the whole file).
Result<std::string> EncodeSpeedscope(const Profile& profile, const SpeedscopeWriteOptions& options);

// The speedscope unit for a pprof unit, and the factor that converts values to it ("count" and
// units speedscope does not know become "none", factor 1).
struct SpeedscopeUnit {
  const char* name;
  int64_t factor;
};
SpeedscopeUnit SpeedscopeUnitFor(const std::string& pprof_unit);

}  // namespace gcspike
