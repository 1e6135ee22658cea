#!/usr/bin/env bash
# perf.data -> symbolized, annotated pprof: gcspike against `perf script` (which also reads every
# record and symbolizes every frame), on the same recording, in the same run.
# Usage: bench/perf_bench.sh [RUNS] [PERF_DATA]   (default 3 runs; without PERF_DATA it records
# the fixture workload with frame pointers for $PERF_SECONDS (default 22) seconds at 20 kHz,
# which gives about 100 MB)
source "$(dirname "$0")/lib.sh"
runs=${1:-3}
data=${2:-}
ensure_tools

if [[ -z $data ]]; then
  data=$out/perf-big.data
  if [[ ! -f $data ]]; then
    (cd "$root/fixtures/src" && go build -o "$out/workload" ./workload)
    if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 && $(id -u) -eq 0 ]]; then
      sysctl -qw kernel.perf_event_paranoid=-1
    fi
    perf record -q -e cpu-clock -F 20000 -g -o "$data" -- \
      "$out/workload" -mode grow -duration "${PERF_SECONDS:-22}s" 2>/dev/null
  fi
fi
size_kb=$(( $(stat -c %s "$data") / 1024 ))
echo "input: $data ($((size_kb / 1024)) MB)"

rm -f "$out"/perf-gcspike.times "$out"/perf-script.times
for _ in $(seq "$runs"); do
  measure perf-gcspike "$GCSPIKE" annotate "$data" -o "$out/perf.pb.gz"
  measure perf-script bash -c "perf script -i '$data' > /dev/null 2>&1"
done
g_s=$(median_of perf-gcspike 1); g_m=$(median_of perf-gcspike 2)
p_s=$(median_of perf-script 1); p_m=$(median_of perf-script 2)
echo "gcspike annotate: ${g_s}s, peak RSS $((g_m / 1024)) MB (median of $runs)"
echo "perf script:      ${p_s}s, peak RSS $((p_m / 1024)) MB (median of $runs)"
awk -v g="$g_s" -v p="$p_s" -v gm="$g_m" -v pm="$p_m" -v in_kb="$size_kb" 'BEGIN {
  printf "speed: gcspike is %.1fx faster; gcspike peak RSS = %.2f of the input size (perf script: %.2f)\n",
    p / g, gm / in_kb, pm / in_kb }'
