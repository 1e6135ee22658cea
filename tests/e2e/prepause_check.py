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
import random
import sys
from fractions import Fraction

ALPHA = 0.01
MIN_SAMPLES = 10
MAX_EXPECTED = 0.95


def fail(msg):
    print("prepause_check: " + msg, file=sys.stderr)
    sys.exit(1)


def close(got, want, rel, what):
    if want is None or got is None:
        if got != want:
            fail(f"{what}: got {got}, want {want}")
        return
    if abs(got - want) > rel * max(abs(want), 1e-300):
        fail(f"{what}: got {got!r}, want {want!r}")


def cover(starts, w, lo, hi):
    windows = sorted((max(s - w, lo), min(s, hi)) for s in starts)
    total, cur = 0, None
    for a, b in windows:
        if b < a:
            continue
        if cur and a <= cur[1]:
            cur[1] = max(cur[1], b)
            continue
        if cur:
            total += cur[1] - cur[0]
        cur = [a, b]
    if cur:
        total += cur[1] - cur[0]
    return total


def upper_tail(n, k, covered, span):
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if covered == 0:
        return 0.0
    if covered == span:
        return 1.0
    if n <= 2000:
        rest = span - covered
        num = sum(math.comb(n, i) * covered**i * rest ** (n - i) for i in range(k, n + 1))
        return float(Fraction(num, span**n))
    p = covered / span
    lp, lq = math.log(p), math.log1p(-p)
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
            for i in range(k, n + 1)]
    top = max(logs)
    return math.exp(top) * math.fsum(math.exp(x - top) for x in logs)


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
    # Every pause of every cycle is one of pause_starts_ns; cycles' grow_samples_before.
    all_starts = set(starts)
    for c in t["gc_cycles"]:
        for p in c["pauses"]:
            if p["start_ns"] not in all_starts:
                fail(f"cycle {c['seq']}: pause at {p['start_ns']} not in pause_starts_ns")
            if p["duration_ns"] < 0:
                fail(f"cycle {c['seq']}: negative pause")
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
    covered = cover(starts, w, lo, hi)
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

    r = args.min_ratio
    if n < MIN_SAMPLES or not expected > 0 or expected >= MAX_EXPECTED or expected * r > 1 \
            or n * math.log(expected) >= math.log(ALPHA):
        verdict = "inconclusive"
    else:
        verdict = "spike" if p_value < ALPHA and ratio >= r else "normal"
    if pp["verdict"] != verdict:
        fail(f"verdict {pp['verdict']}, want {verdict}")
    if (verdict == "inconclusive") != ("reason" in pp and "cause" in pp):
        fail("a cause and a reason go with inconclusive, and only with it")
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
