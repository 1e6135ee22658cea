package main

import (
	"math"
	"testing"

	"github.com/google/pprof/profile"
)

// stacksProfile builds one sample per stack (leaf first, function names; "K:" marks a
// kernel frame at a kernel address).
func stacksProfile(stacks ...[]string) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}}}
	funcs := map[string]*profile.Function{}
	next := uint64(1)
	for _, st := range stacks {
		s := &profile.Sample{Value: []int64{1}}
		for _, name := range st {
			addr := 0x400000 + next
			if len(name) > 2 && name[:2] == "K:" {
				addr = 0xffffffff81000000 + next
				name = name[2:]
			}
			f := funcs[name]
			if f == nil {
				f = &profile.Function{ID: uint64(len(funcs) + 1), Name: name}
				funcs[name] = f
				p.Function = append(p.Function, f)
			}
			l := &profile.Location{ID: next, Address: addr, Line: []profile.Line{{Function: f}}}
			next++
			p.Location = append(p.Location, l)
			s.Location = append(s.Location, l)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

func TestPerfStackStats(t *testing.T) {
	dwarf := stacksProfile(
		[]string{"K:do_page_fault", "runtime.mallocgc", "main.grow", "main.main", "runtime.main", "runtime.goexit.abi0"},
		[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.systemstack.abi0"},
		[]string{"runtime.memmove", "runtime.growWork_faststr"}, // truncated: incomplete
		[]string{"K:only_kernel"}, // no user frames: not counted
	)
	st := computeStackStats(dwarf, false)
	if st.UserSamples != 3 {
		t.Fatalf("user samples %d, want 3", st.UserSamples)
	}
	if math.Abs(st.ReachRoot-1.0/3) > 1e-9 || math.Abs(st.Complete-2.0/3) > 1e-9 {
		t.Errorf("reach %v complete %v, want 1/3 and 2/3", st.ReachRoot, st.Complete)
	}
	if st.IncompleteEnd["runtime.growWork_faststr"] != 1 {
		t.Errorf("incomplete ends %v", st.IncompleteEnd)
	}
	// A frame-pointer stack crossing into the goroutine stack is cut at the switch.
	fp := stacksProfile(
		[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.systemstack.abi0", "runtime.mallocgc", "main.grow", "main.main", "runtime.main", "runtime.goexit.abi0"},
	)
	if s := computeStackStats(fp, false).Shares["main.grow"]; s != 1 {
		t.Errorf("uncut main.grow share %v, want 1", s)
	}
	if s := computeStackStats(fp, true).Shares["main.grow"]; s != 0 {
		t.Errorf("cut main.grow share %v, want 0", s)
	}
}
