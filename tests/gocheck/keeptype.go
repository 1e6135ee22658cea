package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/google/pprof/profile"
)

// keepSampleType drops every sample type but `name`, and its values, as converters that write
// one type do (a continuous profiler's cpu series, for one): the rows and stacks stay as they
// are, the period too.
func keepSampleType(p *profile.Profile, name string) error {
	keep := -1
	for i, st := range p.SampleType {
		if st.Type == name {
			keep = i
		}
	}
	if keep < 0 {
		return fmt.Errorf("no sample type %q", name)
	}
	p.SampleType = []*profile.ValueType{p.SampleType[keep]}
	for _, s := range p.Sample {
		s.Value = []int64{s.Value[keep]}
	}
	p.DefaultSampleType = ""
	return p.CheckValid()
}

func cmdPprofKeepType(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-keep-type", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("type", "", "the sample type to keep (e.g. cpu)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 2 || *name == "" {
		fmt.Fprintln(stderr, "usage: gocheck pprof-keep-type --type=T IN OUT")
		return 2
	}
	p, err := readProfile(files[0])
	if err == nil {
		err = keepSampleType(p, *name)
	}
	if err == nil {
		err = writeProfile(files[1], p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gocheck pprof-keep-type: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %d samples of %s\n", files[1], len(p.Sample), *name)
	return 0
}
