#!/usr/bin/env python3
"""Independent checks of `gcspike diff`.

  diff_check.py interval DIFF.json BASE_REPORT.json NEW_REPORT.json
      Each side of the diff must carry the shares and intervals `gcspike report --json` gives
      for that side alone, and every feature's difference interval must be Newcombe's hybrid
      score interval (method 10 of Newcombe 1998) recomputed here from the two sides' counts
      with its own Wilson interval, new - base.
  diff_check.py top PPROF_TOP_A PPROF_TOP_B
      Two `go tool pprof -top` outputs must show the same total and the same flat and cum
      values for every function (row order of ties may differ).
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from feature_stats import wilson  # noqa: E402


def newcombe(x_new, n_new, x_base, n_base):
    p1, p2 = (x_new / n_new if n_new > 0 else 0.0), (x_base / n_base if n_base > 0 else 0.0)
    (l1, u1), (l2, u2) = wilson(x_new, n_new), wilson(x_base, n_base)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def close(a, b, tol=2e-5):
    return abs(a - b) <= tol


def check_interval(diff_path, base_path, new_path):
    diff = json.load(open(diff_path))
    sides = {'base': json.load(open(base_path)), 'new': json.load(open(new_path))}
    out = []
    for name, f in diff['features'].items():
        for side, report in sides.items():
            r = report['features'][name]
            got = f[side]
            if got['samples'] != report['samples'] or not close(got['fraction'], r['fraction']) \
                    or not all(close(a, b) for a, b in zip(got['interval'], r['interval'])):
                sys.exit(f'{name}: the {side} side {got} is not what report says alone {r}')
        n_base, n_new = f['base']['samples'], f['new']['samples']
        lo, hi = newcombe(f['new']['fraction'] * n_new, n_new, f['base']['fraction'] * n_base, n_base)
        d = f['new']['fraction'] - f['base']['fraction']
        if not close(f['difference'], d) or not close(f['difference_interval'][0], lo) or \
                not close(f['difference_interval'][1], hi):
            sys.exit(f'{name}: difference {f["difference"]} {f["difference_interval"]}, '
                     f'recomputed {d:.6f} [{lo:.6f}, {hi:.6f}]')
        out.append(f'{name} {d * 100:+.1f}pp [{lo * 100:+.1f}, {hi * 100:+.1f}] {f["verdict"]}')
    print('; '.join(out))


def parse_top(path):
    total, rows = None, {}
    for line in open(path):
        m = re.match(r'^Showing nodes accounting for .* of (\S+) total', line)
        if m:
            total = m.group(1)
        m = re.match(r'^\s*(-?[\d.]+\w*)\s+-?[\d.]+%\s+-?[\d.]+%\s+(-?[\d.]+\w*)\s+-?[\d.]+%\s+(.+?)\s*$',
                     line)
        if m:
            rows[m.group(3)] = (m.group(1), m.group(2))
    return total, rows


def check_top(a, b):
    ta, ra = parse_top(a)
    tb, rb = parse_top(b)
    if ta is None or ta != tb:
        sys.exit(f'totals differ: {ta} vs {tb}')
    if not ra or ra != rb:
        diff = sorted(set(ra.items()) ^ set(rb.items()))[:10]
        sys.exit(f'{len(ra)} vs {len(rb)} functions; differing rows: {diff}')
    print(f'total {ta}, {len(ra)} functions equal')


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'interval':
        check_interval(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == 'top':
        check_top(*sys.argv[2:])
    else:
        sys.exit(__doc__)
