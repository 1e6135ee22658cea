#!/usr/bin/env python3
"""Another process truncating an input while gcspike has it mapped, made to land inside the
mapping: starts CMD, polls /proc/PID/maps until it maps FILE in a mapping of at least MIN_LEN
bytes, then truncates FILE at a random byte of that mapping from FROM (a fraction of its
length) on (on a page boundary half the time), ahead of a reader going through it from its
start.

usage: cut_while_mapped.py FILE MIN_LEN FROM SEED REPORT -- CMD...
writes "cut at N inside file bytes [A, B)" to REPORT, or "not mapped" when CMD ended (or 10 s
passed) before mapping FILE so; exits with CMD's status (128 + N when signal N ended it).
"""
import os
import random
import subprocess
import sys
import time


def mapping_of(pid, path, min_len):
    """(file offset, length) of a mapping of `path` by `pid` at least min_len long, or None;
    raises OSError when pid is gone."""
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or fields[5].rstrip("\n") != path:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start >= min_len:
                return int(fields[2], 16), end - start
    return None


def cut_when_mapped(proc, path, min_len, start_frac, rng):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            found = mapping_of(proc.pid, path, min_len)
        except OSError:
            break
        if found is None:
            continue
        offset, length = found
        end = min(offset + length, os.path.getsize(path))
        cut = rng.randrange(offset + int((end - offset) * start_frac), end)
        if rng.random() < 0.5:
            # On a page boundary: the reader's next byte is on a page that is gone (SIGBUS);
            # else the rest of the cut page reads as zeros, and the page after it is gone.
            cut = max(offset, cut - cut % os.sysconf("SC_PAGE_SIZE"))
        os.truncate(path, cut)
        return f"cut at {cut} inside file bytes [{offset}, {end})"
    return "not mapped"


def main():
    path, min_len = os.path.realpath(sys.argv[1]), int(sys.argv[2])
    start_frac, rng = float(sys.argv[3]), random.Random(int(sys.argv[4]))
    report, cmd = sys.argv[5], sys.argv[sys.argv.index("--") + 1:]
    proc = subprocess.Popen(cmd)
    what = cut_when_mapped(proc, path, min_len, start_frac, rng)
    status = proc.wait()
    with open(report, "w") as f:
        print(what, file=f)
    sys.exit(128 - status if status < 0 else status)


if __name__ == "__main__":
    main()
