#!/usr/bin/env bash
# ctest-labels: asan
# A binary truncated by another process while gcspike symbolizes a recording that names it
# (docs/memory.md, "Inputs that change while they are read"): gcspike never dies of SIGBUS; it
# exits 2 with the one line naming the binary and the byte where it was cut, and leaves no
# output (or exits 0 when the cut came after it was done with the binary: cut_while_read in
# lib.sh). The recording is --call-graph dwarf, so the binary is mapped for the whole read (the
# unwinder reads its CFI); tests/e2e/cut_while_mapped.py polls /proc/PID/maps and cuts inside
# that mapping.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

bin=$WORK/bin/wl
out=$WORK/out.pb.gz
mkdir -p "$WORK/bin"
(cd "$SOURCE_DIR/fixtures/src" && go build -o "$bin" ./workload) || fail "go build workload"
cp "$bin" "$WORK/wl.orig"  # each run cuts $bin and puts it back whole (the same inode)
# -N: no copy in perf's build-id cache, which gcspike would fall back on (and which the cuts
# below would truncate too, being a hard link of the binary).
perf record -q -N -e cpu-clock -F 2000 --call-graph dwarf,8192 -o "$WORK/p.data" -- \
  "$bin" -mode grow -duration 1s >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record"; }

# Uncut, the recording is symbolized with the binary.
"$GCSPIKE" annotate "$WORK/p.data" -o "$out" 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt" >&2; fail "annotate the uncut recording"; }
go tool pprof -symbolize=none -raw "$out" 2>/dev/null | grep -q 'main\.dedupGrowing' ||
  fail "not symbolized with $bin"
pass

for seed in 1 2 3 4 5 6; do
  cut_while_read "$bin" "$WORK/wl.orig" 1000000 0 "$seed" "$out" -- \
    "$GCSPIKE" annotate "$WORK/p.data" -o "$out"
done
((cuts_met >= 3)) || fail "only $cuts_met of 6 runs met the cut: the race is not tested"
finish
