# Shared by the benchmarks: build paths, the Go oracle, and timing with peak RSS.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
GCSPIKE=${GCSPIKE:-$build/plugin/gcspike}
GOCHECK=${GOCHECK:-$build/gocheck}
out=${BENCH_OUT:-$root/bench/out}
mkdir -p "$out"
export GOTELEMETRY=off

ensure_tools() {
  [[ -x $GCSPIKE ]] || "$root/scripts/build" "$build"
  [[ -x $GOCHECK ]] || (cd "$root/tests/gocheck" && go build -o "$GOCHECK" .)
}

# measure NAME CMD...: runs CMD (stdout to /dev/null unless the command redirects itself) and
# appends "seconds peak_rss_kb" to $out/NAME.times.
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$out/$name.one" "$@" >/dev/null
  cat "$out/$name.one" >> "$out/$name.times"
}

# median_of NAME COLUMN: the median of a column of $out/NAME.times.
median_of() {
  sort -n -k"$2" "$out/$1.times" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'
}

# big_trace [TRACE]: prints TRACE when given, else bench/out/big-<go version>.trace, which
# bench/tracegen generates with $GO (default `go`) for $TRACE_SECONDS (default 12) seconds when
# it is missing. trace_bench.sh and html_bench.sh share it.
big_trace() {
  if [[ -n ${1:-} ]]; then
    echo "$1"
    return
  fi
  local go_bin=${GO:-go} ver trace
  ver=$("$go_bin" env GOVERSION)
  trace=$out/big-$ver.trace
  if [[ ! -f $trace ]]; then
    (cd "$root/bench/tracegen" && "$go_bin" build -o "$out/tracegen-$ver" .) >&2
    "$out/tracegen-$ver" -out "$trace" -duration "${TRACE_SECONDS:-12}s" >&2
  fi
  echo "$trace"
}
