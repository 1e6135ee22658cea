#!/usr/bin/env bash
# perf.data in, judged by perf itself: record the fixture workload with `perf record -g` (file
# mode, pipe mode and -z compressed), convert with gcspike, and compare every sample with
# `perf script` on the same file (gocheck perf-script-compare: same sample count, same symbol
# sequence leaf to root for >= 99 % of samples, once the caller a frameless leaf hides is
# inserted into perf's stacks by tests/e2e/frameless_rule.py). Then the binary is moved away:
# pprof must still show function names (our output carries them), and `gcspike report` must
# call grow-spike a spike, as it does for the workload's pprof profiles.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
# Recording a process of our own needs perf_event_paranoid <= 2; lower it when we may (root).
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

(cd "$SOURCE_DIR/fixtures/src" && go build -o "$WORK/wl" ./workload) || fail "go build workload"

# perf record copies the binary into its build-id cache under $HOME/.debug: a HOME of the test's
# own keeps that cache apart from the user's (and lets us check that gcspike finds it there).
mkdir -p "$WORK/home" "$WORK/empty-home"
record() {  # record OUT EXTRA_PERF_FLAGS...
  local out=$1
  shift
  HOME="$WORK/home" perf record -q -e cpu-clock -F 999 -g "$@" -o "$out" -- "$WORK/wl" -mode grow -duration 2s \
    >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record $*"; }
}
record "$WORK/perf.data"
perf record -q -e cpu-clock -F 999 -g -o - -- "$WORK/wl" -mode grow -duration 2s \
  >"$WORK/pipe.data" 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record -o -"; }
record "$WORK/z.data" -z
[[ $(head -c 16 "$WORK/pipe.data" | od -An -tu8 -j8) -eq 16 ]] || fail "pipe.data is not pipe mode"
pass

for name in perf pipe z; do
  data="$WORK/$name.data"
  expect_exit 0 "$GCSPIKE" annotate "$data" -o "$WORK/$name.pb.gz"
  # perf script's stacks, with the caller a frameless leaf hides inserted by the same rule as
  # gcspike's, computed independently from the binary (docs/formats/perf-data.md#callchains).
  python3 "$SOURCE_DIR/tests/e2e/frameless_rule.py" "$data" "$WORK/$name.script" \
    2>"$WORK/rule.err" || { cat "$WORK/rule.err" >&2; fail "perf script $name"; }
  grep -Eq 'frameless rule: [1-9][0-9]* stacks changed' "$WORK/rule.err" ||
    fail "$name.data: no stack has a frameless leaf below a direct call"
  "$GOCHECK" perf-script-compare "$WORK/$name.pb.gz" "$WORK/$name.script" >"$WORK/cmp.json" ||
    { cat "$WORK/cmp.json" >&2; fail "$name.data: gcspike and perf script disagree"; }
  echo "$name.data vs perf script: $(cat "$WORK/cmp.json")"
  pass
done

# Reading from a pipe (stdin) gives the same profile as reading the file.
"$GCSPIKE" annotate - -o "$WORK/stdin.pb.gz" <"$WORK/pipe.data" || fail "annotate - <pipe.data"
"$GOCHECK" pprof-compare "$WORK/pipe.pb.gz" "$WORK/stdin.pb.gz" >/dev/null ||
  fail "stdin and file reads of pipe.data differ"
pass
# File mode read forward-only from a pipe, and gzipped, give the same profile as the file.
"$GCSPIKE" annotate - -o "$WORK/stdin-file.pb.gz" <"$WORK/perf.data" || fail "annotate - <perf.data"
"$GOCHECK" pprof-compare "$WORK/perf.pb.gz" "$WORK/stdin-file.pb.gz" >/dev/null ||
  fail "stdin and file reads of perf.data differ"
gzip -c "$WORK/perf.data" >"$WORK/perf.data.gz"
"$GCSPIKE" annotate "$WORK/perf.data.gz" -o "$WORK/gz.pb.gz" || fail "annotate perf.data.gz"
"$GOCHECK" pprof-compare "$WORK/perf.pb.gz" "$WORK/gz.pb.gz" >/dev/null ||
  fail "gzipped perf.data reads differently"
pass

# The default read spools the samples to a temporary file (one model sample per distinct stack);
# --in-memory holds one sample per record. Both must write the same bytes, also when a filter or
# a text format needs the records as samples (the spool is materialized then).
"$GCSPIKE" annotate "$WORK/perf.data" --in-memory -o "$WORK/mem.pb.gz" || fail "--in-memory"
cmp -s "$WORK/perf.pb.gz" "$WORK/mem.pb.gz" || fail "spooled and --in-memory pprof differ"
for extra in "--keep tid>0" "--output-format folded" "--output-format speedscope"; do
  # shellcheck disable=SC2086
  "$GCSPIKE" annotate "$WORK/perf.data" $extra -o "$WORK/spooled.out" || fail "annotate $extra"
  # shellcheck disable=SC2086
  "$GCSPIKE" annotate "$WORK/perf.data" $extra --in-memory -o "$WORK/mem.out" ||
    fail "annotate $extra --in-memory"
  cmp -s "$WORK/spooled.out" "$WORK/mem.out" || fail "spooled and --in-memory differ with $extra"
done
# The detectors' summary of the spooled stacks counts individual samples like the in-memory one.
"$GCSPIKE" annotate "$WORK/perf.data" --output-format json -o "$WORK/spooled.json" ||
  fail "annotate --output-format json"
"$GCSPIKE" annotate "$WORK/perf.data" --output-format json --in-memory -o "$WORK/mem.json" ||
  fail "annotate --output-format json --in-memory"
cmp -s "$WORK/spooled.json" "$WORK/mem.json" || fail "spooled and --in-memory reports differ"
grep -q "\"sample_records\":$(perf script -F time -i "$WORK/perf.data" 2>/dev/null | grep -c .)[,}]" \
  "$WORK/spooled.json" || fail "report sample_records is not perf script's sample count"
pass

# Labels: numeric pid/tid/timestamp_ns with units, comm a string.
"$GOCHECK" pprof-check "$WORK/perf.pb.gz" >"$WORK/check.json" || fail "pprof-check"
go tool pprof -raw "$WORK/perf.pb.gz" 2>/dev/null >"$WORK/raw.txt"
grep -q 'comm:\[wl\]' "$WORK/raw.txt" || fail "no comm label wl"
grep -q 'pid:\[[0-9]* pid\]' "$WORK/raw.txt" || grep -q 'pid:\[[0-9]*\]' "$WORK/raw.txt" ||
  fail "no numeric pid label"
grep -q 'timestamp_ns:\[[0-9]*' "$WORK/raw.txt" || fail "no timestamp_ns label"
[[ $(grep -c 'comm:\[' "$WORK/raw.txt") == $(grep -c 'pid:\[' "$WORK/raw.txt") ]] ||
  fail "some samples have no comm label"
pass
# File:line from DWARF (the workload's own source) and inlined frames (a Location with more
# than one line: an indented continuation line in -raw's Locations list).
grep -Eq 'main\.[A-Za-z]+ .*workload/main\.go:[1-9][0-9]*' "$WORK/raw.txt" ||
  fail "no file:line for main.* frames"
awk '/^Locations/{f=1;next} f && /^ +[^ 0-9]/{found=1} END{exit !found}' "$WORK/raw.txt" ||
  fail "no inlined frames"
pass

# Without the binary: names come from our output, not from pprof re-symbolizing.
mv "$WORK/wl" "$WORK/wl.moved"
go tool pprof -top -nodecount=200 "$WORK/perf.pb.gz" 2>/dev/null >"$WORK/top.txt"
grep -q 'runtime\.mallocgc' "$WORK/top.txt" || { cat "$WORK/top.txt" >&2; fail "no names"; }
grep -q 'main\.' "$WORK/top.txt" || fail "no main.* frames in pprof -top"
pass
"$GCSPIKE" report "$WORK/perf.pb.gz" >"$WORK/report.txt" || fail "report"
grep -Eq '^grow-spike +[0-9.]+% +\[[0-9.]+-[0-9.]+\] +[0-9.]+% +spike' "$WORK/report.txt" ||
  { cat "$WORK/report.txt" >&2; fail "grow-spike is not a spike"; }
pass
# Converting again without the binary (and without perf's build-id cache) keeps addresses and
# says why, once.
HOME="$WORK/empty-home" "$GCSPIKE" annotate "$WORK/perf.data" -o "$WORK/nobin.pb.gz" \
  2>"$WORK/err.txt" || fail "annotate without the binary"
grep -q 'no symbols for .*wl' "$WORK/err.txt" || fail "no warning about the missing binary"
[[ $(grep -c 'no symbols for' "$WORK/err.txt") == 1 ]] || fail "the warning is not given once"
# ... perf's build-id cache (~/.debug/.build-id/xx/yyyy/elf, filled by perf record) has a copy.
ls "$WORK"/home/.debug/.build-id/*/*/elf >/dev/null 2>&1 ||
  fail "perf record left no build-id cache in \$HOME/.debug"
HOME="$WORK/home" "$GCSPIKE" annotate "$WORK/perf.data" -o "$WORK/cache.pb.gz" \
  2>"$WORK/err.txt" || fail "annotate with the build-id cache"
! grep -q 'no symbols for .*wl' "$WORK/err.txt" || fail "the build-id cache was not used"
"$GOCHECK" perf-script-compare "$WORK/cache.pb.gz" "$WORK/perf.script" >/dev/null ||
  fail "build-id cache: stacks differ from perf script"
# ... and --binary points at the moved file.
"$GCSPIKE" annotate "$WORK/perf.data" --binary "$WORK/wl.moved" -o "$WORK/bin.pb.gz" 2>/dev/null ||
  fail "annotate --binary"
"$GOCHECK" perf-script-compare "$WORK/bin.pb.gz" "$WORK/perf.script" >/dev/null ||
  fail "--binary: stacks differ from perf script"
pass

# --call-graph dwarf: every sample is kept and a warning counts how its user stack was unwound
# (the unwinding itself is tested by perf_dwarf_test.sh).
mv "$WORK/wl.moved" "$WORK/wl"
perf record -q -e cpu-clock -F 199 --call-graph dwarf,4096 -o "$WORK/dwarf.data" -- "$WORK/wl" \
  -mode grow -duration 500ms >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record --call-graph dwarf"; }
"$GCSPIKE" annotate "$WORK/dwarf.data" -o "$WORK/dwarf.pb.gz" 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt" >&2; fail "annotate dwarf.data"; }
want=$(perf script -F comm,tid,time -i "$WORK/dwarf.data" 2>/dev/null | grep -c ': *$' || true)
got=$(go tool pprof -raw "$WORK/dwarf.pb.gz" 2>/dev/null | grep -c 'timestamp_ns:\[' || true)
[[ $want -gt 0 && $got == "$want" ]] || fail "dwarf.data: $got samples, perf script has $want"
grep -q "$want samples with --call-graph dwarf stacks: [0-9]* unwound by CFI" "$WORK/err.txt" ||
  fail "no dwarf-mode warning: $(cat "$WORK/err.txt")"
pass

# perf record -k (use_clockid) writes CLOCK_DATA, one instant on the wall clock and the sample
# clock: the profile's time_nanos is then the wall-clock time of the first sample.
before=$(date +%s)
HOME="$WORK/home" perf record -q -k mono -e cpu-clock -F 499 -g -o "$WORK/clock.data" -- \
  "$WORK/wl" -mode grow -duration 300ms >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record -k mono"; }
after=$(date +%s)
"$GCSPIKE" annotate "$WORK/clock.data" -o "$WORK/clock.pb.gz" || fail "annotate clock.data"
when=$(go tool pprof -raw "$WORK/clock.pb.gz" 2>/dev/null | sed -n 's/^Time: \(.*\) UTC$/\1/p')
[[ -n $when ]] || fail "no Time in the profile of a perf record -k recording"
when_s=$(date -d "$when" +%s) || fail "unparsable Time $when"
((when_s >= before - 1 && when_s <= after + 1)) ||
  fail "time_nanos $when is not between the recording's start and end ($before..$after)"
# Without -k there is no way to the wall clock, and no Time is made up.
! go tool pprof -raw "$WORK/perf.pb.gz" 2>/dev/null | grep -q '^Time:' ||
  fail "a Time without CLOCK_DATA"
pass

# Bad input: truncated file -> exit 2, one line naming a byte offset, no output file.
head -c 5000 "$WORK/perf.data" >"$WORK/cut.data"
expect_exit 2 "$GCSPIKE" annotate "$WORK/cut.data" -o "$WORK/cut.pb.gz"
grep -q 'byte [0-9]' "$WORK/out.txt" || fail "error names no byte offset: $(cat "$WORK/out.txt")"
[[ ! -e "$WORK/cut.pb.gz" ]] || fail "output written for bad input"

finish
