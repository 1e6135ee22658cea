#!/usr/bin/env python3
"""Recomputes the pre-pause test and the clusters of a `gcspike report --json` on a trace from
the raw times its "timeline" object lists, independently of gcspike's arithmetic:

  span     = timeline.span_ns; windows [s - W, s] for s in pause_starts_ns, merged, clipped
  expected = covered / span; fraction = grow samples within a window / grow samples
  p_value  = P(X >= k), X ~ Binomial(n, expected): an exact rational sum (Python integers) for
             n <= 2000, else a sum of terms from math.lgamma
  verdict  = the rules of plugin/detect/time_rules.h (JudgePrePause)
  clusters = DBSCAN in one dimension over grow_sample_times_ns; expected_clusters against a
             Monte Carlo of our own (Python's Mersenne Twister, another generator and method)

Usage: prepause_check.py REPORT.json [--min-ratio R]. Prints one summary line; exits 1 with
the reason on a mismatch.
"""
import argparse
import bisect
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from feature_stats import (check_verdict, close, enrichment_verdict, fail,  # noqa: E402
                           union_length, upper_tail)


def count_clusters(times, eps, m):
    """DBSCAN-1D: core points have >= m points within eps (itself included); core points
    within eps of each other are one cluster; only core points start or join clusters."""
    clusters, last_core = 0, None
    for t in times:
        within = bisect.bisect_right(times, t + eps) - bisect.bisect_left(times, t - eps)
        if within < m:
            continue
        if last_core is None or t - last_core > eps:
            clusters += 1
        last_core = t
    return clusters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--min-ratio", type=float, default=1.5)
    args = ap.parse_args()
    d = json.load(open(args.report))
    t = d.get("timeline")
    pp = d["features"].get("pre-pause")
    if t is None or pp is None:
        if t is not None or pp is not None:
            fail("timeline and pre-pause must come together")
        print("no timeline (not a trace with CPU samples)")
        return
    lo, hi = t["span_ns"]
    w = t["window_ns"]
    grow = t["grow_sample_times_ns"]
    starts = t["pause_starts_ns"]
    if grow != sorted(grow) or starts != sorted(starts):
        fail("grow_sample_times_ns and pause_starts_ns must be sorted")
    if any(not lo <= x <= hi for x in grow):
        fail("a grow sample lies outside span_ns")
    # Every pause a cycle lists is a GC pause and one of pause_starts_ns; the pauses of
    # ReadMemStats or a trace start end no cycle, are listed in other_pauses and have no window
    # (the runtime's GC pauses are named "GC sweep termination" and "GC mark termination"; an
    # unnamed one counts); cycles' grow_samples_before.
    all_starts = set(starts)
    def is_gc(p):
        return p["kind"] is None or p["kind"].startswith("GC ")
    for c in t["gc_cycles"]:
        for p in c["pauses"]:
            if not is_gc(p) or p["start_ns"] not in all_starts:
                fail(f"cycle {c['seq']}: pause {p['kind']} at {p['start_ns']}: a GC pause "
                     f"{is_gc(p)}, in pause_starts_ns {p['start_ns'] in all_starts}")
            if p["duration_ns"] < 0:
                fail(f"cycle {c['seq']}: negative pause")
    for p in t["other_pauses"]:
        if is_gc(p) or p["start_ns"] in all_starts or p["duration_ns"] < 0:
            fail(f"other pause {p['kind']} at {p['start_ns']}: a GC pause or a window's")
    for c in t["gc_cycles"]:
        if c["start_ns"] is not None:
            want = sum(1 for g in grow if g < c["start_ns"] and c["start_ns"] - g <= w)
            if c["grow_samples_before"] != want:
                fail(f"cycle {c['seq']}: grow_samples_before {c['grow_samples_before']}, want {want}")

    n = len(grow)
    k = 0
    for g in grow:
        i = bisect.bisect_left(starts, g)
        k += i < len(starts) and starts[i] - g <= w
    span = hi - lo
    covered = union_length([(s - w, s) for s in starts], lo, hi)
    expected = covered / span if span > 0 else 0.0
    fraction = k / n if n else None
    ratio = fraction / expected if n and expected > 0 else None
    p_value = upper_tail(n, k, covered, span) if span > 0 else upper_tail(n, k, 0, 1)

    if pp["samples"] != n or pp["pre_pause_samples"] != k:
        fail(f"{pp['pre_pause_samples']} of {pp['samples']} samples, want {k} of {n}")
    close(pp["expected"], expected, 1e-12, "expected")
    close(pp["fraction"], fraction, 1e-12, "fraction")
    close(pp["ratio"], ratio, 1e-12, "ratio")
    close(pp["p_value"], p_value, 1e-6, "p_value")

    verdict = enrichment_verdict(n, expected, args.min_ratio, p_value, ratio, k)
    check_verdict(pp, verdict, "pre-pause")
    lo_i, hi_i = pp["interval"]
    if n and not lo_i <= fraction <= hi_i:
        fail(f"fraction {fraction} outside its interval {pp['interval']}")

    eps, m = t["cluster_eps_ns"], t["cluster_min_samples"]
    clusters = count_clusters(grow, eps, m)
    if len(t["clusters"]) != clusters:
        fail(f"{len(t['clusters'])} clusters, want {clusters}")
    if sum(c["samples"] for c in t["clusters"]) > n:
        fail("clusters hold more samples than there are")
    # Our own random placements: the two means agree within a few standard errors.
    rng = random.Random(20261207)
    placements = 200 if n <= 1000 else 40
    counts = []
    for _ in range(placements if n >= m else 0):
        xs = sorted(rng.uniform(0, span) for _ in range(n))
        counts.append(count_clusters(xs, eps, m))
    mean = sum(counts) / len(counts) if counts else 0.0
    var = sum((c - mean) ** 2 for c in counts) / max(len(counts) - 1, 1)
    tolerance = 5 * math.sqrt(var / placements + var / max(t["cluster_placements"], 1)) + 0.05
    if abs(t["expected_clusters"] - mean) > tolerance:
        fail(f"expected_clusters {t['expected_clusters']}, a Python simulation gives {mean:.3f} "
             f"(tolerance {tolerance:.3f})")

    print(f"pre-pause {k}/{n} expected {expected:.4f} ratio "
          f"{'-' if ratio is None else f'{ratio:.3f}'} p {p_value:.3g} {verdict}; "
          f"clusters {clusters} expected {t['expected_clusters']:.2f} (python {mean:.2f})")


if __name__ == "__main__":
    main()
