#!/usr/bin/env python3
"""Writes the crafted seeds of tests/fuzz/corpus/go_trace/: minimal valid traces of each format
generation with CPU samples, a GC cycle, a stop-the-world pause, a mark assist and heap metrics
(the same shapes as tests/unit/formats/go_trace_reader_test.cc). Usage: make_crafted_seeds.py DIR"""
import os
import sys


def uv(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def header(minor):
    return f"go 1.{minor} trace".encode().ljust(16, b"\0")


def s(text):
    return uv(len(text)) + text.encode()


NO_THREAD = (1 << 64) - 1


def batch(gen, m, time, data):
    return b"\x01" + uv(gen) + uv(m) + uv(time) + uv(len(data)) + data


def v2(minor, generations=1):
    out = header(minor)
    for gen in range(1, generations + 1):
        strings = b"\x04" + b"".join(b"\x05" + uv(i) + s(t) for i, t in
                                     [(1, "main.f"), (2, "main.go"), (3, "runtime.mallocgc"),
                                      (4, "GC mark termination")])
        stacks = b"\x02\x03" + uv(1) + uv(2) + uv(0x1000) + uv(3) + uv(2) + uv(10) + \
            uv(0x2000) + uv(1) + uv(2) + uv(20)
        sync = (b"\x32" if minor >= 25 else b"") + b"\x08" + uv(10**9) + \
            (b"\x33" + uv(5) + uv(123) + uv(1700000000) + uv(0) if minor >= 25 else b"")
        samples = b"\x06" + b"\x07" + uv(1500) + uv(1) + uv(0) + uv(7) + uv(1)
        events = bytes([25]) + uv(1) + uv(7) + uv(1) + uv(2) + bytes([29]) + uv(10) + uv(gen) + \
            uv(1) + bytes([35]) + uv(10) + uv(1) + bytes([36]) + uv(100) + bytes([26]) + uv(10) + \
            uv(4) + uv(0) + bytes([27]) + uv(20) + bytes([30]) + uv(50) + uv(gen) + \
            bytes([37]) + uv(1) + uv(4096) + bytes([38]) + uv(1) + uv(8192)
        for data in (strings, stacks, sync, samples):
            out += batch(gen, NO_THREAD, 900, data)
        out += batch(gen, 1, 1000, events)
        if minor >= 26:
            out += b"\x34"
    return out


def v1_event(typ, values):
    if len(values) <= 3:
        return bytes([typ | (len(values) - 1) << 6]) + b"".join(uv(v) for v in values)
    args = b"".join(uv(v) for v in values)
    return bytes([typ | 3 << 6]) + uv(len(args)) + args


def v1(minor):
    out = header(minor)
    for i, t in [(1, "main.f"), (2, "main.go"), (3, "runtime.mallocgc")]:
        out += b"\x25" + uv(i) + s(t)
    for typ, values in [(1, [0, 1000]), (5, [1, 5]), (14, [1, 7, 1]), (7, [10, 3, 1]),
                        (43, [10, 1]), (44, [100]), (9, [10, 1]), (10, [20]), (8, [50]),
                        (33, [1, 4096]), (34, [1, 8192])]:
        out += v1_event(typ, values)
    if minor >= 19:
        out += v1_event(49, [0, 1500, 0, 7, 1])
    out += v1_event(2, [10**9])
    out += v1_event(3, [1, 2, 0x1000, 3, 2, 10, 0x2000, 1, 2, 20])
    return out


def main():
    d = sys.argv[1]
    seeds = {f"crafted-v1-go1.{m}.trace": v1(m) for m in (11, 19, 21)}
    seeds.update({f"crafted-v2-go1.{m}.trace": v2(m) for m in (22, 23, 25, 26)})
    seeds["crafted-v2-go1.25-two-generations.trace"] = v2(25, 2)
    seeds["crafted-v2-go1.26-two-generations.trace"] = v2(26, 2)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
