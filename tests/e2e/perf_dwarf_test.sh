#!/usr/bin/env bash
# --call-graph dwarf: the fixture workload, built with the machine's Go and with Debian's Go 1.19,
# recorded with `perf record --call-graph dwarf` and with `-g` (frame pointers). gcspike unwinds
# the copied user stacks with libunwind over the binary's .debug_frame (Go has no .eh_frame):
#  - CFI (not the frame-pointer fallback) unwinds most samples, and the CFI-row fast path gives
#    libunwind's stacks for every sample;
#  - >= 95 % of user stacks are complete: they reach runtime.goexit or main.main, or end where
#    Go switched to the g0 stack (runtime.systemstack/mcall/morestack, or mstart/rt0_go). perf
#    copies only the 8 KB above the sampled SP, so for a sample on the g0 stack the goroutine's
#    frames are not in the file at all; a -g recording gets them because the kernel follows the
#    frame-pointer chain into the goroutine stack;
#  - the shape matches the -g recording of the same workload: the cumulative share of every
#    main.* function and runtime.mapassign*/growWork*/hashGrow, with frame-pointer stacks cut at
#    the same g0 switch, within 10 points. Run-to-run noise, measured on this workload with three
#    recordings per method: up to 6.6 points between two -g recordings and 8.7 between two dwarf
#    ones (Go 1.19; 5 and 3.5 with Go 1.26), while a broken unwinder moves main.* by 30 or more.
# What `perf script` makes of the same dwarf file is printed for comparison, not asserted.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

toolchains=("local:go")
if [[ -x /usr/lib/go-1.19/bin/go ]]; then
  toolchains+=("1.19:/usr/lib/go-1.19/bin/go")
else
  echo "note: /usr/lib/go-1.19/bin/go missing (Debian golang-1.19); testing the local Go only"
fi

for entry in "${toolchains[@]}"; do
  name=${entry%%:*}
  gobin=${entry#*:}
  bin="$WORK/wl-$name"
  (cd "$SOURCE_DIR/fixtures/src" && GOTOOLCHAIN=local "$gobin" build -o "$bin" ./workload) ||
    fail "go build workload ($gobin)"
  for mode in dwarf fp; do
    flags=(-g)
    [[ $mode == dwarf ]] && flags=(--call-graph dwarf)
    perf record -q -e cpu-clock -F 999 "${flags[@]}" -o "$WORK/$name.$mode.data" -- \
      "$bin" -mode grow -duration 2s >/dev/null 2>"$WORK/perf.err" ||
      { cat "$WORK/perf.err" >&2; fail "perf record ${flags[*]} ($name)"; }
    GCSPIKE_CHECK_CFI_ROWS=1 "$GCSPIKE" annotate "$WORK/$name.$mode.data" \
      -o "$WORK/$name.$mode.pb.gz" 2>"$WORK/$name.$mode.err" ||
      { cat "$WORK/$name.$mode.err" >&2; fail "annotate $mode"; }
  done
  # The CFI-row fast path and libunwind unwind every sample alike (GCSPIKE_CHECK_CFI_ROWS).
  expect_rows_match "$WORK/$name.dwarf.err"
  pass

  # "N samples with --call-graph dwarf stacks: A unwound by CFI (frames by CFI source: ...), B by
  # frame pointers, C IP only"
  line=$(grep -o '[0-9]* samples with --call-graph dwarf stacks: .*' "$WORK/$name.dwarf.err") ||
    { cat "$WORK/$name.dwarf.err" >&2; fail "$name: no unwind counts on stderr"; }
  read -r total cfi fp ip_only < <(echo "$line" | sed -E \
    's/^([0-9]+) samples.*: ([0-9]+) unwound by CFI( \([^)]*\))?, ([0-9]+) by frame pointers, ([0-9]+) IP only$/\1 \2 \4 \5/')
  echo "go $name: $line"
  [[ $total -gt 500 ]] || fail "$name: only $total dwarf samples"
  [[ $((cfi + fp + ip_only)) -eq $total ]] || fail "$name: unwind counts do not add up: $line"
  [[ $((cfi * 2)) -gt $total ]] || fail "$name: CFI unwound only $cfi of $total samples"
  pass

  "$GOCHECK" perf-stack-stats --min-complete=0.95 "$WORK/$name.dwarf.pb.gz" >"$WORK/stats.json" ||
    { cat "$WORK/stats.json" >&2; fail "$name: fewer than 95 % of dwarf user stacks complete"; }
  echo "go $name dwarf (gcspike): $(cat "$WORK/stats.json")"
  "$GOCHECK" perf-stack-stats "$WORK/$name.fp.pb.gz" >"$WORK/fpstats.json" ||
    fail "$name: perf-stack-stats on the -g recording"
  echo "go $name -g (gcspike):    $(cat "$WORK/fpstats.json")"
  pass

  "$GOCHECK" perf-stack-stats --cut-at-stack-switch --compare="$WORK/$name.fp.pb.gz" \
    --max-diff=0.10 "$WORK/$name.dwarf.pb.gz" >"$WORK/shape.json" ||
    { cat "$WORK/shape.json" >&2; fail "$name: dwarf and -g stacks differ in shape"; }
  echo "go $name shape dwarf vs -g: $(grep -o '"compared_functions":[0-9]*' "$WORK/shape.json")" \
    "$(grep -o '"max_share_diff":[0-9.]*,"max_share_diff_function":"[^"]*"' "$WORK/shape.json")"
  grep -q '"compared_functions":[1-9]' "$WORK/shape.json" || fail "$name: no functions compared"
  pass

  # For comparison: perf's own unwinding of the same file (informative).
  perf script -F ip,sym -i "$WORK/$name.dwarf.data" 2>/dev/null | awk -v name="$name" '
    function flush() { if (user) { total++; if (root) reached++ } user = 0; root = 0 }
    /^[[:space:]]*$/ { flush(); next }
    { if ($1 !~ /^ffff/) user = 1; if ($0 ~ /runtime\.goexit|main\.main/) root = 1 }
    END { flush(); printf "go %s dwarf (perf script): %d user stacks, %d reach goexit/main.main\n",
          name, total, reached }'
done
finish
