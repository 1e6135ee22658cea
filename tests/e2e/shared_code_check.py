#!/usr/bin/env python3
"""Independent check of `gcspike diff`'s shared user code (plugin/detect/shared_code.h).

  shared_code_check.py BASE.raw NEW.raw [DIFF.json]
      From two `go tool pprof -raw` outputs (samples/count first), each side's share of the
      samples with a user frame whose innermost user function (type arguments erased) is also
      an innermost user function of the other side. Prints both; with DIFF.json, they must be
      its shared_code. A user function is Go code outside the runtime and the standard library:
      package main, or a package path whose first element holds a dot (github.com/...).
"""
import collections
import json
import re
import sys


def user(name):
    name = name.split('[')[0]  # type arguments name other packages
    if name.startswith('main.'):
        return True
    first, slash, _ = name.partition('/')
    return bool(slash) and '.' in first


def erase(name):
    out, depth = '', 0
    for c in name:
        if c == '[':
            depth += 1
            if depth == 1:
                out += '[...'
            continue
        if c == ']' and depth > 0:
            depth -= 1
            if depth == 0:
                out += ']'
            continue
        if depth == 0:
            out += c
    return out + (']' if depth > 0 else '')


def innermost_users(path):
    samples, locations, section, current = [], {}, None, None
    for line in open(path):
        if line.startswith('Samples:'):
            section = 'samples'
            continue
        if line.startswith('Locations'):
            section = 'locations'
            continue
        if line.startswith('Mappings'):
            section = None
        if section == 'samples':
            m = re.match(r'^\s*(\d+)\s+.*?:\s+([\d ]+)$', line)
            if m:
                samples.append((int(m.group(1)), [int(x) for x in m.group(2).split()]))
        elif section == 'locations':
            m = re.match(r'^\s*(\d+): 0x[0-9a-f]+ M=\d+ (\S+)', line)
            if m:
                current = int(m.group(1))
                locations[current] = [m.group(2)]
                continue
            m = re.match(r'^\s{8,}(\S+) \S+:\d+', line)
            if m and current is not None:
                locations[current].append(m.group(1))
    users = collections.Counter()
    for weight, stack in samples:
        for loc in stack:
            names = [n for n in locations.get(loc, []) if user(n)]
            if names:
                users[erase(names[0])] += weight
                break
    return users


def share(side, other):
    total = sum(side.values())
    return sum(w for n, w in side.items() if n in other) / total if total else None


if __name__ == '__main__':
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    base, new = innermost_users(sys.argv[1]), innermost_users(sys.argv[2])
    got = (share(base, new), share(new, base))
    print(f'shared user code: base {got[0]}, new {got[1]}')
    if len(sys.argv) == 4:
        d = json.load(open(sys.argv[3]))['shared_code']
        want = (d['base'], d['new'])
        if any((a is None) != (b is None) or (a is not None and abs(a - b) > 2e-6)
               for a, b in zip(got, want)):
            sys.exit(f'gcspike diff says shared_code {want}, recomputed {got}')
