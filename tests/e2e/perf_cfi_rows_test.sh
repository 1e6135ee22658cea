#!/usr/bin/env bash
# The CFI-row fast path of the DWARF unwinder against libunwind (docs/formats/elf-dwarf.md#cfa-
# instructions): the committed --call-graph dwarf recording (tests/e2e/perf_golden, glibc's and
# the workload's .eh_frame_hdr) and a fresh recording of the Go fixture workload (.debug_frame),
# each unwound with GCSPIKE_CHECK_CFI_ROWS=1, which unwinds every sample both ways: the stacks,
# the unwind method and the frames per CFI source must be the same for every sample, and the
# output with the check is the output without it. (perf_static_cfi_test checks the static C
# program's .eh_frame without header, .debug_frame and separate debug files the same way.)
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
finish
