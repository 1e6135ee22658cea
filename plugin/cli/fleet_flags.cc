#include "plugin/cli/fleet_flags.h"

#include <gflags/gflags.h>

#include <algorithm>

#include "plugin/pipeline.h"

DEFINE_string(inputs_from, "",
              "Read the inputs from this file too, one path or URL a line (- for stdin; blank "
              "lines and # comments ignored): no argument-length limit for a fleet's profiles.");
DEFINE_int32(jobs, 0,
             "Decode this many inputs at once on worker threads (0: one per core); the merge "
             "is in input order, so the output does not depend on it.");
DEFINE_string(label_inputs, "",
              "Give every sample a string label with this key naming its input (the path or "
              "URL); samples that already have the key keep theirs. See report --group-by.");

namespace {

bool NonNegative(const char*, int32_t v) { return v >= 0; }

}  // namespace

DEFINE_validator(jobs, &NonNegative);

namespace gcspike::cli {

Status ExpandInputsFrom(Args& args) {
  if (FLAGS_inputs_from.empty()) return Status();
  if (args.command != "annotate" && args.command != "merge" && args.command != "pprof" &&
      args.command != "report") {
    return MakeError("--inputs-from is for annotate, merge, pprof and report, not " + args.command);
  }
  GCSPIKE_ASSIGN_OR_RETURN(std::vector<std::string> listed, ReadInputList(FLAGS_inputs_from));
  if (FLAGS_inputs_from == "-" &&
      (std::count(listed.begin(), listed.end(), "-") > 0 ||
       std::count(args.positional.begin(), args.positional.end(), "-") > 0)) {
    return MakeError("--inputs-from - reads the list from standard input, so it cannot list -");
  }
  if (listed.empty() && args.positional.empty()) {
    Error e = MakeError("the list of inputs (--inputs-from) names no input");
    e.file = FLAGS_inputs_from == "-" ? "<stdin>" : FLAGS_inputs_from;
    return e;
  }
  args.positional.insert(args.positional.end(), listed.begin(), listed.end());
  return Status();
}

void ApplyFleetFlags(ReadOptions& options) {
  options.jobs = FLAGS_jobs;
  options.input_label_key = FLAGS_label_inputs;
}

}  // namespace gcspike::cli
