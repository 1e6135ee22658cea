#!/usr/bin/env bash
# Bad input and bad usage: exit 2, one line naming the file and byte offset, and never an
# output file (an existing one stays as it was).
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"

good=$(pprof_fixtures | head -1)
[[ -n $good ]] || fail "no pprof fixtures"

make_bad() {
  local dir=$WORK/bad
  mkdir -p "$dir"
  : > "$dir/empty.pb.gz"
  head -c 3000 /dev/urandom > "$dir/random.bin"
  printf '\xff\xfe garbage' > "$dir/garbage.bin"
  head -c $(( $(stat -c %s "$good") / 2 )) "$good" > "$dir/truncated-gzip.pb.gz"
  gunzip -c "$good" > "$dir/full.pb"
  head -c $(( $(stat -c %s "$dir/full.pb") - 7 )) "$dir/full.pb" > "$dir/truncated-message.pb"
  rm "$dir/full.pb"
  # A profile whose first string is not empty (field 6, length 1, "x").
  printf '\x32\x01x' > "$dir/bad-first-string.pb"
  # A sample naming location 9 that does not exist.
  printf '\x32\x00\x12\x02\x08\x09' > "$dir/missing-location.pb"
  # A string_table entry claiming 2^62 bytes.
  printf '\x32\x80\x80\x80\x80\x80\x80\x80\x80\x40' > "$dir/huge-length.pb"
  # A function with id 0 referenced by nothing.
  printf '\x32\x00\x2a\x02\x10\x00' > "$dir/zero-id.pb"
  # Over-long varint in a tag.
  printf '\x32\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01' > "$dir/long-varint.pb"
  # A gzip member holding garbage.
  printf 'not a profile at all' | gzip -c > "$dir/gzip-garbage.gz"
  # A Go trace header (recognized, readable only when the trace reader is built in) cut short.
  printf 'go 1.22 trace\x00\x00\x00' > "$dir/short-trace.out"
  # Inputs that are not profiles gcspike reads, each named for what it looks like.
  printf 'Showing nodes accounting for 10ms\n' > "$dir/text.txt"
  printf 'heap profile: 3: 1024 [5: 2048] @ heap/1048576\n' > "$dir/legacy-heap.txt"
  printf -- '--- contention:\ncycles/second=2000000000\n' > "$dir/legacy-contention.txt"
  printf -- '--- mutex:\ncycles/second=2000000000\n' > "$dir/legacy-mutex.txt"
  printf -- '--- threadcreate:\n1 @ 0x1\n' > "$dir/legacy-threadcreate.txt"
  # The legacy binary CPU format: words 0, 3, 0, period 10000, 0, a sample (count 1, depth 1,
  # pc) and the trailer 0, 1, 0, in 64-bit and in 32-bit little-endian words.
  words() {  # words BYTES VALUE...: each VALUE as a little-endian word of BYTES bytes
    local size=$1 v k
    shift
    for v; do
      for ((k = 0; k < size; k++)); do
        printf "\\$(printf '%03o' $(((v >> (8 * k)) & 255)))"
      done
    done
  }
  words 8 0 3 0 10000 0 1 1 4198400 0 1 0 > "$dir/legacy-cpu64.prof"
  words 4 0 3 0 10000 0 1 1 4198400 0 1 0 > "$dir/legacy-cpu32.prof"
  # perf.data version 1.
  { printf 'PERFFILE'; head -c 96 /dev/zero; } > "$dir/perf-v1.data"
}
make_bad

for f in "$WORK"/bad/*; do
  out="$WORK/out.pb.gz"
  rm -f "$out"
  expect_exit 2 "$GCSPIKE" annotate "$f" -o "$out"
  msg=$(cat "$WORK/out.txt")
  [[ $(wc -l < "$WORK/out.txt") -eq 1 ]] || fail "more than one line for $f: $msg"
  [[ $msg == *"$f"* ]] || fail "message does not name the file: $msg"
  [[ $msg == *"byte "* ]] || fail "message does not name the byte offset: $msg"
  [[ ! -e $out ]] || fail "output file left behind for $f"
  [[ -z $(find "$WORK" -maxdepth 1 -name '.out.pb.gz.gcspike-*') ]] || fail "temporary file left behind"
  # An existing output file is untouched.
  echo precious > "$out"
  expect_exit 2 "$GCSPIKE" annotate "$f" -o "$out"
  [[ $(cat "$out") == precious ]] || fail "existing output overwritten on failure for $f"
  echo "ok: $(basename "$f"): $msg"
done

# What each of those looks like, in so many words (exact lines).
expect_line() {  # expect_line FILE MESSAGE: annotate FILE exits 2 with exactly "gcspike: FILE: MESSAGE"
  expect_exit 2 "$GCSPIKE" annotate "$1" -o "$WORK/x.pb.gz"
  [[ $(cat "$WORK/out.txt") == "gcspike: $1: $2" ]] ||
    fail "for $(basename "$1"): got '$(cat "$WORK/out.txt")', want 'gcspike: $1: $2'"
}
convert='; convert it with go tool pprof -proto'
not_profile='not a profile: pprof (profile.proto, gzipped or raw), a Go execution trace or perf.data'
expect_line "$WORK/bad/text.txt" \
  "byte 0: unrecognized input: looks like text (\"Showing nodes accounting for 10ms\"), $not_profile"
expect_line "$WORK/bad/gzip-garbage.gz" \
  "byte 0 of decompressed data: unrecognized input: looks like text (\"not a profile at all\"), $not_profile"
expect_line "$WORK/bad/legacy-heap.txt" \
  "byte 0: unsupported: legacy text heap profile (\"heap profile: 3: 1024 [5: 2048] @ heap/1048576\")$convert"
expect_line "$WORK/bad/legacy-contention.txt" \
  "byte 0: unsupported: legacy text contention profile (\"--- contention:\")$convert"
expect_line "$WORK/bad/legacy-mutex.txt" \
  "byte 0: unsupported: legacy text mutex profile (\"--- mutex:\")$convert"
expect_line "$WORK/bad/legacy-threadcreate.txt" \
  "byte 0: unsupported: legacy text threadcreate profile (\"--- threadcreate:\")$convert"
for f in legacy-cpu64.prof legacy-cpu32.prof; do
  expect_line "$WORK/bad/$f" \
    "byte 0: unsupported: legacy binary CPU profile (gperftools, or Go before 1.9)$convert"
done
expect_line "$WORK/bad/perf-v1.data" \
  'byte 0: unsupported: perf.data version 1 (magic "PERFFILE"); gcspike reads version 2 ("PERFILE2"): record it again with a current perf'
expect_line "$WORK/bad/long-varint.pb" \
  'byte 2: unrecognized input: starts like pprof (profile.proto) but byte 0xff is not the tag of a profile.proto field (1..14)'
# The conversion the message suggests gives gcspike a profile it reads.
for f in legacy-heap.txt legacy-cpu64.prof legacy-cpu32.prof; do
  go tool pprof -proto "$WORK/bad/$f" > "$WORK/converted.pb.gz" 2>/dev/null &&
    "$GCSPIKE" annotate "$WORK/converted.pb.gz" --no-detect -o "$WORK/x.pb.gz" ||
    fail "go tool pprof -proto $f does not give gcspike a profile"
  pass
done

# Bad input on stdin names <stdin>.
expect_exit 2 bash -c "head -c 100 /dev/urandom | '$GCSPIKE' - > /dev/null"
grep -q '<stdin>' "$WORK/out.txt" || fail "stdin error does not say <stdin>"

# Usage errors: one line, no input name in front.
expect_msg() {  # expect_msg MESSAGE CMD...: exit 2 and exactly "gcspike: MESSAGE"
  local want=$1
  shift
  expect_exit 2 "$@"
  [[ $(cat "$WORK/out.txt") == "gcspike: $want" ]] ||
    fail "$*: got '$(cat "$WORK/out.txt")', want 'gcspike: $want'"
}
expect_msg "unknown flag --no-such-flag (see gcspike annotate --help)" \
  "$GCSPIKE" annotate --no-such-flag "$good"
expect_msg "unknown flag --no-such-flag (see gcspike --help)" "$GCSPIKE" --no-such-flag "$good"
# A mistyped flag gets the nearest of gcspike's own, and the flag named works.
expect_msg "unknown flag --jsn (did you mean --json? see gcspike report --help)" \
  "$GCSPIKE" report --jsn "$good"
expect_exit 0 "$GCSPIKE" report --json "$good"
expect_msg "unknown flag --max-memroy=64M (did you mean --max-memory? see gcspike --help)" \
  "$GCSPIKE" --max-memroy=64M "$good"
expect_exit 0 "$GCSPIKE" --max-memory=64M "$good" -o "$WORK/suggested.pb.gz"
# Flags that ask for different report formats are refused, not decided by their order; flags
# that agree are fine. No output file either way of failing.
rm -f "$WORK/both.out"
expect_msg "--html and --json ask for different outputs: give one (one report per run)" \
  "$GCSPIKE" report --json --html "$good" -o "$WORK/both.out"
[[ ! -e $WORK/both.out ]] || fail "--json --html wrote an output file"
expect_msg "--json and --output-format=html ask for different outputs: give one (one report per run)" \
  "$GCSPIKE" report --output-format=html --json "$good"
expect_exit 0 "$GCSPIKE" report --json --output-format=json "$good" -o "$WORK/agree.json"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/agree.json" ||
  fail "--json --output-format=json did not write JSON"
# A mistyped command is named as one (not "cannot open 'reprot'").
expect_msg "unknown command 'reprot' (did you mean 'report'?)" "$GCSPIKE" reprot "$good"
expect_msg "unknown command 'anotate' (did you mean 'annotate'?)" "$GCSPIKE" anotate "$good"
expect_msg "unknown command 'pprf' (did you mean 'pprof'?)" "$GCSPIKE" pprf "$good" -- -top
# ...unless a file of that name exists.
cp "$good" "$WORK/reprot"
(cd "$WORK" && "$GCSPIKE" reprot --no-detect -o x.pb.gz) || fail "an existing file named reprot"
pass
# go tool pprof's flags go after --.
expect_msg "unknown flag -top: flags for go tool pprof go after --, as in gcspike pprof INPUT -- -top" \
  "$GCSPIKE" pprof "$good" -top
expect_msg "unknown flag -http=:8080: flags for go tool pprof go after --, as in gcspike pprof INPUT -- -http=:8080" \
  "$GCSPIKE" pprof "$good" -http=:8080
expect_msg "unknown flag -top: it is a go tool pprof flag; give it to gcspike pprof after --, as in gcspike pprof INPUT -- -top" \
  "$GCSPIKE" "$good" -top
expect_msg "arguments after -- are only for 'gcspike pprof'" "$GCSPIKE" annotate "$good" -- -top
# No input: standard input when it is not a terminal...
"$GCSPIKE" report < "$good" > "$WORK/report-stdin.txt" || fail "gcspike report < FILE"
"$GCSPIKE" report - < "$good" > "$WORK/report-dash.txt" || fail "gcspike report - < FILE"
cmp -s "$WORK/report-stdin.txt" "$WORK/report-dash.txt" || fail "report < FILE differs from report - < FILE"
pass
"$GCSPIKE" --no-detect < "$good" > "$WORK/annotate-stdin.pb.gz" || fail "gcspike < FILE"
"$GCSPIKE" --no-detect "$good" > "$WORK/annotate-file.pb.gz" || fail "gcspike FILE"
cmp -s "$WORK/annotate-stdin.pb.gz" "$WORK/annotate-file.pb.gz" || fail "gcspike < FILE differs"
pass
expect_msg "<stdin>: byte 0: empty input" "$GCSPIKE" annotate < /dev/null
# ...and a usage error when it is a terminal (script(1) gives the command a pty).
if command -v script >/dev/null; then
  expect_exit 2 script -qec "'$GCSPIKE' report" /dev/null
  [[ $(tr -d '\r' < "$WORK/out.txt") == "gcspike: no input: name a profile (gcspike report cpu.pprof) or pipe one into standard input (gcspike report < cpu.pprof); gcspike report --help shows more" ]] ||
    fail "no input on a terminal: $(cat "$WORK/out.txt")"
fi
# Each command has its own --help: synopsis, description, its flags, its examples.
expect_exit 0 "$GCSPIKE" report --help
grep -qx '  gcspike report \[--json|--html\] \[flags\] INPUT... \[-o OUT\]' "$WORK/out.txt" || fail "report --help: no synopsis"
grep -qx '  --fail-on=string' "$WORK/out.txt" || fail "report --help lacks --fail-on"
grep -qx "  gcspike report --json cpu.pprof --fail-on 'grow-spike>10%'" "$WORK/out.txt" ||
  fail "report --help lacks its examples"
! grep -q -- '--uncompressed\|gcspike pprof' "$WORK/out.txt" || fail "report --help shows another command's flags or examples"
pass
expect_exit 0 "$GCSPIKE" help report
grep -qx '  --fail-on=string' "$WORK/out.txt" || fail "help report is not report --help"
expect_exit 0 "$GCSPIKE" trace-stats --help
grep -qx '  --stacks' "$WORK/out.txt" || fail "trace-stats --help lacks --stacks"
expect_msg "no command 'reprot' to show help for (see gcspike --help)" "$GCSPIKE" help reprot
expect_exit 2 "$GCSPIKE" annotate "$WORK/does-not-exist.pb.gz" -o "$WORK/x.pb.gz"
expect_exit 2 "$GCSPIKE" annotate "$good" -o
expect_exit 2 "$GCSPIKE" annotate --gzip-level=notanumber "$good"
expect_exit 2 "$GCSPIKE" - - -o "$WORK/x.pb.gz"

# Binary output is refused on a terminal (script(1) gives the command a pty).
if command -v script >/dev/null; then
  expect_exit 2 script -qec "'$GCSPIKE' annotate '$good'" /dev/null
  grep -q 'terminal' "$WORK/out.txt" || fail "no terminal refusal message"
fi

# -o naming something that is not a regular file (a FIFO here, as /dev/null or /dev/stdout
# would be) is written in place, never renamed over.
mkfifo "$WORK/fifo"
cat "$WORK/fifo" > "$WORK/from-fifo.pb.gz" &
reader=$!
"$GCSPIKE" annotate "$good" --no-detect -o "$WORK/fifo" || fail "-o FIFO"
wait "$reader"
[[ -p $WORK/fifo ]] || fail "the FIFO was replaced by a regular file"
"$GCSPIKE" annotate "$good" --no-detect -o "$WORK/direct.pb.gz"
cmp -s "$WORK/from-fifo.pb.gz" "$WORK/direct.pb.gz" || fail "output through the FIFO differs"
pass
# -o naming a symlink replaces the file it points to and keeps the link.
"$GCSPIKE" annotate "$good" --no-detect -o "$WORK/target.pb.gz"
ln -s "$WORK/target.pb.gz" "$WORK/link.pb.gz"
echo old > "$WORK/target.pb.gz"
"$GCSPIKE" annotate "$good" --no-detect -o "$WORK/link.pb.gz"
[[ -L $WORK/link.pb.gz ]] || fail "the symlink was replaced"
cmp -s "$WORK/target.pb.gz" "$WORK/direct.pb.gz" || fail "the symlink's target was not written"
pass

# --help shows real examples and exits 0.
expect_exit 0 "$GCSPIKE" --help
grep -q 'gcspike annotate cpu.pprof -o annotated.pb.gz' "$WORK/out.txt" || fail "--help lacks examples"
finish
