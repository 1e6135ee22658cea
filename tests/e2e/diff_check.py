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
  diff_check.py sites REPORT.json PPROF_TAGS DIFF.json SIDE
      The report's sites are distinct (function, via) pairs; the sites of one function add up
      to the share `go tool pprof -tags -tagshow=gcspike_site -sample_index=samples` gives its
      label on the annotated profile (pprof groups by the label's text, whatever function ids a
      merge of several builds made); and the diff's SIDE (base or new) carries those sites.
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


def parse_tags(path):
    total, shares = None, {}
    for line in open(path):
        m = re.match(r'^\s*gcspike_site: Total \d+ of (\d+) ', line)
        if m:
            total = int(m.group(1))
        m = re.match(r'^\s*(\d+) \(\s*[\d.]+%\): (.+?)\s*$', line)
        if m:
            shares[m.group(2)] = int(m.group(1))
    if not total or not shares:
        sys.exit(f'{path}: no gcspike_site label counts')
    return {name: count / total for name, count in shares.items()}


def check_sites(report_path, tags_path, diff_path, side):
    sites = json.load(open(report_path))['sites']
    keys = [(s['function'], tuple(s['via'])) for s in sites]
    if len(set(keys)) != len(keys):
        sys.exit(f'a site is listed more than once: {sorted(keys)}')
    by_function = {}
    for s in sites:
        by_function[s['function']] = by_function.get(s['function'], 0) + s['fraction']
    pprof = parse_tags(tags_path)
    if set(by_function) != set(pprof) or \
            not all(close(by_function[f], pprof[f], 1e-5) for f in pprof):
        sys.exit(f'site shares {by_function}, pprof\'s gcspike_site shares {pprof}')
    diffed = {(s['function'], tuple(s['via'])): s[side]['fraction']
              for s in json.load(open(diff_path))['sites'] if s[side]['fraction'] > 0}
    mine = {k: s['fraction'] for k, s in zip(keys, sites)}
    if set(diffed) != set(mine) or not all(close(diffed[k], mine[k]) for k in mine):
        sys.exit(f'the diff\'s {side} sites {diffed} are not the report\'s {mine}')
    print(', '.join(f'{f} {v * 100:.1f}%' for f, v in sorted(pprof.items())))


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'interval':
        check_interval(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == 'top':
        check_top(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == 'sites':
        check_sites(*sys.argv[2:])
    else:
        sys.exit(__doc__)
