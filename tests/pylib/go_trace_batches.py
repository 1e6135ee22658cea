"""The batches of a Go >= 1.26 execution trace (docs/formats/go-trace.md#generation-format-layout,
#generation-format-batch-kinds and #cpu-samples), for the test generators that cut or edit one:
tests/e2e/amplified_inputs.py and tests/e2e/trace_edit.py (and its uvarint reader to
tests/e2e/trace_v1_cut.py, for the old format)."""
from protowire import uvarint

HEADER_SIZE = 16
END_OF_GENERATION = 0x34
EVENT_BATCH, EXPERIMENTAL_BATCH = 0x01, 0x31
CPU_SAMPLES, CPU_SAMPLE = 0x06, 0x07
# Batch kinds (the first data byte) that are tables, not a thread's events: stacks, strings,
# CPU samples, sync.
TABLE_KINDS = (0x02, 0x04, CPU_SAMPLES, 0x32)


def read_uvarint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


class Batch:
    """One batch: data[start:end] is all of it, data[data_at:end] its payload."""

    def __init__(self, data, start):
        self.start = start
        self.marker = data[start]
        i = start + (2 if self.marker == EXPERIMENTAL_BATCH else 1)
        self.gen, i = read_uvarint(data, i)
        self.m, i = read_uvarint(data, i)
        self.time, i = read_uvarint(data, i)
        size, i = read_uvarint(data, i)
        self.data_at, self.end = i, i + size
        self.kind = data[i] if size else None


def batches(data):
    """Yields each Batch of the trace in `data`, and the offset (an int) of each
    end-of-generation marker."""
    if not data.startswith(b"go 1.26 trace"):
        raise ValueError("want a Go >= 1.26 trace (explicit end-of-generation markers)")
    i = HEADER_SIZE
    while i < len(data):
        if data[i] == END_OF_GENERATION:
            yield i
            i += 1
            continue
        b = Batch(data, i)
        yield b
        i = b.end


def cpu_samples(data, b):
    """The [time, m, p, g, stack] of each sample in CPU sample batch b."""
    i, out = b.data_at + 1, []
    while i < b.end:
        if data[i] != CPU_SAMPLE:
            raise ValueError("byte %d: not a CPU sample" % i)
        i += 1
        fields = []
        for _ in range(5):
            v, i = read_uvarint(data, i)
            fields.append(v)
        out.append(fields)
    return out


def cpu_sample_batch(b, samples):
    """Batch b (a CPU sample batch) re-encoded with `samples`."""
    payload = bytes([CPU_SAMPLES]) + b"".join(
        bytes([CPU_SAMPLE]) + b"".join(uvarint(v) for v in s) for s in samples)
    return (bytes([EVENT_BATCH]) + uvarint(b.gen) + uvarint(b.m) + uvarint(b.time) +
            uvarint(len(payload)) + payload)
