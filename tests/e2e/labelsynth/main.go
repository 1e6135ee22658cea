// Command labelsynth gives every sample of a real profile the labels that perf.data and
// execution-trace inputs carry (pid, tid, goroutine, timestamp_ns), with values that follow
// from the sample's index, so the filter tests have known threads, goroutines and times:
//
//	sample i: pid = 4000 + i%2, tid = 100 + i%3, goroutine = 1 + i%4,
//	          timestamp_ns = 1e12 + (n-1-i)*1e6, n samples: file order is the reverse of
//	          time order, so the first sample in time is the last one in the file
//
// Written with github.com/google/pprof/profile, independently of gcspike's writer.
//
// Usage: labelsynth IN OUT
package main

import (
	"fmt"
	"os"

	"github.com/google/pprof/profile"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: labelsynth IN OUT")
		os.Exit(2)
	}
	in, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := profile.Parse(in)
	in.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, s := range p.Sample {
		if s.NumLabel == nil {
			s.NumLabel = map[string][]int64{}
			s.NumUnit = map[string][]string{}
		}
		if s.NumUnit == nil {
			s.NumUnit = map[string][]string{}
		}
		set := func(key string, v int64, unit string) {
			s.NumLabel[key] = []int64{v}
			s.NumUnit[key] = []string{unit}
		}
		// Units as perf_to_profile and gcspike's readers write them; a unit keeps pprof from
		// dropping a label whose value is 0.
		set("pid", int64(4000+i%2), "pid")
		set("tid", int64(100+i%3), "tid")
		set("goroutine", int64(1+i%4), "goroutine")
		set("timestamp_ns", int64(1e12)+int64(len(p.Sample)-1-i)*1e6, "nanoseconds")
	}
	out, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := p.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := out.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
