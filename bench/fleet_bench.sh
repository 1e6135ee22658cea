#!/usr/bin/env bash
# Fleet merge: N small CPU profiles (default 4000; gocheck pprof-fleet: copies of the Go 1.26
# fixtures grow.tiny, mild.short and generic, each with its own mapping and location addresses,
# so nothing is shared but functions) merged by `gcspike merge` (--jobs default = cores, and
# --jobs 1) and by the pprof binary of `go tool pprof -proto`, in the same run, RUNS times each.
# Prints the median time and peak RSS (/usr/bin/time -f %M) of each, and checks that the two
# merges agree (gocheck pprof-compare --ignore-mapping-ranges, see tests/e2e/fleet_merge_test.sh).
# Usage: bench/fleet_bench.sh [RUNS] [N]   (default 3, 4000)
source "$(dirname "$0")/lib.sh"
runs=${1:-3}
n=${2:-4000}
ensure_tools

dir=$out/fleet-$n
if [[ ! -f $dir/list.txt ]]; then
  rm -rf "$dir" && mkdir -p "$dir"
  "$GOCHECK" pprof-fleet --n "$n" --dir "$dir" \
    "$root"/fixtures/pprof/go1.26/{grow.tiny,mild.short,generic}.cpu.pb.gz
  find "$dir" -name 'p*.pb.gz' | sort >"$dir/list.txt.tmp" && mv "$dir/list.txt.tmp" "$dir/list.txt"
fi
echo "input: $n profiles in $dir ($(du -sh "$dir" | cut -f1))"

pprof_bin=$(go tool -n pprof)
rm -f "$out"/fleet-gcspike.times "$out"/fleet-gcspike-j1.times "$out"/fleet-pprof.times
for _ in $(seq "$runs"); do
  measure fleet-gcspike "$GCSPIKE" merge --inputs-from "$dir/list.txt" -o "$out/fleet.gcspike.pb.gz"
  measure fleet-gcspike-j1 "$GCSPIKE" merge --jobs 1 --inputs-from "$dir/list.txt" \
    -o "$out/fleet.gcspike-j1.pb.gz"
  measure fleet-pprof bash -c "'$pprof_bin' -proto -symbolize=none \$(cat '$dir/list.txt') \
    > '$out/fleet.pprof.pb.gz' 2>/dev/null"
done
cmp -s "$out/fleet.gcspike.pb.gz" "$out/fleet.gcspike-j1.pb.gz" ||
  { echo "--jobs changed the output" >&2; exit 1; }
"$GOCHECK" pprof-compare --ignore-mapping-ranges "$out/fleet.gcspike.pb.gz" "$out/fleet.pprof.pb.gz" |
  head -3
for name in fleet-gcspike fleet-gcspike-j1 fleet-pprof; do
  printf '%-18s %6ss, peak RSS %5d MB (median of %d)\n' "$name" "$(median_of "$name" 1)" \
    $(($(median_of "$name" 2) / 1024)) "$runs"
done
awk -v g="$(median_of fleet-gcspike 1)" -v p="$(median_of fleet-pprof 1)" \
  -v gm="$(median_of fleet-gcspike 2)" -v pm="$(median_of fleet-pprof 2)" \
  'BEGIN {printf "gcspike merge is %.1fx faster; peak RSS ratio gcspike/pprof = %.2f\n", p/g, gm/pm}'
