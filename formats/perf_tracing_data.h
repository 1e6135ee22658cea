// The names of tracepoint events from perf's tracing data (docs/formats/perf-data.md#tracing-data):
// what perf calls an event of type PERF_TYPE_TRACEPOINT when no EVENT_DESC names it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike {

// Calls `add` with the tracepoint id (the attr's config), "system:name" and the offset of its
// format, for every event format in `c`, in order; stops at add's first error.
using TracepointFn = std::function<Status(uint64_t id, std::string name, uint64_t offset)>;
Status ReadTracepointNames(ByteCursor c, const TracepointFn& add);

}  // namespace gcspike
