package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// compareOptions controls what pprof-compare ignores.
type compareOptions struct {
	IgnoreLabels map[string]bool
	// PseudoFrame, when non-nil, drops every location whose lines all have a
	// function name matching it (see --ignore-pseudo-frames).
	PseudoFrame *regexp.Regexp
	// IgnoreMappingRanges leaves a mapping's start and limit out of a frame and
	// gives addresses relative to the mapping's start: go tool pprof -proto
	// merges mappings that differ only in where they were loaded (google/pprof's
	// mapKey), keeping the first one's range and moving the others' addresses
	// into it.
	IgnoreMappingRanges bool
}

// defaultPseudoFrameRE matches the function names of frames gcspike may insert
// (tagroot/tagleaf-style pseudo frames). Overridable with --pseudo-frame-re.
const defaultPseudoFrameRE = `^\[?gcspike([_:=\] ]|$)`

func q(s string) string { return strconv.Quote(s) }

// frameKey renders one Location canonically: everything the proto stores for
// a location except its id, with the mapping and functions inlined.
func frameKey(l *profile.Location) string { return frameKeyOpt(l, false) }

func frameKeyOpt(l *profile.Location, noRange bool) string {
	var b strings.Builder
	addr := l.Address
	if noRange && l.Mapping != nil {
		addr -= l.Mapping.Start // pprof moves a merged mapping's locations with it
	}
	fmt.Fprintf(&b, "{addr=%#x folded=%t", addr, l.IsFolded)
	if m := l.Mapping; m != nil {
		start, limit := m.Start, m.Limit
		if noRange {
			start, limit = 0, 0
		}
		fmt.Fprintf(&b, " map={file=%s build=%s start=%#x limit=%#x off=%#x hf=%t hfn=%t hl=%t hi=%t}",
			q(m.File), q(m.BuildID), start, limit, m.Offset,
			m.HasFunctions, m.HasFilenames, m.HasLineNumbers, m.HasInlineFrames)
	} else {
		b.WriteString(" map=nil")
	}
	b.WriteString(" lines=[")
	for i, ln := range l.Line {
		if i > 0 {
			b.WriteString(" ")
		}
		if f := ln.Function; f != nil {
			fmt.Fprintf(&b, "(fn=%s sys=%s file=%s start=%d", q(f.Name), q(f.SystemName), q(f.Filename), f.StartLine)
		} else {
			b.WriteString("(fn=nil")
		}
		fmt.Fprintf(&b, " line=%d col=%d)", ln.Line, ln.Column)
	}
	b.WriteString("]}")
	return b.String()
}

func isPseudo(l *profile.Location, re *regexp.Regexp) bool {
	if re == nil || len(l.Line) == 0 {
		return false
	}
	for _, ln := range l.Line {
		if ln.Function == nil || !re.MatchString(ln.Function.Name) {
			return false
		}
	}
	return true
}

// sampleKey renders a sample (without values) canonically: stack leaf-first,
// sorted string labels, sorted numeric labels with units.
func sampleKey(s *profile.Sample, opt *compareOptions) string {
	var b strings.Builder
	b.WriteString("stack:\n")
	for _, l := range s.Location {
		if isPseudo(l, opt.PseudoFrame) {
			continue
		}
		b.WriteString("  ")
		b.WriteString(frameKeyOpt(l, opt.IgnoreMappingRanges))
		b.WriteString("\n")
	}
	var labels []string
	for k, vs := range s.Label {
		if opt.IgnoreLabels[k] {
			continue
		}
		for _, v := range vs {
			labels = append(labels, q(k)+"="+q(v))
		}
	}
	sort.Strings(labels)
	var nums []string
	for k, vs := range s.NumLabel {
		if opt.IgnoreLabels[k] {
			continue
		}
		units := s.NumUnit[k]
		for i, v := range vs {
			u := ""
			if i < len(units) {
				u = units[i]
			}
			nums = append(nums, fmt.Sprintf("%s=%d[%s]", q(k), v, q(u)))
		}
	}
	sort.Strings(nums)
	fmt.Fprintf(&b, "labels: %s\nnum_labels: %s", strings.Join(labels, " "), strings.Join(nums, " "))
	return b.String()
}

// aggregate sums sample values per canonical key.
func aggregate(p *profile.Profile, opt *compareOptions) map[string][]int64 {
	m := make(map[string][]int64, len(p.Sample))
	for _, s := range p.Sample {
		k := sampleKey(s, opt)
		acc := m[k]
		if acc == nil {
			acc = make([]int64, len(s.Value))
			m[k] = acc
		}
		for i, v := range s.Value {
			if i < len(acc) {
				acc[i] += v
			}
		}
	}
	return m
}

func valueTypes(vts []*profile.ValueType) string {
	var parts []string
	for _, vt := range vts {
		parts = append(parts, valueTypeString(vt))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// compareProfiles returns human-readable differences (all of them; callers
// truncate) and the number of distinct sample keys in a.
func compareProfiles(a, b *profile.Profile, opt *compareOptions) []string {
	var diffs []string
	hdr := func(name string, x, y any) {
		xs, ys := fmt.Sprint(x), fmt.Sprint(y)
		if xs != ys {
			diffs = append(diffs, fmt.Sprintf("%s: A=%s B=%s", name, xs, ys))
		}
	}
	hdr("sample_type", valueTypes(a.SampleType), valueTypes(b.SampleType))
	hdr("default_sample_type", q(a.DefaultSampleType), q(b.DefaultSampleType))
	hdr("period_type", valueTypeString(a.PeriodType), valueTypeString(b.PeriodType))
	hdr("period", a.Period, b.Period)
	hdr("time_nanos", a.TimeNanos, b.TimeNanos)
	hdr("duration_nanos", a.DurationNanos, b.DurationNanos)
	hdr("comments", fmt.Sprintf("%q", a.Comments), fmt.Sprintf("%q", b.Comments))
	hdr("drop_frames", q(a.DropFrames), q(b.DropFrames))
	hdr("keep_frames", q(a.KeepFrames), q(b.KeepFrames))
	hdr("doc_url", q(a.DocURL), q(b.DocURL))

	am, bm := aggregate(a, opt), aggregate(b, opt)
	keys := make([]string, 0, len(am)+len(bm))
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		av, aok := am[k]
		bv, bok := bm[k]
		switch {
		case !aok:
			diffs = append(diffs, fmt.Sprintf("sample only in B, values %v:\n%s", bv, indent(k)))
		case !bok:
			diffs = append(diffs, fmt.Sprintf("sample only in A, values %v:\n%s", av, indent(k)))
		case fmt.Sprint(av) != fmt.Sprint(bv):
			diffs = append(diffs, fmt.Sprintf("sample values differ: A=%v B=%v:\n%s", av, bv, indent(k)))
		}
	}
	return diffs
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func cmdPprofCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ignore := fs.String("ignore-labels", "", "comma-separated label keys (string or numeric) to ignore")
	pseudo := fs.Bool("ignore-pseudo-frames", false, "drop frames whose function names all match --pseudo-frame-re")
	pseudoRE := fs.String("pseudo-frame-re", defaultPseudoFrameRE, "regexp for pseudo-frame function names")
	maxDiffs := fs.Int("max-diffs", 10, "number of differences to print")
	noRanges := fs.Bool("ignore-mapping-ranges", false, "leave mappings' start and limit out (go tool pprof -proto merges mappings loaded at different addresses)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 2 {
		fmt.Fprintln(stderr, "usage: gocheck pprof-compare [--ignore-labels=k1,k2] [--ignore-pseudo-frames] A B")
		return 2
	}
	opt := &compareOptions{IgnoreLabels: map[string]bool{}, IgnoreMappingRanges: *noRanges}
	for _, k := range strings.Split(*ignore, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opt.IgnoreLabels[k] = true
		}
	}
	if *pseudo {
		re, err := regexp.Compile(*pseudoRE)
		if err != nil {
			fmt.Fprintf(stderr, "bad --pseudo-frame-re: %v\n", err)
			return 2
		}
		opt.PseudoFrame = re
	}
	a, err := readProfile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: INVALID: %v\n", files[0], err)
		return 1
	}
	b, err := readProfile(files[1])
	if err != nil {
		fmt.Fprintf(stderr, "%s: INVALID: %v\n", files[1], err)
		return 1
	}
	diffs := compareProfiles(a, b, opt)
	if len(diffs) > 0 {
		fmt.Fprintf(stdout, "DIFFERENT: %d difference(s) between %s (A) and %s (B)\n", len(diffs), files[0], files[1])
		for i, d := range diffs {
			if i >= *maxDiffs {
				fmt.Fprintf(stdout, "... %d more\n", len(diffs)-i)
				break
			}
			fmt.Fprintln(stdout, d)
		}
		return 1
	}
	fmt.Fprintf(stdout, "equal: %d samples\n", len(a.Sample))
	return 0
}
