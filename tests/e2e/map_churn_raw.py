#!/usr/bin/env python3
"""Reads `go tool pprof -raw -tagfocus=gcspike=map-churn PROFILE` on stdin and checks that the
samples it selects are exactly the oracle's map-churn samples (map_churn_check.runs_of over
`gocheck trace-stats --stacks --timeline`), each with gcspike_run = its run's length.

Usage: map_churn_raw.py ORACLE.txt [RUN] < raw.txt. Prints the count; exits 1 on a mismatch.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from map_churn_check import read_oracle, runs_of  # noqa: E402


def raw_samples(lines):
    """(count, label lines) of each sample `go tool pprof -raw` prints."""
    on, cur = False, None
    for line in lines:
        if line.startswith("Samples:"):
            on = True
            continue
        if on and line.startswith("Locations"):
            break
        m = re.match(r"^\s+(\d+)\s+\d+:", line) if on else None
        if m:
            if cur:
                yield cur
            cur = (int(m[1]), [])
        elif cur and line.strip():
            cur[1].append(line)
    if cur:
        yield cur


def selected(lines):
    """(goroutine, timestamp_ns, gcspike_run) of each sample -raw prints, counted."""
    out = collections.Counter()
    for count, labels in raw_samples(lines):
        text = " ".join(labels)
        g = int(re.search(r"goroutine:\[(-?\d+) ", text)[1])
        ts = int(re.search(r"timestamp_ns:\[(\d+) ", text)[1])
        run = re.search(r"gcspike_run:\[(\d+) ", text)
        out[(g, ts, int(run[1]) if run else None)] += count
    return out


def main():
    samples, blocks, _ = read_oracle(sys.argv[1])
    run_length = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    want = collections.Counter()
    by_g = collections.defaultdict(list)
    for g, ts, _ in samples:
        by_g[g].append(ts)
    for g, start, n in runs_of(samples, blocks, run_length, 0):
        v = sorted(by_g[g])
        i = v.index(start)
        for ts in v[i:i + n]:
            want[(g, ts, n)] += 1
    got = selected(sys.stdin)
    if got != want:
        print(f"map_churn_raw: -tagfocus selects {sum(got.values())} samples, the oracle's "
              f"runs hold {sum(want.values())}; only selected: {list((got - want).items())[:5]}, "
              f"only in the oracle: {list((want - got).items())[:5]}", file=sys.stderr)
        sys.exit(1)
    print(sum(got.values()))


if __name__ == "__main__":
    main()
