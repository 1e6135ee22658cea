// The profile `gcspike diff -o` writes: what `go tool pprof -diff_base=BASE NEW` builds in memory
// (google/pprof internal/driver/fetch.go, fetchProfiles), so that pprof and every viewer show it
// as its own diff: the base's samples carry the label pprof::base=true and negated values, the
// new side's are kept, and both sides keep their gcspike labels (-tagfocus=gcspike=grow-spike
// shows where growth changed). With `normalize`, the new side is first scaled so that each
// sample type's total equals the base's, as pprof's -normalize does (profile.Normalize: each
// value times base total / new total, rounded half away from zero; a sample whose scaled values
// are all 0 is dropped).
#pragma once

#include "core/diagnostics.h"
#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

// Both profiles must have the same sample types and hold their samples in memory (no spool).
Result<Profile> BuildDiffProfile(Profile base, Profile now, bool normalize,
                                 Diagnostics* diagnostics);

}  // namespace gcspike
