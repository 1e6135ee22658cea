#!/usr/bin/env python3
"""An independent check of `gcspike report --json` on a pprof CPU profile.

It reads the profile through `go tool pprof -traces -sample_index=samples` (so pprof, not
gcspike, decodes it), counts the individual samples and those that grow a map under a map
insert (the frame names written out below, as in the fixtures' README), computes the 95 %
Wilson interval with its own few lines, and compares the interval and the verdict with the
report's grow-spike entry.

usage: verdict_check.py PROFILE REPORT.json [--expect spike|normal|inconclusive]
prints: "n=N k=K interval=[lo, hi] verdict=V"; exits 1 on a mismatch.
"""
import json
import math
import re
import subprocess
import sys

GROW = re.compile(
    r'^runtime\.(hashGrow|growWork(_fast32|_fast64|_faststr)?|evacuate(_fast32|_fast64|_faststr)?'
    r'|advanceEvacuationMark)$|^internal/runtime/maps\.(\(\*Map\)\.(growToSmall|growToTable|'
    r'installTableSplit|replaceTable)|\(\*table\)\.(rehash|grow|split))$')
ASSIGN = ('runtime.mapassign', 'reflect.mapassign')
SEP = '-----------+-------------------------------------------------------'


def stacks(path):
    """(count, frames leaf first) for every sample of the profile."""
    text = subprocess.run(['go', 'tool', 'pprof', '-traces', '-sample_index=samples', path],
                          capture_output=True, text=True, check=True).stdout
    for block in text.split(SEP)[1:]:
        count, frames = None, []
        for line in block.splitlines():
            if not line.strip() or ':  ' in line:  # blank, or a label line
                continue
            m = re.match(r'^\s+(\d+)\s+(\S.*)$', line)
            if m and count is None:
                count = int(m.group(1))
                frames.append(m.group(2).strip())
            elif count is not None:
                frames.append(line.strip())
        if count is not None:
            yield count, [f.removesuffix(' (inline)') for f in frames]


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else c - h), (1.0 if k == n else c + h)


def main():
    path, report = sys.argv[1], json.load(open(sys.argv[2]))
    expect = sys.argv[sys.argv.index('--expect') + 1] if '--expect' in sys.argv else None
    n = k = 0
    for count, frames in stacks(path):
        n += count
        grow = [i for i, f in enumerate(frames) if GROW.search(f)]
        assign = [i for i, f in enumerate(frames) if f.startswith(ASSIGN)]
        if grow and assign and min(grow) < max(assign):
            k += count
    lo, hi = wilson(k, n)
    g = report['features']['grow-spike']
    threshold = g['threshold']
    verdict = 'spike' if lo >= threshold and k > 0 else 'normal' if hi < threshold else 'inconclusive'
    print(f'n={n} k={k} interval=[{lo:.4f}, {hi:.4f}] verdict={verdict}')
    problems = []
    if report['samples'] != n:
        problems.append(f'report samples {report["samples"]}, pprof counts {n}')
    if g['samples'] != n:
        problems.append(f'grow-spike samples {g["samples"]}, pprof counts {n}')
    if abs(g['interval'][0] - lo) > 1e-5 or abs(g['interval'][1] - hi) > 1e-5:
        problems.append(f'report interval {g["interval"]}, computed [{lo}, {hi}]')
    # A profile the report cannot judge at all is inconclusive whatever the interval says.
    blind = 'cause' in report['visibility']
    if not blind and g['verdict'] != verdict:
        problems.append(f'report verdict {g["verdict"]}, computed {verdict}')
    if expect and g['verdict'] != expect:
        problems.append(f'verdict {g["verdict"]}, expected {expect}')
    if problems:
        sys.exit('; '.join(problems))


if __name__ == '__main__':
    main()
