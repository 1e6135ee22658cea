// Pseudo frames: labels made visible to viewers that ignore pprof labels (speedscope, folded
// stacks and the flame graphs drawn from them). A sample labelled gcspike=grow-spike+key-copy
// gets an extra frame named "[gcspike grow-spike+key-copy]" at the root of its stack (or at the
// leaf), the same idea as `go tool pprof -tagroot/-tagleaf` but with the key in the name, so a
// flame graph says which label a frame comes from. The frame is a real Function (filename
// "gcspike") and Location (no mapping, address 0), so it survives any pprof consumer.
// Samples without the label get no frame. This is a transformation of the model; writers only
// see ordinary frames.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/profile.h"
#include "core/result.h"

namespace gcspike {

enum class PseudoFramePlacement { kNone, kRoot, kLeaf };

Result<PseudoFramePlacement> ParsePseudoFramePlacement(std::string_view text);

inline constexpr const char* kPseudoFrameFile = "gcspike";

// The name of the frame for one label, e.g. "[gcspike grow-spike]" or "[bytes 4096 bytes]".
std::string PseudoFrameName(const Profile& profile, const Label& label);

// Adds one frame per key in `keys` that the sample carries. With kRoot the first key is the
// outermost frame; with kLeaf the first key is the innermost. Returns the number of samples that
// got at least one frame.
size_t AddPseudoFrames(Profile& profile, PseudoFramePlacement placement,
                       const std::vector<std::string>& keys);

// Whether AddPseudoFrames on a spooled profile's stack samples gives what it gives on the
// samples MaterializeSpool makes (so the spool can stay): no record carries a string of `keys`
// in its own labels, every stack sample has records, and stack samples appear in record order
// (the pseudo locations are then made in the same order). Reads the spool once.
Result<bool> PseudoFramesFitStacks(const Profile& profile, const std::vector<std::string>& keys);

}  // namespace gcspike
