#!/usr/bin/env bash
# Every error names the input and, for bad input bytes, the byte offset:
#  1. the static audit of the error paths (tests/audit/check_error_locations.py);
#  2. damaged inputs of each format (cut short, bytes flipped) through `gcspike report`, from a
#     file and from stdin: each failure exits 2 with one line `gcspike: NAME: byte N...`, NAME
#     the path or <stdin>, never a placeholder;
#  3. truncated inputs whose offset is computed independently (tests/audit/expected_offset.py,
#     walking each format's framing): the message names exactly that byte.
source "$(dirname "$0")/lib.sh"
corpus=$SOURCE_DIR/tests/fuzz/corpus

python3 "$SOURCE_DIR/tests/audit/check_error_locations.py" "$SOURCE_DIR" >"$WORK/audit.txt" ||
  { cat "$WORK/audit.txt" >&2; fail "error paths without a byte offset"; }
pass

# check_failure NAME CMD...: when CMD fails, its stderr is one located line naming NAME.
check_failure() {
  local name=$1 got=0
  shift
  "$@" >/dev/null 2>"$WORK/err.txt" || got=$?
  [[ $got == 0 ]] && return 0
  [[ $got == 2 ]] || { cat "$WORK/err.txt" >&2; fail "exit $got, want 2: $*"; }
  grep -q '<input>' "$WORK/err.txt" && fail "placeholder name: $(cat "$WORK/err.txt")"
  [[ $(wc -l <"$WORK/err.txt") == 1 ]] || fail "not one line: $(cat "$WORK/err.txt")"
  grep -qE "^gcspike: $name: byte [0-9]+( of [a-z ]+)?: " "$WORK/err.txt" ||
    fail "no name and offset: $(cat "$WORK/err.txt")"
  pass
}

seeds=("$corpus"/pprof/heap-raw.pb "$corpus"/pprof/mutex.pb.gz
       "$corpus"/go_trace/crafted-v1-go1.19.trace "$corpus"/go_trace/real-go126-tiny.trace
       "$corpus"/perf_data/file-mode.data "$corpus"/perf_data/pipe-mode.data)
for seed in "${seeds[@]}"; do
  size=$(stat -c %s "$seed")
  for percent in 10 55 95; do
    damaged=$WORK/damaged-$percent-$(basename "$seed")
    head -c $((size * percent / 100)) "$seed" >"$damaged"
    check_failure "$damaged" "$GCSPIKE" report "$damaged"
    # The same bytes with every 97th byte flipped, on stdin.
    python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read())
for i in range(11, len(d), 97): d[i] ^= 0xFF
sys.stdout.buffer.write(d)' "$damaged" >"$damaged.flipped"
    check_failure "<stdin>" "$GCSPIKE" report - <"$damaged.flipped"
  done
done

# expect_offset KIND SEED BYTES: SEED cut to BYTES fails at the independently computed offset.
expect_offset() {
  local cut=$WORK/cut-$3-$(basename "$2") want
  head -c "$3" "$2" >"$cut"
  want=$(python3 "$SOURCE_DIR/tests/audit/expected_offset.py" "$1" "$cut")
  [[ -n $want ]] || fail "$2 cut at $3 bytes cuts no field"
  expect_exit 2 "$GCSPIKE" report "$cut"
  grep -q "^gcspike: $cut: byte $want: " "$WORK/out.txt" ||
    fail "want byte $want: $(cat "$WORK/out.txt")"
}
for n in 100 500 1000 1500; do expect_offset pprof "$corpus/pprof/heap-raw.pb" $n; done
for n in 50 150; do expect_offset trace "$corpus/go_trace/crafted-v2-go1.26.trace" $n; done
for n in 3000 9000; do expect_offset perf-pipe "$corpus/perf_data/pipe-mode.data" $n; done
finish
