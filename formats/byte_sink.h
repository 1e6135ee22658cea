// Where a streaming writer puts its bytes: called with consecutive pieces of the output, in
// order; an error stops the writer, which returns it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/result.h"

namespace gcspike {

using ByteSink = std::function<Status(std::span<const uint8_t>)>;

}  // namespace gcspike
