#!/usr/bin/env python3
"""The byte offset at which a reader must report a truncated input, computed independently of
gcspike by walking the input's framing (docs/formats/pprof.md#profile-fields,
go-trace.md#generation-format-layout, perf-data.md#pipe-mode):

  pprof      the length of the top-level field that runs past the end (the claim that is false)
  trace      the start of the data of the batch that runs past the end (generation format)
  perf-pipe  the start of the record whose size runs past the end

usage: expected_offset.py KIND FILE     prints the offset, or nothing when nothing is cut
"""
import struct
import sys


def uvarint(data, at):
    v = shift = 0
    while True:
        b = data[at]
        v |= (b & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if b < 0x80:
            return v, at


def pprof(data):
    at = 0
    while at < len(data):
        key, at = uvarint(data, at)
        wire = key & 7
        if wire == 0:
            _, at = uvarint(data, at)
        elif wire == 2:
            length_at = at
            n, at = uvarint(data, at)
            if at + n > len(data):
                return length_at
            at += n
        else:
            at += 8 if wire == 1 else 4
    return None


def trace(data):
    at = 16
    while at < len(data):
        if data[at] == 0x34:
            at += 1
            continue
        at += 2 if data[at] == 0x31 else 1
        for _ in range(3):  # generation, thread, time
            _, at = uvarint(data, at)
        n, at = uvarint(data, at)
        if at + n > len(data):
            return at
        at += n
    return None


def perf_pipe(data):
    at = 16
    while at + 8 <= len(data):
        size = struct.unpack_from("<H", data, at + 6)[0]
        if at + size > len(data):
            return at
        at += size
    return None


def main():
    kind, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    offset = {"pprof": pprof, "trace": trace, "perf-pipe": perf_pipe}[kind](data)
    if offset is not None:
        print(offset)


if __name__ == "__main__":
    main()
