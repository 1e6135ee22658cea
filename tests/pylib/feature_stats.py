"""The statistics the end-to-end checkers recompute on their own, independently of gcspike's
C++ (tests/e2e/prepause_check.py, time_features_check.py, map_churn_check.py, diff_check.py):
the enrichment tests' rules (plugin/detect/time_rules.h, JudgeEnrichment), the binomial tail,
the union of intervals, Wilson's interval. One copy, imported by each."""
import math
import os
import sys
from fractions import Fraction

ALPHA = 0.01
MIN_SAMPLES = 10
MAX_EXPECTED = 0.95
Z95 = 1.959963984540054


def fail(msg):
    """Exits 1 with the message, prefixed by the checker's name."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    print(f"{name}: {msg}", file=sys.stderr)
    sys.exit(1)


def close(got, want, rel, what):
    """Fails unless got is within a relative `rel` of want (or both are None)."""
    if want is None or got is None:
        if got != want:
            fail(f"{what}: got {got}, want {want}")
        return
    if abs(got - want) > rel * max(abs(want), 1e-300):
        fail(f"{what}: got {got!r}, want {want!r}")


def union_length(intervals, lo, hi):
    """The length of the union of the closed intervals (a, b), clipped to [lo, hi]."""
    total, cur = 0, None
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
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
    """P(X >= k), X ~ Binomial(n, covered / span): an exact rational sum (Python integers) for
    n <= 2000, else a sum of terms from math.lgamma."""
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


def enrichment_verdict(n, expected, min_ratio, p_value, ratio, hits):
    """JudgeEnrichment's rules: inconclusive with too few samples, a region covering none of
    the span, or so much that no ratio or significance is reachable; else spike when
    significant at min_ratio or more, normal when the share's Wilson interval stays below
    min_ratio x expected, inconclusive (borderline) when it reaches it."""
    if n < MIN_SAMPLES or not expected > 0 or expected >= MAX_EXPECTED \
            or expected * min_ratio > 1 or n * math.log(expected) >= math.log(ALPHA):
        return "inconclusive"
    if p_value < ALPHA and ratio >= min_ratio:
        return "spike"
    return "normal" if wilson(hits, n)[1] < expected * min_ratio else "inconclusive"


def check_verdict(feature, verdict, what):
    """Fails unless the feature has the verdict, with a cause and a reason when (and only when)
    it is inconclusive."""
    if feature["verdict"] != verdict:
        fail(f"{what}: verdict {feature['verdict']}, want {verdict}")
    if (verdict == "inconclusive") != ("reason" in feature and "cause" in feature):
        fail(f"{what}: a cause and a reason go with inconclusive, and only with it")


def wilson(k, n):
    """Wilson's 95 % score interval (lo, hi) for k of n; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + Z95 * Z95 / n
    c = (p + Z95 * Z95 / (2 * n)) / d
    h = Z95 * math.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n)) / d
    return (0.0 if p == 0 else max(0.0, c - h)), (1.0 if p == 1 else min(1.0, c + h))
