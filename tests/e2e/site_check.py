#!/usr/bin/env python3
"""Checks gcspike's sites on an annotated profile against the program's source, through
`go tool pprof`'s own decoding.

Usage: site_check.py TRACES TAGS REPORT_JSON MAKER=VIA...

TRACES is `go tool pprof -traces` of the annotated output, TAGS `go tool pprof -tags
-tagshow=gcspike_site -sample_index=samples` of it, REPORT_JSON `gcspike report --json` of the
input. Each MAKER=VIA names a function that makes a map (from the source) and the helpers
(comma-separated, maybe none) it fills it through. Every sample with a gcspike_site label must
be labelled with the maker on its stack (the innermost one); every maker must be a site; the
report's sites must be the makers with their helpers, with the shares pprof's -tags gives."""
import json
import re
import sys


def fail(msg):
    print(f"site_check: {msg}", file=sys.stderr)
    sys.exit(1)


def samples(traces):
    """(labels, frames leaf first) per sample of -traces."""
    for block in traces.split("-----------+")[1:]:
        labels, frames = {}, []
        for line in block.splitlines()[1:]:
            m = re.match(r"^\s*(\S+):\s+(\S.*)$", line)
            if m and not frames:
                labels[m.group(1)] = m.group(2).strip()
                continue
            m = re.match(r"^\s+(?:[\d.]+\w*\s+)?(\S.*?)(?: \(inline\))?$", line)
            if m:
                frames.append(m.group(1))
        yield labels, frames


def main():
    traces, tags, report = (open(p).read() for p in sys.argv[1:4])
    makers = dict(a.split("=", 1) for a in sys.argv[4:])
    labelled = seen = 0
    for labels, frames in samples(traces):
        site = labels.get("gcspike_site")
        if site is None:
            continue
        labelled += 1
        want = next((f for f in frames if f in makers), None)
        if want is None:
            continue  # a site the program's makers do not cover (not in this check)
        seen += 1
        if site != want:
            fail(f"a sample under {want} is labelled {site}: {' < '.join(frames[:8])}")
    if seen == 0 or seen < 0.9 * labelled:
        fail(f"only {seen} of {labelled} labelled samples are under the makers {list(makers)}")
    shares = {}
    for line in tags.splitlines():
        m = re.match(r"^\s+\d+ \(\s*([\d.]+)%\): (\S+)$", line)
        if m:
            shares[m.group(2)] = float(m.group(1))
    sites = {s["function"]: s for s in json.loads(report)["sites"]}
    for maker, via in makers.items():
        if maker not in sites:
            fail(f"{maker} is not a site of the report: {list(sites)}")
        want_via = via.split(",") if via else []
        if sites[maker]["via"] != want_via:
            fail(f"{maker}: via {sites[maker]['via']}, want {want_via}")
        got = 100 * sites[maker]["fraction"]
        if abs(got - shares.get(maker, -1)) > 0.01:
            fail(f"{maker}: the report's share {got:.2f}%, pprof -tags {shares.get(maker)}%")
    print(f"{seen} of {labelled} labelled samples under the makers; sites " +
          ", ".join(f"{m} {shares[m]}%" for m in makers))


if __name__ == "__main__":
    main()
