#!/usr/bin/env python3
"""Recomputes the time-domain features after pre-pause (plugin/detect/time_rules.h) of a
`gcspike report --json` on a trace from the trace's own events as golang.org/x/exp/trace reads
them (`gocheck trace-stats --stacks --timeline TRACE`: per-sample lines, then mark/stw/heap
lines), not from gcspike's numbers:

  span          = [first, last] CPU sample time of the oracle
  mark-overlap  = grow samples (gcspike's grow_sample_times_ns, each matched to an oracle
                  sample) inside a mark phase of the oracle ("none" ends: the span's edges);
                  expected = the union of the phases clipped to the span / span; p-value exact
                  (feature_stats.upper_tail); the verdict by JudgeEnrichment's rules.
  assign_rate   = oracle samples with a map-insert frame (runtime.mapassign*, reflect.mapassign*,
                  the Swiss map's runtime_mapassign*, (*Map).PutSlot, (*Map).putSlotSmall*) in
                  10 ms windows from the span's start; the counts sum to their number.
  heap-step     = steps found in the oracle's heap lines (from point i, the first later point
                  within 10 ms above it by more than the share; go on from there), inside the
                  span; near a cluster when within 5 ms of one (clusters recomputed here:
                  DBSCAN-1D over the checked grow times, border samples joining the nearest
                  core sample's cluster; their bounds must be the report's); expected = the
                  span's share within 5 ms of a cluster. A trace without map-insert samples in
                  the oracle (slicegrow) has no grow cluster: no step near one, and the verdict
                  inconclusive with cause no-cluster.
  mark-termination = per oracle mark phase wholly inside the span, its "GC mark termination"
                  stop-the-world (the first phase ending at or after the pause's start); grow
                  samples inside the phase; Spearman's rho (average ranks) of the report's
                  table, its one-sided p against our own permutations, the quartile ratio, our
                  own bootstrap interval of it (feature_stats.check_mark_termination) and the
                  verdict: normal only when that interval lies below the spike's ratio.
  clusters      = duration = end - start; before_pause when some oracle GC stop-the-world
                  start (sweep or mark termination) lies in [end, end + W].

x/exp may move a timestamp up to a microsecond where events share a tick (trace_compare.py),
so counts are checked between the counts with phases shrunk and grown by TOL.

Usage: time_features_check.py REPORT.json ORACLE.txt. Prints one summary line per feature;
exits 1 with the reason on a mismatch.
"""
import bisect
import json
import math
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from feature_stats import (MIN_SAMPLES, check_mark_termination,  # noqa: E402
                           check_verdict, close, enrichment_verdict, fail, quartile_ratio,
                           union_length, upper_tail)

TOL = 1000  # ns
MAP_ASSIGN = re.compile(r"^(runtime|reflect)\.mapassign|^internal/runtime/maps\."
                        r"(runtime_mapassign|\(\*Map\)\.PutSlot$|\(\*Map\)\.putSlotSmall)")


def cluster_bounds(times, eps, m):
    """DBSCAN-1D over sorted times as Dbscan1D documents it (core: >= m times within eps,
    itself included; core times within eps of the previous core share its cluster; a border
    time joins the nearest core time within eps, the earlier on a tie): [(start, end)]."""
    core = [bisect.bisect_right(times, x + eps) - bisect.bisect_left(times, x - eps) >= m
            for x in times]
    ids, last = [0] * len(times), None
    for i, x in enumerate(times):
        if core[i]:
            if last is None or x - times[last] > eps:
                ids[i] = (ids[last] if last is not None else 0) + 1
            else:
                ids[i] = ids[last]
            last = i
    for i, x in enumerate(times):
        if core[i]:
            continue
        near = [(abs(x - times[j]), j) for j in range(len(times))
                if core[j] and abs(x - times[j]) <= eps]
        if near:
            ids[i] = ids[min(near)[1]]
    bounds = {}
    for i, x in enumerate(times):
        if ids[i]:
            a, b = bounds.get(ids[i], (x, x))
            bounds[ids[i]] = (min(a, x), max(b, x))
    return [bounds[c] for c in sorted(bounds)]


def judge(feature, n, k, expected, what):
    """Checks fraction, ratio, p-value and verdict of an enrichment feature from n, k and an
    expected share (a float), by JudgeEnrichment's rules."""
    r = feature["ratio_threshold"]
    fraction = k / n if n else None
    ratio = fraction / expected if n and expected > 0 else None
    close(feature["fraction"], fraction, 1e-12, what + " fraction")
    close(feature["ratio"], ratio, 1e-9, what + " ratio")
    # Exact tail for the report's own expected share, written as a fraction of 10^12.
    scale = 10**12
    covered = round(expected * scale)
    p = upper_tail(n, k, covered, scale)
    close(feature["p_value"], p, 1e-5, what + " p_value")
    verdict = enrichment_verdict(n, expected, r, p, ratio, k)
    check_verdict(feature, verdict, what)
    return fraction, ratio, p, verdict


def main():
    report, oracle = sys.argv[1], sys.argv[2]
    d = json.load(open(report))
    t = d.get("timeline")
    feats = d["features"]
    if t is None:
        for name in ("mark-overlap", "heap-step", "mark-termination"):
            f = feats.get(name)
            if f is None or f["verdict"] != "inconclusive" or f["cause"] != "no-timeline":
                fail(f"{name} without a timeline: {f}")
        print("no timeline: inconclusive (no-timeline)")
        return
    sample_times, marks, stw_starts, assign_times, heap = [], [], [], [], []
    mark_terms = []
    for line in open(oracle).read().splitlines()[1:]:
        w = line.split(" ", 2)
        if w[0] == "mark":
            marks.append((None if w[1] == "none" else int(w[1]),
                          None if w[2] == "none" else int(w[2])))
        elif w[0] == "stw":
            rest = w[2].split(" ", 1)
            if w[1] != "none" and rest[1].startswith("GC "):  # the GC's pauses, not ReadMemStats'
                stw_starts.append(int(w[1]))
            if w[1] != "none" and rest[0] != "none" and rest[1] == "GC mark termination":
                mark_terms.append((int(w[1]), int(rest[0])))
        elif w[0] == "heap":
            heap.append((int(w[1]), int(w[2])))
        elif w[0] == "block":
            continue  # map-churn's (map_churn_check.py)
        else:
            sample_times.append(int(w[0]))
            frames = w[2].split(";") if len(w) > 2 else []
            if any(MAP_ASSIGN.search(f) for f in frames):
                assign_times.append(int(w[0]))
    sample_times.sort()
    lo, hi = sample_times[0], sample_times[-1]
    glo, ghi = t["span_ns"]
    if abs(glo - lo) > TOL or abs(ghi - hi) > TOL:
        fail(f"span {t['span_ns']}, oracle [{lo}, {hi}]")
    grow = t["grow_sample_times_ns"]
    for g in grow:
        i = bisect.bisect_left(sample_times, g - TOL)
        if i == len(sample_times) or sample_times[i] > g + TOL:
            fail(f"grow sample at {g} is no sample of the oracle")
    if len(marks) != len(t["gc_cycles"]):
        fail(f"{len(t['gc_cycles'])} GC cycles, the oracle has {len(marks)} mark phases")

    # mark-overlap
    phases = [(lo if a is None else a, hi if b is None else b) for a, b in marks]
    span = hi - lo
    expected = union_length(phases, lo, hi) / span if span > 0 else 0.0
    strict = sum(any(a + TOL <= g <= b - TOL for a, b in phases) for g in grow)
    loose = sum(any(a - TOL <= g <= b + TOL for a, b in phases) for g in grow)
    m = feats["mark-overlap"]
    n, k = m["samples"], m["mark_overlap_samples"]
    if n != len(grow):
        fail(f"mark-overlap: {n} samples, {len(grow)} grow samples")
    if not strict <= k <= loose:
        fail(f"mark-overlap: {k} inside mark phases, the oracle's phases give {strict}..{loose}")
    if abs(m["expected"] - expected) > 1e-4:
        fail(f"mark-overlap: expected {m['expected']}, the oracle's phases cover {expected}")
    fraction, ratio, p, verdict = judge(m, n, k, m["expected"], "mark-overlap")
    print(f"mark-overlap {k}/{n} (oracle {strict}..{loose}) expected {m['expected']:.4f} "
          f"(oracle {expected:.4f}) ratio {'-' if ratio is None else f'{ratio:.3f}'} "
          f"p {p:.3g} {verdict}")

    # assign_rate
    ar = t["assign_rate"]
    W = ar["window_ns"]
    if W != 10_000_000 or ar["start_ns"] != glo:
        fail(f"assign_rate: window {W}, start {ar['start_ns']} (span {t['span_ns']})")
    counts = ar["counts"]
    if len(counts) != (ghi - glo) // W + 1:
        fail(f"assign_rate: {len(counts)} windows over a span of {ghi - glo} ns")
    if sum(counts) != len(assign_times):
        fail(f"assign_rate: counts sum to {sum(counts)}, the oracle has {len(assign_times)} "
             "samples with a map-insert frame")
    want = [0] * len(counts)
    near = 0
    for x in assign_times:
        want[min(max((x - glo) // W, 0), len(counts) - 1)] += 1
        near += (x - glo) % W < TOL or W - (x - glo) % W <= TOL
    diff = sum(abs(a - b) for a, b in zip(counts, want))
    if diff > 2 * near:
        fail(f"assign_rate: counts differ from the oracle's by {diff} ({near} near an edge)")
    print(f"assign_rate {len(counts)} windows, {sum(counts)} map-insert samples "
          f"(oracle {len(assign_times)}), max {max(counts)} per 10 ms")

    # heap-step
    share, within, near = t["heap_step_share"], t["heap_step_within_ns"], t["heap_step_near_ns"]
    heap.sort(key=lambda x: x[0])
    steps, i = [], 0
    while i < len(heap):
        nxt = i + 1
        for j in range(i + 1, len(heap)):
            if heap[j][0] - heap[i][0] > within:
                break
            if heap[j][1] > heap[i][1] * (1 + share):
                steps.append((heap[i], heap[j]))
                nxt = j
                break
        i = nxt
    steps = [s for s in steps if lo <= s[1][0] <= hi]
    got = t["heap_steps"]
    if len(got) != len(steps) or any(
            (g["from_bytes"], g["to_bytes"]) != (a[1], b[1]) or abs(g["end_ns"] - b[0]) > TOL
            for g, (a, b) in zip(got, steps)):
        fail(f"heap steps: {len(got)}, the oracle's heap series has {len(steps)}")
    cl = cluster_bounds(sorted(grow), t["cluster_eps_ns"], t["cluster_min_samples"])
    if cl != [(c["start_ns"], c["end_ns"]) for c in t["clusters"]]:
        fail(f"clusters {[(c['start_ns'], c['end_ns']) for c in t['clusters']]}, "
             f"DBSCAN over the grow times gives {cl}")
    if not assign_times and (grow or cl):
        fail(f"{len(grow)} grow samples, {len(cl)} clusters without any map-insert sample")
    k = 0
    for (a, b) in steps:
        d = min((max(c0 - b[0], b[0] - c1, 0) for c0, c1 in cl), default=None)
        k += d is not None and d <= near
    hsf = feats["heap-step"]
    expected = union_length([(c0 - near, c1 + near) for c0, c1 in cl], lo, hi) / span \
        if span > 0 else 0.0
    if hsf["samples"] != len(steps) or abs(hsf["near_cluster_steps"] - k) > 0:
        fail(f"heap-step: {hsf['near_cluster_steps']} of {hsf['samples']} near a cluster, "
             f"want {k} of {len(steps)}")
    if abs(hsf["expected"] - expected) > 1e-4:
        fail(f"heap-step: expected {hsf['expected']}, want {expected}")
    fraction, ratio, p, verdict = judge(hsf, len(steps), k, hsf["expected"], "heap-step")
    if not cl and len(steps) >= MIN_SAMPLES and hsf.get("cause") != "no-cluster":
        fail(f"heap-step without a cluster: verdict {verdict}, cause {hsf.get('cause')}")
    print(f"heap-step {k}/{len(steps)} clusters {len(cl)} map-insert samples {len(assign_times)} "
          f"expected {hsf['expected']:.4f} "
          f"ratio {'-' if ratio is None else f'{ratio:.3f}'} p {p:.3g} {verdict}")

    # mark-termination
    order = sorted(phases)
    pauses = {}
    for a, b in mark_terms:
        for ph in order:
            if ph[1] >= a:
                pauses.setdefault(ph, b - a)
                break
    table = t["mark_termination"]
    want = [(ph, pauses[ph]) for ph in order if ph in pauses and None not in marks[phases.index(ph)]
            and ph[0] >= lo and ph[1] <= hi]
    if len(table) != len(want):
        fail(f"mark-termination: {len(table)} cycles, the oracle has {len(want)}")
    for row, ((a, b), pause) in zip(table, want):
        strict = sum(a + TOL <= g <= b - TOL for g in grow)
        loose = sum(a - TOL <= g <= b + TOL for g in grow)
        if not strict <= row["grow_samples"] <= loose or abs(row["pause_ns"] - pause) > 2 * TOL:
            fail(f"mark-termination: cycle {row}, the oracle has {strict}..{loose} grow samples "
                 f"and a pause of {pause} ns")
    mt = feats["mark-termination"]
    xs = [r["grow_samples"] for r in table]
    ys = [r["pause_ns"] for r in table]

    def ranks(v):
        srt = sorted(v)
        return [(srt.index(x) + len(srt) - srt[::-1].index(x) - 1) / 2 + 1 for x in v]

    def pearson(a, b):
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
        saa = sum((x - ma) ** 2 for x in a)
        sbb = sum((y - mb) ** 2 for y in b)
        return sab / math.sqrt(saa * sbb) if saa > 0 and sbb > 0 else None

    rho = pearson(ranks(xs), ranks(ys)) if len(xs) >= 2 else None
    close(mt["rho"], rho, 1e-9, "mark-termination rho")
    if mt["cycles"] != len(table):
        fail(f"mark-termination: cycles {mt['cycles']}, table {len(table)}")
    p = None
    if rho is not None:
        rng = random.Random(17)
        rx, ry = ranks(xs), ranks(ys)
        perms = 4000
        hits = 0
        for _ in range(perms):
            rng.shuffle(ry)
            hits += pearson(rx, ry) >= rho - 1e-12
        p = (hits + 1) / (perms + 1)
        if abs(mt["p_value"] - p) > 4 * math.sqrt(p * (1 - p) / perms) + 0.002:
            fail(f"mark-termination: p {mt['p_value']}, our permutations give {p}")
    ratio = quartile_ratio(xs, ys)
    close(mt["ratio"], ratio, 1e-12, "mark-termination ratio")
    interval = check_mark_termination(mt, xs, ys, ratio)
    verdict = mt["verdict"]
    print(f"mark-termination {len(table)} cycles rho "
          f"{'-' if rho is None else f'{rho:.3f}'} p {mt['p_value']} (python "
          f"{'-' if p is None else f'{p:.3f}'}) ratio {'-' if ratio is None else f'{ratio:.3f}'} "
          f"interval {mt['ratio_interval']} (python {interval}) {verdict}")

    # clusters
    stw_starts.sort()
    w_pre = t["window_ns"]
    before = 0
    for c in t["clusters"]:
        if c["duration_ns"] != c["end_ns"] - c["start_ns"] or c["grow_samples"] != c["samples"]:
            fail(f"cluster {c}")
        i = bisect.bisect_left(stw_starts, c["end_ns"] - TOL)
        near_pause = i < len(stw_starts) and stw_starts[i] - c["end_ns"] <= w_pre + TOL
        i = bisect.bisect_left(stw_starts, c["end_ns"] + TOL)
        surely = i < len(stw_starts) and stw_starts[i] - c["end_ns"] <= w_pre - TOL
        if c["before_pause"] and not near_pause or surely and not c["before_pause"]:
            fail(f"cluster {c['id']}: before_pause {c['before_pause']}, oracle pauses disagree")
        before += c["before_pause"]
    print(f"clusters {len(t['clusters'])}, {before} before a pause")


if __name__ == "__main__":
    main()
