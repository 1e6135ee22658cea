package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/google/pprof/profile"
)

// enrichProfile modifies p in place so that every field of profile.proto is
// set somewhere. All choices come from a PCG seeded with seed and are made in
// slice order, so the same input and seed always give the same output bytes.
func enrichProfile(p *profile.Profile, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	// Sample types: make sure there are at least three.
	extra := []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}, {Type: "wait", Unit: "nanoseconds"}}
	for i := 0; len(p.SampleType) < 3; i++ {
		p.SampleType = append(p.SampleType, extra[i])
		for _, s := range p.Sample {
			s.Value = append(s.Value, rng.Int64N(1<<20)+1)
		}
	}
	p.DefaultSampleType = p.SampleType[1].Type
	if p.PeriodType == nil {
		p.PeriodType = &profile.ValueType{Type: p.SampleType[0].Type, Unit: p.SampleType[0].Unit}
	}
	if p.Period == 0 {
		p.Period = 10000000
	}
	if p.TimeNanos == 0 {
		p.TimeNanos = 1700000000123456789
	}
	if p.DurationNanos == 0 {
		p.DurationNanos = 2500000000
	}
	p.Comments = []string{"enriched by gocheck pprof-enrich", fmt.Sprintf("seed=%d; second comment with unicode: µs ✓", seed)}
	p.DocURL = "https://example.com/gcspike/profile-doc#enriched"
	p.DropFrames = `^runtime\.(goexit|mcall)$`
	p.KeepFrames = `^runtime\.(mallocgc|growslice)$`

	// Mappings: build ids and varied has_* flags.
	for i, m := range p.Mapping {
		if m.BuildID == "" {
			m.BuildID = fmt.Sprintf("%040x", rng.Uint64())
		}
		if m.File == "" {
			m.File = fmt.Sprintf("/opt/enriched/lib%d.so", i)
		}
		m.HasFunctions = true
		m.HasFilenames = i%2 == 0
		m.HasLineNumbers = true
		m.HasInlineFrames = i%3 != 1
	}

	// Functions: system_name differs from name, start_line set.
	for _, f := range p.Function {
		f.SystemName = "_sys_" + f.Name
		if f.StartLine == 0 {
			f.StartLine = rng.Int64N(500) + 1
		}
	}
	// Locations: some folded, columns on every line.
	for _, l := range p.Location {
		l.IsFolded = rng.IntN(4) == 0
		for i := range l.Line {
			l.Line[i].Column = rng.Int64N(120) + 1
		}
	}

	// Labels: string labels on most samples, numeric labels with units.
	phases := []string{"mark", "sweep", "idle", "assist"}
	for _, s := range p.Sample {
		if s.Label == nil {
			s.Label = map[string][]string{}
		}
		if rng.IntN(5) != 0 {
			s.Label["phase"] = []string{phases[rng.IntN(len(phases))]}
		}
		if rng.IntN(3) == 0 {
			s.Label["request"] = []string{fmt.Sprintf("req-%03d", rng.IntN(50))}
		}
		if s.NumLabel == nil {
			s.NumLabel = map[string][]int64{}
			s.NumUnit = map[string][]string{}
		}
		if s.NumUnit == nil {
			s.NumUnit = map[string][]string{}
			for k, v := range s.NumLabel {
				s.NumUnit[k] = make([]string, len(v))
			}
		}
		if v, ok := s.NumLabel["bytes"]; ok {
			// Go heap profiles carry a unit-less "bytes" label: give it its unit.
			s.NumUnit["bytes"] = make([]string, len(v))
			for i := range v {
				s.NumUnit["bytes"][i] = "bytes"
			}
		} else if rng.IntN(2) == 0 {
			s.NumLabel["bytes"] = []int64{rng.Int64N(1 << 16)}
			s.NumUnit["bytes"] = []string{"bytes"}
		}
		if rng.IntN(2) == 0 {
			s.NumLabel["latency"] = []int64{rng.Int64N(1e9)}
			s.NumUnit["latency"] = []string{"nanoseconds"}
		}
	}
}

func cmdPprofEnrich(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-enrich", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "random seed")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 2 {
		fmt.Fprintln(stderr, "usage: gocheck pprof-enrich [--seed=N] IN OUT")
		return 2
	}
	p, err := readProfile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", files[0], err)
		return 1
	}
	enrichProfile(p, *seed)
	if err := p.CheckValid(); err != nil {
		fmt.Fprintf(stderr, "enriched profile invalid: %v\n", err)
		return 1
	}
	if err := writeProfile(files[1], p); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %d samples, %d sample types, %d locations\n", files[1], len(p.Sample), len(p.SampleType), len(p.Location))
	return 0
}

// writeProfile writes p gzipped to path.
func writeProfile(path string, p *profile.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
