#!/usr/bin/env bash
# The CFI-row fast path of the DWARF unwinder against libunwind
# (docs/formats/elf-dwarf.md#cfa-instructions): the committed --call-graph dwarf recording
# (tests/e2e/perf_golden, glibc's and the workload's .eh_frame_hdr) and a fresh recording of the
# Go fixture workload (.debug_frame), each unwound with GCSPIKE_CHECK_CFI_ROWS=1, which unwinds
# every sample both ways: the stacks, the unwind method and the frames per CFI source must be
# the same for every sample, and the output with the check is the output without it. A C
# program that spends its time calling through the PLT, whose CFA is a DWARF expression, has
# samples the rows leave to libunwind: there the two must agree too. (perf_static_cfi_test
# checks the static C program's .eh_frame without header, .debug_frame and separate debug files
# the same way, perf_dwarf_test the Go workload built with Go 1.19.)
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"

golden="$SOURCE_DIR/tests/e2e/perf_golden"
run() {  # run DATA NAME [flags]: $NAME.pb.gz with the check, $NAME.plain.pb.gz without
  local data=$1 name=$2
  shift 2
  HOME=$WORK GCSPIKE_CHECK_CFI_ROWS=1 "$GCSPIKE" annotate "$data" -o "$WORK/$name.pb.gz" "$@" \
    2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; fail "annotate $name"; }
  expect_rows_match "$WORK/$name.err"
  HOME=$WORK "$GCSPIKE" annotate "$data" -o "$WORK/$name.plain.pb.gz" "$@" 2>/dev/null ||
    fail "annotate $name without the check"
  cmp -s <(gunzip -c "$WORK/$name.pb.gz") <(gunzip -c "$WORK/$name.plain.pb.gz") ||
    fail "$name: the check changed the output"
  pass
}
run "$golden/dwarf.data" golden --binary "$golden/workload"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
(cd "$SOURCE_DIR/fixtures/src" && GOTOOLCHAIN=local go build -o "$WORK/wl" ./workload) ||
  fail "go build workload"
perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$WORK/go.data" -- \
  "$WORK/wl" -mode grow -duration 1s >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record --call-graph dwarf"; }
run "$WORK/go.data" go
grep -q '[1-9][0-9]* via .debug_frame' "$WORK/go.err" ||
  { cat "$WORK/go.err" >&2; fail "go: no frames via .debug_frame"; }
pass

command -v gcc >/dev/null || fail "gcc is not installed"
cat >"$WORK/plt.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long work(long n) {
  long t = 0;
  for (long i = 0; i < n; ++i) t += labs(i - n / 2) & 7;
  return t;
}
int main(int argc, char** argv) {
  printf("%ld\n", work(atol(argv[1])));
  return 0;
}
C
gcc -O2 -fno-builtin -o "$WORK/plt" "$WORK/plt.c" || fail "gcc plt.c"
perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$WORK/plt.data" -- \
  "$WORK/plt" 400000000 >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record the PLT program"; }
run "$WORK/plt.data" plt
read -r n by_rows < <(grep -o 'CFI rows check: [0-9]* samples, [0-9]* unwound' "$WORK/plt.err" |
  sed -E 's/[^0-9]+/ /g')
[[ $by_rows -lt $n ]] || fail "plt: no sample was left to libunwind ($by_rows of $n by rows)"
pass
finish
