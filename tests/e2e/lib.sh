# Shared by the end-to-end tests. ctest sets GCSPIKE, GOCHECK, SOURCE_DIR, BUILD_DIR, SHARED_DIR.
set -euo pipefail

: "${GCSPIKE:?run through ctest (GCSPIKE is the binary under test)}"
: "${SOURCE_DIR:?}" "${BUILD_DIR:?}"
FIXTURES="$SOURCE_DIR/fixtures"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gcspike-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Keep the Go build cache and module cache where the user's are; only silence telemetry.
export GOTELEMETRY=off GOFLAGS=${GOFLAGS:-}

checks=0
# On a failure the work directory (the inputs the test made: recordings, traces, outputs) is
# moved to $BUILD_DIR/artifacts/failed-TEST-XXXXXX instead of being removed, so that a failure
# seen once (a recording on a busy machine) can still be looked into. Only by the test's own
# shell: a subshell that fails leaves the directory to the steps that follow.
fail() {
  echo "FAIL: $*" >&2
  local kept
  kept="$BUILD_DIR/artifacts/failed-$(basename "$0" .sh)-${WORK##*.}"
  if [[ $BASHPID == "$$" ]] && mkdir -p "$BUILD_DIR/artifacts" && mv "$WORK" "$kept" 2>/dev/null
  then
    echo "FAIL: its work directory is kept in $kept" >&2
  fi
  exit 1
}
pass() {
  checks=$((checks + 1))
}
finish() {
  echo "$checks passed, 0 failed"
}

# expect_exit CODE CMD...: runs CMD, stdout+stderr to $WORK/out.txt, and checks its exit status.
expect_exit() {
  local want=$1
  shift
  local got=0
  "$@" >"$WORK/out.txt" 2>&1 || got=$?
  [[ $got == "$want" ]] || { cat "$WORK/out.txt" >&2; fail "exit $got, want $want: $*"; }
  pass
}

# expect_bad_report_flags INPUT FLAG=VALUE...: `gcspike report INPUT FLAG=VALUE` exits 2 with a
# message naming the flag, for each one.
expect_bad_report_flags() {
  local input=$1 bad
  shift
  for bad in "$@"; do
    expect_exit 2 "$GCSPIKE" report "$input" "$bad"
    grep -q -- "${bad%%=*}" "$WORK/out.txt" || fail "no flag name in: $(cat "$WORK/out.txt")"
  done
}

# Every pprof fixture produced by scripts/make-fixtures.
pprof_fixtures() {
  find "$FIXTURES/pprof" -name '*.pb.gz' | sort
}

# expect_rows_match ERR: a run with GCSPIKE_CHECK_CFI_ROWS=1 printed, in ERR, that its CFI-row
# stacks are libunwind's for every sample ("CFI rows check: N samples, M unwound from CFI rows,
# 0 differ from libunwind") and that the rows unwound some.
expect_rows_match() {
  local line
  line=$(grep -o 'CFI rows check: [0-9]* samples, [0-9]* unwound from CFI rows, [0-9]* differ.*' \
    "$1") || { cat "$1" >&2; fail "$1: no CFI rows check line"; }
  echo "$line"
  read -r n by_rows differ < <(echo "$line" | sed -E 's/[^0-9]+/ /g')
  [[ $differ -eq 0 ]] || { cat "$1" >&2; fail "$1: CFI rows and libunwind differ: $line"; }
  [[ $by_rows -gt 0 && $n -gt 0 ]] || fail "$1: no sample unwound from CFI rows: $line"
}

# cut_while_read VICTIM SOURCE MIN_LEN FROM SEED OUT -- CMD...: CMD, which writes OUT, run while
# tests/e2e/cut_while_mapped.py truncates VICTIM (a fresh copy of SOURCE; cp keeps its inode)
# inside a mapping of at least MIN_LEN bytes, at FROM (a fraction) of it or later. gcspike never
# dies of a signal and leaves no temporary file; it exits 0 (done with VICTIM before the cut) or
# 2 with one line naming VICTIM and the byte where it was cut, and no OUT. The runs that met the
# cut (exit 2) are counted in cuts_met.
cuts_met=0
cut_while_read() {
  local victim=$1 source=$2 min_len=$3 from=$4 seed=$5 out=$6 got=0 msg cut
  shift 7
  cp "$source" "$victim"
  rm -f "$out"
  python3 "$SOURCE_DIR/tests/e2e/cut_while_mapped.py" "$victim" "$min_len" "$from" "$seed" \
    "$WORK/cut.txt" -- "$@" >"$WORK/cut-out.txt" 2>&1 || got=$?
  msg=$(cat "$WORK/cut-out.txt")
  cut=$(grep -o '^cut at [0-9]*' "$WORK/cut.txt" | grep -o '[0-9]*$' || true)
  ((got < 128)) || fail "killed by signal $((got - 128)) ($(cat "$WORK/cut.txt")): $*: $msg"
  [[ $got == 0 || $got == 2 ]] || fail "exit $got, want 0 or 2: $*: $msg"
  [[ -z $(find "$(dirname "$out")" -maxdepth 1 -name ".$(basename "$out").gcspike-*") ]] ||
    fail "temporary file left"
  if [[ $got == 2 ]]; then
    [[ ! -e $out ]] || fail "output written for $*"
    [[ $(wc -l <"$WORK/cut-out.txt") == 1 ]] || fail "not one line: $msg"
    [[ -n $cut ]] || fail "exit 2 though nothing was cut: $msg"
    [[ $msg == "gcspike: $victim: byte $cut: the file shrank while it was being read"* ]] ||
      fail "want $victim cut at byte $cut: $msg"
    cuts_met=$((cuts_met + 1))
  fi
  echo "exit $got, $(cat "$WORK/cut.txt"): ${msg:-(nothing)}"
  pass
}
