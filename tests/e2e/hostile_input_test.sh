#!/usr/bin/env bash
# Decompression bombs and inputs larger than the memory budget: exit 2 with one line naming the
# file, the offset reached and the limit; never std::bad_alloc, never an output file; and the
# peak RSS stays within a stated bound while gcspike refuses them. And inputs truncated by
# another process while gcspike has them mapped: never SIGBUS, the one line naming the cut.
source "$(dirname "$0")/lib.sh"

TIME=/usr/bin/time
[[ -x $TIME ]] || fail "/usr/bin/time is needed to measure peak RSS"
out=$WORK/out.pb.gz

# refuse BOUND_MB WANT... -- CMD...: exit 2, one line containing every WANT, no output file,
# peak RSS under BOUND_MB.
refuse() {
  local bound=$1
  shift
  local wants=()
  while [[ $1 != -- ]]; do
    wants+=("$1")
    shift
  done
  shift
  rm -f "$out"
  local got=0
  $TIME -f %M -o "$WORK/rss.txt" "$@" >"$WORK/out.txt" 2>&1 || got=$?
  local msg rss
  msg=$(cat "$WORK/out.txt")
  rss=$(tail -1 "$WORK/rss.txt")
  [[ $got == 2 ]] || fail "exit $got, want 2: $* ($msg)"
  [[ $(wc -l <"$WORK/out.txt") -eq 1 ]] || fail "more than one line: $msg"
  for w in "${wants[@]}"; do
    [[ $msg == *"$w"* ]] || fail "message lacks '$w': $msg"
  done
  [[ -n ${NO_OFFSET:-} || $msg == *"byte "* ]] || fail "message names no offset: $msg"
  [[ ! -e $out ]] || fail "output written for $*"
  [[ -z $(find "$WORK" -maxdepth 1 -name '.out.pb.gz.gcspike-*') ]] || fail "temporary file left"
  ((rss < bound * 1024)) || fail "peak RSS ${rss} KiB over ${bound} MiB: $*"
  echo "ok (peak RSS $((rss / 1024)) MiB < $bound MiB): $msg"
  pass
}

# One 64 MiB member of zeros (about 65 KB at -9, ratio ~1030), repeated: a multi-member bomb
# of any size in no time. gzip is decompressed as it is read and sniffed from its first bytes,
# so plain zeros are refused at once as no known format (checked below); the bombs start with
# a member holding 16 bytes of a plausible pprof message (one string_table entry: the sniffing
# refuses implausible fields in the first 16 bytes), so they pass for pprof, which is read whole.
pprof_prefix() { printf '\x32\x0egcspike bomb 1'; }
head -c 64M /dev/zero | gzip -9 >"$WORK/member.gz"
bomb() {  # bomb N FILE: N members, N*64 MiB decompressed
  local i
  pprof_prefix | gzip >"$2"
  for ((i = 0; i < $1; i++)); do cat "$WORK/member.gz" >>"$2"; done
}
bomb 16 "$WORK/bomb1g.pb.gz"  # 1 GiB from ~1 MB
bomb 96 "$WORK/bomb6g.pb.gz"  # 6 GiB from ~6 MB

# 1. The ratio limit (default 1000) stops both early, whatever the memory budget.
refuse 100 "$WORK/bomb1g.pb.gz" "expands more than 1000 times" "--max-gzip-ratio" -- \
  "$GCSPIKE" annotate "$WORK/bomb1g.pb.gz" -o "$out"
refuse 100 "$WORK/bomb6g.pb.gz" "expands more than 1000 times" -- \
  "$GCSPIKE" annotate "$WORK/bomb6g.pb.gz" -o "$out"
# The same on stdin (read into memory: the pipe buffer counts too).
refuse 100 "<stdin>" "expands more than 1000 times" -- \
  bash -c "'$GCSPIKE' annotate - -o '$out' < '$WORK/bomb6g.pb.gz'"
# A lower ratio is a flag away; the limit is named.
refuse 100 "expands more than 5 times" -- \
  "$GCSPIKE" annotate "$WORK/bomb1g.pb.gz" -o "$out" --max-gzip-ratio=5

# 2. With the ratio check off, the memory budget stops the 6 GiB bomb at the offset reached
# (it used to end in std::bad_alloc, exit 134).
refuse 200 "$WORK/bomb6g.pb.gz" "memory budget of 157286400 bytes" "--max-memory" -- \
  "$GCSPIKE" annotate "$WORK/bomb6g.pb.gz" -o "$out" --max-gzip-ratio=0 --max-memory=150M
# gzip -1 expands zeros only ~230 times: under the ratio, stopped by the budget.
{ pprof_prefix; head -c 1G /dev/zero; } | gzip -1 >"$WORK/fast1g.pb.gz"
refuse 200 "memory budget of 104857600 bytes" -- \
  "$GCSPIKE" annotate "$WORK/fast1g.pb.gz" -o "$out" --max-memory=100M

# diff and report read their inputs under the same budget (diff once ignored --max-memory and
# --max-gzip-ratio: it read the bomb whole).
refuse 200 "memory budget of 104857600 bytes" -- \
  "$GCSPIKE" diff "$WORK/fast1g.pb.gz" "$WORK/fast1g.pb.gz" -o "$out" --max-memory=100M
refuse 100 "expands more than 5 times" -- \
  "$GCSPIKE" diff "$WORK/bomb1g.pb.gz" "$WORK/bomb1g.pb.gz" --max-gzip-ratio=5
refuse 200 "memory budget of 104857600 bytes" -- \
  "$GCSPIKE" report "$WORK/fast1g.pb.gz" --max-memory=100M

# Zeros that look like nothing are refused from their first bytes, having read almost nothing.
cat "$WORK/member.gz" "$WORK/member.gz" >"$WORK/zeros.gz"
refuse 50 "zeros.gz: byte 0 of decompressed data: unrecognized input" -- \
  "$GCSPIKE" annotate "$WORK/zeros.gz" -o "$out" --max-gzip-ratio=0

# 3. A 10 GB sparse file that looks like pprof (its first 16 bytes) is refused by its size
# before the rest is read.
truncate -s 10G "$WORK/sparse.pb"
pprof_prefix | dd of="$WORK/sparse.pb" conv=notrunc status=none
refuse 50 "$WORK/sparse.pb" "byte 0:" "10737418240 bytes" "memory budget of 1073741824 bytes" -- \
  "$GCSPIKE" annotate "$WORK/sparse.pb" -o "$out" --max-memory=1G
# Within the budget it is mapped, not read: the decoder fails at byte 2 with little memory.
refuse 50 "$WORK/sparse.pb" -- "$GCSPIKE" annotate "$WORK/sparse.pb" -o "$out" --max-memory=16G
# A raw pipe over the budget stops at the limit.
refuse 100 "<stdin>" "memory budget of 33554432 bytes" -- \
  bash -c "{ printf '\\x32\\x0egcspike bomb 1'; head -c 100M /dev/zero; } | '$GCSPIKE' annotate - -o '$out' --max-memory=32M"

# 4. std::bad_alloc is caught as a last resort: a budget the address space cannot hold.
NO_OFFSET=1 refuse 300 "out of memory" "--max-memory" -- \
  bash -c "ulimit -v 400000; '$GCSPIKE' annotate '$WORK/bomb6g.pb.gz' -o '$out' --max-gzip-ratio=0 --max-memory=8G"

# Bad flag values are usage errors.
expect_exit 2 "$GCSPIKE" annotate "$WORK/bomb1g.pb.gz" -o "$out" --max-memory=lots
expect_exit 2 "$GCSPIKE" annotate "$WORK/bomb1g.pb.gz" -o "$out" --max-gzip-ratio=-1

# 5. Another process truncates the input while gcspike has it mapped (tests/e2e/cut_while_mapped.py
# polls /proc/PID/maps and cuts inside the mapping, ahead of the reader): gcspike never dies of
# SIGBUS; it exits 0 (the reader was past the cut, or done) or 2 with one line naming the file
# and the byte where it was cut, and leaves no output (cut_while_read in lib.sh).
# pprof is decoded from one mapping of the whole file (~5 MB here); perf.data and traces are
# read through 1 MiB windows (a Go trace here, cut in whichever window is mapped), and --jobs
# reads several inputs at once on threads.
"$GOCHECK" pprof-synth --from "$FIXTURES"/pprof/go1.26/*.cpu.pb.gz --copies 40 \
  --out "$WORK/synth.pb.gz" >/dev/null
gunzip -c "$WORK/synth.pb.gz" >"$WORK/synth.pb"
trace=$(ls -S "$FIXTURES"/trace/*/*.trace | head -1)
cpu=$(pprof_fixtures | head -1)
for seed in 1 2 3 4 5 6; do
  cut_while_read "$WORK/victim.pb" "$WORK/synth.pb" 2000000 0.5 "$seed" "$out" -- \
    "$GCSPIKE" annotate "$WORK/victim.pb" -o "$out"
done
pprof_cuts=$cuts_met
((pprof_cuts >= 3)) || fail "only $pprof_cuts of 6 pprof runs met the cut: the race is not tested"
for seed in 1 2 3; do
  cut_while_read "$WORK/victim.trace" "$trace" 4096 0 "$seed" "$out" -- \
    "$GCSPIKE" annotate "$WORK/victim.trace" -o "$out"
  cut_while_read "$WORK/victim.pb" "$WORK/synth.pb" 2000000 0.3 "$seed" "$out" -- \
    "$GCSPIKE" merge "$cpu" "$WORK/victim.pb" "$trace" --jobs 3 -o "$out"
done

# A real profile passes the defaults untouched.
good=$(pprof_fixtures | head -1)
expect_exit 0 "$GCSPIKE" annotate "$good" -o "$out"
expect_exit 0 "$GCSPIKE" annotate "$good" -o "$out" --max-memory=1M
finish
