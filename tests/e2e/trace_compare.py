#!/usr/bin/env python3
"""Compares `gocheck trace-stats --stacks` (x/exp/trace) with `gcspike trace-stats --stacks`.

Exact: cpu_samples, gc_cycles, stw_pauses, mark_assists, stw_by_reason and the three *_detail
objects; the multiset of (goroutine, stack) over CPU samples; and each sample's timestamp,
except where x/exp's reader moves it later: it makes its event stream strictly increasing in
time (Reader.ReadEvent: "if e.base.time <= r.lastTs { e.base.time = r.lastTs + 1 }"), so a
sample on the same tick as the previous event moves by a few ns, and a sample injected after
an event that x/exp's ordering emitted out of time order moves to that event's time + 1 ns
(seen once in a 115 MB trace: 3.8 ms). gcspike keeps the runtime's timestamp. So a gocheck
timestamp may be later, never earlier; by more than MAX_TIE_BUMP_NS for at most
MAX_REORDERED_FRACTION of the samples (and at least 2 allowed).
Usage: trace_compare.py GOCHECK_OUT GCSPIKE_OUT; exit 1 with a reason on the first difference.
"""
import json
import sys
from collections import Counter

MAX_TIE_BUMP_NS = 16
MAX_REORDERED_FRACTION = 0.01


def load(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    head = json.loads(lines[0])
    samples = []
    for line in lines[1:]:
        ts, g, stack = (line.split(" ", 2) + [""])[:3]
        samples.append((int(g), stack, int(ts)))
    return head, samples


def main():
    want, want_samples = load(sys.argv[1])
    got, got_samples = load(sys.argv[2])
    for key in ("cpu_samples", "gc_cycles", "stw_pauses", "mark_assists", "stw_by_reason",
                "gc_detail", "stw_detail", "assist_detail"):
        if want[key] != got[key]:
            sys.exit(f"{key}: gocheck {want[key]} gcspike {got[key]}")
    stacks_want = Counter((g, s) for g, s, _ in want_samples)
    stacks_got = Counter((g, s) for g, s, _ in got_samples)
    if stacks_want != stacks_got:
        only_want = list((stacks_want - stacks_got).items())[:3]
        only_got = list((stacks_got - stacks_want).items())[:3]
        sys.exit(f"sample stacks differ: only in gocheck {only_want}; only in gcspike {only_got}")
    # Pair samples with the same goroutine and stack in time order.
    by_key_want, by_key_got = {}, {}
    for g, s, t in want_samples:
        by_key_want.setdefault((g, s), []).append(t)
    for g, s, t in got_samples:
        by_key_got.setdefault((g, s), []).append(t)
    bumped = reordered = 0
    for key, times in by_key_want.items():
        for tw, tg in zip(sorted(times), sorted(by_key_got[key])):
            if tw < tg:
                sys.exit(f"sample {key[0]} {key[1][:80]}: timestamp gocheck {tw} < gcspike {tg}")
            bumped += 0 < tw - tg <= MAX_TIE_BUMP_NS
            reordered += tw - tg > MAX_TIE_BUMP_NS
    allowed = max(2, int(MAX_REORDERED_FRACTION * len(got_samples)))
    if reordered > allowed:
        sys.exit(f"{reordered} sample timestamps differ by more than {MAX_TIE_BUMP_NS} ns "
                 f"(x/exp reordering explains at most {allowed})")
    print(f"equal: {got['cpu_samples']} samples, {got['gc_cycles']} GC cycles, "
          f"{got['stw_pauses']} pauses, {got['mark_assists']} assists "
          f"(x/exp moved {bumped} sample timestamps by <= {MAX_TIE_BUMP_NS} ns, "
          f"{reordered} further)")


if __name__ == "__main__":
    main()
