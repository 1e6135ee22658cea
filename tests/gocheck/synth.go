package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// synthStride separates the address ranges of the copies: copy i of a mapping
// covers [Start+i*stride, Limit+i*stride) and its locations move with it.
const synthStride = uint64(1) << 36

// synthProfile builds one profile holding `copies` copies of every source
// profile. Copy i of every sample gets the string label instance=<i> (and
// source=<j> for the j-th source) and its own mappings and locations with
// shifted addresses, so nothing merges. Functions are shared. The header
// (sample types, period, ...) comes from the first source; all sources must
// have the same sample types.
func synthProfile(srcs []*profile.Profile, copies int) (*profile.Profile, error) {
	base := srcs[0]
	out := &profile.Profile{
		SampleType:        base.SampleType,
		DefaultSampleType: base.DefaultSampleType,
		PeriodType:        base.PeriodType,
		Period:            base.Period,
		TimeNanos:         base.TimeNanos,
		DurationNanos:     base.DurationNanos,
		Comments:          append([]string{fmt.Sprintf("synthesized by gocheck pprof-synth: %d copies of %d profile(s)", copies, len(srcs))}, base.Comments...),
		DocURL:            base.DocURL,
		DropFrames:        base.DropFrames,
		KeepFrames:        base.KeepFrames,
	}
	for j, s := range srcs {
		if valueTypes(s.SampleType) != valueTypes(base.SampleType) {
			return nil, fmt.Errorf("source %d has sample types %s, want %s", j, valueTypes(s.SampleType), valueTypes(base.SampleType))
		}
		for _, f := range s.Function {
			f.ID = uint64(len(out.Function) + 1)
			out.Function = append(out.Function, f)
		}
	}
	for i := 0; i < copies; i++ {
		shift := uint64(i) * synthStride
		inst := strconv.Itoa(i)
		for j, s := range srcs {
			src := strconv.Itoa(j)
			mm := make(map[*profile.Mapping]*profile.Mapping, len(s.Mapping))
			for _, m := range s.Mapping {
				nm := *m
				nm.ID = uint64(len(out.Mapping) + 1)
				nm.Start += shift
				nm.Limit += shift
				out.Mapping = append(out.Mapping, &nm)
				mm[m] = &nm
			}
			lm := make(map[*profile.Location]*profile.Location, len(s.Location))
			for _, l := range s.Location {
				nl := *l
				nl.ID = uint64(len(out.Location) + 1)
				if l.Mapping != nil {
					nl.Mapping = mm[l.Mapping]
				}
				// Shift every address, and give address-less locations one
				// too so that the copies stay distinct locations.
				nl.Address = l.Address + shift + uint64(i)
				nl.Line = append([]profile.Line(nil), l.Line...)
				out.Location = append(out.Location, &nl)
				lm[l] = &nl
			}
			for _, smp := range s.Sample {
				ns := &profile.Sample{
					Value:    append([]int64(nil), smp.Value...),
					Location: make([]*profile.Location, len(smp.Location)),
					Label:    map[string][]string{"instance": {inst}, "source": {src}},
					NumLabel: smp.NumLabel,
					NumUnit:  smp.NumUnit,
				}
				for k, v := range smp.Label {
					if k != "instance" && k != "source" {
						ns.Label[k] = v
					}
				}
				for x, l := range smp.Location {
					ns.Location[x] = lm[l]
				}
				out.Sample = append(out.Sample, ns)
			}
		}
	}
	return out, out.CheckValid()
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

func cmdPprofSynth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from stringList
	fs.Var(&from, "from", "source profile (repeatable; extra positional arguments are sources too)")
	copies := fs.Int("copies", 100, "number of copies")
	outPath := fs.String("out", "", "output file (gzipped pprof)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	from = append(from, pos...)
	if len(from) == 0 || *outPath == "" || *copies < 1 {
		fmt.Fprintln(stderr, "usage: gocheck pprof-synth --from FILE... --copies N --out OUT")
		return 2
	}
	var srcs []*profile.Profile
	for _, f := range from {
		p, err := readProfile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			return 1
		}
		srcs = append(srcs, p)
	}
	out, err := synthProfile(srcs, *copies)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var cw countingWriter
	if err := out.WriteUncompressed(&cw); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := writeProfile(*outPath, out); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %d samples, %d locations, %d mappings, uncompressed %d bytes (%.1f MB)\n",
		*outPath, len(out.Sample), len(out.Location), len(out.Mapping), cw.n, float64(cw.n)/1e6)
	return 0
}
