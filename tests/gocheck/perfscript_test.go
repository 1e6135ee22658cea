package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// perfLikeProfile: two samples labelled like gcspike's perf.data output. Location 2 has an
// inlined callee, so its perf script symbol is the outer function (its last Line).
func perfLikeProfile() *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x500000, File: "/bin/app", HasFunctions: true}
	f1 := &profile.Function{ID: 1, Name: "runtime.mallocgc"}
	f2 := &profile.Function{ID: 2, Name: "main.inlined"}
	f3 := &profile.Function{ID: 3, Name: "main.main"}
	l1 := &profile.Location{ID: 1, Mapping: m, Address: 0x401000, Line: []profile.Line{{Function: f1}}}
	l2 := &profile.Location{ID: 2, Mapping: m, Address: 0x402000, Line: []profile.Line{{Function: f2}, {Function: f3}}}
	l3 := &profile.Location{ID: 3, Mapping: m, Address: 0x403000}
	sample := func(tid, ns int64, locs ...*profile.Location) *profile.Sample {
		return &profile.Sample{Location: locs, Value: []int64{1},
			NumLabel: map[string][]int64{"tid": {tid}, "timestamp_ns": {ns}}}
	}
	return &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu-clock_samples", Unit: "count"}},
		Sample:     []*profile.Sample{sample(7, 5000123456, l1, l2), sample(8, 5000223999, l3, l2)},
		Location:   []*profile.Location{l1, l2, l3},
		Function:   []*profile.Function{f1, f2, f3},
		Mapping:    []*profile.Mapping{m},
	}
}

func TestPerfScriptCompare(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "p.pb.gz")
	f, err := os.Create(pb)
	if err != nil {
		t.Fatal(err)
	}
	if err := perfLikeProfile().Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	script := func(text string) string {
		path := filepath.Join(dir, "script.txt")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	same := "app 7/7  5.000123: \n\t  1000 runtime.mallocgc\n\t  2000 main.main\n\n" +
		"my app 8/8  5.000223: \n\t  3000 [unknown]\n\t  2000 main.main\n\n"
	cmd := func(args []string, o, e *bytes.Buffer) int { return cmdPerfScriptCompare(args, o, e) }
	if code, out := run(t, cmd, pb, script(same)); code != 0 || !strings.Contains(out, `"agreement":1`) {
		t.Fatalf("same stacks: exit %d, %s", code, out)
	}
	differs := strings.Replace(same, "2000 main.main\n\nmy", "2000 main.other\n\nmy", 1)
	if code, out := run(t, cmd, pb, script(differs)); code != 1 || !strings.Contains(out, `"agreement":0.5`) {
		t.Fatalf("one stack differs: exit %d, %s", code, out)
	}
	if code, out := run(t, cmd, "--min-agree=0.5", pb, script(differs)); code != 0 {
		t.Fatalf("--min-agree=0.5: exit %d, %s", code, out)
	}
	missing := same[:strings.Index(same, "my app")]
	if code, _ := run(t, cmd, "--min-agree=0", pb, script(missing)); code != 1 {
		t.Fatalf("sample counts differ: want exit 1, got %d", code)
	}
}
