package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// cmdPerfScriptCompare compares a pprof written from perf.data with the text of
// `perf script -F comm,pid,tid,time,ip,sym` on the same file. Samples are
// matched by (tid, time in microseconds, the precision perf script prints). A
// perf script frame names its symbol-table symbol, which is the outermost
// function of a pprof Location (its last Line); a Location without lines and
// perf's "[unknown]" both count as "[unknown]". It prints JSON with the
// counts and exits 1 when the sample counts differ or fewer than --min-agree of
// the samples have the same symbol sequence. --alias=A=B reads perf's symbol A as
// B (two names of one address, of which perf and gcspike pick differently). With
// --perf-prefix, a sample agrees
// when perf script's frames are the first frames of ours (leaf first): for
// binaries whose CFI perf's own unwinder does not read (.debug_frame), where its
// stacks stop early.
func cmdPerfScriptCompare(args []string, stdout, stderr io.Writer) int {
	minAgree := 0.99
	prefix := false
	alias := map[string]string{}
	var pos []string
	for _, a := range args {
		if a == "--perf-prefix" {
			prefix = true
			continue
		}
		if kv, ok := strings.CutPrefix(a, "--alias="); ok && strings.Contains(kv, "=") {
			parts := strings.SplitN(kv, "=", 2)
			alias[parts[0]] = parts[1]
			continue
		}
		if strings.HasPrefix(a, "--min-agree=") {
			v, err := strconv.ParseFloat(strings.TrimPrefix(a, "--min-agree="), 64)
			if err != nil {
				fmt.Fprintf(stderr, "perf-script-compare: bad %s\n", a)
				return 2
			}
			minAgree = v
			continue
		}
		pos = append(pos, a)
	}
	if len(pos) != 2 {
		fmt.Fprintln(stderr, "usage: gocheck perf-script-compare [--min-agree=F] [--perf-prefix] [--alias=A=B] PPROF PERF_SCRIPT_TXT")
		return 2
	}
	p, err := readProfile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "perf-script-compare: %v\n", err)
		return 2
	}
	ours := map[string][]string{}
	for _, s := range p.Sample {
		tids := s.NumLabel["tid"]
		times := s.NumLabel["timestamp_ns"]
		if len(tids) != 1 || len(times) != 1 {
			fmt.Fprintln(stderr, "perf-script-compare: a sample lacks its tid or timestamp_ns label")
			return 1
		}
		var stack []string
		for _, loc := range s.Location {
			if len(loc.Line) == 0 || loc.Line[len(loc.Line)-1].Function == nil {
				stack = append(stack, "[unknown]")
				continue
			}
			stack = append(stack, loc.Line[len(loc.Line)-1].Function.Name)
		}
		key := fmt.Sprintf("%d@%d", tids[0], times[0]/1000)
		ours[key] = stack
	}
	f, err := os.Open(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "perf-script-compare: %v\n", err)
		return 2
	}
	defer f.Close()
	theirs := map[string][]string{}
	var key string
	var stack []string
	flush := func() {
		if key != "" {
			theirs[key] = stack
		}
		key, stack = "", nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	perfSamples := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " ") {
			// "comm pid/tid seconds.micros:" (comm may contain spaces).
			flush()
			fields := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), ":"))
			if len(fields) < 3 {
				continue
			}
			tsText := fields[len(fields)-1]
			ids := strings.SplitN(fields[len(fields)-2], "/", 2)
			if len(ids) != 2 {
				continue
			}
			parts := strings.SplitN(tsText, ".", 2)
			sec, err1 := strconv.ParseInt(parts[0], 10, 64)
			var usec int64
			var err2 error
			if len(parts) == 2 {
				usec, err2 = strconv.ParseInt((parts[1] + "000000")[:6], 10, 64)
			}
			if err1 != nil || err2 != nil {
				continue
			}
			key = fmt.Sprintf("%s@%d", ids[1], sec*1000000+usec)
			perfSamples++
			continue
		}
		fields := strings.Fields(line)
		sym := "[unknown]"
		if len(fields) >= 2 {
			sym = strings.Join(fields[1:], " ")
			// perf script appends " (dso)" only with -F dso; strip an offset if present.
			if i := strings.Index(sym, "+0x"); i > 0 {
				sym = sym[:i]
			}
			if a, ok := alias[sym]; ok {
				sym = a
			}
		}
		stack = append(stack, sym)
	}
	flush()
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "perf-script-compare: %v\n", err)
		return 2
	}
	same, missing := 0, 0
	var firstDiff string
	for k, want := range theirs {
		got, ok := ours[k]
		if !ok {
			missing++
			continue
		}
		if prefix && len(got) > len(want) {
			got = got[:len(want)]
		}
		if strings.Join(got, ";") == strings.Join(want, ";") {
			same++
		} else if firstDiff == "" {
			firstDiff = fmt.Sprintf("%s: ours %v, perf script %v", k, got, want)
		}
	}
	agree := 0.0
	if len(theirs) > 0 {
		agree = float64(same) / float64(len(theirs))
	}
	out := map[string]any{
		"pprof_samples":       len(p.Sample),
		"perf_script_samples": perfSamples,
		"matched_keys":        len(theirs) - missing,
		"same_stack":          same,
		"agreement":           agree,
		"first_difference":    firstDiff,
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(stdout, string(b))
	if len(p.Sample) != perfSamples || missing != 0 || agree < minAgree {
		return 1
	}
	return 0
}
