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
  amplified_inputs.py perf-forks MAPPINGS FORKS OUT
                                                  perf.data: MAPPINGS MMAPs of one process, then
                                                  FORKS processes forked from it (each inherits
                                                  every mapping), then one sample
  amplified_inputs.py perf-frames N FRAMES OUT    perf.data: N samples whose callchains of
                                                  FRAMES return addresses are all distinct
  amplified_inputs.py perf-build-ids N OUT [--pipe]
                                                  perf.data: N build ids of distinct files, in
                                                  the BUILD_ID feature section (or, with --pipe,
                                                  a stream of N HEADER_BUILD_ID records), and
                                                  one sample
  amplified_inputs.py perf-event-desc N IDS NAME OUT
                                                  a perf.data stream of N HEADER_FEATURE records
                                                  of EVENT_DESC, each one event named by NAME
                                                  bytes that IDS ids carry, and one sample
  amplified_inputs.py perf-shared-ids ATTRS IDS OUT
                                                  perf.data: ATTRS events (attrs) whose ids
                                                  sections are all one section of IDS ids,
                                                  and one sample
  amplified_inputs.py perf-zstd-bomb MIB OUT      perf.data: one COMPRESSED2 record whose zstd
                                                  frame of RLE blocks (4 bytes per 128 KiB)
                                                  expands to MIB MiB of 0x08 bytes: records
                                                  of 2,056 bytes of an unknown type

The pprof messages are encoded here from profile.proto's field numbers
(docs/formats/pprof.md#profile-fields); the trace is cut into batches by the layout in
docs/formats/go-trace.md#generation-format-layout; the perf.data files follow
docs/formats/perf-data.md#file-header, #event-attributes, #sample-record-layout,
#feature-sections, #pipe-mode and #compression (the test checks that perf itself reads small
ones); the zstd frame is RFC 8878's simplest (a frame header and RLE blocks).
"""
import gzip
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from go_trace_batches import EVENT_BATCH, TABLE_KINDS, batches  # noqa: E402
from protowire import field, packed, varint_field as vfield  # noqa: E402


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


def repeat_generation(trace, megabytes, out):
    data = open(trace, "rb").read()
    events, end = [], None
    try:
        for b in batches(data):
            if isinstance(b, int):  # end of the first generation
                end = b
                break
            # Event batches only: the string, stack, CPU sample and sync batches are one per id.
            if b.marker == EVENT_BATCH and b.kind not in TABLE_KINDS:
                events.append(data[b.start:b.end])
    except ValueError as e:
        sys.exit("%s: %s" % (trace, e))
    if end is None or not events:
        sys.exit("%s: no complete first generation with event batches" % trace)
    block = b"".join(events)
    copies = max(1, (megabytes << 20) // len(block))
    with open(out, "wb") as f:
        f.write(data[:end])
        for _ in range(copies):
            f.write(block)
        f.write(data[end:])


# perf.data: one cpu-clock event whose samples carry IP, TID, TIME, CALLCHAIN and PERIOD.
PERF_SAMPLE_TYPE = 0x1 | 0x2 | 0x4 | 0x20 | 0x100
PERF_MMAP, PERF_SAMPLE, PERF_FORK = 1, 9, 7
PERF_USER = 2  # header misc: user mode
PERF_HEADER_ATTR, PERF_HEADER_BUILD_ID, PERF_FINISHED_ROUND, PERF_HEADER_FEATURE = 64, 67, 68, 80
PERF_CONTEXT_USER = 2**64 - 512
PERF_IDENTIFIER = 1 << 16  # sample_type: the sample's id first


def perf_record(rtype, body, misc=0):
    return struct.pack("<IHH", rtype, misc, 8 + len(body)) + body


def perf_mmap(pid, start, length, name):
    body = struct.pack("<IIQQQ", pid, pid, start, length, 0)
    name = name.encode() + b"\0"
    return perf_record(PERF_MMAP, body + name + b"\0" * (-len(name) % 8), PERF_USER)


def perf_sample(pid, time, chain):
    body = struct.pack("<QIIQQQ", chain[1] if len(chain) > 1 else 0, pid, pid, time, 1000,
                       len(chain))
    return perf_record(PERF_SAMPLE, body + struct.pack("<%dQ" % len(chain), *chain), PERF_USER)


def perf_attr(sample_type=PERF_SAMPLE_TYPE):
    attr = struct.pack("<IIQQQQQ", 1, 128, 0, 1000, sample_type, 0, 0)  # software, cpu-clock
    return attr + b"\0" * (128 - len(attr))


def perf_file(data, out, features=(), attrs=1, ids=0):
    """File mode: the 104-byte header, `ids` event ids, `attrs` attrs (128 bytes each) whose
    ids sections are all those ids (none: empty), data, then the (bit, bytes) feature sections.
    Several attrs' samples carry an IDENTIFIER."""
    attr = perf_attr(PERF_SAMPLE_TYPE if attrs == 1 else PERF_SAMPLE_TYPE | PERF_IDENTIFIER)
    ids_section = struct.pack("<%dQ" % ids, *range(1, ids + 1))
    attrs_at = 104 + len(ids_section)
    entry = attr + struct.pack("<QQ", 104 if ids else 0, len(ids_section))
    data_at = attrs_at + attrs * len(entry)
    header = b"PERFILE2" + struct.pack("<QQ", 104, len(entry))
    header += struct.pack("<QQQQQQ", attrs_at, attrs * len(entry), data_at, len(data), 0, 0)
    bits = sum(1 << bit for bit, _ in features)
    header += struct.pack("<QQQQ", bits, 0, 0, 0)
    table, at = b"", data_at + len(data) + 16 * len(features)
    for _, section in features:
        table += struct.pack("<QQ", at, len(section))
        at += len(section)
    with open(out, "wb") as f:
        f.write(header + ids_section + entry * attrs + data + table)
        for _, section in features:
            f.write(section)


def perf_pipe(records, out):
    """Pipe mode: the 16-byte header, HEADER_ATTR, `records` (an iterable of bytes), then one
    sample and the closing FINISHED_ROUND."""
    with open(out, "wb") as f:
        f.write(b"PERFILE2" + struct.pack("<Q", 16) + perf_record(PERF_HEADER_ATTR, perf_attr()))
        for r in records:
            f.write(r)
        f.write(perf_one_sample() + perf_record(PERF_FINISHED_ROUND, b""))


def perf_forks(mappings, forks, out):
    data = bytearray()
    for i in range(mappings):
        data += perf_mmap(1, 0x400000 + i * 0x10000, 0x1000, "/nonexistent/lib%d.so" % i)
    for i in range(forks):
        data += perf_record(PERF_FORK, struct.pack("<IIIIQ", 1000 + i, 1, 1000 + i, 1, i))
    data += perf_sample(1, 1, [PERF_CONTEXT_USER, 0x400010, 0x400020])
    perf_file(bytes(data), out)


def perf_frames(n, frames, out):
    data = bytearray(perf_mmap(1, 0x400000, 1 << 40, "/nonexistent/big"))
    for i in range(n):
        chain = [PERF_CONTEXT_USER] + [0x400000 + 8 * (i * frames + j) for j in range(frames)]
        data += perf_sample(1, i, chain)
    perf_file(bytes(data), out)


FEATURE_BUILD_ID, FEATURE_EVENT_DESC = 2, 12
BUILD_ID_SIZE = 1 << 15  # header misc: the id's size is in byte 20


def perf_build_id(i):
    """A build_id_event: pid -1, a 20-byte id, its size, and a short distinct file name."""
    name = b"/l/%x" % i + b"\0"
    body = struct.pack("<i", -1) + struct.pack("<QQI", i, i, i) + bytes([20, 0, 0, 0])
    return perf_record(PERF_HEADER_BUILD_ID, body + name + b"\0" * (-len(name) % 8),
                       PERF_USER | BUILD_ID_SIZE)


def perf_one_sample():
    return perf_mmap(1, 0x400000, 0x1000, "/nonexistent/main") + perf_sample(
        1, 1, [PERF_CONTEXT_USER, 0x400010, 0x400020])


def perf_build_ids(n, out, pipe):
    if pipe:
        perf_pipe((perf_build_id(i) for i in range(n)), out)
    else:
        section = b"".join(perf_build_id(i) for i in range(n))
        perf_file(perf_one_sample(), out, [(FEATURE_BUILD_ID, section)])


def perf_event_desc(n, ids, name_bytes, out):
    """EVENT_DESC {u32 nr, attr_size; attr, u32 nr_ids, {u32 len, name}, ids}: the name, which
    a reader may copy for each id."""
    name = b"e" * (name_bytes - 1) + b"\0"
    name += b"\0" * (-len(name) % 8)

    def record(k):
        desc = struct.pack("<II", 1, 128) + perf_attr() + struct.pack("<II", ids, len(name))
        desc += name + struct.pack("<%dQ" % ids, *range(k * ids, (k + 1) * ids))
        return perf_record(PERF_HEADER_FEATURE, struct.pack("<Q", FEATURE_EVENT_DESC) + desc)

    perf_pipe((record(k) for k in range(n)), out)


def perf_shared_ids(attrs, ids, out):
    body = struct.pack("<QQIIQQQ", 1, 0x400010, 1, 1, 1, 1000, 2)  # id 1's event
    body += struct.pack("<QQ", PERF_CONTEXT_USER, 0x400010)
    data = perf_mmap(1, 0x400000, 0x1000, "/nonexistent/main") + perf_record(
        PERF_SAMPLE, body, PERF_USER)
    perf_file(data, out, attrs=attrs, ids=ids)


def perf_zstd_bomb(mib, out):
    # RFC 8878: magic, a header with no content size, dictionary or checksum, a 128 KiB window
    # (exponent 7: 2^(10 + 7)), then RLE blocks: a 3-byte header (last-block bit, type 1,
    # size = repetitions) and the byte.
    frame = bytearray(struct.pack("<I", 0xFD2FB528) + bytes([0x00, 7 << 3]))
    blocks = mib * 8  # of 128 KiB
    for i in range(blocks):
        header = (1 if i == blocks - 1 else 0) | 1 << 1 | (128 << 10) << 3
        frame += struct.pack("<I", header)[:3] + b"\x08"
    body = struct.pack("<Q", len(frame)) + bytes(frame) + b"\0" * (-len(frame) % 8)
    data = perf_record(83, body)  # COMPRESSED2: the payload's size, the payload, padding
    data += perf_sample(1, 1, [PERF_CONTEXT_USER, 0x400010])
    perf_file(data, out)


def main(argv):
    if len(argv) >= 3 and argv[0] == "one-location":
        one_location(int(argv[1]), argv[2])
    elif len(argv) >= 4 and argv[0] == "long-stacks":
        long_stacks(int(argv[1]), int(argv[2]), argv[3], "--distinct" in argv[4:])
    elif len(argv) == 4 and argv[0] == "repeat-generation":
        repeat_generation(argv[1], int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[0] == "perf-forks":
        perf_forks(int(argv[1]), int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[0] == "perf-frames":
        perf_frames(int(argv[1]), int(argv[2]), argv[3])
    elif len(argv) >= 3 and argv[0] == "perf-build-ids":
        perf_build_ids(int(argv[1]), argv[2], "--pipe" in argv[3:])
    elif len(argv) == 5 and argv[0] == "perf-event-desc":
        perf_event_desc(int(argv[1]), int(argv[2]), int(argv[3]), argv[4])
    elif len(argv) == 4 and argv[0] == "perf-shared-ids":
        perf_shared_ids(int(argv[1]), int(argv[2]), argv[3])
    elif len(argv) == 3 and argv[0] == "perf-zstd-bomb":
        perf_zstd_bomb(int(argv[1]), argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
