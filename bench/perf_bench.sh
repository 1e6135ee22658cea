#!/usr/bin/env bash
# perf.data -> symbolized, annotated pprof: gcspike against the tools that read the same
# recording in full — `perf script` (reads every record, symbolizes every frame) and
# `perf report --stdio` (also aggregates) — and against reading the file (`cat`), on the same
# recordings, in the same run, interleaved (one run of each tool in turn, RUNS times).
# Two recordings of the fixture workload (Go, grow mode), 100 MB each (perf record --max-size):
#   fp    `perf record -e cpu-clock -F 20000 -g` (frame pointers), $at most $PERF_FP_SECONDS (60) s
#   dwarf `perf record -e cpu-clock -F 1000 --call-graph dwarf,8192`, $at most $PERF_DWARF_SECONDS (60) s
#         (gcspike unwinds every sample with the binary's CFI; perf script with its own unwinder)
# Prints the median time and peak RSS (/usr/bin/time -f %M) of each tool and the ratios.
# Usage: bench/perf_bench.sh [RUNS] [fp|dwarf|both]   (default 3 runs, both recordings)
source "$(dirname "$0")/lib.sh"
runs=${1:-3}
which=${2:-both}
ensure_tools
command -v perf >/dev/null || { echo "perf_bench: perf is not installed (scripts/setup-deps)" >&2; exit 2; }

workload=$out/workload
[[ -x $workload ]] || (cd "$root/fixtures/src" && go build -o "$workload" ./workload)
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 && $(id -u) -eq 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1
fi

# record NAME SECONDS PERF_ARGS...: $out/perf-NAME.data, made once and kept.
record() {
  local name=$1 seconds=$2
  shift 2
  local data=$out/perf-$name.data
  [[ -f $data ]] && return
  # --max-size: about 100 MB whatever the machine's load (the sample rate is per CPU second)
  { perf record -q -e cpu-clock "$@" --max-size=100M -o "$data.tmp" -- "$workload" -mode grow \
    -duration "${seconds}s" || true; } 2>/dev/null
  [[ -s $data.tmp ]] || { echo "perf_bench: perf record made no $data.tmp" >&2; exit 2; }
  mv "$data.tmp" "$data"
}

# read_file NAME FILE: like measure, for `dd` reading FILE in 1 MiB blocks, timed to the
# millisecond (/usr/bin/time counts hundredths, and a cached 100 MB read takes a few of them).
read_file() {
  local t0 t1
  t0=$(date +%s%N)
  dd if="$2" of=/dev/null bs=1M status=none
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f 0\n", ns / 1e9}' >>"$out/$1.times"
}

# bench NAME: times every tool on $out/perf-NAME.data, interleaved, and prints the table.
bench() {
  local name=$1 data=$out/perf-$1.data
  local size_kb=$(($(stat -c %s "$data") / 1024))
  echo "== $name: $data ($((size_kb / 1024)) MB)"
  local tools=(gcspike script report read)
  for t in "${tools[@]}"; do rm -f "$out/perf-$name-$t.times"; done
  cat "$data" >/dev/null  # page cache
  for _ in $(seq "$runs"); do
    measure "perf-$name-gcspike" "$GCSPIKE" annotate "$data" -o "$out/perf-$name.pb.gz"
    measure "perf-$name-script" bash -c "perf script -i '$data' > /dev/null 2>&1"
    measure "perf-$name-report" bash -c "perf report --stdio -i '$data' > /dev/null 2>&1"
    read_file "perf-$name-read" "$data"
  done
  for t in "${tools[@]}"; do
    printf '  %-8s %7ss  peak RSS %5d MB  (median of %d)\n' "$t" \
      "$(median_of "perf-$name-$t" 1)" $(($(median_of "perf-$name-$t" 2) / 1024)) "$runs"
  done
  awk -v g="$(median_of "perf-$name-gcspike" 1)" -v s="$(median_of "perf-$name-script" 1)" \
    -v r="$(median_of "perf-$name-report" 1)" -v c="$(median_of "perf-$name-read" 1)" 'BEGIN {
      if (g <= 0) g = 0.01; if (c <= 0) c = 0.01
      printf "  gcspike: %.1fx faster than perf script, %.1fx faster than perf report --stdio, %.1fx the time of reading the file\n",
        s / g, r / g, g / c }'
}

case $which in fp | dwarf | both) ;; *) echo "usage: bench/perf_bench.sh [RUNS] [fp|dwarf|both]" >&2; exit 2 ;; esac
if [[ $which != dwarf ]]; then
  record fp "${PERF_FP_SECONDS:-60}" -F 20000 -g
  bench fp
fi
if [[ $which != fp ]]; then
  record dwarf "${PERF_DWARF_SECONDS:-60}" -F 1000 --call-graph dwarf,8192
  bench dwarf
fi
