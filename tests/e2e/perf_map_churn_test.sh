#!/usr/bin/env bash
# map-churn on perf.data (plugin/detect/map_churn.h), recorded at test time:
#  - the churn workload with -e cpu-clock -e sched:sched_switch: the report's map-churn
#    samples, runs and longest runs per thread equal a computation from `perf script --ns`
#    (with the frameless-caller rule of tests/e2e/frameless_rule.py; cpu-clock samples with a
#    map-assign frame in their callchain, runs per thread ended by the
#    thread's sched_switch events or a sample without one);
#  - the same without the sched event: inconclusive, cause no-blocking-events, and the reason
#    says how to record.
source "$(dirname "$0")/lib.sh"
command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
export HOME="$WORK/home"  # keep perf's build-id cache out of this machine's
mkdir -p "$HOME"
HERE=$(cd "$(dirname "$0")" && pwd)
(cd "$SOURCE_DIR/fixtures/src" && GOTOOLCHAIN=local go build -o "$WORK/wl" ./workload) ||
  fail "go build workload"
perf record -q -g -F 999 -e cpu-clock -e sched:sched_switch -o "$WORK/sched.data" -- \
  "$WORK/wl" -mode churn -duration 500ms -live-mb 8 >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record -e sched:sched_switch (tracepoints need root or perf_event_paranoid -1)"; }
"$GCSPIKE" report --json "$WORK/sched.data" -o "$WORK/sched.json" 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt" >&2; fail "report sched.data"; }
# perf script's stacks with the callers frameless leaves hide inserted by the rule gcspike
# follows, computed independently (docs/formats/perf-data.md#callchains).
python3 "$SOURCE_DIR/tests/e2e/frameless_rule.py" "$WORK/sched.data" "$WORK/script.txt" \
  --fields=tid,time,event,ip,sym --ns 2>/dev/null || fail "perf script"
python3 - "$WORK/sched.json" "$WORK/script.txt" <<'PY' || fail "map-churn differs from perf script"
import collections, json, os, re, sys
sys.path.insert(0, os.environ.get("HERE", "."))
m = json.load(open(sys.argv[1]))["features"]["map-churn"]
assign = re.compile(r"^(runtime|reflect)\.mapassign|^internal/runtime/maps\."
                    r"(runtime_mapassign|\(\*Map\)\.PutSlot$|\(\*Map\)\.putSlotSmall)")
events, cur = [], None  # [tid, ns, event, map_insert]
for line in open(sys.argv[2]):
    h = re.match(r"^\s*(\d+)\s+(\d+)\.(\d{9}):\s+(\S+):", line)
    if h:
        cur = [int(h[1]), int(h[2]) * 10**9 + int(h[3]), h[4], False]
        events.append(cur)
    elif cur and line.strip():
        parts = line.split(None, 1)
        cur[3] = cur[3] or (len(parts) > 1 and bool(assign.search(parts[1].strip())))
samples = collections.defaultdict(list)
blocks = collections.defaultdict(list)
for tid, ns, ev, ins in events:
    if ev == "cpu-clock" and tid > 0:
        samples[tid].append((ns, ins))
    elif ev == "sched:sched_switch" and tid > 0:
        blocks[tid].append(ns)
runs = []
for tid, v in samples.items():
    v.sort(key=lambda x: x[0])
    b = sorted(blocks[tid])
    run = []
    for ns, ins in v + [(None, False)]:
        blocked = ins and run and any(run[-1] < t <= ns for t in b)
        if not ins or blocked:
            if len(run) >= 3:
                runs.append((tid, len(run)))
            run = []
        if ins:
            run.append(ns)
n = sum(len(v) for v in samples.values())
churn = sum(k for _, k in runs)
got = (m["samples"], m["map_churn_samples"], m["runs"], m["blocking_events"])
want = (n, churn, len(runs), sum(len(v) for v in blocks.values()))
assert got == want, f"report {got}, perf script {want}"
longest = collections.defaultdict(int)
for tid, k in runs:
    longest[tid] = max(longest[tid], k)
for r in m["longest_runs"]:
    assert longest[r["id"]] == r["longest_run"], (r, longest[r["id"]])
assert m["unit"] == "thread" and m["verdict"] in ("spike", "normal", "inconclusive")
print(f"perf sched: map-churn {churn} of {n} samples in {len(runs)} runs, "
      f"{want[3]} switches: {m['verdict']} (perf script agrees)")
PY
pass
perf record -q -g -F 999 -e cpu-clock -o "$WORK/plain.data" -- \
  "$WORK/wl" -mode churn -duration 300ms -live-mb 8 >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record"; }
"$GCSPIKE" report --json "$WORK/plain.data" -o "$WORK/plain.json" 2>/dev/null || fail "report plain"
python3 - "$WORK/plain.json" <<'PY' || fail "map-churn without sched events"
import json, sys
m = json.load(open(sys.argv[1]))["features"]["map-churn"]
assert m["verdict"] == "inconclusive" and m["cause"] == "no-blocking-events", m
assert "sched:sched_switch" in m["reason"], m["reason"]
PY
"$GCSPIKE" report "$WORK/plain.data" 2>/dev/null | grep -q "map-churn: .*inconclusive (the recording has no scheduler" ||
  fail "the text report does not say why map-churn is inconclusive"
pass
finish
