package main

// Trace subcommands built on golang.org/x/exp/trace.
//
// COUNTING RULES (trace-stats). These are the normative definitions; the C++
// trace reader must reproduce them exactly. README.md repeats them.
//
// Events are consumed in the order x/exp/trace's Reader.ReadEvent returns
// them (its total order: timestamp order, repaired by sequence numbers).
//
// cpu_samples: number of events with Kind()==EventStackSample. For v1 traces
//   (go 1.11/1.19/1.21 headers) these are the EvCPUSample events (type 49);
//   for v2 traces the CPUSample events from the CPU sample batches. Every
//   sample counts, including samples with no goroutine (G=-1 printed) and
//   samples with an empty stack.
//
// Ranges. A range is identified by (Range().Name, scope). Scope is global
// for "GC concurrent mark phase" and the goroutine for "GC mark assist" and
// "stop-the-world (<reason>)" (the STW range is keyed by the goroutine that
// stopped the world, and its name includes the reason). For each event:
//   RangeBegin:  the range becomes open, opened_by=begin.
//   RangeActive: if the range is already open it is ignored (the v2 runtime
//                re-announces ranges that are open at every generation
//                boundary: GCActive, GCMarkAssistActive); otherwise the range
//                becomes open, opened_by=active (it started before the trace).
//   RangeEnd:    if opened_by=begin → "completed"; if opened_by=active or the
//                range was not open at all → "cut_at_start". The range closes.
// At the end of the trace, ranges still open with opened_by=begin are
// "unfinished"; those opened_by=active are "whole_trace" (they span the whole
// trace).
//
// gc_cycles      = completed count of "GC concurrent mark phase".
// stw_pauses     = completed count summed over all "stop-the-world (*)" names
//                  (per-reason counts in stw_by_reason, completed only).
// mark_assists   = completed count of "GC mark assist" (all goroutines).
// A GC cycle / pause / assist whose begin precedes the trace start is NOT
// counted in the headline numbers (it is in *_detail.cut_at_start), nor is
// one whose end is after the trace end (*_detail.unfinished).
//
// Timestamps (--stacks): ts_ns is x/exp's Event.Time() verbatim:
//   v2 traces: trunc(float64(ticks) * (1e9 / float64(ticksPerSec))), an
//              absolute value on the runtime's trace clock;
//   v1 traces: trunc(float64(ticks - minTicks) * (1e9 / float64(ticksPerSec)))
//              where minTicks is the smallest timestamp of any event
//              (CPU samples included). For v1 CPU samples (type 49) the
//              ticks are the sample's realTs argument (the time taken in the
//              signal handler), not the event's own delta-encoded timestamp.
// The goroutine is Event.Goroutine() (-1 = no goroutine; a wire G of 0 maps
// to -1). Frames are
// Stack().Frames() in order (leaf first), function names joined with ';'.

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

const (
	rangeGC     = "GC concurrent mark phase"
	rangeAssist = "GC mark assist"
	rangeSTWPfx = "stop-the-world ("
)

type rangeDetail struct {
	Begin      int `json:"begin_events"`
	Active     int `json:"active_events"`
	End        int `json:"end_events"`
	Completed  int `json:"completed"`
	CutAtStart int `json:"cut_at_start"`
	Unfinished int `json:"unfinished"`
	WholeTrace int `json:"whole_trace"`
}

type traceStats struct {
	File         string         `json:"file"`
	Version      string         `json:"header"`
	Events       int            `json:"events"`
	CPUSamples   int            `json:"cpu_samples"`
	GCCycles     int            `json:"gc_cycles"`
	STWPauses    int            `json:"stw_pauses"`
	MarkAssists  int            `json:"mark_assists"`
	STWByReason  map[string]int `json:"stw_by_reason"`
	GCDetail     rangeDetail    `json:"gc_detail"`
	STWDetail    rangeDetail    `json:"stw_detail"`
	AssistDetail rangeDetail    `json:"assist_detail"`
	MinTimeNs    int64          `json:"min_ts_ns"`
	MaxTimeNs    int64          `json:"max_ts_ns"`
}

type rangeKey struct {
	name  string
	kind  trace.ResourceKind
	scope int64
}

type rangeOpen int

const (
	openedByBegin rangeOpen = iota + 1
	openedByActive
)

func scopeID(r trace.Range) int64 {
	switch r.Scope.Kind {
	case trace.ResourceGoroutine:
		return int64(r.Scope.Goroutine())
	case trace.ResourceProc:
		return int64(r.Scope.Proc())
	case trace.ResourceThread:
		return int64(r.Scope.Thread())
	}
	return 0
}

func readHeader(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b [16]byte
	n, _ := io.ReadFull(f, b[:])
	return strings.TrimRight(string(b[:n]), "\x00")
}

// computeTraceStats reads the whole trace. If stacks is non-nil, one line per
// CPU sample is written to it.
func computeTraceStats(path string, stacks io.Writer) (*traceStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, err
	}
	st := &traceStats{File: path, Version: readHeader(path), STWByReason: map[string]int{}}
	open := map[rangeKey]rangeOpen{}
	detail := func(name string) *rangeDetail {
		switch {
		case name == rangeGC:
			return &st.GCDetail
		case name == rangeAssist:
			return &st.AssistDetail
		case strings.HasPrefix(name, rangeSTWPfx):
			return &st.STWDetail
		}
		return nil
	}
	first := true
	var sb strings.Builder
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		st.Events++
		if k := ev.Kind(); k != trace.EventSync {
			t := int64(ev.Time())
			if first || t < st.MinTimeNs {
				st.MinTimeNs = t
			}
			if first || t > st.MaxTimeNs {
				st.MaxTimeNs = t
			}
			first = false
		}
		switch ev.Kind() {
		case trace.EventStackSample:
			st.CPUSamples++
			if stacks != nil {
				sb.Reset()
				fmt.Fprintf(&sb, "%d %d ", int64(ev.Time()), int64(ev.Goroutine()))
				i := 0
				for fr := range ev.Stack().Frames() {
					if i > 0 {
						sb.WriteByte(';')
					}
					sb.WriteString(fr.Func)
					i++
				}
				sb.WriteByte('\n')
				io.WriteString(stacks, sb.String())
			}
		case trace.EventRangeBegin, trace.EventRangeActive, trace.EventRangeEnd:
			rg := ev.Range()
			d := detail(rg.Name)
			if d == nil {
				continue // e.g. "GC incremental sweep"
			}
			key := rangeKey{rg.Name, rg.Scope.Kind, scopeID(rg)}
			switch ev.Kind() {
			case trace.EventRangeBegin:
				d.Begin++
				open[key] = openedByBegin
			case trace.EventRangeActive:
				d.Active++
				if _, ok := open[key]; !ok {
					open[key] = openedByActive
				}
			case trace.EventRangeEnd:
				d.End++
				if open[key] == openedByBegin {
					d.Completed++
					if strings.HasPrefix(rg.Name, rangeSTWPfx) {
						reason := strings.TrimSuffix(strings.TrimPrefix(rg.Name, rangeSTWPfx), ")")
						st.STWByReason[reason]++
					}
				} else {
					d.CutAtStart++
				}
				delete(open, key)
			}
		}
	}
	for key, o := range open {
		d := detail(key.name)
		if o == openedByBegin {
			d.Unfinished++
		} else {
			d.WholeTrace++
		}
	}
	st.GCCycles = st.GCDetail.Completed
	st.STWPauses = st.STWDetail.Completed
	st.MarkAssists = st.AssistDetail.Completed
	return st, nil
}

func cmdTraceStats(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trace-stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withStacks := fs.Bool("stacks", false, "after the JSON line, print one line per CPU sample: ts_ns goroutine leaf;...;root")
	withTimeline := fs.Bool("timeline", false, "after those, print the timeline: mark/stw/heap lines (see writeTimeline)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: gocheck trace-stats [--stacks] FILE")
		return 2
	}
	var stacks strings.Builder
	var sw io.Writer
	if *withStacks {
		sw = &stacks
	}
	st, err := computeTraceStats(files[0], sw)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", files[0], err)
		return 1
	}
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()
	if err := json.NewEncoder(bw).Encode(st); err != nil {
		return 2
	}
	io.WriteString(bw, stacks.String())
	if *withTimeline {
		if err := writeTimeline(files[0], bw); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", files[0], err)
			return 1
		}
	}
	return 0
}

// writeTimeline (trace-stats --timeline) prints, in x/exp/trace's event order, one line per
// event of the runtime's timeline, times as Event.Time() (see Timestamps above), "none" for
// an end the trace does not hold:
//   mark START END          a "GC concurrent mark phase" range, at its end or (unfinished,
//                           or open through the whole trace) at the end of the trace
//   stw START END REASON    a "stop-the-world (REASON)" range (keyed by its goroutine)
//   heap TS BYTES           a /memory/classes/heap/objects:bytes metric sample (heap alloc)
//   block TS G REASON       goroutine G stopped running by blocking (a Running -> Waiting
//                           transition; REASON is x/exp's, spaces as '_', "-" when empty) or
//                           by entering a system call (Running -> Syscall; REASON "syscall");
//                           REASON "gc-function" when a runtime.gc* function is on its stack
// A range cut at the trace's start (RangeActive, or an end without a begin) has START none.
func writeTimeline(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	type open struct {
		start string
		name  string
	}
	opened := map[rangeKey]open{}
	var order []rangeKey
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		t := fmt.Sprint(int64(ev.Time()))
		switch ev.Kind() {
		case trace.EventMetric:
			m := ev.Metric()
			if m.Name == "/memory/classes/heap/objects:bytes" {
				fmt.Fprintf(w, "heap %s %d\n", t, m.Value.Uint64())
			}
		case trace.EventStateTransition:
			writeBlock(w, t, ev.StateTransition())
		case trace.EventRangeBegin, trace.EventRangeActive, trace.EventRangeEnd:
			rg := ev.Range()
			if rg.Name != rangeGC && !strings.HasPrefix(rg.Name, rangeSTWPfx) {
				continue
			}
			key := rangeKey{rg.Name, rg.Scope.Kind, scopeID(rg)}
			switch ev.Kind() {
			case trace.EventRangeBegin:
				opened[key] = open{t, rg.Name}
				order = append(order, key)
			case trace.EventRangeActive:
				if _, ok := opened[key]; !ok {
					opened[key] = open{"none", rg.Name}
					order = append(order, key)
				}
			case trace.EventRangeEnd:
				o, ok := opened[key]
				if !ok {
					o = open{"none", rg.Name}
				}
				printRange(w, o.name, o.start, t)
				delete(opened, key)
			}
		}
	}
	for _, key := range order {
		if o, ok := opened[key]; ok {
			printRange(w, o.name, o.start, "none")
			delete(opened, key)
		}
	}
	return nil
}

// writeBlock prints a "block" line for a goroutine leaving the running state by blocking or by
// a system call (see writeTimeline).
func writeBlock(w io.Writer, t string, st trace.StateTransition) {
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	from, to := st.Goroutine()
	if from != trace.GoRunning || (to != trace.GoWaiting && to != trace.GoSyscall) {
		return
	}
	reason := strings.ReplaceAll(st.Reason, " ", "_")
	for f := range st.Stack.Frames() {
		if strings.HasPrefix(f.Func, "runtime.gc") {
			reason = "gc-function"
		}
	}
	if to == trace.GoSyscall {
		reason = "syscall"
	} else if reason == "" {
		reason = "-"
	}
	fmt.Fprintf(w, "block %s %d %s\n", t, int64(st.Resource.Goroutine()), reason)
}

func printRange(w io.Writer, name, start, end string) {
	if name == rangeGC {
		fmt.Fprintf(w, "mark %s %s\n", start, end)
		return
	}
	reason := strings.TrimSuffix(strings.TrimPrefix(name, rangeSTWPfx), ")")
	fmt.Fprintf(w, "stw %s %s %s\n", start, end, reason)
}

func cmdTraceRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trace-read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: gocheck trace-read FILE")
		return 2
	}
	start := time.Now()
	f, err := os.Open(files[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", files[0], err)
		return 1
	}
	kinds := map[string]int{}
	n := 0
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: after %d events: %v\n", files[0], n, err)
			return 1
		}
		n++
		kinds[ev.Kind().String()]++
	}
	el := time.Since(start)
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	out := struct {
		File      string         `json:"file"`
		Events    int            `json:"events"`
		ElapsedNs int64          `json:"elapsed_ns"`
		Elapsed   string         `json:"elapsed"`
		ByKind    map[string]int `json:"by_kind"`
	}{files[0], n, el.Nanoseconds(), el.String(), kinds}
	json.NewEncoder(stdout).Encode(out)
	return 0
}
