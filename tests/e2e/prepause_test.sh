#!/usr/bin/env bash
# ctest-labels: asan
# Pre-pause against chance and the JSON timeline (plugin/detect/time_rules.h), on traces the
# workload (fixtures/src/workload) records now, with rare and with very frequent GC:
#  1. prepause_check.py recomputes, from the report's JSON timeline alone (grow sample times,
#     pause starts, span), the windows' cover, the observed share, the ratio, the exact
#     binomial p-value, the verdict rules and the cluster count, and checks them against the
#     report; its expected_clusters against a Python simulation.
#  2. With very frequent GC the (200 ms) windows cover most of the timeline and the verdict is
#     inconclusive, not a spike; with rare GC the (50 ms) windows cover little.
#  3. GC cycles and pause starts: as many as golang.org/x/exp/trace counts (gocheck); the span
#     runs from the first to the last CPU sample as the runtime timed them, which x/exp may
#     move later, never earlier (a trace whose last samples x/exp moves by ms, made here).
#  4. The text report says the same; --pre-pause-ratio is validated.
#  5. Every committed trace and every external one: the JSON parses and checks out as in 1.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

command -v go > /dev/null || fail "go is not on PATH"
(cd "$SOURCE_DIR/fixtures/src/workload" &&
  GOTOOLCHAIN=local GOTELEMETRY=off go build -trimpath -o "$WORK/workload" .) ||
  fail "cannot build fixtures/src/workload"

# report_check TRACE NAME [gcspike flags...]: the JSON report, checked by prepause_check.py and
# against gocheck; leaves $WORK/NAME.json.
report_check() {
  local trace=$1 name=$2
  shift 2
  "$GCSPIKE" report --json "$@" "$trace" > "$WORK/$name.json" || fail "report --json $trace"
  local ratio_flag=()
  for a in "$@"; do [[ $a == --pre-pause-ratio=* ]] && ratio_flag=(--min-ratio "${a#*=}"); done
  python3 "$HERE/prepause_check.py" "$WORK/$name.json" "${ratio_flag[@]}" > "$WORK/check.txt" ||
    fail "$trace: the report's pre-pause numbers do not follow from its timeline"
  echo "$name: $(cat "$WORK/check.txt")"
  pass
  if [[ -n ${GOCHECK:-} && -x $GOCHECK ]]; then
    "$GOCHECK" trace-stats --stacks "$trace" > "$WORK/stats.txt" || fail "gocheck cannot read $trace"
    "$GOCHECK" trace-stats --timeline "$trace" > "$WORK/ranges.txt" || fail "gocheck $trace"
    "$GCSPIKE" trace-stats --stacks "$trace" > "$WORK/own.txt" || fail "trace-stats $trace"
    python3 - "$WORK/stats.txt" "$WORK/own.txt" "$WORK/$name.json" "$WORK/ranges.txt" \
      <<'PY' ||
import json, sys
def times(path):
    return sorted(int(line.split(" ", 1)[0]) for line in open(path).read().splitlines()[1:])
s = json.loads(open(sys.argv[1]).readline())
want, got = times(sys.argv[1]), times(sys.argv[2])
t = json.load(open(sys.argv[3])).get("timeline")
if t is not None:
    g = s["gc_detail"]
    cycles = g["completed"] + g["cut_at_start"] + g["unfinished"] + g["whole_trace"]
    assert len(t["gc_cycles"]) == cycles, (len(t["gc_cycles"]), cycles)
    # Every begin of a GC stop-the-world in the trace is a pause start, and only those: not
    # the pauses of ReadMemStats or a trace start (docs/formats/go-trace.md#stop-the-world-reasons).
    stw = [line.split(" ", 3) for line in open(sys.argv[4]) if line.startswith("stw ")]
    gc_starts = [x for x in stw if x[1] != "none" and x[3].startswith("GC ")]
    assert len(t["pause_starts_ns"]) == len(gc_starts), (len(t["pause_starts_ns"]), stw)
    # The others (begun and ended in the trace) are listed apart, by kind as x/exp names them.
    other = sorted(x[3].strip() for x in stw
                   if "none" not in (x[1], x[2]) and not x[3].startswith("GC "))
    mine = sorted(p["kind"] for p in t["other_pauses"])
    assert mine == other, (mine, other)
    # The span runs over the samples' times as the runtime wrote them (formats/GO_TRACE.md,
    # "Agreement"): x/exp moves a sample later where its event order puts it after a later
    # event, by a few ns on a shared tick or by up to milliseconds where a generation ends
    # late (docs/formats/go-trace.md#cpu-samples-and-generations; traces recorded under load).
    # So: x/exp has as many samples, none earlier: each of its order statistics is at or after
    # ours; and the span is our first and last.
    assert len(want) == len(got), (len(want), len(got))
    early = [(w, o) for w, o in zip(want, got) if w < o]
    assert not early, f"x/exp has samples earlier than ours: {early[:3]}"
    assert t["span_ns"] == [got[0], got[-1]], (t["span_ns"], got[0], got[-1])
    if want[-1] - got[-1] > 1000 or want[0] - got[0] > 1000:
        print(f"x/exp moved an edge sample: first +{want[0] - got[0]} ns, "
              f"last +{want[-1] - got[-1]} ns")
PY
      fail "$trace: timeline differs from x/exp/trace"
    pass
  fi
}

# Each run about 1.5 s: the live heap is built before the trace starts. Rare GC: a big GOGC
# over a small heap; very frequent GC: GOGC 5 over a 2 MB heap (dozens of cycles a second).
"$WORK/workload" -mode grow -duration 1s -workers 2 -live-mb 8 -gcpercent 800 \
  -trace "$WORK/rare.trace" -cpuprofile "$WORK/rare.pprof" || fail "workload (rare GC)"
# With frequent GC the windows before the pauses cover most of the timeline, and pre-pause must
# then be weighed against chance. A machine busy with other work starves the workload, and its
# GC runs less often and in bursts (under two busy loops, 18 of 85 such runs left over a third
# of the timeline outside 50 ms windows, 7 of them with >= 30 cycles; two were a spike). So the
# frequent run is judged with 200 ms windows (--pre-pause-ms=200; 2 of those 85 runs) and
# recorded again (at most twice) until they cover more than 1 / 1.5 of the timeline, the share
# past which JudgePrePause calls no spike (time_rules.h).
frequent_ms=--pre-pause-ms=200
for attempt in 1 2 3; do
  "$WORK/workload" -mode grow -duration 1s -workers 3 -live-mb 2 -gcpercent 5 \
    -trace "$WORK/frequent.trace" -cpuprofile "$WORK/frequent.pprof" ||
    fail "workload (frequent GC)"
  cover=$("$GCSPIKE" report --json $frequent_ms "$WORK/frequent.trace" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["features"]["pre-pause"]["expected"])')
  python3 -c "import sys; sys.exit(not $cover * 1.5 > 1)" && break
  echo "frequent GC run $attempt: the windows cover only $cover of the timeline; again"
done
python3 -c "import sys; sys.exit(not $cover * 1.5 > 1)" ||
  fail "the frequent-GC runs' windows never covered 2/3 of the timeline (machine too busy?)"

report_check "$WORK/rare.trace" rare
report_check "$WORK/frequent.trace" frequent $frequent_ms
# A trace whose last generation's CPU samples are older than the previous generation's events,
# as the runtime writes them when a generation ends late (under load: x/exp's last sample was
# once 356 us after the span): x/exp moves them past that generation, gcspike does not.
moved=$(python3 "$HERE/trace_edit.py" late-samples "$FIXTURES/trace/go1.26/grow.trace" \
  "$WORK/late.trace") || fail "trace_edit.py late-samples"
report_check "$WORK/late.trace" late
if [[ -n ${GOCHECK:-} && -x $GOCHECK ]]; then
  python3 - "$WORK/stats.txt" "$WORK/late.json" "$moved" <<'PY' ||
import json, sys
last = max(int(line.split(" ", 1)[0]) for line in open(sys.argv[1]).read().splitlines()[1:])
lo, hi = json.load(open(sys.argv[2]))["timeline"]["span_ns"]
assert int(sys.argv[3]) > 0 and last - hi > 1000000, (sys.argv[3], last, hi)
PY
    fail "late-samples: x/exp does not move the last samples past the span"
  pass
fi
python3 - "$WORK/rare.json" "$WORK/frequent.json" <<'PY' || fail "frequent GC: pre-pause is not weighed against chance"
import json, sys
rare, frequent = (json.load(open(p)) for p in sys.argv[1:])
r, f = rare["features"]["pre-pause"], frequent["features"]["pre-pause"]
print(f"rare GC: {len(rare['timeline']['gc_cycles'])} cycles, expected {r['expected']:.3f}; "
      f"frequent GC: {len(frequent['timeline']['gc_cycles'])} cycles, expected "
      f"{f['expected']:.3f}, fraction {f['fraction']}, verdict {f['verdict']}")
# Covering more than 1 / 1.5 of the span, no share could reach the ratio: inconclusive (or
# too few grow samples), never a spike.
assert f["verdict"] == "inconclusive", f
assert r["expected"] < f["expected"], (r, f)
PY
pass

# The text report carries the same numbers and verdict.
"$GCSPIKE" report $frequent_ms "$WORK/frequent.trace" > "$WORK/frequent.txt" ||
  fail "report (text)"
python3 - "$WORK/frequent.json" "$WORK/frequent.txt" <<'PY' || fail "text and JSON reports disagree"
import json, re, sys
p = json.load(open(sys.argv[1]))["features"]["pre-pause"]
t = json.load(open(sys.argv[1]))["timeline"]
text = open(sys.argv[2]).read()
m = re.search(r"^  pre-pause: (\d+) of (\d+) grow-spike samples .*the windows cover ([\d.]+) % "
              r"of the timeline \(expected by chance\); ratio \S+, p = \S+: (\w+)", text, re.M)
assert m, text
assert (int(m[1]), int(m[2]), m[4]) == (p["pre_pause_samples"], p["samples"], p["verdict"]), m.groups()
assert abs(float(m[3]) - 100 * p["expected"]) <= 0.05, (m[3], p["expected"])
m = re.search(r"^  grow-spike clusters \(.*\): (\d+); random placements of the (\d+) samples "
              r"over the timeline give ([\d.]+) on average", text, re.M)
assert m, text
assert int(m[1]) == len(t["clusters"]) and abs(float(m[3]) - t["expected_clusters"]) <= 0.05
PY
pass

# --pre-pause-ratio: a lower bar is checked with the same rules; a bad value is a usage error.
report_check "$WORK/frequent.trace" frequent-ratio1 --pre-pause-ratio=1
expect_exit 2 "$GCSPIKE" report "$WORK/frequent.trace" --pre-pause-ratio 0.5
grep -q -- '--pre-pause-ratio' "$WORK/out.txt" || fail "no flag name in: $(cat "$WORK/out.txt")"
expect_exit 2 "$GCSPIKE" report "$WORK/frequent.trace" --pre-pause-ratio nan

# Pauses that are not the GC's end no GC cycle. A batch job that fills a growing map and then
# reads its memory statistics (runtime.ReadMemStats stops the world), run with GOGC=off: the
# trace has no GC cycle, and its grow samples all lie just before the ReadMemStats pauses.
# pre-pause cannot be judged (cause no-window), where counting those pauses made it a spike.
(cd "$SOURCE_DIR/tests/e2e/tracefill" && GOTOOLCHAIN=local go build -o "$WORK/tracefill" .) ||
  fail "cannot build tests/e2e/tracefill"
GOGC=off "$WORK/tracefill" -rounds 12 -keys 300000 -memstats -spin 120ms "$WORK/memstats.trace" ||
  fail "tracefill -memstats"
report_check "$WORK/memstats.trace" memstats
if [[ -n ${GOCHECK:-} && -x $GOCHECK ]]; then
  python3 - "$WORK/stats.txt" "$WORK/ranges.txt" "$WORK/memstats.json" <<'PY' ||
import json, sys
s = json.loads(open(sys.argv[1]).readline())
reasons = [line.split(" ", 3)[3].strip() for line in open(sys.argv[2]) if line.startswith("stw ")]
d = json.load(open(sys.argv[3]))
p, t = d["features"]["pre-pause"], d["timeline"]
print(f"memstats: x/exp: {s['gc_cycles']} GC cycles, pauses {sorted(set(reasons))} "
      f"({reasons.count('read mem stats')} read mem stats); grow samples {p['samples']}, "
      f"pre-pause {p['verdict']} ({p.get('cause')})")
assert s["gc_cycles"] == 0 and reasons.count("read mem stats") == 12, (s, reasons)
assert p["samples"] >= 10, f"too few grow samples to judge anything: {p}"
assert t["pause_starts_ns"] == [] and p["pre_pause_samples"] == 0, (t["pause_starts_ns"], p)
assert p["verdict"] == "inconclusive" and p["cause"] == "no-window", p
PY
    fail "GOGC=off with ReadMemStats pauses: pre-pause judged against pauses of no GC"
  pass
fi

# Every committed and external trace: the JSON parses and its numbers check out.
shared=
for d in "${SHARED_DIR:-$SOURCE_DIR/../shared}" "$SOURCE_DIR/../../shared"; do
  [[ -d "$d/external-traces" ]] && { shared=$d/external-traces; break; }
done
[[ -n $shared ]] || fail "no ../shared/external-traces"
mapfile -t traces < <(find "$FIXTURES/trace" "$shared" -name '*.trace' | sort)
[[ ${#traces[@]} -ge 10 ]] || fail "found only ${#traces[@]} traces"
for f in "${traces[@]}"; do
  report_check "$f" "$(basename "$(dirname "$f")")-$(basename "$f" .trace)"
done
finish
