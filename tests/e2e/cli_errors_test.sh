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

# Bad input on stdin names <stdin>.
expect_exit 2 bash -c "head -c 100 /dev/urandom | '$GCSPIKE' - > /dev/null"
grep -q '<stdin>' "$WORK/out.txt" || fail "stdin error does not say <stdin>"

# Usage errors.
expect_exit 2 "$GCSPIKE" annotate --no-such-flag "$good"
expect_exit 2 "$GCSPIKE" annotate
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
