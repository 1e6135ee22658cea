#include "plugin/cli/help.h"

#include <gflags/gflags.h>

#include <vector>

namespace gcspike::cli {

std::string HelpText() {
  std::string s = R"(gcspike: find Go map-growth GC pressure in profiles; write annotated pprof.

Usage:
  gcspike [annotate] [flags] INPUT... [-o OUT]   annotate and write pprof (the default command)
  gcspike pprof [flags] INPUT... -- [go tool pprof arguments]
                                                 annotate, then run go tool pprof on the result
  gcspike report [--json] [flags] INPUT... [-o OUT]
                                                 per-feature shares, verdicts and top call sites

INPUT is a pprof profile (gzipped or raw), a Go execution trace or perf.data, detected from
its first bytes; - reads standard input. Several inputs with the same sample types are merged.
The result goes to -o, or to stdout when stdout is not a terminal (text formats may go to a
terminal). The output format follows -o's extension (.pb.gz, .speedscope.json, .folded, .txt,
.json) unless --output-format names one. Filters (--keep, --drop, --focus, --ignore, --from,
--to, --pid, --tid, --goroutine) run after the detectors; docs/viewers.md shows every viewer.

Examples:
  gcspike annotate cpu.pprof -o annotated.pb.gz
  curl -s localhost:6060/debug/pprof/profile?seconds=10 | gcspike - > annotated.pb.gz
  gcspike pprof cpu.pprof -- -top
  gcspike pprof cpu.pprof -- -tagfocus=gcspike=grow-spike -top
  gcspike pprof host1.pprof host2.pprof -- -http=:8080
  gcspike cpu.pprof -o cpu.speedscope.json        then open it in speedscope
  gcspike cpu.pprof -o cpu.folded && inferno-flamegraph < cpu.folded > cpu.svg
  gcspike cpu.pprof --keep 'gcspike~grow-spike' -o grow-only.pb.gz
  gcspike perf.data --tid 4242 --from +1.5s --to +3s -o window.folded
  gcspike report cpu.pprof
  gcspike report --json cpu.pprof --fail-on 'grow-spike>10%'
  gcspike report heap.pprof --fail-on 'grow-spike>10%' --inconclusive=pass

Verdicts: each feature is a spike (its 95% interval lies above the threshold), normal (below
it) or inconclusive: the interval straddles the threshold (take a longer profile), or the
profile cannot show the feature at all (a heap, allocs, goroutine, mutex or block profile; a
missing binary; a --call-graph dwarf recording; too few samples), with the reason.

Exit status:
  0  ok (every --fail-on gate passed)
  1  a --fail-on gate was crossed: its whole 95% interval is beyond the limit
  2  bad usage or bad input (one line on stderr naming the file and byte offset)
  3  a --fail-on gate cannot be decided (an inconclusive feature); --inconclusive=pass|fail
     turns this into 0 or 1

Flags:
)";
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  for (const auto& f : flags) {
    // Only gcspike's own flags (gflags registers some of its own in the library).
    if (f.filename.find("gflags") != std::string::npos) continue;
    std::string name = f.name;
    for (char& c : name) {
      if (c == '_') c = '-';
    }
    // One-letter flags read as the short options they are (-o FILE).
    s += name.size() == 1 ? "  -" + name : "  --" + name;
    if (f.type != "bool") s += (name.size() == 1 ? " " : "=") + f.type;
    s += "\n      " + f.description;
    if (!f.default_value.empty() && f.default_value != "false") {
      std::string value = f.default_value;
      // gflags prints doubles with 17 digits (0.14999999999999999); people wrote 0.15.
      if (f.type == "double") value = std::to_string(std::stod(value));
      if (f.type == "double") value.erase(value.find_last_not_of('0') + 1);
      if (!value.empty() && value.back() == '.') value += '0';
      s += " (default " + value + ")";
    }
    s += "\n";
  }
  s += "  -h, --help        this text\n  --version         print the version\n";
  return s;
}

}  // namespace gcspike::cli
