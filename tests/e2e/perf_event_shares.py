#!/usr/bin/env python3
"""Counts, in `perf script -F event,ip,sym` output, the samples of one event and those of them
that grow a map under a map insert (verdict_check.py's frame names), without gcspike.

usage: perf_event_shares.py SCRIPT.txt EVENT
prints: "N K" (samples of EVENT, grow samples among them)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verdict_check import ASSIGN, GROW  # noqa: E402


def samples(path):
    """(event, frames leaf first) for every sample: a header line, then one tab-indented
    "ADDRESS SYMBOL (DSO)" line per frame."""
    event, frames = None, []
    for line in open(path, errors='replace'):
        if line.startswith('\t'):
            parts = line.split(None, 1)
            if len(parts) == 2:
                sym = parts[1].rsplit(' (', 1)[0].strip()
                frames.append(sym.split('+0x')[0])
        elif line.strip():
            if event is not None:
                yield event, frames
            event, frames = line.strip().rstrip(':').strip(), []
    if event is not None:
        yield event, frames


def main():
    path, want = sys.argv[1], sys.argv[2]
    n = k = 0
    for event, frames in samples(path):
        if event != want:
            continue
        n += 1
        grow = [i for i, f in enumerate(frames) if GROW.search(f)]
        assign = [i for i, f in enumerate(frames) if f.startswith(ASSIGN)]
        if grow and assign and min(grow) < max(assign):
            k += 1
    print(n, k)


if __name__ == '__main__':
    main()
