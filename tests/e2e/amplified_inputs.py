#!/usr/bin/env python3
"""Small inputs that expand into a lot of work, made at test time (nothing big is committed).

  amplified_inputs.py one-location N OUT          pprof: N samples on one location (gzipped)
  amplified_inputs.py long-stacks N FRAMES OUT [--distinct]
                                                  pprof: N samples of FRAMES frames each, one
                                                  stack (or N distinct ones), gzipped
  amplified_inputs.py repeat-generation TRACE MB OUT
                                                  a Go >= 1.26 trace whose first generation's
                                                  event batches are repeated until the file has
                                                  about MB megabytes

The pprof messages are encoded here from profile.proto's field numbers
(docs/formats/pprof.md#profile-fields); the trace is cut into batches by the layout in
docs/formats/go-trace.md#generation-format-layout.
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from protowire import field, packed, uvarint, varint_field as vfield  # noqa: E402


def pprof_frame(strings, locations):
    """Sample types, `locations` locations (one function each) and the string table."""
    out = bytearray()
    out += field(1, vfield(1, 1) + vfield(2, 2))  # samples/count
    for i in range(1, locations + 1):
        out += field(5, vfield(1, i) + vfield(2, 3 + i))  # function i named strings[3 + i]
        out += field(4, vfield(1, i) + vfield(3, 0x1000 + i) + field(4, vfield(1, i)))
    for s in strings + ["f%d" % i for i in range(1, locations + 1)]:
        out += field(6, s.encode())
    return bytes(out)


STRINGS = ["", "samples", "count", "main"]


def one_location(n, out):
    sample = field(2, packed(1, [1]) + packed(2, [1]))
    with gzip.open(out, "wb", compresslevel=6) as f:
        f.write(pprof_frame(STRINGS, 1))
        chunk = sample * 100000
        for _ in range(n // 100000):
            f.write(chunk)
        f.write(sample * (n % 100000))


def long_stacks(n, frames, out, distinct):
    locations = 100  # ids below 128: one byte each, so a stack is its ids' bytes
    stack = bytearray(1 + i % locations for i in range(frames))
    with gzip.open(out, "wb", compresslevel=1) as f:
        f.write(pprof_frame(STRINGS, locations))
        for i in range(n):
            if distinct:
                stack[0] = 1 + i % locations
                stack[1] = 1 + i // locations % locations
            f.write(field(2, field(1, bytes(stack)) + packed(2, [i + 1])))


def read_uvarint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def repeat_generation(trace, megabytes, out):
    data = open(trace, "rb").read()
    if not data.startswith(b"go 1.26 trace"):
        sys.exit("%s: want a Go 1.26 trace (explicit end-of-generation markers)" % trace)
    i, events, end = 16, [], None
    while i < len(data):
        start = i
        if data[i] == 0x34:  # end of generation
            end = i
            break
        kind = data[i]
        i += 2 if kind == 0x31 else 1
        for _ in range(3):  # gen, m, time
            _, i = read_uvarint(data, i)
        size, i = read_uvarint(data, i)
        first = data[i] if size else 0
        i += size
        # Event batches only: the string, stack, CPU sample and sync batches are one per id.
        if kind == 0x01 and first not in (2, 4, 6, 50):
            events.append(data[start:i])
    if end is None or not events:
        sys.exit("%s: no complete first generation with event batches" % trace)
    block = b"".join(events)
    copies = max(1, (megabytes << 20) // len(block))
    with open(out, "wb") as f:
        f.write(data[:end])
        for _ in range(copies):
            f.write(block)
        f.write(data[end:])


def main(argv):
    if len(argv) >= 3 and argv[0] == "one-location":
        one_location(int(argv[1]), argv[2])
    elif len(argv) >= 4 and argv[0] == "long-stacks":
        long_stacks(int(argv[1]), int(argv[2]), argv[3], "--distinct" in argv[4:])
    elif len(argv) == 4 and argv[0] == "repeat-generation":
        repeat_generation(argv[1], int(argv[2]), argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
