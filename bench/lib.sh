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
