#!/usr/bin/env bash
# pprof round trip on a large real profile: gcspike (read + write gzipped pprof, no detectors)
# against `go tool pprof -proto` (read + write) on the same file, in the same run.
# Usage: bench/roundtrip_bench.sh [RUNS]   (default 5)
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
ensure_tools

big=$out/big.pb.gz
if [[ ! -f $big ]]; then
  # Distinct copies of real CPU profiles (each copy labelled instance=i with its own addresses)
  # so nothing merges away: >= 50 MB of uncompressed profile.proto.
  "$GOCHECK" pprof-synth --from "$root"/fixtures/pprof/go1.26/*.cpu.pb.gz --copies 2500 --out "$big"
fi
raw_mb=$(gunzip -c "$big" | wc -c | awk '{printf "%.1f", $1/1e6}')
echo "input: $big ($(du -h "$big" | cut -f1) gzipped, $raw_mb MB uncompressed)"

# The pprof binary that `go tool pprof` runs (built and cached on first use), timed directly so
# the go command's own start-up is not charged to it.
pprof_bin=$(go tool -n pprof)
rm -f "$out"/rt-gcspike.times "$out"/rt-pprof.times
for _ in $(seq "$runs"); do
  measure rt-gcspike "$GCSPIKE" annotate --no-detect "$big" -o "$out/rt.gcspike.pb.gz"
  measure rt-pprof bash -c "'$pprof_bin' -proto '$big' > '$out/rt.pprof.pb.gz' 2>/dev/null"
done
g_s=$(median_of rt-gcspike 1); g_m=$(median_of rt-gcspike 2)
p_s=$(median_of rt-pprof 1); p_m=$(median_of rt-pprof 2)
# Both outputs are valid and hold the input's samples and value sums (pprof-check; the full
# pprof-compare of a million samples needs more memory than a benchmark should take).
sums() { "$GOCHECK" pprof-check "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["samples"], d["sums"])'; }
want=$(sums "$big")
[[ $(sums "$out/rt.gcspike.pb.gz") == "$want" ]] || { echo "gcspike output differs from the input" >&2; exit 1; }
[[ $(sums "$out/rt.pprof.pb.gz") == "$want" ]] || echo "note: pprof -proto output differs from the input in sample count or sums (it merges identical samples)" >&2
echo "gcspike annotate --no-detect: ${g_s}s, peak RSS $((g_m / 1024)) MB (median of $runs)"
echo "go tool pprof -proto:         ${p_s}s, peak RSS $((p_m / 1024)) MB (median of $runs)"
awk -v g="$g_s" -v p="$p_s" -v gm="$g_m" -v pm="$p_m" \
  'BEGIN {printf "speed: gcspike is %.1fx faster; peak RSS ratio gcspike/pprof = %.2f\n", p/g, gm/pm}'
