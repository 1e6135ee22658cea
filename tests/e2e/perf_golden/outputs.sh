#!/usr/bin/env bash
# Prints "sha256  name" for what $GCSPIKE makes of each recording in $1: the decompressed pprof
# of `annotate` and the folded stacks. Binaries are found only through --binary (the committed
# workload); HOME is empty so perf's build-id cache on this machine plays no part.
set -euo pipefail
dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in fp dwarf pipe zstd; do
  HOME=$tmp "$GCSPIKE" annotate "$dir/$f.data" --binary "$dir/workload" -o "$tmp/$f.pb.gz" \
    2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  HOME=$tmp "$GCSPIKE" annotate "$dir/$f.data" --binary "$dir/workload" -o "$tmp/$f.folded" \
    2>>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  echo "$(gunzip -c "$tmp/$f.pb.gz" | sha256sum | cut -d' ' -f1)  $f.data pprof"
  echo "$(sha256sum <"$tmp/$f.folded" | cut -d' ' -f1)  $f.data folded"
done
