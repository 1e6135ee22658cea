"""The statistics the end-to-end checkers recompute on their own, independently of gcspike's
C++ (tests/e2e/prepause_check.py, time_features_check.py, map_churn_check.py, diff_check.py):
the enrichment tests' rules (plugin/detect/time_rules.h, JudgeEnrichment), the binomial tail,
the union of intervals, Wilson's interval. One copy, imported by each."""
import math
import os
import random
import sys
from fractions import Fraction

ALPHA = 0.01
MIN_SAMPLES = 10
MAX_EXPECTED = 0.95
# mark-termination says normal over at least this many GC cycles: below, a percentile bootstrap
# of quartile medians is too narrow to rule a spike out (time_rules.h).
NORMAL_MIN_CYCLES = 20
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


def quartile_ratio(grow, pause):
    """The median pause of the quarter of the cycles with the most grow samples over the median
    pause of the quarter with the fewest (ties by grow samples in table order); None with
    fewer than 4 cycles, equal grow samples everywhere, or a bottom median of 0."""
    q = len(grow) // 4
    if not q or len(set(grow)) < 2:
        return None
    idx = sorted(range(len(grow)), key=lambda i: grow[i])  # stable: ties in table order

    def median(v):
        v = sorted(v)
        return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

    bottom = median([pause[i] for i in idx[:q]])
    top = median([pause[i] for i in idx[::-1][:q]])
    return top / bottom if bottom > 0 else None


def bootstrap_ratios(grow, pause, resamples, seed):
    """The sorted quartile ratios of `resamples` draws of as many cycles with replacement
    (random.Random(seed)); a draw without a ratio counts as infinity."""
    rng = random.Random(seed)
    n = len(grow)
    out = []
    for _ in range(resamples):
        draw = [rng.randrange(n) for _ in range(n)]
        r = quartile_ratio([grow[i] for i in draw], [pause[i] for i in draw])
        out.append(math.inf if r is None else r)
    return sorted(out)


def check_mark_termination(mt, grow, pause, ratio):
    """JudgeMarkTermination's rules on the report's feature `mt`, from our own bootstrap of the
    cycles (grow samples, pauses): inconclusive with fewer than 8 cycles or no ranks; spike when
    p < ALPHA and ratio >= the threshold; normal when the 95 % bootstrap interval of the ratio
    lies below the threshold over at least NORMAL_MIN_CYCLES cycles (fewer: inconclusive, cause
    too-few-cycles); else inconclusive, cause borderline. The report's interval must
    hold the 2.5th and 97.5th percentiles of our resamples within Monte Carlo error, and its
    verdict must be ours unless the threshold is itself that close to our 97.5th percentile.
    Returns our (lo, hi) interval, or None when the test stops before it."""
    r = mt["ratio_threshold"]
    if len(grow) < 8 or len(set(grow)) < 2 or len(set(pause)) < 2:
        check_verdict(mt, "inconclusive", "mark-termination")
        return None
    b = 4000
    ratios = bootstrap_ratios(grow, pause, b, 29)
    lo, hi = ratios[math.floor(0.025 * b)], ratios[math.ceil(0.975 * b) - 1]
    tol = 4 * math.sqrt(0.025 * 0.975 * (1 / b + 1 / mt["resamples"]))

    def near(v, q):  # v is a q-quantile of our resamples, within tol
        below = sum(x < v for x in ratios) / b
        at_most = sum(x <= v for x in ratios) / b
        return below <= q + tol and at_most >= q - tol

    got_lo, got_hi = mt["ratio_interval"]
    got_hi = math.inf if got_hi is None else got_hi
    if not near(got_lo, 0.025) or not near(got_hi, 0.975):
        fail(f"mark-termination: interval [{got_lo}, {got_hi}], our bootstrap gives [{lo}, {hi}]")
    if mt["p_value"] < ALPHA and ratio is not None and ratio >= r:
        verdict = "spike"
    elif near(r, 0.975):
        verdict = mt["verdict"] if mt["verdict"] != "spike" else "normal or inconclusive"
    else:
        verdict = "normal" if hi < r else "inconclusive"
    few = len(grow) < NORMAL_MIN_CYCLES
    if few and verdict != "spike":
        verdict = "inconclusive"
    check_verdict(mt, verdict, "mark-termination")
    want = "too-few-cycles" if few and hi < r and not near(r, 0.975) else "borderline"
    if verdict == "inconclusive" and mt["cause"] != want and not (few and near(r, 0.975)):
        fail(f"mark-termination: cause {mt['cause']}, want {want}")
    return lo, hi
