#!/usr/bin/env python3
"""Edits a Go >= 1.26 trace for tests (tests/pylib/go_trace_batches.py reads its batches).

  trace_edit.py late-samples TRACE OUT
      The CPU samples of the trace's last generation that has any (not its first) are given the
      time of the trace's first sample, so they are older than the previous generation's events.
      The runtime writes such samples when a generation ends while a thread is late to write its
      events (docs/formats/go-trace.md#cpu-samples-and-generations); here in the extreme.
      x/exp/trace emits them after the previous generation and moves their times past its last
      event; gcspike keeps the runtime's times. Prints the number of samples moved.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from go_trace_batches import CPU_SAMPLES, batches, cpu_sample_batch, cpu_samples  # noqa: E402


def late_samples(trace, out):
    data = open(trace, "rb").read()
    sample_batches = [b for b in batches(data) if not isinstance(b, int) and
                      b.kind == CPU_SAMPLES and cpu_samples(data, b)]
    if not sample_batches or sample_batches[-1].gen == sample_batches[0].gen:
        sys.exit("%s: no CPU samples after the first generation" % trace)
    first = min(s[0] for s in cpu_samples(data, sample_batches[0]))
    last = sample_batches[-1]
    moved = [[first] + s[1:] for s in cpu_samples(data, last)]
    with open(out, "wb") as f:
        f.write(data[:last.start] + cpu_sample_batch(last, moved) + data[last.end:])
    print(len(moved))


def main(argv):
    if len(argv) == 3 and argv[0] == "late-samples":
        late_samples(argv[1], argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
