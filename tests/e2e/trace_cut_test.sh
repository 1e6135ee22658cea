#!/usr/bin/env bash
# An execution trace cut short never passes a gate the whole trace crosses. Go 1.19's trace
# (the old format) ends with its stack table, so a trace cut inside the table still reads, but
# some CPU samples name stacks it no longer holds (kept with an empty stack, as x/exp does).
# Counted as samples that did no map work, they diluted every share: a gate such as
# grow-spike>30% passed (exit 0) on the cut trace of a run whose whole trace crosses it.
#  1. A Go 1.19 program that fills growing maps, traced with CPU profiling on (fixed work, so
#     the sample count does not depend on the machine's load).
#  2. trace_v1_cut.py cuts it before a Stack event of its table and counts, from the trace's
#     own events, the samples whose stacks are lost and the grow samples (map assign above a
#     grow frame) in all of them and in those kept.
#  3. The gate's limit lies above the 95 % Wilson interval of the kept grow samples' share and
#     below that of all grow samples: the whole trace crosses it (exit 1); the cut one cannot
#     decide it (exit 3, the reason names the samples without a stack), nor can diff say the
#     share "improved"; the report's empty_stack_share is the lost samples' share, and every
#     verdict but a spike is undecided (all of them when most samples lost their stacks).
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
GO119=/usr/lib/go-1.19/bin/go
[[ -x $GO119 ]] || fail "$GO119 is missing: run scripts/setup-deps (Debian golang-1.19)"

(cd "$SOURCE_DIR/tests/e2e/tracefill" && GOTOOLCHAIN=local "$GO119" build -o "$WORK/tracefill" .) ||
  fail "cannot build tests/e2e/tracefill with Go 1.19"
"$WORK/tracefill" -workers 2 -rounds 30 -keys 200000 "$WORK/whole.trace" || fail "tracefill"
python3 "$HERE/trace_v1_cut.py" "$WORK/whole.trace" "$WORK/cut.trace" > "$WORK/cut.json" ||
  fail "trace_v1_cut.py"
limit=$(python3 - "$WORK/cut.json" <<'PY'
import json, math, sys
c = json.load(open(sys.argv[1]))
def wilson(k, n, z=1.959963984540054):
    p, d = k / n, 1 + z * z / n
    mid, half = (p + z * z / (2 * n)) / d, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return mid - half, mid + half
n = c["samples"]
kept_hi, all_lo = wilson(c["grow_visible"], n)[1], wilson(c["grow"], n)[0]
print(f"cut: {c['lost']} of {n} samples lost, grow {c['grow']} of them all, {c['grow_visible']} "
      f"with a stack kept: [.. {kept_hi:.3f}] against [{all_lo:.3f} ..]", file=sys.stderr)
assert n >= 120, f"only {n} CPU samples"
assert kept_hi + 0.01 < all_lo, "the cut hides too little to tell a gate apart"
print(f"{100 * (kept_hi + all_lo) / 2:.1f}")
PY
) || fail "the cut trace cannot show the dilution"
gate="grow-spike>$limit%"
echo "gate $gate"

expect_exit 1 "$GCSPIKE" report --json "$WORK/whole.trace" --fail-on "$gate" -o "$WORK/whole.json"
pass
expect_exit 3 "$GCSPIKE" report --json "$WORK/cut.trace" --fail-on "$gate" \
  -o "$WORK/cut-report.json"
grep -q "cannot be decided.*of samples have no stack at all" "$WORK/out.txt" ||
  fail "no reason naming the samples without a stack: $(cat "$WORK/out.txt")"
grep -q "CPU samples name stacks missing" "$WORK/out.txt" || fail "no reader warning"
pass
python3 - "$WORK/cut.json" "$WORK/cut-report.json" <<'PY' || fail "report of the cut trace"
import json, sys
c, r = (json.load(open(p)) for p in sys.argv[1:])
assert r["samples"] == c["samples"], (r["samples"], c)
lost = c["lost"] / c["samples"]
assert abs(r["visibility"]["empty_stack_share"] - lost) < 1e-5, (r["visibility"], c)
g = r["features"]["grow-spike"]
assert round(g["fraction"] * r["samples"]) == c["grow_visible"], (g, c)
stack_features = ("grow-spike", "key-copy", "malloc-burst", "assist-coupling",
                  "scanobject-hotspot")
# Most samples without a stack: nothing is judged. Fewer: a spike seen anyway stands (what is
# lost can only add to a share); any other verdict is undecided for the samples no one sees.
for name in stack_features:
    f = r["features"][name]
    if lost > 0.5:
        assert f["verdict"] == "inconclusive" and f["cause"] == "missing-stacks", (name, f)
    else:
        assert f["verdict"] == "spike" or f["cause"] == "missing-stacks", (name, f)
print(f"{100 * lost:.1f} % of samples without a stack: "
      + ", ".join(f"{n} {r['features'][n]['verdict']}" for n in stack_features))
PY
pass
"$GCSPIKE" diff --json "$WORK/whole.trace" "$WORK/cut.trace" > "$WORK/diff.json" 2> /dev/null ||
  true
python3 - "$WORK/diff.json" <<'PY' || fail "diff calls the cut trace's diluted share a change"
import json, sys
g = json.load(open(sys.argv[1]))["features"]["grow-spike"]
assert g["verdict"] == "inconclusive" and g["cause"] == "missing-stacks", g
PY
pass
finish
