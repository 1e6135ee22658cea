#!/usr/bin/env python3
"""Writes the large seeds of the fuzz targets, which are not committed (ctest runs this first):

  pprof/, detect/, viewer_outputs/  many-samples.pb.gz: 2,000 samples over 600 stacks up to
      64 frames deep (map growth frames among them), two sample types, labels; and
      deep-stack.pb: one sample 2,000 frames deep.
  go_trace/  many-generations.trace: the generations of the crafted Go 1.26 seed repeated as
      100 generations (the batch layout of docs/formats/go-trace.md#generation-format-layout).

Each stays under the targets' -max_len (GCSPIKE_FUZZ_MAX_LEN, 64 KiB), beyond which libFuzzer
would cut it.

usage: make_large_seeds.py SOURCE_DIR OUT_DIR
"""
import gzip
import os
import random
import sys

# The uvarint decoder of the offset oracle (tests/audit/expected_offset.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "audit"))
from expected_offset import uvarint as read_uvarint  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from protowire import field, packed, uvarint, varint_field  # noqa: E402


def profile(stacks, samples, strings, functions):
    """stacks: lists of function ids (leaf first); samples: (stack index, values, label)."""
    out = bytearray()
    index = {s: i for i, s in enumerate(strings)}
    for t, u in (("samples", "count"), ("cpu", "nanoseconds")):
        out += field(1, varint_field(1, index[t]) + varint_field(2, index[u]))
    for stack, values, label in samples:
        body = packed(1, [f for f in stacks[stack]]) + packed(2, values)
        body += field(3, varint_field(1, index["worker"]) + varint_field(3, label))
        out += field(2, body)
    for fid in range(1, len(functions) + 1):  # location i holds function i, one line
        out += field(4, varint_field(1, fid) + varint_field(3, 0x401000 + 16 * fid) +
                     field(4, varint_field(1, fid) + varint_field(2, fid)))
    for fid, name in enumerate(functions, start=1):
        out += field(5, varint_field(1, fid) + varint_field(2, index[name]) +
                     varint_field(4, index["main.go"]))
    for s in strings:
        out += field(6, s.encode())
    out += field(11, varint_field(1, index["cpu"]) + varint_field(2, index["nanoseconds"]))
    out += varint_field(12, 10000000)
    return bytes(out)


def pprof_seeds(out_dirs):
    rng = random.Random(12)
    functions = ["runtime.mapassign_fast64", "runtime.hashGrow", "runtime.growWork",
                 "runtime.mallocgc", "runtime.gcBgMarkWorker"]
    functions += ["main.f%d" % i for i in range(200)]
    strings = ["", "samples", "count", "cpu", "nanoseconds", "worker", "main.go"] + functions
    ids = list(range(1, len(functions) + 1))
    stacks = [[rng.choice(ids) for _ in range(rng.randint(1, 64))] for _ in range(600)]
    samples = [(rng.randrange(len(stacks)), [1, 10000000], rng.randrange(8))
               for _ in range(2000)]
    many = gzip.compress(profile(stacks, samples, strings, functions), 1, mtime=0)
    deep = profile([[ids[i % len(ids)] for i in range(2000)]], [(0, [1, 10000000], 0)], strings,
                   functions)
    for d in out_dirs:
        write(os.path.join(d, "many-samples.pb.gz"), many)
        write(os.path.join(d, "deep-stack.pb"), deep)


def batches(data):
    """(lead bytes, generation, rest) of each batch after the 16-byte header."""
    at, out = 16, []
    while at < len(data):
        start = at
        if data[at] == 0x34:
            out.append((data[at:at + 1], None, b""))
            at += 1
            continue
        lead_end = at + (2 if data[at] == 0x31 else 1)
        gen, at = read_uvarint(data, lead_end)
        m, at = read_uvarint(data, at)
        t, at = read_uvarint(data, at)
        n, at = read_uvarint(data, at)
        out.append((data[start:lead_end], gen, uvarint(m) + uvarint(t) + uvarint(n) +
                    data[at:at + n]))
        at += n
    return out


def trace_seeds(source_dir, out_dir):
    seed = os.path.join(source_dir, "tests", "fuzz", "corpus", "go_trace",
                        "crafted-v2-go1.26-two-generations.trace")
    data = open(seed, "rb").read()
    parts = batches(data)
    out = bytearray(data[:16])
    for k in range(50):  # the seed's two generations, 50 times, numbered on
        for lead, gen, rest in parts:
            out += lead if gen is None else lead + uvarint(gen + 2 * k) + rest
    write(os.path.join(out_dir, "many-generations.trace"), bytes(out))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    source_dir, out = sys.argv[1], sys.argv[2]
    pprof_seeds([os.path.join(out, n) for n in ("pprof", "detect", "viewer_outputs")])
    trace_seeds(source_dir, os.path.join(out, "go_trace"))
    os.makedirs(os.path.join(out, "perf_data"), exist_ok=True)  # its seeds are all committed
    print("large seeds written to", out)


if __name__ == "__main__":
    main()
