#!/usr/bin/env bash
# Prints one line per fixture × output format: the sha256 of what GCSPIKE_BINARY writes for
# `gcspike FIXTURE -o out.EXT`, the fixture's path under fixtures/, and the format. pprof output
# is hashed decompressed, so a change of gzip level or zlib version does not count as a change of
# output. Used by scripts/update-golden-outputs (writes tests/golden/outputs.sha256) and by
# tests/golden/outputs_test.sh (compares against it).
# Usage: tests/golden/output_hashes.sh GCSPIKE_BINARY
set -euo pipefail
bin=${1:?usage: output_hashes.sh GCSPIKE_BINARY}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gcspike-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$root/fixtures"
formats=(pb.gz folded speedscope.json trace.json)
find pprof trace -type f \( -name '*.pb.gz' -o -name '*.trace' \) | LC_ALL=C sort |
  while read -r fixture; do
    for ext in "${formats[@]}"; do
      out="$work/out.$ext"
      if ! "$bin" "$fixture" -o "$out" 2>"$work/stderr"; then
        cat "$work/stderr" >&2
        echo "output_hashes: $bin $fixture -o out.$ext failed" >&2
        exit 1
      fi
      if [[ $ext == pb.gz ]]; then
        hash=$(gzip -dc "$out" | sha256sum)
      else
        hash=$(sha256sum <"$out")
      fi
      printf '%s  %s  %s\n' "${hash%% *}" "$fixture" "$ext"
      rm -f "$out"
    done
  done
