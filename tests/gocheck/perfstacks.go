package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// Functions where a Go stack legitimately ends inside a perf user-stack copy: the
// g0 (system) stack switches (systemstack, mcall, morestack: their callers live on
// the goroutine stack, which `perf record --call-graph dwarf` does not copy) and
// the roots of g0 stacks (mstart, rt0_go, and clone for a new thread).
var stackSwitchFuncs = regexp.MustCompile(`^runtime\.(systemstack|mcall|morestack|mstart|rt0_go|clone)(\.abi0)?$`)

// Functions whose cumulative share is compared between two recordings: the
// workload's own code and the runtime's map growth entry points. The swiss-map
// internals (internal/runtime/maps.*) are left out on purpose: they call
// frameless assembly leaves (aeshashbody, memhash), and a frame-pointer chain
// taken in such a leaf skips the leaf's caller (the leaf never pushed a frame),
// so a -g recording under-counts e.g. (*table).split (measured 6.8 % vs 18.5 %
// with CFI, whose stacks show aeshashbody <- split <- rehash).
var shapeFuncs = regexp.MustCompile(`^main\.|^runtime\.(mapassign|growWork|hashGrow)`)

// Kernel text lives in the upper half of the x86_64 address space.
const userAddressLimit = uint64(1) << 47

type stackStats struct {
	UserSamples   int                `json:"user_samples"`
	ReachRoot     float64            `json:"reach_goexit_or_main"`
	Complete      float64            `json:"complete"`
	IncompleteEnd map[string]int     `json:"incomplete_ends"`
	Shares        map[string]float64 `json:"-"`
}

// userStacks returns each sample's user frames, leaf first, as outermost function
// names per Location (inlined frames included, innermost first).
func userStacks(p *profile.Profile) [][]string {
	var out [][]string
	for _, s := range p.Sample {
		var stack []string
		for _, loc := range s.Location {
			if loc.Address >= userAddressLimit {
				continue
			}
			if len(loc.Line) == 0 {
				stack = append(stack, "[unknown]")
				continue
			}
			for _, l := range loc.Line {
				name := "[unknown]"
				if l.Function != nil {
					name = l.Function.Name
				}
				stack = append(stack, name)
			}
		}
		if len(stack) > 0 {
			out = append(out, stack)
		}
	}
	return out
}

func computeStackStats(p *profile.Profile, cut bool) stackStats {
	st := stackStats{IncompleteEnd: map[string]int{}, Shares: map[string]float64{}}
	reach, complete := 0, 0
	counts := map[string]int{}
	for _, stack := range userStacks(p) {
		st.UserSamples++
		if cut {
			for i, fn := range stack {
				if stackSwitchFuncs.MatchString(fn) {
					stack = stack[:i+1]
					break
				}
			}
		}
		reached := false
		seen := map[string]bool{}
		for _, fn := range stack {
			if strings.HasPrefix(fn, "runtime.goexit") || fn == "main.main" {
				reached = true
			}
			if !seen[fn] {
				seen[fn] = true
				counts[fn]++
			}
		}
		root := stack[len(stack)-1]
		if reached {
			reach++
		}
		if reached || stackSwitchFuncs.MatchString(root) {
			complete++
		} else {
			st.IncompleteEnd[root]++
		}
	}
	if st.UserSamples > 0 {
		st.ReachRoot = float64(reach) / float64(st.UserSamples)
		st.Complete = float64(complete) / float64(st.UserSamples)
		for fn, n := range counts {
			st.Shares[fn] = float64(n) / float64(st.UserSamples)
		}
	}
	return st
}

// cmdPerfStackStats summarizes the user stacks of a pprof converted from
// perf.data: how many reach runtime.goexit or main.main, how many are complete
// (reach those or end at a Go stack switch, see stackSwitchFuncs), and, with
// --compare=OTHER, the largest difference in cumulative share (fraction of user
// samples whose stack contains the function) over the workload and map-growth
// functions (shapeFuncs) holding at least 1 % in either profile.
// --cut-at-stack-switch drops the frames rootward of the first stack switch, so a
// frame-pointer recording (whose chains cross into the goroutine stack) can be
// compared with a DWARF one (whose copied stack ends there). Exits 1 when
// --min-complete or --max-diff is given and not met.
func cmdPerfStackStats(args []string, stdout, stderr io.Writer) int {
	cut := false
	compare := ""
	minComplete, maxDiff := -1.0, -1.0
	var pos []string
	for _, a := range args {
		var err error
		switch {
		case a == "--cut-at-stack-switch":
			cut = true
		case strings.HasPrefix(a, "--compare="):
			compare = strings.TrimPrefix(a, "--compare=")
		case strings.HasPrefix(a, "--min-complete="):
			minComplete, err = strconv.ParseFloat(strings.TrimPrefix(a, "--min-complete="), 64)
		case strings.HasPrefix(a, "--max-diff="):
			maxDiff, err = strconv.ParseFloat(strings.TrimPrefix(a, "--max-diff="), 64)
		default:
			pos = append(pos, a)
		}
		if err != nil {
			fmt.Fprintf(stderr, "perf-stack-stats: bad %s\n", a)
			return 2
		}
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: gocheck perf-stack-stats [--cut-at-stack-switch] [--compare=PPROF] [--min-complete=F] [--max-diff=F] PPROF")
		return 2
	}
	p, err := readProfile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "perf-stack-stats: %v\n", err)
		return 2
	}
	st := computeStackStats(p, cut)
	out := map[string]any{"stats": st}
	ok := true
	if minComplete >= 0 && st.Complete < minComplete {
		ok = false
	}
	if compare != "" {
		q, err := readProfile(compare)
		if err != nil {
			fmt.Fprintf(stderr, "perf-stack-stats: %v\n", err)
			return 2
		}
		other := computeStackStats(q, cut)
		worst, worstFn := 0.0, ""
		shares := map[string][2]float64{}
		for _, m := range []map[string]float64{st.Shares, other.Shares} {
			for fn := range m {
				a, b := st.Shares[fn], other.Shares[fn]
				if !shapeFuncs.MatchString(fn) || (a < 0.01 && b < 0.01) {
					continue
				}
				shares[fn] = [2]float64{round3(a), round3(b)}
				if d := math.Abs(a - b); d > worst {
					worst, worstFn = d, fn
				}
			}
		}
		names := make([]string, 0, len(shares))
		for fn := range shares {
			names = append(names, fn)
		}
		sort.Strings(names)
		out["compared_functions"] = len(names)
		out["max_share_diff"] = round3(worst)
		out["max_share_diff_function"] = worstFn
		out["shares"] = shares
		if maxDiff >= 0 && worst > maxDiff {
			ok = false
		}
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(stdout, string(b))
	if !ok {
		return 1
	}
	return 0
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
