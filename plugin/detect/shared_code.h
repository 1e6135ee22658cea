// SharedCode: whether two profiles sample the same program (`gcspike diff`). A diff against
// the wrong baseline (another service's profile) would otherwise be judged as if the change
// meant something, and a gate would pass or fail in silence.
//
// The measure, per side: of the samples with a user frame (a Go function outside the standard
// library: package main, or an import path whose first element has a dot, as the go command
// tells standard packages apart), the share whose innermost user function (type arguments
// erased) is also some sample's innermost user function on the other side. The innermost user
// frame is where the work was; a frame anywhere on the stack would match main.main of any two
// programs. Function names survive moved lines, rebuilds and Go versions; the runtime's and the
// standard library's frames are left out because every Go program shares them.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/profile.h"

namespace gcspike {

// One side's innermost user functions, by name, with the samples (sample_weight.h) they lead.
struct UserCode {
  std::map<std::string, double> innermost;
  double samples = 0;  // samples with a user frame
};

// Whether a Go function name is user code (not the runtime, not the standard library).
bool IsUserFunction(std::string_view name);

UserCode CollectUserCode(const Profile& profile);

// The share of `side`'s user-frame samples whose innermost user function `other` also has;
// nullopt when `side` has no user frame (nothing to compare: no note).
std::optional<double> SharedShare(const UserCode& side, const UserCode& other);

}  // namespace gcspike
