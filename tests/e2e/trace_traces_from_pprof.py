#!/usr/bin/env python3
"""Reads `go tool pprof -traces` output on stdin and prints one line per sample,
"goroutine leaf;...;root", sorted: the sample stacks as pprof itself sees them in gcspike's
output, for comparison with `gocheck trace-stats --stacks` (x/exp/trace).
Each -traces block is one sample; its value divided by the period (10ms) is how many identical
samples it stands for (pprof prints merged samples once)."""
import re
import sys

blocks = sys.stdin.read().split("-----------+-------------------------------------------------------")
lines = []
for block in blocks[1:]:
    goroutine = None
    frames = []
    count = 1
    for raw in block.splitlines():
        if not raw.strip():
            continue
        m = re.match(r"^\s*goroutine:\s+(-?\d+)", raw)
        if m:
            goroutine = m.group(1)
            continue
        if re.match(r"^\s*[A-Za-z_]+:\s", raw) and not frames:
            continue  # another label
        m = re.match(r"^\s+(\d+(?:\.\d+)?)(ms|s)\s+(.*)$", raw)
        if m:
            value = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
            count = round(value / 10)
            frames.append(m.group(3).strip())
        else:
            frames.append(raw.strip())
    if goroutine is None:
        continue
    for _ in range(count):
        lines.append(f"{goroutine} {';'.join(frames)}")
print("\n".join(sorted(lines)))
