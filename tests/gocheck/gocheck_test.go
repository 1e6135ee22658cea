package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	rtrace "runtime/trace"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// testProfile builds a small CPU-like profile by hand.
func testProfile() *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x500000, File: "/bin/app", HasFunctions: true}
	fns := []*profile.Function{
		{ID: 1, Name: "main.main", SystemName: "main.main", Filename: "main.go", StartLine: 10},
		{ID: 2, Name: "runtime.mallocgc", SystemName: "runtime.mallocgc", Filename: "malloc.go", StartLine: 900},
		{ID: 3, Name: "runtime.mapassign_faststr", SystemName: "runtime.mapassign_faststr", Filename: "map.go", StartLine: 200},
	}
	locs := []*profile.Location{
		{ID: 1, Mapping: m, Address: 0x401000, Line: []profile.Line{{Function: fns[0], Line: 12}}},
		{ID: 2, Mapping: m, Address: 0x402000, Line: []profile.Line{{Function: fns[1], Line: 950}, {Function: fns[2], Line: 210}}},
	}
	return &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10000000,
		Mapping:    []*profile.Mapping{m},
		Function:   fns,
		Location:   locs,
		Sample: []*profile.Sample{
			{Location: []*profile.Location{locs[1], locs[0]}, Value: []int64{3, 30000000}, Label: map[string][]string{"worker": {"a"}}},
			{Location: []*profile.Location{locs[0]}, Value: []int64{1, 10000000}},
			{Location: []*profile.Location{locs[0]}, Value: []int64{2, 20000000}},
		},
	}
}

func writeTemp(t *testing.T, name string, p *profile.Profile) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := writeProfile(path, p); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, f func([]string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := f(args, &out, &errb)
	return code, out.String() + errb.String()
}

func compareCmd(args []string, o, e *bytes.Buffer) int { return cmdPprofCompare(args, o, e) }
func checkCmd(args []string, o, e *bytes.Buffer) int   { return cmdPprofCheck(args, o, e) }

func TestParseInterspersed(t *testing.T) {
	for _, args := range [][]string{
		{"--ignore-labels=x", "A", "B"},
		{"A", "--ignore-labels=x", "B"},
		{"A", "B", "--ignore-labels", "x"},
	} {
		fs := newTestFlagSet()
		pos, err := parseInterspersed(fs.fs, args)
		if err != nil || strings.Join(pos, ",") != "A,B" || *fs.v != "x" {
			t.Errorf("%q: pos=%q v=%q err=%v", args, pos, *fs.v, err)
		}
	}
}

func TestCheckAndCompare(t *testing.T) {
	a := writeTemp(t, "a.pb.gz", testProfile())
	if code, out := run(t, checkCmd, a); code != 0 || !strings.Contains(out, `"sums":[6,60000000]`) || !strings.Contains(out, `"labels":{"worker":{"a":1}}`) {
		t.Fatalf("check: %d %s", code, out)
	}
	// Same content, samples split/merged differently: still equal.
	p := testProfile()
	p.Sample = append(p.Sample[:1], &profile.Sample{Location: p.Sample[1].Location, Value: []int64{3, 30000000}})
	b := writeTemp(t, "b.pb.gz", p)
	if code, out := run(t, compareCmd, a, b); code != 0 || !strings.HasPrefix(out, "equal: 3 samples") {
		t.Fatalf("compare equal: %d %s", code, out)
	}
	// A different column is a difference.
	p = testProfile()
	p.Location[0].Line[0].Column = 7
	c := writeTemp(t, "c.pb.gz", p)
	if code, out := run(t, compareCmd, a, c); code != 1 || !strings.Contains(out, "col=7") {
		t.Fatalf("compare column: %d %s", code, out)
	}
	// Added labels, ignored.
	p = testProfile()
	for _, s := range p.Sample {
		if s.Label == nil {
			s.Label = map[string][]string{}
		}
		s.Label["gcspike"] = []string{"grow-spike"}
		s.NumLabel = map[string][]int64{"gcspike_worker": {3}}
		s.NumUnit = map[string][]string{"gcspike_worker": {"count"}}
	}
	d := writeTemp(t, "d.pb.gz", p)
	if code, _ := run(t, compareCmd, a, d); code != 1 {
		t.Fatal("labels not detected")
	}
	if code, out := run(t, compareCmd, "--ignore-labels=gcspike,gcspike_worker", a, d); code != 0 {
		t.Fatalf("ignore-labels: %s", out)
	}
	// Pseudo frames.
	p = testProfile()
	pf := &profile.Function{ID: 4, Name: "gcspike:grow-spike"}
	pl := &profile.Location{ID: 3, Line: []profile.Line{{Function: pf}}}
	p.Function = append(p.Function, pf)
	p.Location = append(p.Location, pl)
	for _, s := range p.Sample {
		s.Location = append(s.Location, pl)
	}
	e := writeTemp(t, "e.pb.gz", p)
	if code, _ := run(t, compareCmd, a, e); code != 1 {
		t.Fatal("pseudo frame not detected")
	}
	if code, out := run(t, compareCmd, "--ignore-pseudo-frames", a, e); code != 0 {
		t.Fatalf("ignore-pseudo-frames: %s", out)
	}
	// Header field.
	p = testProfile()
	p.DocURL = "https://example.com/x"
	f := writeTemp(t, "f.pb.gz", p)
	if code, out := run(t, compareCmd, a, f); code != 1 || !strings.Contains(out, "doc_url") {
		t.Fatalf("doc_url: %s", out)
	}
}

func TestEnrichDeterministicAndComplete(t *testing.T) {
	src := writeTemp(t, "src.pb.gz", testProfile())
	dir := t.TempDir()
	o1, o2 := filepath.Join(dir, "1.pb.gz"), filepath.Join(dir, "2.pb.gz")
	for _, o := range []string{o1, o2} {
		var out, errb bytes.Buffer
		if code := cmdPprofEnrich([]string{src, o}, &out, &errb); code != 0 {
			t.Fatal(errb.String())
		}
	}
	b1, _ := os.ReadFile(o1)
	b2, _ := os.ReadFile(o2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("pprof-enrich is not deterministic")
	}
	p, err := readProfile(o1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SampleType) < 3 || p.DefaultSampleType == "" || len(p.Comments) != 2 || p.DocURL == "" ||
		p.DropFrames == "" || p.KeepFrames == "" || p.TimeNanos == 0 || p.DurationNanos == 0 {
		t.Fatalf("header not enriched: %+v", p)
	}
	var folded, col, sysName, num bool
	for _, l := range p.Location {
		folded = folded || l.IsFolded
		for _, ln := range l.Line {
			col = col || ln.Column != 0
			sysName = sysName || ln.Function.SystemName != ln.Function.Name
		}
	}
	for _, s := range p.Sample {
		for k, u := range s.NumUnit {
			if (k == "bytes" && u[0] == "bytes") || (k == "latency" && u[0] == "nanoseconds") {
				num = true
			}
		}
	}
	m := p.Mapping[0]
	if !folded || !col || !sysName || !num || m.BuildID == "" {
		t.Fatalf("fields missing: folded=%v col=%v sys=%v num=%v build=%q", folded, col, sysName, num, m.BuildID)
	}
}

func TestSynth(t *testing.T) {
	p := testProfile()
	out, err := synthProfile([]*profile.Profile{p}, 5)
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "s.pb.gz", out)
	q, err := readProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Sample) != 15 || len(q.Location) != 10 {
		t.Fatalf("samples=%d locations=%d", len(q.Sample), len(q.Location))
	}
	q.Compact()
	if len(q.Location) != 10 {
		t.Fatalf("locations merged: %d", len(q.Location))
	}
}

// TestTraceStatsRuntime records a small trace with two forced GCs.
func TestTraceStatsRuntime(t *testing.T) {
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skip(err)
	}
	runtime.GC()
	runtime.GC()
	rtrace.Stop()
	path := filepath.Join(t.TempDir(), "t.trace")
	os.WriteFile(path, buf.Bytes(), 0o644)
	st, err := computeTraceStats(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.GCCycles != 2 || st.STWByReason["GC sweep termination"] != 2 || st.STWByReason["GC mark termination"] != 2 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestExternalTraces pins the counts for the shared external traces.
func TestExternalTraces(t *testing.T) {
	dir := "../../../shared/external-traces"
	want := map[string][5]int{ // cpu, gc, stw, assists, events
		"1.19_test-encoding-json.trace": {50, 21, 42, 27, 23819},
		"1.21_test-encoding-json.trace": {0, 21, 42, 17, 23781},
		"1.21_fgprof.trace":             {84, 1, 2, 1, 5528},
		"1.25_test-encoding-json.trace": {40, 17, 36, 16, 23759},
	}
	for name, w := range want {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not present", path)
		}
		st, err := computeTraceStats(path, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := [5]int{st.CPUSamples, st.GCCycles, st.STWPauses, st.MarkAssists, st.Events}
		if got != w {
			t.Errorf("%s: got %v want %v", name, got, w)
		}
	}
}

type testFlagSet struct {
	fs *flag.FlagSet
	v  *string
}

func newTestFlagSet() testFlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	return testFlagSet{fs, fs.String("ignore-labels", "", "")}
}
