// report --group-by KEY: the verdicts per value of a string label (e.g. the input each sample
// came from, --label-inputs), each group summarized on its own samples as report does.
#pragma once

#include <string>

#include "core/profile.h"
#include "core/result.h"

namespace gcspike::cli {

// Whether --group-by was given.
bool GroupByRequested();

// The per-group table (text), or a JSON member `,"groups":{"key":K,"groups":[{"group":V,
// "report":{...report JSON...}}...]}` for report --json. Groups are in order of first
// appearance; samples without the label form the group "" (shown as "(none)"). A spooled
// profile is materialized first.
Result<std::string> RenderGroupReport(Profile& profile, bool json, uint64_t max_memory);

}  // namespace gcspike::cli
