#!/usr/bin/env python3
"""Recomputes map-churn (plugin/detect/map_churn.h) of a `gcspike report --json` on a trace
from the trace's own events as golang.org/x/exp/trace reads them (`gocheck trace-stats --stacks
--timeline TRACE`: one line per CPU sample, then "block TS G REASON" lines among the others):

  blocking   = block lines whose reason does not name the GC, is not "preempted" and whose
               stack holds no runtime.gc* function (the runtime's own waits); syscalls count
  map insert = a sample with a map-assign frame (time_features_check.MAP_ASSIGN)
  blocking_events = their count, which the report's must equal
  runs       = per goroutine (G > 0), its samples in time order; a run is a maximal stretch of
               map-insert samples with no blocking of that goroutine in (t_prev, t_next]; runs of
               at least RUN samples are map churn. n = every sample.
  verdict    = spike when the 95 % Wilson interval of churn / n lies at or above the threshold,
               normal when wholly below, inconclusive (borderline) otherwise; too-few-samples
               under MIN_SAMPLES.

x/exp may move a timestamp up to a microsecond where events share a tick (trace_compare.py), so
the churn count is checked between the counts with every block moved TOL earlier and later.

Usage: map_churn_check.py REPORT.json ORACLE.txt [RUN]. Prints one summary line; exits 1 with
the reason on a mismatch.
"""
import bisect
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
from feature_stats import MIN_SAMPLES, fail, wilson  # noqa: E402
from time_features_check import MAP_ASSIGN, TOL  # noqa: E402

def runtime_wait(reason):
    """The runtime's own waits: GC reasons, "preempted", a wait in a runtime.gc* function."""
    return "GC" in reason or reason in ("preempted", "gc-function")


def read_oracle(path):
    samples, blocks = [], collections.defaultdict(list)
    reasons = collections.Counter()
    for line in open(path):
        parts = line.split()
        if not parts or line.startswith("{"):
            continue
        if parts[0] == "block":
            g, reason = int(parts[2]), parts[3]
            reasons[reason] += 1
            if runtime_wait(reason):
                continue
            blocks[g].append(int(parts[1]))
        elif parts[0] not in ("mark", "stw", "heap"):
            frames = parts[2].split(";") if len(parts) > 2 else []
            samples.append((int(parts[1]), int(parts[0]),
                            any(MAP_ASSIGN.search(f) for f in frames)))
    for v in blocks.values():
        v.sort()
    return samples, blocks, reasons


def runs_of(samples, blocks, run_length, shift):
    """Per goroutine, the runs of at least run_length: [(g, start_ts, length)]."""
    by_g = collections.defaultdict(list)
    for g, ts, ins in samples:
        if g > 0:
            by_g[g].append((ts, ins))
    out = []
    for g, v in by_g.items():
        v.sort(key=lambda x: x[0])  # stable: equal times keep the oracle's order
        b = [t + shift for t in blocks.get(g, [])]
        cur = []
        for ts, ins in v + [(None, False)]:  # a last non-insert closes the last run
            blocked = False
            if ins and cur:
                k = bisect.bisect_right(b, cur[-1])
                blocked = k < len(b) and b[k] <= ts
            if not ins or blocked:
                if len(cur) >= run_length:
                    out.append((g, cur[0], len(cur)))
                cur = []
            if ins:
                cur.append(ts)
    return out


def main():
    report, oracle = json.load(open(sys.argv[1])), sys.argv[2]
    run_length = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    m = report["features"]["map-churn"]
    samples, blocks, reasons = read_oracle(oracle)
    runs = runs_of(samples, blocks, run_length, 0)
    churn = sum(n for _, _, n in runs)
    bounds = [sum(n for _, _, n in runs_of(samples, blocks, run_length, s)) for s in (-TOL, TOL)]
    lo, hi = min(bounds + [churn]), max(bounds + [churn])
    n = len(samples)
    if m["samples"] != n:
        fail(f"samples {m['samples']}, the oracle has {n}")
    if m["run_length"] != run_length:
        fail(f"run_length {m['run_length']}, asked for {run_length}")
    if not lo <= m["map_churn_samples"] <= hi:
        fail(f"map_churn_samples {m['map_churn_samples']}, the oracle's runs give {churn} "
             f"(with blocks moved by {TOL} ns: {lo}..{hi})")
    if lo == hi and m["runs"] != len(runs):
        fail(f"runs {m['runs']}, the oracle finds {len(runs)}")
    k = m["map_churn_samples"]
    if abs(m["fraction"] - k / n) > 1e-12:
        fail(f"fraction {m['fraction']} != {k}/{n}")
    ilo, ihi = wilson(k, n)
    if abs(m["interval"][0] - ilo) > 1e-9 or abs(m["interval"][1] - ihi) > 1e-9:
        fail(f"interval {m['interval']}, Wilson gives [{ilo}, {ihi}]")
    t = m["threshold"]
    want = ("inconclusive" if n < MIN_SAMPLES else
            "spike" if ilo >= t else "normal" if ihi < t else "inconclusive")
    if m["verdict"] != want:
        fail(f"verdict {m['verdict']}, the rules give {want}")
    if lo == hi:
        longest = collections.defaultdict(int)
        for g, _, length in runs:
            longest[g] = max(longest[g], length)
        for r in m["longest_runs"]:
            if longest.get(r["id"]) != r["longest_run"]:
                fail(f"goroutine {r['id']}: longest run {r['longest_run']}, the oracle's "
                     f"{longest.get(r['id'])}")
        top = sorted(longest.values(), reverse=True)[:len(m["longest_runs"])]
        if [r["longest_run"] for r in m["longest_runs"]] != top:
            fail(f"longest runs {[r['longest_run'] for r in m['longest_runs']]}, oracle {top}")
    counted = sum(v for r, v in reasons.items() if not runtime_wait(r))
    if m["blocking_events"] != counted:
        fail(f"blocking_events {m['blocking_events']}, the oracle has {counted}")
    print(f"map-churn: {k} of {n} samples in {m['runs']} runs (oracle {lo}..{hi} in "
          f"{len(runs)} runs from {counted} blocking events of {sum(reasons.values())}): "
          f"{m['verdict']}")


if __name__ == "__main__":
    main()
