package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/google/pprof/profile"
)

// fleetProfile is copy i of src, as if from another process of a fleet: unless
// shared, its mappings and locations are shifted by i*synthStride (so no
// location is shared with another copy; functions are); its time is i seconds
// later, and every sample's values are scaled by 1 + i%3 so the copies do not
// sum alike.
func fleetProfile(src *profile.Profile, i int, shared bool, samples int) *profile.Profile {
	p := src.Copy()
	if samples > 0 && len(p.Sample) > samples {
		p.Sample = p.Sample[:samples]
	}
	shift := uint64(i) * synthStride
	if shared {
		shift = 0
	}
	for _, m := range p.Mapping {
		m.Start += shift
		m.Limit += shift
	}
	for _, l := range p.Location {
		if !shared {
			l.Address += shift + uint64(i)
		}
	}
	for _, s := range p.Sample {
		for j := range s.Value {
			s.Value[j] *= int64(1 + i%3)
		}
	}
	p.TimeNanos += int64(i) * int64(time.Second)
	return p
}

// cmdPprofFleet writes N profiles DIR/p00000.pb.gz ... for fleet-merge tests and
// benchmarks: profile i is fleetProfile of source i % len(sources). --shared keeps
// the addresses (every copy has the same locations) and --samples K keeps K
// samples of each: a fleet whose merge is small however many inputs there are.
func cmdPprofFleet(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pprof-fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100, "number of profiles")
	dir := fs.String("dir", "", "output directory (must exist)")
	shared := fs.Bool("shared", false, "keep the source's addresses: the copies share their locations")
	samples := fs.Int("samples", 0, "keep only the first N samples of each copy (0: all)")
	srcPaths, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(srcPaths) == 0 || *dir == "" || *n < 1 {
		fmt.Fprintln(stderr, "usage: gocheck pprof-fleet --n N --dir DIR SOURCE...")
		return 2
	}
	var srcs []*profile.Profile
	for _, f := range srcPaths {
		p, err := readProfile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			return 1
		}
		srcs = append(srcs, p)
	}
	for i := 0; i < *n; i++ {
		path := filepath.Join(*dir, fmt.Sprintf("p%05d.pb.gz", i))
		if err := writeProfile(path, fleetProfile(srcs[i%len(srcs)], i, *shared, *samples)); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "wrote %d profiles to %s\n", *n, *dir)
	return 0
}
