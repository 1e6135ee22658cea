#!/usr/bin/env python3
"""Cuts an old-format Go execution trace (go 1.11-1.21 headers) inside its stack table, for
tests, and says what the cut hid, from the trace's own events (independently of gcspike):

  trace_v1_cut.py TRACE OUT

The runtime writes the frequency event and then the whole stack table at the end of the trace
(docs/formats/go-trace.md#old-format-layout), in no fixed order, so a trace cut short at an
event boundary inside the table still reads, but some CPU samples name stacks it no longer
holds. The cut is made before the Stack event, from the end, at which the samples whose stacks
are lost first hide at least 20 points of the grow-spike share (a map-assign frame above a grow
frame). Prints one JSON line: {"samples": N, "lost": N, "grow": N (of all samples, from the
whole trace), "grow_visible": N (of those, with a stack kept)}.

Event framing (docs/formats/go-trace.md#old-format-event-encoding): a byte with the type in its
low 6 bits and the argument count - 1 in its top 2 bits (3: a byte length, then the
arguments), the arguments as uvarints; String (37) is `id, length, bytes`; UserLog (48) has a
trailing string. CPUSample (49): [dt, time, P, G, stack]; Stack (3): [id, n, n x (pc, func,
file, line)].
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from go_trace_batches import read_uvarint as uvarint  # noqa: E402

STACK, FREQUENCY, STRING, USER_LOG, CPU_SAMPLE = 3, 2, 37, 48, 49
GROW = ("runtime.hashGrow", "runtime.growWork", "runtime.evacuate", "runtime.makeBucketArray")


def events(d):
    """(offset, type, args, string) for every event after the 16-byte header."""
    i = 16
    while i < len(d):
        start, b = i, d[i]
        i += 1
        typ, narg = b & 0x3F, (b >> 6) + 1
        if typ == STRING:
            sid, i = uvarint(d, i)
            n, i = uvarint(d, i)
            yield start, typ, [sid], d[i:i + n].decode("utf-8", "replace")
            i += n
            continue
        args = []
        if narg < 4:
            for _ in range(narg):
                a, i = uvarint(d, i)
                args.append(a)
        else:
            n, i = uvarint(d, i)
            end = i + n
            while i < end:
                a, i = uvarint(d, i)
                args.append(a)
        if typ == USER_LOG:
            n, i = uvarint(d, i)
            i += n
        yield start, typ, args, None


def is_grow(names):
    """A grow frame below (nearer the leaf than) a map assign; names leaf first."""
    for k, name in enumerate(names):
        if name.startswith("runtime.mapassign"):
            return any(n.startswith(GROW) for n in names[:k])
    return False


def main(trace, out):
    d = open(trace, "rb").read()
    strings, stacks, samples, stack_at, frequency_at = {}, {}, [], [], None
    for off, typ, args, s in events(d):
        if typ == STRING:
            strings[args[0]] = s
        elif typ == STACK:
            stacks[args[0]] = [args[2 + 4 * k + 1] for k in range(args[1])]
            stack_at.append((off, args[0]))
        elif typ == CPU_SAMPLE:
            samples.append(args[4])
        elif typ == FREQUENCY:
            frequency_at = off
    grow = {sid: is_grow([strings.get(f, "") for f in funcs]) for sid, funcs in stacks.items()}
    total_grow = sum(grow.get(s, False) for s in samples)
    lost_ids = set()
    for off, sid in reversed(stack_at):
        if frequency_at is None or off < frequency_at:
            break
        lost_ids.add(sid)
        lost = sum(s in lost_ids for s in samples)
        visible = sum(grow.get(s, False) for s in samples if s not in lost_ids)
        if total_grow - visible >= 0.20 * len(samples):
            open(out, "wb").write(d[:off])
            print(json.dumps({"samples": len(samples), "lost": lost, "grow": total_grow,
                              "grow_visible": visible}))
            return
    sys.exit(f"{trace}: no cut inside the stack table hides 20 points of grow samples")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
