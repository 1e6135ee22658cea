// Command gocheck is an independent oracle for gcspike's C++ tests. It uses the
// reference Go implementations (github.com/google/pprof/profile and
// golang.org/x/exp/trace) to validate, compare, enrich and synthesize pprof
// profiles and to summarize Go execution traces.
//
// See README.md for the usage of every subcommand and the exact counting
// rules of trace-stats.
package main

import (
	"fmt"
	"os"
)

const usage = `usage: gocheck <command> [args]

commands:
  pprof-check FILE...                          validate profiles, print one JSON summary per file
  pprof-compare [--ignore-labels=k1,k2] [--ignore-pseudo-frames] [--ignore-mapping-ranges] A B
                                               compare two profiles canonically
  pprof-enrich [--seed=N] IN OUT               write a profile that uses every profile.proto field
  pprof-synth --from FILE... --copies N --out OUT
                                               build a large profile from many relabelled copies
  pprof-fleet --n N --dir DIR SOURCE...        N profiles with distinct locations (fleet merges)
  pprof-keep-type --type=T IN OUT              keep sample type T alone (a one-type converter)
  trace-stats [--stacks] FILE                  counts of CPU samples / GC / STW / assists (JSON)
  trace-read FILE                              read every event, print count and elapsed time
  perf-script-compare [--min-agree=F] [--perf-prefix] [--alias=A=B] PPROF PERF_SCRIPT_TXT
                                               compare stacks with perf script (see perfscript.go)
  perf-stack-stats [--cut-at-stack-switch] [--compare=PPROF] [--min-complete=F] [--max-diff=F] PPROF
                                               user-stack completeness and shape (see perfstacks.go)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var code int
	switch cmd {
	case "pprof-check":
		code = cmdPprofCheck(args, os.Stdout, os.Stderr)
	case "pprof-compare":
		code = cmdPprofCompare(args, os.Stdout, os.Stderr)
	case "pprof-enrich":
		code = cmdPprofEnrich(args, os.Stdout, os.Stderr)
	case "pprof-synth":
		code = cmdPprofSynth(args, os.Stdout, os.Stderr)
	case "pprof-fleet":
		code = cmdPprofFleet(args, os.Stdout, os.Stderr)
	case "pprof-keep-type":
		code = cmdPprofKeepType(args, os.Stdout, os.Stderr)
	case "trace-stats":
		code = cmdTraceStats(args, os.Stdout, os.Stderr)
	case "trace-read":
		code = cmdTraceRead(args, os.Stdout, os.Stderr)
	case "perf-script-compare":
		code = cmdPerfScriptCompare(args, os.Stdout, os.Stderr)
	case "perf-stack-stats":
		code = cmdPerfStackStats(args, os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
	default:
		fmt.Fprintf(os.Stderr, "gocheck: unknown command %q\n%s", cmd, usage)
		code = 2
	}
	os.Exit(code)
}
