package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/google/pprof/profile"
)

// parseInterspersed parses flags that may appear before, between or after
// positional arguments ("--" ends flag parsing). It returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// readProfile parses a (possibly gzipped) pprof file and validates it.
func readProfile(path string) (*profile.Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if err := p.CheckValid(); err != nil {
		return p, fmt.Errorf("CheckValid: %w", err)
	}
	return p, nil
}

type numLabelSummary struct {
	Unit  string `json:"unit"`
	Count int    `json:"count"`
}

type checkResult struct {
	File              string                     `json:"file"`
	Valid             bool                       `json:"valid"`
	Error             string                     `json:"error,omitempty"`
	Samples           int                        `json:"samples"`
	SampleTypes       []string                   `json:"sample_types"`
	Sums              []int64                    `json:"sums"`
	DefaultSampleType string                     `json:"default_sample_type"`
	PeriodType        string                     `json:"period_type"`
	Period            int64                      `json:"period"`
	Locations         int                        `json:"locations"`
	Functions         int                        `json:"functions"`
	Mappings          int                        `json:"mappings"`
	Labels            map[string]map[string]int  `json:"labels"`
	NumLabels         map[string]numLabelSummary `json:"num_labels"`
	TimeNanos         int64                      `json:"time_nanos"`
	DurationNanos     int64                      `json:"duration_nanos"`
}

func valueTypeString(vt *profile.ValueType) string {
	if vt == nil {
		return ""
	}
	return vt.Type + "/" + vt.Unit
}

// summarize computes the pprof-check summary. Label counts are the number of
// label values (occurrences) across all samples; a numeric label's unit is
// the unit of its first occurrence, or "mixed" when samples disagree.
func summarize(path string, p *profile.Profile) checkResult {
	r := checkResult{
		File:              path,
		Valid:             true,
		Samples:           len(p.Sample),
		SampleTypes:       []string{},
		Sums:              make([]int64, len(p.SampleType)),
		DefaultSampleType: p.DefaultSampleType,
		PeriodType:        valueTypeString(p.PeriodType),
		Period:            p.Period,
		Locations:         len(p.Location),
		Functions:         len(p.Function),
		Mappings:          len(p.Mapping),
		Labels:            map[string]map[string]int{},
		NumLabels:         map[string]numLabelSummary{},
		TimeNanos:         p.TimeNanos,
		DurationNanos:     p.DurationNanos,
	}
	for _, st := range p.SampleType {
		r.SampleTypes = append(r.SampleTypes, valueTypeString(st))
	}
	for _, s := range p.Sample {
		for i, v := range s.Value {
			if i < len(r.Sums) {
				r.Sums[i] += v
			}
		}
		for k, vs := range s.Label {
			m := r.Labels[k]
			if m == nil {
				m = map[string]int{}
				r.Labels[k] = m
			}
			for _, v := range vs {
				m[v]++
			}
		}
		keys := make([]string, 0, len(s.NumLabel))
		for k := range s.NumLabel {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vs := s.NumLabel[k]
			units := s.NumUnit[k]
			for i := range vs {
				u := ""
				if i < len(units) {
					u = units[i]
				}
				e, ok := r.NumLabels[k]
				if !ok {
					e.Unit = u
				} else if e.Unit != u {
					e.Unit = "mixed"
				}
				e.Count++
				r.NumLabels[k] = e
			}
		}
	}
	return r
}

func cmdPprofCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: gocheck pprof-check FILE...")
		return 2
	}
	code := 0
	enc := json.NewEncoder(stdout)
	for _, f := range files {
		p, err := readProfile(f)
		var r checkResult
		if p != nil {
			r = summarize(f, p)
		} else {
			r = checkResult{File: f, SampleTypes: []string{}, Sums: []int64{}}
		}
		if err != nil {
			r.Valid = false
			r.Error = err.Error()
			fmt.Fprintf(stderr, "%s: INVALID: %v\n", f, err)
			code = 1
		}
		if err := enc.Encode(r); err != nil {
			return 2
		}
	}
	return code
}
