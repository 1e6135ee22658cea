#!/usr/bin/env bash
# The HTML report (gcspike report --html) and the chrome-trace output, checked where people use
# them: the pages of the grow trace and of a CPU profile are opened from file:// in Debian's
# headless chromium with the network blocked (tests/e2e/html_report_browser.mjs), and every
# number they show is compared with `gcspike report --json` of the same input (the verdicts, the
# flame graph's sample counts, the timeline's GC cycles and pauses, and a brushed time range
# against --from/--to). The chrome trace is validated against the Trace Event Format here and
# loaded into speedscope's Trace Event importer there. Last, the page of a big trace made at
# test time stays under its stated size. Screenshots go to $BUILD_DIR/artifacts/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/viewer_lib.sh"

browser_prerequisites

trace=$FIXTURES/trace/go1.26/grow.trace
cpu=$FIXTURES/pprof/go1.26/grow.cpu.pb.gz

# The three ways to ask for HTML give the same page. Run in the source tree so that the page
# names its input as the README does (the README's screenshot, docs/html-report.png, is this
# test's html-report-grow-brushed.png).
in_src() { (cd "$SOURCE_DIR" && "$@"); }
rel=fixtures/trace/go1.26/grow.trace
in_src "$GCSPIKE" report --html "$rel" -o "$WORK/grow.html" || fail "report --html"
in_src "$GCSPIKE" report --output-format=html "$rel" -o "$WORK/by-flag.out" || fail "--output-format=html"
in_src "$GCSPIKE" report "$rel" -o "$WORK/by-extension.html" || fail "report -o x.html"
cmp -s "$WORK/grow.html" "$WORK/by-flag.out" || fail "--output-format=html differs from --html"
cmp -s "$WORK/grow.html" "$WORK/by-extension.html" || fail "-o x.html differs from --html"
"$GCSPIKE" annotate "$trace" -o "$WORK/annotate.html" || fail "annotate -o x.html"
grep -q 'id="gcspike-data"' "$WORK/annotate.html" || fail "annotate -o x.html is not the page"
pass
"$GCSPIKE" report --json "$trace" > "$WORK/grow.json" || fail "report --json trace"
"$GCSPIKE" report --html "$cpu" -o "$WORK/cpu.html" || fail "report --html pprof"
"$GCSPIKE" report --json "$cpu" > "$WORK/cpu.json" || fail "report --json pprof"

# Small and self-contained: no external resource in the markup.
for f in "$WORK/grow.html" "$WORK/cpu.html"; do
  size=$(stat -c %s "$f")
  echo "$(basename "$f"): $size bytes"
  ((size < 400000)) || fail "$f is $size bytes, want < 400 KB"
  ! grep -Eq '(src|href)="(https?:)?//|url\(|@import' "$f" || fail "$f refers to an external resource"
  pass
done

# The chrome trace: the Trace Event Format's rules, and the samples and the cycles of the JSON.
"$GCSPIKE" report "$trace" -o "$WORK/grow.trace.json" || fail "report -o x.trace.json"
"$GCSPIKE" "$trace" --output-format=chrome-trace -o "$WORK/annotate.out" || fail "annotate chrome-trace"
cmp -s "$WORK/grow.trace.json" "$WORK/annotate.out" || fail "report and annotate chrome traces differ"
python3 - "$WORK/grow.trace.json" "$WORK/grow.json" <<'PY' || fail "chrome trace does not validate"
import json, sys
trace = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
events = trace["traceEvents"]
assert isinstance(events, list) and events, "traceEvents is empty"
known = set("BEXiIMCbenstfPOND") | {"R", "(", ")"}
depth = {}
for e in events:
    for key in ("name", "ph", "ts", "pid", "tid"):
        assert key in e, f"{key} missing in {e}"
    assert e["ph"] in known, f"unknown ph {e['ph']}"
    assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    if e["ph"] == "X":
        assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    if e["ph"] in "BE":
        k = (e["pid"], e["tid"])
        depth[k] = depth.get(k, 0) + (1 if e["ph"] == "B" else -1)
        assert depth[k] >= 0, f"E without B on {k}"
    if e["ph"] == "i":
        assert e.get("s", "t") in "gpt", e
        if "sf" in e:
            assert e["sf"] in trace["stackFrames"], f"unknown stack frame {e['sf']}"
    if e["ph"] == "M":
        assert e["name"] in ("process_name", "thread_name", "process_sort_index", "thread_sort_index"), e
        assert "name" in e["args"], e
assert all(v == 0 for v in depth.values()), "unbalanced B/E"
for fid, f in trace["stackFrames"].items():
    assert "name" in f and ("parent" not in f or f["parent"] in trace["stackFrames"]), fid
named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
for e in events:
    if e["ph"] in "Xi":
        assert (e["pid"], e["tid"]) in named, f"track {e['pid']}/{e['tid']} has no thread_name"
samples = [e for e in events if e["ph"] == "i"]
assert len(samples) == report["samples"], f"{len(samples)} sample events, want {report['samples']}"
tl = report["timeline"]
cycles = [e for e in events if e["ph"] == "X" and e["name"] == "GC cycle"]
assert len(cycles) == len(tl["gc_cycles"]), f"{len(cycles)} GC cycles, want {len(tl['gc_cycles'])}"
# Every pause is drawn; the GC's (docs/formats/go-trace.md#stop-the-world-reasons) are the JSON's
# pause starts, the windows of pre-pause, and a trace start's is not.
stw = [e for e in events if e["ph"] == "X" and e.get("cat") == "stw"
       and (e["name"].startswith("GC ") or e["name"] == "STW pause")]
assert len(stw) == len(tl["pause_starts_ns"]), f"{len(stw)} pauses, want {len(tl['pause_starts_ns'])}"
# Microseconds: the grow samples' timestamps, back in nanoseconds, are the JSON's exactly.
origin = int(trace["otherData"]["origin_ns"])
grow = sorted(origin + round(e["ts"] * 1000) for e in samples if "grow-spike" in e["args"].get("gcspike", ""))
assert grow == sorted(tl["grow_sample_times_ns"]), "grow sample times differ from the JSON's"
starts = sorted(origin + round(e["ts"] * 1000) for e in stw)
assert starts == sorted(tl["pause_starts_ns"]), "pause starts differ from the JSON's"
print(f"chrome trace ok: {len(events)} events, {len(samples)} samples, {len(cycles)} GC cycles, {len(stw)} pauses")
PY
pass

# perf.data (no timeline, spooled samples): the workload recorded for a second.
perf_input=
if command -v perf >/dev/null && (cd "$SOURCE_DIR/fixtures/src" && go build -o "$WORK/workload" ./workload) &&
  HOME=$WORK perf record -q -e cpu-clock -F 999 -g -o "$WORK/w.data" -- "$WORK/workload" -duration 1s \
    >/dev/null 2>"$WORK/perf.err"; then
  perf_input=$WORK/w.data
  "$GCSPIKE" report --html "$perf_input" -o "$WORK/perf.html" || fail "report --html perf.data"
  "$GCSPIKE" report --json "$perf_input" > "$WORK/perf.json" || fail "report --json perf.data"
  echo "perf.html: $(stat -c %s "$WORK/perf.html") bytes"
else
  echo "perf record is not possible here ($(head -c 200 "$WORK/perf.err" 2>/dev/null)); no perf.data page"
fi

node - "$WORK" "$GCSPIKE" "$trace" "$cpu" "$perf_input" > "$WORK/cases.json" <<'JS'
const fs = require("fs");
const [work, gcspike, trace, cpu, perf] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(`${work}/grow.json`, "utf8"));
// A cycle begun before the trace or ended after it has no known duration: counted, not timed.
const cycles = report.timeline.gc_cycles.map((c) => ({ name: `GC cycle {"seq":${c.seq}}`,
  total_us: c.start_ns !== null && c.end_ns !== null ? (c.end_ns - c.start_ns) / 1000 : null }));
console.log(JSON.stringify({ gcspike, pages: [
  { html: `${work}/grow.html`, input: trace, report: `${work}/grow.json`, timeline: true,
    search: "mapassign", screenshot: "html-report-grow.png", brushed_screenshot: "html-report-grow-brushed.png" },
  { html: `${work}/cpu.html`, input: cpu, report: `${work}/cpu.json`, timeline: false,
    search: "mapassign", screenshot: "html-report-cpu.png" },
  ...(perf ? [{ html: `${work}/perf.html`, input: perf, report: `${work}/perf.json`, timeline: false,
    screenshot: "html-report-perf.png" }] : []),
], chrome: { file: `${work}/grow.trace.json`, gc_cycles: cycles } }));
JS

start=$(date +%s%N)
run_browser html_report_browser.mjs "the HTML report in chromium"
echo "browser checks took $(( ($(date +%s%N) - start) / 1000000 )) ms"

# A big trace, made now with the fixture workload: the page stays under the stated bound
# (plugin/html_report.h: 45 KB + 35 bytes per CPU sample + 120 per GC cycle + 50 per frame +
# at most 450 KB of binned timeline; under 10 MB).
if [[ ${GCSPIKE_HTML_SKIP_BIG:-0} != 1 ]]; then
  "$SOURCE_DIR/scripts/make-fixtures" --out "$WORK/big" --duration 10s --only trace --go 1.26 \
    --modes grow > "$WORK/make-fixtures.txt" 2>&1 ||
    { cat "$WORK/make-fixtures.txt" >&2; fail "make-fixtures for the big trace"; }
  big=$(find "$WORK/big" -name 'grow*.trace' | head -1)
  [[ -n $big ]] || fail "make-fixtures made no grow trace"
  "$GCSPIKE" report --html "$big" -o "$WORK/big.html" || fail "report --html big trace"
  "$GCSPIKE" report --json "$big" > "$WORK/big.json" || fail "report --json big trace"
  read -r samples cycles nodes < <(node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const page = fs.readFileSync(process.argv[2], "utf8");
    const d = JSON.parse(/id="gcspike-data">(.*?)<\/script>/s.exec(page)[1]);
    console.log(c.samples, c.timeline.gc_cycles.length, d.flame.parent.length)' \
    "$WORK/big.json" "$WORK/big.html")
  size=$(stat -c %s "$WORK/big.html")
  bound=$((45000 + 35 * samples + 120 * cycles + 50 * nodes + 450000))
  echo "big trace: $(stat -c %s "$big") bytes, $samples samples, $cycles GC cycles, $nodes frames" \
    "-> HTML $size bytes (bound $bound)"
  ((size < bound && size < 10000000)) || fail "the big trace's page is $size bytes, bound $bound"
  pass
fi
finish
