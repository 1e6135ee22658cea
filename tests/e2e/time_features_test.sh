#!/usr/bin/env bash
# The time-domain features after pre-pause (plugin/detect/time_rules.h), on the committed traces
# (go1.19, go1.26, go1.27.3; grow, presized, control, churn, nochurn, slicegrow):
#  1. time_features_check.py recomputes each feature from the trace's events as
#     golang.org/x/exp/trace reads them (gocheck trace-stats --stacks --timeline), and checks
#     the report's numbers and verdicts.
#  2. go tool pprof -tagfocus=gcspike=mark-overlap on the annotated trace selects exactly the
#     samples the report counts.
#  3. A profile without a timeline (a pprof CPU profile) has each feature inconclusive with
#     cause no-timeline; --fail-on still takes only the five stack features.
#  4. The text report carries the same numbers.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
[[ -n ${GOCHECK:-} && -x $GOCHECK ]] || fail "no gocheck"
command -v go > /dev/null || fail "go is not on PATH"

mapfile -t traces < <(find "$FIXTURES/trace" -name '*.trace' | sort)
[[ ${#traces[@]} -ge 9 ]] || fail "found only ${#traces[@]} committed traces"
for f in "${traces[@]}"; do
  name=$(basename "$(dirname "$f")")-$(basename "$f" .trace)
  "$GCSPIKE" report --json "$f" > "$WORK/$name.json" || fail "report --json $f"
  "$GOCHECK" trace-stats --stacks --timeline "$f" > "$WORK/$name.oracle" ||
    fail "gocheck cannot read $f"
  python3 "$HERE/time_features_check.py" "$WORK/$name.json" "$WORK/$name.oracle" \
    > "$WORK/$name.check" || fail "$name: the report's time features differ from the trace's events"
  sed "s/^/$name: /" "$WORK/$name.check"
  pass

  # 2. -tagfocus selects the labelled samples: as many as the report counts.
  "$GCSPIKE" annotate "$f" -o "$WORK/$name.pb.gz" || fail "annotate $f"
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["features"]["mark-overlap"]["mark_overlap_samples"])' "$WORK/$name.json")
  got=$(go tool pprof -raw -tagfocus=gcspike=mark-overlap "$WORK/$name.pb.gz" 2>/dev/null |
    python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); from map_churn_raw import raw_samples
print(sum(n for n, _ in raw_samples(sys.stdin)))' "$HERE")
  [[ $got == "$want" ]] || fail "$name: -tagfocus=gcspike=mark-overlap selects $got samples, the report counts $want"
  pass
done

# heap-step's two cases, by the oracle's figures (the check's lines): slicegrow's heap steps
# come from append alone (no map-insert sample in the oracle, so no grow cluster): many steps,
# none near a cluster, inconclusive with cause no-cluster, never spike. grow's steps are
# weighed against clusters the check rebuilt from the grow samples.
for v in go1.19 go1.26 go1.27.3; do
  python3 - "$WORK/$v-slicegrow.check" "$WORK/$v-slicegrow.json" "$WORK/$v-grow.check" <<'PY' ||
import json, re, sys
def line(path):
    m = re.search(r"^heap-step (\d+)/(\d+) clusters (\d+) map-insert samples (\d+) .* (\w+)$",
                  open(path).read(), re.M)
    assert m, path
    return [int(x) for x in m.groups()[:4]] + [m[5]]
near, steps, clusters, inserts, verdict = line(sys.argv[1])
assert inserts == 0 and clusters == 0 and near == 0 and steps >= 100, (near, steps, clusters)
h = json.load(open(sys.argv[2]))["features"]["heap-step"]
assert verdict == h["verdict"] == "inconclusive" and h["cause"] == "no-cluster", h
near, steps, clusters, inserts, verdict = line(sys.argv[3])
assert inserts > 0 and clusters > 0 and steps > 0, (near, steps, clusters, inserts)
PY
    fail "$v: heap-step on slicegrow/grow"
  pass
done

# The thresholds' flags reach the report and its checks; bad values are usage errors.
f=$FIXTURES/trace/go1.19/grow.trace
"$GCSPIKE" report --json --heap-step-pct=2 --mark-overlap-ratio=1.2 --mark-termination-ratio=1 \
  "$f" > "$WORK/flags.json" || fail "report --json with the time feature flags"
python3 "$HERE/time_features_check.py" "$WORK/flags.json" "$WORK/go1.19-grow.oracle" \
  > "$WORK/check.txt" || fail "with flags: the report's time features differ from the trace's events"
sed "s/^/flags: /" "$WORK/check.txt"
python3 - "$WORK/flags.json" "$WORK/go1.19-grow.json" <<'PY2' || fail "flags do not reach the report"
import json, sys
d, base = (json.load(open(p)) for p in sys.argv[1:])
f, t = d["features"], d["timeline"]
assert f["mark-overlap"]["ratio_threshold"] == 1.2 and f["mark-termination"]["ratio_threshold"] == 1
assert t["heap_step_share"] == 0.02 and base["timeline"]["heap_step_share"] == 0.05
assert len(t["heap_steps"]) > len(base["timeline"]["heap_steps"]), (len(t["heap_steps"]),)
PY2
pass
expect_bad_report_flags "$f" --heap-step-pct=0 --mark-overlap-ratio=0.5 --mark-termination-ratio=nan

# 3. No timeline: inconclusive, cause no-timeline; --fail-on knows only the stack features.
cpu=$(pprof_fixtures | grep '/grow[^/]*cpu[^/]*\.pb\.gz$' | head -1)
"$GCSPIKE" report --json "$cpu" > "$WORK/cpu.json" || fail "report --json $cpu"
python3 "$HERE/time_features_check.py" "$WORK/cpu.json" /dev/null > "$WORK/check.txt" ||
  fail "$cpu: features without a timeline"
pass
expect_exit 2 "$GCSPIKE" report "$cpu" --fail-on 'mark-overlap>10%'

# 3b. A trace taken with CPU profiling off has a timeline but no sample to judge: every feature
# says so (cause no-samples, how to take one), not that the profile has no timeline.
(cd "$SOURCE_DIR/tests/e2e/tracefill" && GOTOOLCHAIN=local go build -o "$WORK/tracefill" .) ||
  fail "cannot build tests/e2e/tracefill"
"$WORK/tracefill" -cpu=false -rounds 20 -keys 100000 "$WORK/nocpu.trace" ||
  fail "tracefill -cpu=false"
"$GOCHECK" trace-stats "$WORK/nocpu.trace" > "$WORK/nocpu.stats" || fail "gocheck nocpu.trace"
expect_exit 3 "$GCSPIKE" report --json "$WORK/nocpu.trace" --fail-on 'grow-spike>5%' \
  -o "$WORK/nocpu.json"
python3 - "$WORK/nocpu.stats" "$WORK/nocpu.json" <<'PY' || fail "a trace without CPU samples"
import json, sys
s = json.loads(open(sys.argv[1]).readline())
assert s["cpu_samples"] == 0 and s["gc_cycles"] > 0, s  # a timeline, no sample
f = json.load(open(sys.argv[2]))["features"]
for name in ("grow-spike", "scanobject-hotspot", "map-churn", "mark-overlap", "heap-step",
             "mark-termination"):
    assert f[name]["verdict"] == "inconclusive", (name, f[name])
    assert f[name]["cause"] == "no-samples", (name, f[name])
    assert "-cpuprofile" in f[name]["reason"], f[name]
PY
pass

# 3c. Filters that keep none of a trace's samples (its CPU samples span seconds, --from is an
# hour after the first): every feature names the filters (cause filtered-out), not a trace
# without CPU samples; report and annotate gates cannot decide.
f=$FIXTURES/trace/go1.26/grow.trace
expect_exit 3 "$GCSPIKE" report --json "$f" --from +1h --fail-on 'grow-spike>5%' \
  -o "$WORK/filtered.json"
grep -q "the filters kept none of the" "$WORK/out.txt" || fail "no warning: $(cat "$WORK/out.txt")"
python3 - "$WORK/filtered.json" <<'PY' || fail "a report whose filters kept no sample"
import json, sys
f = json.load(open(sys.argv[1]))["features"]
for name in ("grow-spike", "scanobject-hotspot", "map-churn", "mark-overlap", "heap-step",
             "mark-termination"):
    assert f[name]["verdict"] == "inconclusive", (name, f[name])
    assert f[name]["cause"] == "filtered-out" and "--from" in f[name]["reason"], (name, f[name])
PY
expect_exit 3 "$GCSPIKE" annotate "$f" --from +1h --fail-on 'grow-spike>5%' -o "$WORK/f.pb.gz"
grep -q "cannot be decided.*the filters .* kept none" "$WORK/out.txt" ||
  fail "annotate: $(cat "$WORK/out.txt")"
# The warning says where the samples lie: the oracle's first and last CPU sample (x/exp may move
# a sample later by up to milliseconds, docs/formats/go-trace.md#cpu-samples-and-generations).
"$GOCHECK" trace-stats --stacks "$f" > "$WORK/grow.samples" || fail "gocheck --stacks $f"
python3 - "$WORK/grow.samples" "$WORK/out.txt" <<'PY' || fail "the span the warning gives"
import re, sys
times = sorted(int(l.split(" ", 1)[0]) for l in open(sys.argv[1]).read().splitlines()[1:])
out = open(sys.argv[2]).read()
m = re.search(r"kept none of the \d+ samples \(their times run from \+0s to \+([0-9.]+)s, "
              r"timestamp_ns (\d+) to (\d+); --from/--to \+DURATION count from the first\)", out)
assert m, out
span, first, last = float(m.group(1)), int(m.group(2)), int(m.group(3))
assert abs(first - times[0]) <= 5_000_000 and abs(last - times[-1]) <= 5_000_000, (first, last, times[0], times[-1])
assert abs(span - (last - first) / 1e9) < 0.0006, (span, first, last)
PY
# A window that holds no time is a usage error, in either form: exit 2, no output file.
rm -f "$WORK/empty.pb.gz"
expect_exit 2 "$GCSPIKE" annotate "$f" --from +1s --to +0.5s -o "$WORK/empty.pb.gz"
grep -q "^gcspike: .*--to +0.5s is not after --from +1s: the window \[from, to) holds no time" \
  "$WORK/out.txt" || fail "empty window: $(cat "$WORK/out.txt")"
[[ ! -e $WORK/empty.pb.gz ]] || fail "an empty window wrote an output file"
pass

# 3d. Filters that keep a few of many samples (100 ms of a 3 s trace): too few to judge, and the
# advice is to widen the filters, not to take a longer profile; M is the oracle's sample count.
"$GOCHECK" trace-stats "$f" > "$WORK/grow.stats" || fail "gocheck $f"
expect_exit 3 "$GCSPIKE" report --json "$f" --from +1s --to +1.1s --fail-on 'grow-spike>5%' \
  -o "$WORK/few.json"
grep -q "cannot be decided.*the filters .* left [0-9]* of the [0-9]* samples.*widen them" \
  "$WORK/out.txt" || fail "report gate: $(cat "$WORK/out.txt")"
python3 - "$WORK/grow.stats" "$WORK/few.json" <<'PY' || fail "a report whose filters kept a few"
import json, sys
total = json.loads(open(sys.argv[1]).readline())["cpu_samples"]
d = json.load(open(sys.argv[2]))
g = d["features"]["grow-spike"]
assert 0 < d["samples"] < 30 < total, (d["samples"], total)
assert g["cause"] == "too-few-samples", g
want = f"left {d['samples']} of the {total} samples, too few to tell (at least 30 samples); widen"
assert want in g["reason"] and "longer" not in g["reason"], (want, g)
PY
pass

# 4. The text report says the same.
f=$FIXTURES/trace/go1.26/grow.trace
"$GCSPIKE" report "$f" > "$WORK/text.txt" || fail "report $f"
python3 - "$WORK/go1.26-grow.json" "$WORK/text.txt" <<'PY' || fail "text and JSON reports disagree"
import json, re, sys
m = json.load(open(sys.argv[1]))["features"]["mark-overlap"]
text = open(sys.argv[2]).read()
r = re.search(r"^  mark-overlap: (\d+) of (\d+) grow-spike samples .*the mark phases cover "
              r"([\d.]+) % of the timeline \(expected by chance\); ratio \S+, p = \S+: (\w+)",
              text, re.M)
assert r, text
assert (int(r[1]), int(r[2]), r[4]) == (m["mark_overlap_samples"], m["samples"], m["verdict"])
assert abs(float(r[3]) - 100 * m["expected"]) <= 0.05
h = json.load(open(sys.argv[1]))["features"]["heap-step"]
r = re.search(r"^  heap-step: (\d+) of (\d+) heap steps .*?, p = \S+: (\w+)", text, re.M)
assert r and (int(r[1]), int(r[2]), r[3]) == (h["near_cluster_steps"], h["samples"], h["verdict"])
k = json.load(open(sys.argv[1]))["features"]["mark-termination"]
r = re.search(r"^  mark-termination: (\d+) GC cycles; .* rho (\S+), p = (\S+);"
              r".*? quartile \S+(?: \[95% (\S+)-(\S+)\])?: (\w+)", text, re.M)
assert r and (int(r[1]), r[6]) == (k["cycles"], k["verdict"]), r
if r[4]:
    want = ["inf" if x is None else f"{x:.2f}" for x in k["ratio_interval"]]
    assert list(r.group(4, 5)) == want, (r, want)
assert abs(float(r[2]) - k["rho"]) <= 0.005
t = json.load(open(sys.argv[1]))["timeline"]
rows = re.findall(r"^ +(\d+) +([\d.]+) +([\d.]+) +(\d+)  (yes|no)$", text, re.M)
assert [(int(a), int(d), e == "yes") for a, b, c, d, e in rows] == [
    (c["id"], c["grow_samples"], c["before_pause"]) for c in t["clusters"]], rows
PY
pass
finish
