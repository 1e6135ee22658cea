// The names of tracepoint events from perf's tracing data (docs/formats/perf-data.md#tracing-data):
// what perf calls an event of type PERF_TYPE_TRACEPOINT when no EVENT_DESC names it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/byte_cursor.h"
#include "core/result.h"

namespace gcspike {

// "system:name" by tracepoint id (the attr's config), for every event format in `c`.
Result<std::unordered_map<uint64_t, std::string>> ReadTracepointNames(ByteCursor c);

}  // namespace gcspike
