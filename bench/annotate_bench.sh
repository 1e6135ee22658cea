#!/usr/bin/env bash
# Cost of the detectors on a large real profile: `gcspike annotate --no-detect` (read + write,
# the plain round trip) against `gcspike annotate` (read + classify every sample + label +
# write) on the same file, in the same run. Target: detection adds at most 30 %.
# Usage: bench/annotate_bench.sh [RUNS]   (default 5)
# BENCH_FROM may name other source profiles (default: the Go 1.26 CPU fixtures; the input is
# the same bench/out/big.pb.gz that roundtrip_bench.sh makes, so either script may create it).
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
ensure_tools

big=$out/big.pb.gz
if [[ ! -f $big ]]; then
  # Distinct copies of real CPU profiles (each copy labelled instance=i with its own addresses)
  # so nothing merges away: >= 50 MB of uncompressed profile.proto.
  # shellcheck disable=SC2086
  "$GOCHECK" pprof-synth --from ${BENCH_FROM:-"$root"/fixtures/pprof/go1.26/*.cpu.pb.gz} \
    --copies "${BENCH_COPIES:-2500}" --out "$big"
fi
raw_mb=$(gunzip -c "$big" | wc -c | awk '{printf "%.1f", $1/1e6}')
echo "input: $big ($(du -h "$big" | cut -f1) gzipped, $raw_mb MB uncompressed)"

# measure_cpu NAME CMD...: like measure, plus user+sys CPU seconds in a third column (wall time
# on a machine shared with other jobs is noisy; CPU time much less so).
measure_cpu() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M %U %S' -o "$out/$name.one" "$@" >/dev/null
  awk '{print $1, $2, $3 + $4}' "$out/$name.one" >>"$out/$name.times"
}

rm -f "$out"/an-plain.times "$out"/an-detect.times
for _ in $(seq "$runs"); do
  measure_cpu an-plain "$GCSPIKE" annotate --no-detect "$big" -o "$out/an.plain.pb.gz"
  measure_cpu an-detect "$GCSPIKE" annotate "$big" -o "$out/an.detect.pb.gz"
done
p_s=$(median_of an-plain 1); p_m=$(median_of an-plain 2); p_c=$(median_of an-plain 3)
d_s=$(median_of an-detect 1); d_m=$(median_of an-detect 2); d_c=$(median_of an-detect 3)
# The detectors labelled something (the plain round trip is checked by roundtrip_bench.sh).
go tool pprof -top -tagfocus=gcspike=grow-spike "$out/an.detect.pb.gz" 2>/dev/null |
  grep -q 'flat%' || { echo "no grow-spike samples in the annotated output" >&2; exit 1; }
echo "gcspike annotate --no-detect: ${p_s}s wall, ${p_c}s CPU, peak RSS $((p_m / 1024)) MB (median of $runs)"
echo "gcspike annotate:             ${d_s}s wall, ${d_c}s CPU, peak RSS $((d_m / 1024)) MB (median of $runs)"
awk -v p="$p_s" -v d="$d_s" -v pc="$p_c" -v dc="$d_c" -v pm="$p_m" -v dm="$d_m" 'BEGIN {
  printf "detection ratio: %.2fx wall, %.2fx CPU (target <= 1.30x); peak RSS ratio: %.2f\n",
    d/p, dc/pc, dm/pm
  exit (dc/pc > 1.3)
}'
